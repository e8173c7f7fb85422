"""One saved file per trained system: `save_model` and `load_model`.

A trained system is more than its weights: a GPT's ids mean nothing without
its tokenizer, a parser's embedding rows nothing without its vocabulary, and
weights alone cannot say what shape of model to build. Kept in separate
files, two runs into one folder (or Ctrl-C between two writes) can pair a
vocabulary from one run with weights from another of the same shapes, and
the model then answers garbage without a word of complaint. So everything
goes into one JSON document, written atomically (beside the target, then
renamed over it):

    {"format": "tinygrad_edu.model.v1",
     "kind": "gpt" | "bert" | "translate" | "parser" | "word2vec" | "digits",
     "config": the constructor's keyword arguments (model.config()),
     "vocab": the tokenizer or vocabularies, as the kind needs (their to_dict()),
     "state_dict": the weights, under PyTorch's names,
     "meta": anything JSON: the data set, the steps, the seed, the scores,
     "snapshots": [{"step": int, "state_dict": {...}}, ...]  (optional)}

and `load_model(path)` rebuilds the system from that file alone. Reading is
checked at every level, because a file is input like any other: a file cut
short, nested 100,000 deep, of another kind, with a vocabulary entry
``"the": 5`` or an empty word, or a config asking for ten million hidden
units, is a ValueError that names the file and what is wrong, and the
caller never gets a half-built model.

    >>> import os, random, tempfile; random.seed(0)
    >>> from tinygrad_edu.datasets import CharTokenizer
    >>> from tinygrad_edu.models.gpt import GPT
    >>> tokenizer = CharTokenizer("abc")
    >>> model = GPT(tokenizer.vocab_size, block_size=4, n_layer=1, n_embd=8, n_head=2)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> save_model(path, model, tokenizer, meta={"steps": 0})
    >>> saved = load_model(path)
    >>> saved.kind, saved.vocab, saved.meta
    ('gpt', CharTokenizer(4 tokens: '.abc', bos=0), {'steps': 0})
    >>> saved.model.state_dict() == model.state_dict()
    True
    >>> load_model(path, kind="parser")
    Traceback (most recent call last):
    ...
    ValueError: load_model('...model.json'): the file holds a 'gpt' model, expected a 'parser' model
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..checks import MAX_PARAMETERS, check_fields, check_words, current_parameter_limit
from ..datasets.names import CharTokenizer
from ..nn.module import Module, read_json, write_atomically
from .bert import BERT, WordTokenizer
from .digits import DigitCNN
from .gpt import GPT
from .parser import LABELLED, POSITIONS, Parser, Vocabulary
from .translate import Seq2Seq, Vocab
from .word2vec import Word2Vec

__all__ = ["FORMAT", "KINDS", "MAX_PARAMETERS", "SavedModel", "load_model", "save_model"]

FORMAT = "tinygrad_edu.model.v1"

# A file whose config asks for more parameters than checks.MAX_PARAMETERS
# (the layers' own limit) is refused before anything is built: the largest
# system here has a few hundred thousand, and ten million Values would take
# gigabytes (``"hidden": 10000000`` in a hand-edited file should be an
# error, not a machine that stops answering).

# The system each model class is, as a file names it.
KINDS = {
    GPT: "gpt",
    BERT: "bert",
    Seq2Seq: "translate",
    Parser: "parser",
    Word2Vec: "word2vec",
    DigitCNN: "digits",
}

# Each kind's config: the keys its constructor takes, and what each must be.
# "int": a whole number >= 0 (the constructor says which must be >= 1);
# "int?" and "str?": that, or null.
CONFIG_TYPES = {
    "gpt": {
        "vocab_size": "int",
        "block_size": "int",
        "n_layer": "int",
        "n_embd": "int",
        "n_head": "int",
        "d_ff": "int?",
        "norm": "str",
        "bias": "bool",
        "positional": "str",
        "activation": "str",
    },
    "bert": {
        "vocab_size": "int",
        "max_len": "int",
        "n_layer": "int",
        "d_model": "int",
        "n_head": "int",
        "d_ff": "int?",
        "n_segments": "int",
        "tie_weights": "bool",
        "norm_first": "bool",
        "activation": "str",
    },
    "translate": {
        "src_vocab_size": "int",
        "tgt_vocab_size": "int",
        "embedding_dim": "int",
        "hidden_size": "int",
        "attention": "str?",
        "bidirectional": "bool",
        "lexical": "bool",
    },
    "parser": {"word_dim": "int", "tag_dim": "int", "label_dim": "int", "hidden": "int", "activation": "str"},
    "word2vec": {"dim": "int"},
    "digits": {"channels": "int"},
}
# Keys a constructor gained after files were first saved: a file without
# one means the value every model had then.
ADDED_LATER = {"translate": {"lexical": False}}


@dataclass(frozen=True)
class SavedModel:
    """What `load_model` rebuilds from one file.

    `vocab` is what the kind needs beside the model: a `CharTokenizer` (gpt),
    a `WordTokenizer` (bert), a (source, target) pair of `Vocab` (translate),
    the parser's `Vocabulary` (also ``model.vocab``); None for word2vec (the
    model holds its words) and digits. `snapshots` are earlier weights,
    ``{"step": int, "state_dict": {...}}``, each checked to fit the model.
    """

    kind: str
    model: Module
    vocab: Any = None
    meta: dict = field(default_factory=dict)
    snapshots: tuple = ()


# ----------------------------------------------------------------- saving
def save_model(
    path: str | os.PathLike,
    model: Module,
    vocab: Any = None,
    *,
    meta: Mapping[str, Any] | None = None,
    snapshots: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Write `model`, its `vocab` (as `SavedModel.vocab` describes it), `meta`
    and `snapshots` to one JSON file at `path`, atomically: a crash mid-save
    leaves the old file whole."""
    where = f"save_model({_path_text(path)!r})"
    kind = KINDS.get(type(model))
    if kind is None:
        names = ", ".join(cls.__name__ for cls in KINDS)
        raise TypeError(f"{where}: cannot save a {type(model).__name__}; expected one of {names}")
    document = {
        "format": FORMAT,
        "kind": kind,
        "config": model.config(),
        "vocab": _vocab_to_dict(kind, model, vocab, where),
        "state_dict": model.state_dict(),
        "meta": dict(meta or {}),
        "snapshots": [_checked_snapshot(s, i, model, where) for i, s in enumerate(snapshots)],
    }
    try:
        text = json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as error:  # NaN weights, or meta that is not JSON
        raise ValueError(
            f"{where}: cannot write it as JSON ({error}); NaN weights or meta that is not JSON?"
        ) from None
    write_atomically(os.fsdecode(path), text, where)


