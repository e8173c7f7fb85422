"""The model view: its numbers are the model's, its page loads alone and shows them.

The float trace is held to the model's own forward pass (logits and
`last_attention`, 1e-12); the neurons' top contexts to a brute-force scan
with the model's own modules; the value projections to torch.einsum. In
headless Chromium: no console error and no request, the temperature slider
against Python's softmax, the training slider, hostile token text.
"""

from __future__ import annotations

import json
import math
import random
import shutil

import pytest

from tinygrad_edu import no_grad
from tinygrad_edu.datasets import CharTokenizer
from tinygrad_edu.models.bert import BERT, WordTokenizer
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.nn.linear import activate
from viz import model_view as mv

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")

GPT_SETTINGS = [
    dict(n_layer=1, n_embd=8, n_head=2, norm="rmsnorm", bias=False),
    dict(n_layer=2, n_embd=8, n_head=4, norm="layernorm", bias=True, positional="sinusoidal"),
    dict(n_layer=1, n_embd=6, n_head=3, activation="tanh"),
]


def tiny_gpt(seed: int = 0, vocab: str = "abcde", **settings) -> tuple[GPT, CharTokenizer]:
    random.seed(seed)
    tok = CharTokenizer(vocab)
    settings = {**dict(n_layer=1, n_embd=8, n_head=2), **settings}
    return GPT(tok.vocab_size, block_size=8, **settings), tok


def tiny_bert(seed: int = 0, **settings) -> tuple[BERT, WordTokenizer]:
    random.seed(seed)
    tok = WordTokenizer.from_sentences([["the", "cat", "sat"], ["the", "dog", "ran", "home"]])
    settings = {**dict(n_layer=1, d_model=8, n_head=2), **settings}
    return BERT(tok.vocab_size, max_len=8, **settings), tok


