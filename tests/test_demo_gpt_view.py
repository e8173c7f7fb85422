"""demo gpt --text FILE and the model view the gpt and bert demos write."""

from __future__ import annotations

import json

import pytest

from demos import gpt
from demos.cli import main


def run_text(tmp_path, content: bytes, capsys, *extra: str) -> tuple[int, str]:
    path = tmp_path / "mine.txt"
    path.write_bytes(content)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["demo", "gpt", "--quick", "--text", str(path), "--out", str(out), *extra])
    assert not out.exists(), "nothing is written for a refused --text"
    return info.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"\xff\xfe\x00binary", "is not UTF-8 text"),
        (b"abc\x00def", "holds NUL bytes"),
        (b"a" * (gpt.MAX_TEXT_BYTES + 1), "at most 1,000,000"),
    ],
)
def test_bad_text_files_are_clear_errors_with_exit_code_2(tmp_path, capsys, content, message):
    code, err = run_text(tmp_path, content, capsys)
    assert code == 2
    assert "mine.txt" in err and message in err
    assert "Traceback" not in err


def test_a_missing_text_file_is_an_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", "gpt", "--text", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o")])
    assert info.value.code == 2
    assert "nope.txt" in capsys.readouterr().err


def test_text_windows_hold_every_character_once_and_the_last_tenth_out():
    text = "".join(chr(ord("a") + i % 7) for i in range(1000))
    data = gpt.text_data(text, "t.txt")
    decode = data.tokenizer.decode
    train = decode(data.train_docs[0]) + "".join(decode(w)[1:] for w in data.train_docs[1:])
    held = decode(data.val_docs[0]) + "".join(decode(w)[1:] for w in data.val_docs[1:])
    assert train == text[:900] and held == text[900:]
    assert all(2 <= len(w) <= 17 for w in data.train_docs + data.val_docs)
    assert data.tokenizer.bos_char == "."


def test_a_short_text_trains_with_a_warning_and_writes_its_view(tmp_path, capsys):
    path = tmp_path / "short.txt"
    path.write_text("the cat sat on the mat. " * 30 + "\u202e</script>", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["demo", "gpt", "--quick", "--text", str(path), "--out", str(out), "--samples", "1"]) == 0
    captured = capsys.readouterr()
    assert "too little to learn from" in captured.err
    results = json.loads((out / "results.json").read_text())
    assert results["data"] == "short.txt"
    assert results["view_bytes"] == (out / "model.html").stat().st_size < 3_000_000
    page = (out / "model.html").read_text(encoding="utf-8")
    assert page.count("</script>") == 2  # the text's own is escaped