def _vocab_to_dict(kind: str, model: Module, vocab: Any, where: str) -> dict:
    """The file's "vocab" for `kind`, after checking `vocab` fits `model`."""
    expected = {"gpt": CharTokenizer, "bert": WordTokenizer, "translate": tuple}.get(kind)
    if expected is None:
        if vocab is not None:
            raise TypeError(
                f"{where}: a {kind} model holds its own vocabulary (or needs none); give no vocab"
            )
        if kind == "word2vec":
            return {"words": model.words, "counts": model.counts}
        if kind == "parser":
            return model.vocab.to_dict()
        return {}  # digits: pixels in, ten classes out
    if kind == "translate":
        if not (isinstance(vocab, tuple) and len(vocab) == 2 and all(isinstance(v, Vocab) for v in vocab)):
            raise TypeError(
                f"{where}: a translate model needs vocab=(source Vocab, target Vocab), got {vocab!r:.60}"
            )
        _check_sizes(kind, model.config(), vocab, where)
        return {"source": vocab[0].to_dict(), "target": vocab[1].to_dict()}
    if not isinstance(vocab, expected):
        raise TypeError(f"{where}: a {kind} model needs vocab= its {expected.__name__}, got {vocab!r:.60}")
    _check_sizes(kind, model.config(), vocab, where)
    return vocab.to_dict()


def _checked_snapshot(snapshot: Any, i: int, model: Module, where: str) -> dict:
    if not isinstance(snapshot, Mapping) or set(snapshot) != {"step", "state_dict"}:
        raise TypeError(f"{where}: snapshot {i} must be a dict with 'step' and 'state_dict'")
    return {"step": snapshot["step"], "state_dict": dict(snapshot["state_dict"])}


