"""Argument checks, in one place: every layer and model checks what it was given
with these, so a mistake is named the same way everywhere.

Each check is cheap when the input is right and, when it is wrong, raises a
TypeError or ValueError whose message starts with the module (or function)
the learner called, says what was given and what was expected:

    >>> check_size(16, "Linear", "in_features")
    >>> check_size(0, "Linear", "in_features")
    Traceback (most recent call last):
    ...
    ValueError: Linear: in_features must be a positive int, got 0
    >>> check_flag("no", "Linear", "bias")
    Traceback (most recent call last):
    ...
    TypeError: Linear: bias must be True or False, got 'no' (a str): a str counts as True however it reads
    >>> pair(3, "Conv2d", "kernel_size", smallest=1)
    (3, 3)

Checks that look at a module's input (`check_vector`, `check_sequence`,
`check_ids`, `check_nested`) take the module itself and name it with
`describe`; an error found later, deep in the engine, is re-raised through
`in_module` so that it, too, starts with the module's name.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from .engine import Operand, Value, check_positive

__all__ = [
    "ACTIVATIONS",
    "INPUT_ERRORS",
    "MAX_PARAMETERS",
    "as_lists",
    "check_activation",
    "check_flag",
    "check_ids",
    "check_int",
    "check_nested",
    "check_parameter_count",
    "check_positive",
    "check_sequence",
    "check_size",
    "check_topological_order",
    "check_vector",
    "describe",
    "in_module",
    "is_batch",
    "is_finite_number",
    "pair",
    "parameter_limit",
    "current_parameter_limit",
]

Vector = Sequence[Operand]


class Module(Protocol):
    """What a check needs of the module it names: its class and its settings
    (`nn.Module.extra_repr`). The checks sit below `nn`, so they ask for no more."""

    def extra_repr(self) -> str: ...


ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


def check_vector(x: Sequence[Operand], size: int, module: Module) -> None:
    """Raise a clear error, naming the module, if `x` is not a vector of `size`."""
    if (type(x) is list or type(x) is tuple) and len(x) == size:  # the common case, cheaply
        return
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{module!r}: expected a list of {size} numbers or Values, got {type(x).__name__}")
    if len(x) != size:
        raise ValueError(f"{module!r}: expected an input vector of length {size}, got length {len(x)}")


def as_lists(x: object) -> object:
    """`x` with NumPy arrays (anything with ``ndim`` and ``tolist``, as a
    torch tensor too) turned into lists, so that a layer takes them as
    PyTorch takes tensors: a vector, a 2-D array (T, n), or a list of
    vectors. Anything else is returned as it is (a list: at once).

        >>> import numpy as np
        >>> as_lists(np.ones(2)), as_lists([np.zeros(1), np.ones(1)])
        ([1.0, 1.0], [[0.0], [1.0]])
    """
    if type(x) is list or type(x) is tuple:
        if x and _is_array(x[0]):
            return [v.tolist() if _is_array(v) else v for v in x]
        return x
    return x.tolist() if _is_array(x) else x


def _is_array(x: object) -> bool:
    return hasattr(x, "ndim") and hasattr(x, "tolist") and not isinstance(x, Value)


def is_batch(x: object) -> bool:
    """Whether `x` is a sequence of vectors (T, n) rather than one vector:
    its first entry is itself a sequence (a vector's entries are numbers or
    Values; a str in one is an error for the engine to name)."""
    text = (str, bytes)
    return (
        isinstance(x, Sequence)
        and not isinstance(x, text)
        and len(x) > 0
        and isinstance(x[0], Sequence)
        and not isinstance(x[0], text)
    )


def check_sequence(xs: Sequence[Vector], size: int, module: Module, max_len: int | None = None) -> None:
    """Raise a clear error, naming the module, unless `xs` is a non-empty list
    of vectors of length `size` (and no longer than `max_len`)."""
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(
            f"{describe(module)}: expected a sequence (a list of vectors), got {type(xs).__name__}"
        )
    if not xs:
        raise ValueError(f"{describe(module)}: expected a sequence of at least one vector, got an empty one")
    if isinstance(xs[0], (Value, int, float)):
        raise TypeError(
            f"{describe(module)}: expected a sequence (a list of vectors), got a single vector; wrap it: [x]"
        )
    if max_len is not None and len(xs) > max_len:
        raise ValueError(
            f"{describe(module)}: got a sequence of {len(xs)} vectors, but the context holds {max_len} positions"
        )
    for t, x in enumerate(xs):
        if (type(x) is list or type(x) is tuple) and len(x) == size:  # the common case, cheaply
            continue
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(
                f"{describe(module)}: vector {t} of the sequence is a {type(x).__name__}, not a list"
            )
        if len(x) == size:  # another kind of sequence (an array, say) of the right length
            continue
        raise ValueError(
            f"{describe(module)}: vector {t} of the sequence has length {len(x)}; expected {size}"
        )


def describe(module: Module) -> str:
    """A one-line name for error messages: ``GPT(vocab_size=27, ...)``, not the
    multi-line repr with every child."""
    return f"{type(module).__name__}({module.extra_repr()})"


# What the engine raises for an input entry it cannot use: a str or a nested
# list (TypeError), a NaN or an infinity (ValueError), a sum beyond a float
# (OverflowError).
INPUT_ERRORS = (TypeError, ValueError, OverflowError)


def in_module(module: Module, error: Exception) -> Exception:
    """`error`, raised inside a module's call, with the module named first.

    check_vector only looks at the length (that is cheap); a wrong entry (a
    str, a nested list, a NaN) is then found by the engine, which names its
    op. A module catches that error (one of INPUT_ERRORS) and re-raises it
    through here, of the same type, so the message starts with the module
    the user called: the check costs nothing until something is wrong.
    """
    return type(error)(f"{type(module).__name__}({module.extra_repr()}): {error}")


def check_size(n: int, module: str, name: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{module}: {name} must be a positive int, got {n!r}")


# ------------------------------------------------------------ the size limit
MAX_PARAMETERS = 10**7
"""The most parameters one layer may make, unless `parameter_limit` says
otherwise. Each parameter is a scalar `Value`, a Python object of about
100-200 bytes with its float and grad: 10**7 of them are 1-2 GB, and take a
minute to make. `Linear(10**6, 10**6)` would want 10**12: without the check
it runs until memory or patience ends."""

_parameter_limit: ContextVar[int | None] = ContextVar("tinygrad_edu.parameter_limit", default=MAX_PARAMETERS)


@contextmanager
def parameter_limit(limit: int | None) -> Iterator[None]:
    """Allow layers of up to `limit` parameters (None: no limit) inside the
    block, for those who mean it and have the memory. Per thread, as
    `no_grad`.

        >>> check_parameter_count(4 * 10**7, "Linear(in_features=40000, out_features=1000)")
        Traceback (most recent call last):
        ...
        ValueError: Linear(in_features=40000, out_features=1000): 40,000,000 parameters is beyond the limit of 10,000,000 (each is a Value of about 100-200 bytes: about 6 GB); to make it on purpose, build it inside `with tinygrad_edu.checks.parameter_limit(40_000_000):`
        >>> with parameter_limit(4 * 10**7):
        ...     check_parameter_count(4 * 10**7, "Linear(in_features=40000, out_features=1000)")
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"parameter_limit: limit must be a positive int or None, got {limit!r}")
    token = _parameter_limit.set(limit)
    try:
        yield
    finally:
        _parameter_limit.reset(token)


