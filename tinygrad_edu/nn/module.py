"""`Module`: the base class of every layer, as in PyTorch.

A module finds its parameters and sub-modules by looking at its public
attributes, so a layer only has to assign them:

* a `Value`, a list of Values, or lists of lists of Values (nested to any
  depth) is a parameter tensor, named after the attribute (``weight``, ``bias``);
* a `Module`, or a list of Modules, is a child, its names prefixed with the
  attribute's (``layers.0.weight``).

Attributes whose names start with ``_`` are skipped, and plain numbers are
never parameters: that is where caches and settings go (an attention head
keeps the weights of its last call as plain floats, for plotting).

    >>> from tinygrad_edu.nn import Linear, shape_of
    >>> layer = Linear(3, 2)
    >>> [(name, shape_of(t)) for name, t in layer.named_parameters()]
    [('weight', (2, 3)), ('bias', (2,))]
    >>> len(layer.parameters())  # the scalars, flat: what an optimizer updates
    8
"""

from __future__ import annotations

import json
import math
import numbers
import os
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

from ..engine import Value

SAVE_FORMAT = "tinygrad_edu.state_dict.v1"

# A parameter tensor: a scalar, a vector, a matrix or deeper nested lists of Values.
Tensor = Value | list | tuple


class Module:
    """Base class: parameters(), named_parameters(), zero_grad(), state_dict()."""

    # ------------------------------------------------------------ discovery
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, tensor) for every parameter tensor, in attribute order."""
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            full = f"{prefix}{name}"
            if isinstance(value, Module):
                yield from value.named_parameters(f"{full}.")
            elif _is_tensor(value):
                yield full, value
            elif _is_module_list(value):
                for i, child in enumerate(value):
                    yield from child.named_parameters(f"{full}.{i}.")

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, module) for this module ('' ) and every module inside it."""
        yield prefix.rstrip("."), self
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, Module):
                yield from value.named_modules(f"{prefix}{name}.")
            elif _is_module_list(value):
                for i, child in enumerate(value):
                    yield from child.named_modules(f"{prefix}{name}.{i}.")

    def children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules, with their names."""
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, Module):
                yield name, value
            elif _is_module_list(value):
                for i, child in enumerate(value):
                    yield f"{name}.{i}", child

    def parameters(self) -> list[Value]:
        """Every parameter scalar, flat, in a fixed order."""
        return [v for _, tensor in self.named_parameters() for v in _flatten(tensor)]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (backward() accumulates)."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        return len(self.parameters())

    # ----------------------------------------------------------- state dict
    def state_dict(self) -> dict[str, Any]:
        """{name: numbers} with PyTorch's names and shapes: a float for a
        scalar, a list for a vector, a list of rows for a matrix."""
        return {name: _to_numbers(tensor) for name, tensor in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy numbers into the parameters. Every key, shape and number is
        checked first; on any error nothing is changed."""
        where = type(self).__name__
        if not isinstance(state, Mapping):
            raise TypeError(f"{where}.load_state_dict: expected a dict, got {type(state).__name__}")
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        extra = [k for k in state if k not in own]
        if missing or extra:
            raise KeyError(
                f"{where}.load_state_dict: keys do not match; missing {missing}, unexpected {extra}"
            )
        for name, tensor in own.items():
            want = shape_of(tensor)
            try:
                got = shape_of_numbers(state[name])
            except RecursionError:  # '[[[[...' from a hostile file: deeper than any tensor
                got = "lists nested too deeply"
            if isinstance(got, str):
                raise ValueError(
                    f"{where}.load_state_dict: '{name}' holds {got}; expected numbers of shape {want}"
                )
            if want != got:
                raise ValueError(f"{where}.load_state_dict: '{name}' has shape {got}, expected {want}")
            for x in _flatten(state[name]):
                if isinstance(x, bool) or not isinstance(x, numbers.Real) or not _finite(x):
                    raise ValueError(
                        f"{where}.load_state_dict: '{name}' holds {x!r:.40}; expected finite numbers"
                    )
        for name, tensor in own.items():
            for param, x in zip(_flatten(tensor), _flatten(state[name])):
                param.data = float(x)

    # ------------------------------------------------------------ save/load
    def save(self, path: str | os.PathLike) -> None:
        """Write the state dict to `path` as JSON: plain numbers, never pickle.

        The file is written beside the target and then renamed over it, so a
        crash mid-save leaves the old file whole.
        """
        document = {
            "format": SAVE_FORMAT,
            "module": type(self).__name__,
            "state_dict": self.state_dict(),
        }
        try:
            text = json.dumps(document, allow_nan=False)
        except ValueError:
            bad = [
                name
                for name, t in self.named_parameters()
                if not all(map(math.isfinite, _flatten(_to_numbers(t))))
            ]
            raise ValueError(
                f"{type(self).__name__}.save: parameters {bad} hold NaN or infinity; refusing to save them"
            ) from None
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        fd, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)  # atomic on POSIX and Windows
        except BaseException:
            os.unlink(temporary)
            raise

    def load(self, path: str | os.PathLike) -> None:
        """Read a file written by `save` into this module. A truncated or
        malformed file, another architecture, or non-numeric values raise a
        ValueError and leave the module untouched."""
        where = f"{type(self).__name__}.load({os.fspath(path)!r})"
        with open(path, "rb") as file:
            raw = file.read()
        try:
            document = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ValueError(f"{where}: not a text (UTF-8) file; expected JSON written by save()") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{where}: not a complete JSON file (truncated?): {error}") from None
        except RecursionError:  # '[[[[...' nested deeper than any state dict
            raise ValueError(f"{where}: JSON nested too deeply to be a state dict") from None
        if not isinstance(document, dict) or document.get("format") != SAVE_FORMAT:
            raise ValueError(f"{where}: not a tinygrad_edu model file (expected format {SAVE_FORMAT!r})")
        if document.get("module") != type(self).__name__:
            raise ValueError(
                f"{where}: the file holds a {document.get('module')!r}, this is a {type(self).__name__!r}"
            )
        try:
            self.load_state_dict(document.get("state_dict"))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{where}: {error.args[0] if error.args else error}") from None

    # ----------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()})"
        lines = [head]
        for name, child in self.children():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        return "\n".join(lines)