# ---------------------------------------------------------------- loading
def load_model(path: str | os.PathLike, kind: str | None = None) -> SavedModel:
    """Rebuild the system saved at `path` by `save_model`. With `kind`, a file
    holding another kind of system is refused, naming both. Every problem
    with the file is a ValueError starting ``load_model('path'): ``."""
    if kind is not None and kind not in CONFIG_TYPES:
        raise ValueError(f"load_model: kind must be one of {list(CONFIG_TYPES)} or None, got {kind!r}")
    where = f"load_model({_path_text(path)!r})"
    document = read_json(os.fsdecode(path), where)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        hint = " (a Module.save file: weights only, load it with model.load)" if found else ""
        raise ValueError(f"{where}: not a saved model (format {found!r}, expected {FORMAT!r}){hint}")
    try:
        fields = ("kind", "config", "vocab", "state_dict")
        check_fields(document, "the file", fields)
        found = document["kind"]
        if found not in CONFIG_TYPES:
            raise ValueError(f"kind {found!r:.40} is not one of {list(CONFIG_TYPES)}")
        if kind is not None and found != kind:
            raise ValueError(f"the file holds a {found!r} model, expected a {kind!r} model")
        return _rebuild(found, document)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error.args[0] if error.args else error}") from None
    except RecursionError:  # meta or a state dict nested deeper than the checks walk
        raise ValueError(f"{where}: lists nested too deeply to be a saved model") from None


def _rebuild(kind: str, document: dict) -> SavedModel:
    config = _checked_config(kind, document["config"])
    vocab = _vocab_from_dict(kind, document["vocab"])
    _check_sizes(kind, config, vocab, "the file")
    count = ESTIMATES[kind](config, vocab)
    limit = current_parameter_limit()  # MAX_PARAMETERS, unless checks.parameter_limit raised it
    if limit is not None and count > limit:
        raise ValueError(
            f"its config {config} makes a model of about {count:,} parameters, more than the limit of "
            f"{limit:,}: a hand-edited file? (a model this big on purpose loads inside "
            f"`with tinygrad_edu.checks.parameter_limit({count:_}):`)"
        )
    model = _build(kind, config, vocab)
    meta = document.get("meta", {})
    if not isinstance(meta, dict):
        raise ValueError(f"meta must be a dict, got a {type(meta).__name__}")
    snapshots = document.get("snapshots", [])
    if not isinstance(snapshots, list):
        raise ValueError(f"snapshots must be a list, got a {type(snapshots).__name__}")
    for i, snapshot in enumerate(snapshots):
        check_fields(snapshot, f"snapshot {i}", ("step", "state_dict"))
        if type(snapshot["step"]) is not int:
            raise ValueError(f"snapshot {i}: step must be an int, got {snapshot['step']!r:.40}")
        model.check_state_dict(snapshot["state_dict"])  # keys, shapes and numbers, as loading would
    model.load_state_dict(document["state_dict"])  # last: the weights the model keeps
    kept_vocab = None if kind in ("word2vec", "digits") else vocab
    return SavedModel(kind, model, kept_vocab, meta, tuple(snapshots))


def _checked_config(kind: str, config: Any) -> dict:
    """`config`, if it holds exactly the constructor's keys, each of its type."""
    types = CONFIG_TYPES[kind]
    if isinstance(config, dict):
        config = {**ADDED_LATER.get(kind, {}), **config}
    check_fields(config, "config", list(types))
    extra = [k for k in config if k not in types]
    if extra:
        raise ValueError(f"config has keys a {kind} model does not take: {extra}")
    for name, want in types.items():
        value = config[name]
        if value is None and want.endswith("?"):
            continue
        ok = {
            "int": type(value) is int and value >= 0,
            "str": isinstance(value, str),
            "bool": isinstance(value, bool),
        }[want.rstrip("?")]
        if not ok:
            what = {"int": "a whole number >= 0", "str": "a str", "bool": "true or false"}[want.rstrip("?")]
            raise ValueError(
                f"config {name!r} must be {what}{' or null' if want.endswith('?') else ''}, got {value!r:.40}"
            )
    return dict(config)