def current_parameter_limit() -> int | None:
    """The limit in force here: `MAX_PARAMETERS`, or what `parameter_limit` set (None: no limit)."""
    return _parameter_limit.get()


def check_parameter_count(count: int, module: str) -> None:
    """Refuse, before anything is allocated, a layer of more than the limit's
    parameters (`MAX_PARAMETERS` unless `parameter_limit` says otherwise).
    `module` names it with its settings: ``Linear(in_features=..., ...)``."""
    limit = _parameter_limit.get()
    if limit is not None and count > limit:
        raise ValueError(
            f"{module}: {count:,} parameters is beyond the limit of {limit:,} (each is a Value of about "
            f"100-200 bytes: about {_memory_text(count * 150)}); to make it on purpose, build it inside "
            f"`with tinygrad_edu.checks.parameter_limit({count:_}):`"
        )


def _memory_text(size: int) -> str:
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if size >= scale:
            return f"{size / scale:,.0f} {unit}"
    return f"{size:,} bytes"


def check_activation(activation: str, module: str) -> None:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        hint = (
            " (names are lowercase)"
            if isinstance(activation, str) and activation.lower() in ACTIVATIONS
            else ""
        )
        raise ValueError(f"{module}: unknown activation {activation!r}{hint}; expected one of {ACTIVATIONS}")