# ------------------------------------------------------------------ helpers
def shape_of(tensor: Tensor) -> tuple[int, ...]:
    """() for a Value, (n,) for a vector, (rows, cols) for a matrix, and so on."""
    if isinstance(tensor, Value):
        return ()
    if not isinstance(tensor, (list, tuple)):  # a str would recurse forever: "a"[0] is "a"
        raise TypeError(
            f"shape_of: expected a Value or (nested) lists of Values, got {type(tensor).__name__}"
        )
    return (len(tensor),) + (shape_of(tensor[0]) if len(tensor) else ())


def shape_of_numbers(x: Any) -> tuple[int, ...] | str:
    """The shape of nested lists of numbers, or a description if ragged or not numbers."""
    if isinstance(x, (list, tuple)):
        if not x:
            return (0,)
        inner = [shape_of_numbers(item) for item in x]
        for shape in inner:
            if isinstance(shape, str):  # something that is not a number, described
                return shape
        if any(shape != inner[0] for shape in inner):
            return "ragged nested lists"
        return (len(x),) + inner[0]
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return ()
    return f"{x!r:.40} (a {type(x).__name__})"


def _finite(x: numbers.Real) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float: JSON ints have no limit
        return False


def _flatten(tensor: Any) -> list:
    if isinstance(tensor, (list, tuple)):
        return [v for item in tensor for v in _flatten(item)]
    return [tensor]


def _to_numbers(tensor: Tensor) -> Any:
    if isinstance(tensor, Value):
        return tensor.data
    return [_to_numbers(item) for item in tensor]


def _is_tensor(value: Any) -> bool:
    """A Value, or non-empty lists of them nested to any depth (a conv weight
    is (out, in, kh, kw))."""
    if isinstance(value, Value):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(_is_tensor(item) for item in value)
    return False


def _is_module_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, Module) for v in value)