def _vocab_from_dict(kind: str, d: Any) -> Any:
    if kind == "gpt":
        return CharTokenizer.from_dict(d)
    if kind == "bert":
        return WordTokenizer.from_dict(d)
    if kind == "translate":
        check_fields(d, "vocab", ("source", "target"))
        return Vocab.from_dict(d["source"]), Vocab.from_dict(d["target"])
    if kind == "parser":
        return Vocabulary.from_dict(d)
    if kind == "word2vec":
        check_fields(d, "vocab", ("words", "counts"))
        words = check_words(d["words"], "vocab", "words")
        counts = d["counts"]
        if (
            not isinstance(counts, list)
            or len(counts) != len(words)
            or not all(type(c) is int and c >= 1 for c in counts)
        ):
            raise ValueError(f"vocab: counts must be {len(words)} whole numbers >= 1, one per word")
        return words, counts
    return None


def _check_sizes(kind: str, config: dict, vocab: Any, where: str) -> None:
    """The config's vocabulary sizes must be the vocabulary's: a tokenizer
    from one run and a config from another would pass every shape check."""
    pairs = {
        "gpt": lambda: [("vocab_size", vocab.vocab_size)],
        "bert": lambda: [("vocab_size", vocab.vocab_size)],
        "translate": lambda: [("src_vocab_size", vocab[0].size), ("tgt_vocab_size", vocab[1].size)],
    }.get(kind, list)()
    for name, size in pairs:
        if config[name] != size:
            raise ValueError(
                f"{where}: config {name!r} is {config[name]}, but the vocabulary has {size} tokens"
            )


def _build(kind: str, config: dict, vocab: Any) -> Module:
    if kind == "parser":
        return Parser(vocab, **config)
    if kind == "word2vec":
        words, counts = vocab
        return Word2Vec(words, counts=counts, **config)
    return {"gpt": GPT, "bert": BERT, "translate": Seq2Seq, "digits": DigitCNN}[kind](**config)


# The number of parameters each kind's config makes, near enough to refuse an
# absurd one before it is built (the blocks' norms and biases are left out).
def _transformer(vocab_size: int, positions: int, layers: int, d: int, d_ff: int | None) -> int:
    d_ff = 4 * d if d_ff is None else d_ff
    return 2 * vocab_size * d + positions * d + layers * (4 * d * d + 2 * d * d_ff)


def _seq2seq(c: dict) -> int:
    e, h = c["embedding_dim"], c["hidden_size"]
    gru = 3 * (e + h) * h
    combine_extra = e * h if c["lexical"] else 0  # combine reads the attended word vectors too
    tables = (c["src_vocab_size"] + c["tgt_vocab_size"]) * e
    return tables + 3 * gru + 6 * h * h + h * c["tgt_vocab_size"] + combine_extra


def _parser(c: dict, v: Vocabulary) -> int:
    n_in = len(POSITIONS) * (c["word_dim"] + c["tag_dim"]) + len(LABELLED) * c["label_dim"]
    tables = len(v.words) * c["word_dim"] + len(v.tags) * c["tag_dim"] + len(v.labels) * c["label_dim"]
    return tables + n_in * c["hidden"] + c["hidden"] * 2 * len(v.labels)


ESTIMATES: dict[str, Callable[[dict, Any], int]] = {
    "gpt": lambda c, v: _transformer(c["vocab_size"], c["block_size"], c["n_layer"], c["n_embd"], c["d_ff"]),
    "bert": lambda c, v: _transformer(
        c["vocab_size"], c["max_len"] + c["n_segments"], c["n_layer"], c["d_model"], c["d_ff"]
    ),
    "translate": lambda c, v: _seq2seq(c),
    "parser": _parser,
    "word2vec": lambda c, v: 2 * len(v[0]) * c["dim"],
    "digits": lambda c, v: 9 * c["channels"] + 160 * c["channels"],
}


def _path_text(path: Any) -> str:
    try:
        return os.fsdecode(path)
    except TypeError:
        raise TypeError(f"expected a path (a str or os.PathLike), got {type(path).__name__}") from None