def check_flag(value: bool, module: str, name: str) -> None:
    """A switch like bias= or causal= must be a bool: bias="no" is a
    non-empty str, which Python counts as True."""
    if not isinstance(value, bool):
        hint = ": a str counts as True however it reads" if isinstance(value, str) else ""
        kind = type(value).__name__
        article = "an" if kind[0] in "aeiou" else "a"
        raise TypeError(f"{module}: {name} must be True or False, got {value!r:.40} ({article} {kind}){hint}")


def check_nested(x: Sequence, layout: str, module: Module) -> tuple[int, ...]:
    """The shape of `x`, checked to be rectangular nested lists with one level
    per axis of `layout` (``"[C][H][W]"``, ``"[C][L]"``, ``"[T][d]"``).

    Raises a TypeError naming the module for the wrong nesting (a flat image
    where channels of rows go) and a ValueError for a ragged or empty axis.
    The entries themselves are checked by the ops they reach.

        >>> from tinygrad_edu.nn import Collapse
        >>> check_nested([[[1.0, 2.0], [3.0, 4.0]]], "[C][H][W]", Collapse())
        (1, 2, 2)
    """
    axes = layout.strip("[]").split("][")
    level = [x]
    shape = []
    for depth, axis in enumerate(axes):
        for item in level:
            if type(item) is not list and type(item) is not tuple:
                raise TypeError(
                    f"{describe(module)}: expected {layout}, {len(axes)} levels of lists, got "
                    f"{_nesting(x)}" + (f" (at level {depth}, a {type(item).__name__})" if depth else "")
                )
        size = len(level[0])
        if size == 0:
            raise ValueError(f"{describe(module)}: expected {layout}, but axis {axis} is empty")
        for item in level:
            if len(item) != size:
                raise ValueError(
                    f"{describe(module)}: expected {layout} with every {axis} the same, got a ragged input "
                    f"({axis} is {size} in the first list, {len(item)} in another)"
                )
        shape.append(size)
        level = [y for item in level for y in item]
    if type(level[0]) is list or type(level[0]) is tuple:  # too deep: often a batch, as torch takes
        raise TypeError(
            f"{describe(module)}: expected {layout}, {len(axes)} levels of lists, got {_nesting(x)}; "
            "give one input at a time (there is no batch axis)"
        )
    return tuple(shape)


def _nesting(x) -> str:
    """What a learner passed, in words: 'a flat list of 64 numbers', 'nested lists of shape (1, 8, 8)'."""
    if type(x) is not list and type(x) is not tuple:
        return f"a {type(x).__name__}"
    shape = []
    while type(x) is list or type(x) is tuple:
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    if len(shape) == 1:
        return f"a flat list of {shape[0]} numbers"
    return f"nested lists of shape {tuple(shape)}"


def nesting_depth(x) -> int:
    """How many levels of lists `x` has, following the first entries."""
    depth = 0
    while (type(x) is list or type(x) is tuple) and x:
        depth += 1
        x = x[0]
    return depth