def most_different(a, b) -> float:
    if isinstance(a, list):
        return max((most_different(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    return abs(a - b)


# ------------------------------------------------------------------ trace
@pytest.mark.parametrize("settings", GPT_SETTINGS)
def test_the_trace_reproduces_the_gpts_logits_and_attention(settings):
    model, tok = tiny_gpt(**settings)
    ids = [0, 1, 3, 2, 5, 4]
    with no_grad():
        logits = model(ids)
    traced = mv.trace(mv.architecture(model), model.state_dict(), ids)
    assert most_different([[v.data for v in row] for row in logits], traced["logits"]) < 1e-12
    for block, layer in zip(model.blocks, traced["layers"], strict=True):
        maps = [head["attention"] for head in layer["heads"]]
        assert most_different(block.attn.last_attention, maps) < 1e-12


@pytest.mark.parametrize("tie", [False, True])
def test_the_trace_reproduces_berts_logits_and_attention(tie):
    model, tok = tiny_bert(n_layer=2, tie_weights=tie)
    ids = tok.encode("the [MASK] sat home")
    with no_grad():
        logits = model(ids)
    traced = mv.trace(mv.architecture(model), model.state_dict(), ids)
    assert most_different([[v.data for v in row] for row in logits], traced["logits"]) < 1e-12
    for block, layer in zip(model.blocks, traced["layers"], strict=True):
        assert most_different(block.attn.last_attention, [h["attention"] for h in layer["heads"]]) < 1e-12


def test_attention_rows_sum_to_one_and_a_gpt_never_looks_ahead():
    model, _ = tiny_gpt(n_layer=2)
    traced = mv.trace(mv.architecture(model), model.state_dict(), [0, 1, 2, 3, 4])
    for layer in traced["layers"]:
        for head in layer["heads"]:
            for t, row in enumerate(head["attention"]):
                assert math.isclose(sum(row), 1.0, abs_tol=1e-12)
                assert all(w == 0.0 for w in row[t + 1 :])
                assert all(s is None for s in head["scores"][t][t + 1 :])
    bert, tok = tiny_bert()
    traced = mv.trace(mv.architecture(bert), bert.state_dict(), tok.encode("the cat sat"))
    for row in traced["layers"][0]["heads"][0]["attention"]:
        assert math.isclose(sum(row), 1.0, abs_tol=1e-12) and all(w > 0.0 for w in row)  # both sides


def test_the_logit_lens_ends_at_the_models_own_prediction():
    model, _ = tiny_gpt(n_layer=2)
    traced = mv.trace(mv.architecture(model), model.state_dict(), [0, 2, 4])
    assert [d["depth"] for d in traced["logit_lens"]] == [
        "embeddings",
        "block 0 + attention",
        "block 0 + feed-forward",
        "block 1 + attention",
        "block 1 + feed-forward",
    ]
    last = traced["logit_lens"][-1]["top"]
    for t, probs in enumerate(traced["probs"]):
        best = max(range(len(probs)), key=lambda i: (probs[i], -i))
        assert last[t][0] == [best, probs[best]]
        assert math.isclose(sum(probs), 1.0, abs_tol=1e-12)
    norms = traced["stream_norms"][-1]["norms"]
    stream = traced["layers"][-1]["stream"]
    assert norms == [math.sqrt(sum(v * v for v in x)) for x in stream]


# ---------------------------------------------------------------- neurons
def brute_force_activations(model, doc):
    """Each block's hidden feed-forward activations for `doc`, with the
    model's own modules (Values), not the trace's floats."""
    with no_grad():
        xs = model.wpe(model.wte(doc))
        found = []
        for block in model.blocks:
            normed = [block.ln_1(x) for x in xs]
            xs = [[a + b for a, b in zip(x, h)] for x, h in zip(xs, block.attn(normed))]
            pre = block.mlp.fc([block.ln_2(x) for x in xs])
            found.append([[activate(z, block.mlp.activation).data for z in row] for row in pre])
            xs = [[a + b for a, b in zip(x, h)] for x, h in zip(xs, block.mlp([block.ln_2(x) for x in xs]))]
    return found


@pytest.mark.parametrize("kind", ["gpt", "bert"])
def test_top_contexts_are_the_brute_force_top_k(kind):
    if kind == "gpt":
        model, tok = tiny_gpt(n_layer=2)
        corpus = [tok.encode_document(w)[:-1] for w in ["abc", "abd", "cab", "eeda", "bad", "ace"]]
    else:
        model, tok = tiny_bert(n_layer=2)
        corpus = [tok.encode(s) for s in ["the cat sat", "the dog ran home", "cat sat home", "the dog sat"]]
    arch = mv.architecture(model)
    memories = mv.neuron_memories(arch, model.state_dict(), corpus, tok.itos, k=3)
    per_doc = [brute_force_activations(model, doc) for doc in corpus]
    for layer in range(arch.n_layer):
        for j in range(arch.d_ff):
            everything = sorted(
                ((acts[layer][t][j], d, t) for d, acts in enumerate(per_doc) for t in range(len(corpus[d]))),
                key=lambda f: (-f[0], f[1], f[2]),
            )
            expected, seen = [], set()
            for a, d, t in everything:
                doc = corpus[d]
                key = (
                    tuple(doc[max(0, t - 12) : t]),
                    doc[t],
                    () if kind == "gpt" else tuple(doc[t + 1 : t + 13]),
                )
                if key not in seen:
                    seen.add(key)
                    expected.append((a, d, t))
            got = memories[layer][j]["contexts"]
            assert [(c["doc"], c["position"]) for c in got] == [(d, t) for _, d, t in expected[:3]]
            assert most_different([c["activation"] for c in got], [a for a, _, _ in expected[:3]]) < 1e-12
            assert got[0]["token"] == tok.itos[corpus[expected[0][1]][expected[0][2]]]


def test_value_projections_match_torch_einsum():
    torch = pytest.importorskip("torch")
    model, tok = tiny_gpt(n_layer=2, norm="rmsnorm", bias=False)
    arch = mv.architecture(model)
    state = model.state_dict()
    memories = mv.neuron_memories(arch, state, [[0, 1, 2]], tok.itos)
    unembed = torch.tensor(state["lm_head.weight"], dtype=torch.float64)  # (vocab, d)
    gain = torch.tensor(state["ln_f.weight"], dtype=torch.float64)  # (d,)
    for layer in range(2):
        w2 = torch.tensor(state[f"blocks.{layer}.mlp.proj.weight"], dtype=torch.float64)  # (d, d_ff)
        expected = torch.einsum("vd,d,dn->nv", unembed, gain, w2)  # (d_ff, vocab)
        for j, neuron in enumerate(memories[layer]):
            order = sorted(range(arch.vocab_size), key=lambda v: (-expected[j, v].item(), v))
            assert [v for v, _ in neuron["promotes"]] == order[: mv.TOP_TOKENS]
            assert [v for v, _ in neuron["suppresses"]] == order[::-1][: mv.TOP_TOKENS]
            for v, value in neuron["promotes"] + neuron["suppresses"]:
                assert abs(value - expected[j, v].item()) < 1e-12


# ---------------------------------------------------------------- prompts
def test_prompt_warnings_and_errors():
    tok = CharTokenizer("abc")
    ids, warnings = mv.encode_prompt(tok, ".aBcz", 16)
    assert ids == [0, 1, 2, 3]
    assert warnings == [
        "'B' is not in the vocabulary: read as 'b'",
        "'z' is not in the vocabulary: left out",
    ]
    ids, warnings = mv.encode_prompt(tok, "abcabc", 4)
    assert ids == [3, 1, 2, 3] and "showing the last 4" in warnings[0]
    for empty in ["", "   "]:
        with pytest.raises(ValueError, match="prompt is empty"):
            mv.encode_prompt(tok, empty, 4)
    with pytest.raises(ValueError, match="no character of the prompt"):
        mv.encode_prompt(tok, "zzz", 4)
    _, words = tiny_bert()
    ids, warnings = mv.encode_prompt(words, "The [MASK] flew", 8)
    assert ids == [words.cls, words.stoi["the"], words.mask, words.unk, words.sep]
    assert warnings == [
        "'The' is not in the vocabulary: read as 'the'",
        "'flew' is not in the vocabulary: read as [UNK]",
    ]
    # Read as fill_mask reads it: "home." is the word "home", not [UNK]; a lone "!" is left out.
    ids, warnings = mv.encode_prompt(words, "the [MASK] ran home. !", 16)
    assert ids == [words.cls, words.stoi["the"], words.mask, words.stoi["ran"], words.stoi["home"], words.sep]
    assert ids == words.encode("the [MASK] ran home. !")  # fill_mask's reading, [CLS] and [SEP] included
    assert warnings == [
        "'home.' is not in the vocabulary: read as 'home'",
        "'!' is not in the vocabulary: left out",
    ]


# ------------------------------------------------------------------- page
HOSTILE = ["</script><script>document.title='pwned'</script>", "\"q'", "\u202eevil", "<b>"]


def hostile_model():
    """A character model whose vocabulary holds hostile text: a tokenizer
    whose 'characters' are whole strings (the page must show them as text)."""
    model, tok = tiny_gpt(vocab="abcd", n_layer=1)
    tok.itos = [tok.itos[0], *HOSTILE]
    return model, tok


@pytest.fixture(scope="module")
def gpt_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("view")
    model, tok = tiny_gpt(n_layer=2)
    corpus = [tok.encode_document(w)[:-1] for w in ["abc", "abd", "cab", "eeda", "bad", "ace"]]
    random.seed(5)
    untrained = GPT(tok.vocab_size, block_size=8, n_layer=2, n_embd=8, n_head=2).state_dict()
    snapshots = [{"step": 0, "state_dict": untrained}, {"step": 10, "state_dict": model.state_dict()}]
    path, warnings = mv.write_model_view(
        model,
        tok,
        ".abca",
        folder / "model.html",
        corpus=corpus,
        snapshots=snapshots,
        json_path=folder / "v.json",
    )
    return path, json.loads((folder / "v.json").read_text(encoding="utf-8"))


def test_the_page_is_one_file_with_its_data_and_the_json_beside_it(gpt_page):
    path, data = gpt_page
    page = path.read_text(encoding="utf-8")
    assert '<script type="application/json" id="model-view-data">' in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert "<link" not in page and "src=" not in page
    assert data["tokens"] == [".", "a", "b", "c", "a"]
    assert [m["step"] for m in data["moments"]] == [0, 10, None]
    keys = {
        "embeddings",
        "layers",
        "stream_norms",
        "logit_lens",
        "logits",
        "probs",
        "neurons",
        "weights",
        "step",
    }
    assert set(data["moments"][-1]) == keys
    assert (
        data["moments"][0]["layers"][0]["heads"][0]["attention"]
        != data["moments"][1]["layers"][0]["heads"][0]["attention"]
    )


def test_the_view_links_to_a_stepping_page_of_one_attention_weight(gpt_page):
    path, data = gpt_page
    step = data["step_page"]
    row = data["moments"][-1]["layers"][0]["heads"][0]["attention"][data["selected"]]
    assert step["query"] == data["selected"] and row[step["key"]] == max(row)
    page = (path.parent / step["file"]).read_text(encoding="utf-8")
    assert step["file"] == "model-attention-step.html" and "<svg" in page
    assert f"weight {step['query']},{step['key']}" in page


def test_hostile_token_text_is_escaped_in_the_page(tmp_path):
    model, tok = hostile_model()
    page = mv.model_view_page(mv.model_view_data(model, tok, ".abcd", corpus=[[0, 1, 2, 3, 4]]))
    assert page.count("</script>") == 2  # the data's and the script's own
    assert "<b>" not in page.split('id="model-view-data">')[1]


@needs_chromium
def test_the_page_in_chromium(gpt_page):
    from cdp import Browser

    path, data = gpt_page
    with Browser(CHROMIUM) as browser:
        browser.watch()
        browser.open(path.as_uri())
        assert browser.problems() == []
        # The page's own forward pass (for "sample") gives the Python trace's numbers.
        js = browser.evaluate(
            "(function(){var d=JSON.parse(document.getElementById('model-view-data').textContent);"
            "var m=d.moments[d.moments.length-1]; return modelView.trace(m.weights, d.ids);})()"
        )
        final = data["moments"][-1]
        assert most_different(js["logits"], final["logits"]) < 1e-6
        assert (
            most_different(
                js["layers"][1]["heads"][1]["attention"], final["layers"][1]["heads"][1]["attention"]
            )
            < 1e-6
        )

        # The temperature slider: the shown probabilities are Python's softmax at that temperature.
        logits = final["logits"][data["selected"]]
        for log10 in (-1.30103, -0.5, 0.0, 0.3, 0.69897):
            browser.evaluate(
                f"var s=document.getElementById('temperature'); s.value='{log10}';"
                "s.dispatchEvent(new Event('input'))"
            )
            temperature = browser.evaluate("modelView.temperature()")
            assert 0.05 - 1e-9 <= temperature <= 5 + 1e-9
            expected = mv.softmax(logits, temperature)
            shown = browser.evaluate(
                "Array.from(document.querySelectorAll('#probs-body tr')).map(r => [Number(r.dataset.id), Number(r.dataset.p)])"
            )
            assert shown, "no probabilities shown"
            for i, p in shown:
                assert abs(p - expected[i]) < 1e-6, (temperature, i)

        # The training slider changes the attention maps.
        def maps():
            return browser.evaluate(
                "Array.from(document.querySelectorAll('.attention-map td.sq')).map(td => td.style.background).join('|')"
            )

        now = maps()
        browser.evaluate(
            "var m=document.getElementById('moment'); m.value='0'; m.dispatchEvent(new Event('input'))"
        )
        assert maps() != now
        assert "step 0" in browser.text("moment-label")

        assert browser.evaluate("document.getElementById('step-link')") is None  # an earlier moment
        browser.evaluate(
            "var m=document.getElementById('moment'); m.value='2'; m.dispatchEvent(new Event('input'))"
        )
        assert (
            browser.evaluate("document.getElementById('step-link').getAttribute('href')")
            == data["step_page"]["file"]
        )

        # Sampling appends a token and recomputes.
        before = browser.evaluate("modelView.ids().length")
        browser.evaluate("document.getElementById('sample').click()")
        assert browser.evaluate("modelView.ids().length") == before + 1
        assert browser.problems() == []


@needs_chromium
def test_hostile_token_text_shows_as_text_in_chromium(tmp_path):
    from cdp import Browser

    model, tok = hostile_model()
    path, _ = mv.write_model_view(model, tok, ".abcd", tmp_path / "x.html", corpus=[[0, 1, 2, 3, 4, 1]])
    with Browser(CHROMIUM) as browser:
        browser.watch()
        browser.open(path.as_uri())
        assert browser.problems() == []
        assert browser.evaluate("document.title") != "pwned"
        tokens = browser.evaluate(
            "Array.from(document.querySelectorAll('#prompt-tokens button')).map(b => b.textContent)"
        )
        assert tokens == [".", *HOSTILE]  # </script>, quotes, an RTL mark and <b>, each as text
        contexts = browser.evaluate(
            "Array.from(document.querySelectorAll('.trigger')).map(e => e.textContent)"
        )
        assert contexts and set(contexts) <= {".", *HOSTILE}
        assert browser.evaluate("document.querySelectorAll('b').length") == 0