def pair(value: int | tuple[int, int], module: str, name: str, smallest: int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each >= smallest, as a pair."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(_is_int(n, smallest) for n in pair):
        raise ValueError(f"{module}: {name} must be {_int_text(smallest)} or a pair of them, got {value!r}")
    return pair


def check_int(n: int, module: str, name: str, smallest: int) -> None:
    if not _is_int(n, smallest):
        raise ValueError(f"{module}: {name} must be {_int_text(smallest)}, got {n!r}")


def _is_int(n, smallest: int) -> bool:
    return not isinstance(n, bool) and isinstance(n, int) and n >= smallest


def _int_text(smallest: int) -> str:
    return "a positive int" if smallest == 1 else f"an int >= {smallest}"


def check_ids(ids: Sequence[int], vocab_size: int, module: Module) -> None:
    """Raise a clear error, naming the module, unless `ids` is a non-empty
    list of ints in 0..vocab_size-1."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise TypeError(f"{describe(module)}: expected a list of token ids (ints), got {type(ids).__name__}")
    if not ids:
        raise ValueError(f"{describe(module)}: expected at least one token id, got an empty sequence")
    for t, i in enumerate(ids):
        if type(i) is not int:  # bool is an int subclass, and True is not a token
            raise TypeError(f"{describe(module)}: token ids must be ints, got {i!r} at position {t}")
        if not 0 <= i < vocab_size:
            raise ValueError(
                f"{describe(module)}: token id {i} at position {t} is out of range; expected 0 <= id < {vocab_size}"
            )


def check_fields(d: object, where: str, fields: Sequence[str]) -> dict:
    """`d`, if it is a dict holding every one of `fields` (a part of a file
    read back: a list or a number there, or a key left out, is named)."""
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected a dict with {', '.join(fields)}; got a {type(d).__name__}")
    missing = [f for f in fields if f not in d]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(map(repr, missing))} (expected {', '.join(fields)})")
    return d


def check_words(words: object, where: str, what: str = "words") -> list[str]:
    """`words` as a list, if it is a list of distinct non-empty str: what a
    vocabulary read from a file must be (a dict ``{"the": 5}`` where a list
    belongs, an empty word or a repeated one would shift every id after it).

    >>> check_words(["the", "cat"], "Vocab.from_dict")
    ['the', 'cat']
    >>> check_words(["the", "", "cat"], "Vocab.from_dict")
    Traceback (most recent call last):
    ...
    ValueError: Vocab.from_dict: words must be non-empty str; entry 1 is ''
    """
    if not isinstance(words, list):
        raise ValueError(
            f"{where}: {what} must be a list of str, got {words!r:.60} (a {type(words).__name__})"
        )
    seen: set[str] = set()
    for i, word in enumerate(words):
        if not isinstance(word, str) or not word:
            raise ValueError(f"{where}: {what} must be non-empty str; entry {i} is {word!r:.40}")
        if word in seen:
            raise ValueError(f"{where}: {what} must not repeat; {word!r:.40} comes twice (entry {i})")
        seen.add(word)
    return list(words)


def is_finite_number(x: numbers.Real) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float: JSON ints have no limit
        return False


def check_topological_order(order: Sequence[Value], roots: Sequence[Value], where: str) -> list[Value]:
    """`order` as a list, after checking that it is a topological order of
    the graph of `roots`, as `Value.topological_order` gives one: Values,
    each once, every parent before the values made from it, the roots in it
    and nothing they do not depend on. A caller that has the order already
    hands it on (``order=``) instead of each function walking the graph again.

        >>> a = Value(2.0); b = a * a; c = b + 1.0
        >>> check_topological_order(c.topological_order(), [c], "f") == c.topological_order()
        True
        >>> check_topological_order([b, a, c], [c], "f")
        Traceback (most recent call last):
        ...
        ValueError: f: order= is not a topological order of the graph: #0 (op '*') comes before its parent #1

    One pass over the order and its edges, no search.
    """
    if isinstance(order, (str, bytes)) or not isinstance(order, Sequence):
        raise TypeError(f"{where}: order= must be a list of Values, got {type(order).__name__}")
    order = list(order)
    seen: set[Value] = set()
    for i, v in enumerate(order):
        if not isinstance(v, Value):
            raise TypeError(f"{where}: order= must be a list of Values, got {v!r:.40} at position {i}")
        if v in seen:
            raise ValueError(f"{where}: order= holds a Value twice (at position {i})")
        for parent in v.parents:
            if parent not in seen:
                where_parent = f"#{order.index(parent)}" if parent in order else "nowhere in it"
                raise ValueError(
                    f"{where}: order= is not a topological order of the graph: #{i} (op {v.op!r}) comes "
                    f"before its parent {where_parent}"
                )
        seen.add(v)
    needed = {r for r in roots}
    missing = [r for r in needed if r not in seen]
    if missing:
        raise ValueError(f"{where}: order= does not hold the output (the graph's root)")
    for v in reversed(order):  # whatever a root depends on, marked from the roots down
        if v in needed:
            needed.update(v.parents)
    if len(needed) != len(order):
        raise ValueError(
            f"{where}: order= holds {len(order) - len(needed)} Value(s) the output does not depend on; "
            "give the output's own topological order"
        )
    return order
