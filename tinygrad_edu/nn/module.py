"""`Module`: the base class of every layer, as in PyTorch.

A module finds its parameters and sub-modules by looking at its public
attributes, so a layer only has to assign them:

* a `Value`, or a list of Values (nested to any depth, every row the same
  length) is a parameter tensor, named after the attribute (``weight``,
  ``bias``);
* a `Module` is a child, its names prefixed with the attribute's;
* any other list, tuple or dict is looked inside, item by item, its items
  named by index or key: a list of Modules gives ``layers.0.weight``, a dict
  of them (torch's ``ModuleDict``) ``heads.q.weight``, ragged rows of Values
  ``rows.0`` and ``rows.1``.

    >>> from tinygrad_edu.nn import Linear, shape_of
    >>> layer = Linear(3, 2)
    >>> [(name, shape_of(t)) for name, t in layer.named_parameters()]
    [('weight', (2, 3)), ('bias', (2,))]
    >>> len(layer.parameters())  # the scalars, flat: what an optimizer updates
    8

Nothing holding a Value is skipped silently: a list that mixes Values with
plain numbers, a set of Values (no order, so no stable names), or a dict key
that cannot be part of a dotted name is refused with a TypeError naming the
attribute.

Attributes whose names start with ``_`` are skipped, and plain numbers are
never parameters: that is where caches and settings go (an attention head
keeps the weights of its last call as plain floats, for plotting).

A tensor reached by two names is one parameter, as in PyTorch: tie a GPT's
output layer to its token embedding with ``model.lm_head.weight =
model.wte.weight`` and `parameters()` lists those scalars once (so an
optimizer steps them once), `named_parameters()` under the first name only,
while `state_dict()` keeps both names, as torch's does.

    >>> from tinygrad_edu.models.gpt import GPT
    >>> model = GPT(vocab_size=5, block_size=4, n_layer=1, n_embd=8, n_head=2)
    >>> model.num_parameters()
    1005
    >>> model.lm_head.weight = model.wte.weight  # weight tying: one (5, 8) table for both
    >>> model.num_parameters()  # 5 * 8 fewer
    965
    >>> [name for name in model.state_dict() if name.endswith(".weight")][-1]
    'lm_head.weight'
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import numbers
import os
import reprlib
import stat
from collections.abc import Iterator, Mapping
from typing import Any

from ..checks import is_finite_number
from ..engine import Value

SAVE_FORMAT = "tinygrad_edu.state_dict.v1"

# load() refuses, before reading it, a file larger than this many times the
# most this module's save() could write, plus some slack for a hand-edited or
# pretty-printed copy: a 1 GB file for a 3-parameter model is a mistake, and
# json would take a minute and 6 GB to say so.
LOAD_SIZE_FACTOR = 8
LOAD_SIZE_SLACK = 64 * 1024

# A parameter tensor: a scalar, a vector or a matrix of Values.
Tensor = Value | list | tuple


class Module:
    """Base class: parameters(), named_parameters(), zero_grad(), state_dict()."""

    # ------------------------------------------------------------ discovery
    def named_parameters(
        self, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(name, tensor) for every parameter tensor, in attribute order. A
        tensor reached by two names (a tied weight) comes once, under its
        first name, unless remove_duplicate=False (as in PyTorch)."""
        seen: set[int] = set()
        for name, tensor in self._named_tensors(prefix):
            if remove_duplicate:
                if id(tensor) in seen:
                    continue
                seen.add(id(tensor))
            yield name, tensor

    def _named_tensors(self, prefix: str, enclosing: tuple[Module, ...] = ()) -> Iterator[tuple[str, Tensor]]:
        """Every (name, tensor), a tied one under each of its names."""
        enclosing = (*enclosing, self)
        for name, member in self._members():
            if not isinstance(member, Module):
                yield f"{prefix}{name}", member
            elif any(member is m for m in enclosing):  # child.parent = self: the walk would never end
                raise ValueError(
                    f"{type(self).__name__}: attribute '{name}' leads back to an enclosing module "
                    f"({type(member).__name__}); keep such a reference in an attribute whose name starts with '_'"
                )
            else:
                yield from member._named_tensors(f"{prefix}{name}.", enclosing)

    def _members(self) -> Iterator[tuple[str, Tensor | Module]]:
        """The tensors and modules held by this module itself (not its
        children's), named by attribute, then index or key inside it."""
        where = type(self).__name__
        for name, value in vars(self).items():
            if not name.startswith("_"):
                yield from _find_members(value, name, where)

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, module) for this module ('') and every module inside it; a
        module reached by two names comes once, as in PyTorch."""
        seen: set[int] = set()
        stack = [(prefix.rstrip("."), self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack.extend(
                reversed([(f"{name}.{child}" if name else child, m) for child, m in module.children()])
            )

    def children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules, with their names."""
        for name, member in self._members():
            if isinstance(member, Module):
                yield name, member

    def parameters(self) -> list[Value]:
        """Every parameter scalar, flat, in a fixed order, each once (a Value
        shared by two tensors would otherwise be stepped twice)."""
        seen: set[int] = set()
        params = []
        for _, tensor in self.named_parameters():
            for v in flatten(tensor):
                if id(v) not in seen:
                    seen.add(id(v))
                    params.append(v)
        return params

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (backward() accumulates)."""
        for p in self.parameters():
            p.grad = 0.0

    def num_parameters(self) -> int:
        return len(self.parameters())

    # ----------------------------------------------------------- state dict
    def state_dict(self) -> dict[str, Any]:
        """{name: numbers} with PyTorch's names and shapes: a float for a
        scalar, a list for a vector, a list of rows for a matrix. A tied
        tensor is listed under each of its names, as torch's state_dict does."""
        return {name: _to_numbers(tensor) for name, tensor in self._named_tensors("")}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy numbers into the parameters. Every key, shape and number is
        checked first (`check_state_dict`); on any error nothing is changed."""
        own = self.check_state_dict(state)
        for name, tensor in own.items():
            for param, x in zip(flatten(tensor), flatten(state[name])):
                param.data = float(x)

    def check_state_dict(self, state: Mapping[str, Any]) -> dict[str, Tensor]:
        """Raise what `load_state_dict` would raise for `state`, changing
        nothing: its keys must be this module's, each entry of the right shape,
        finite numbers, and tied parameters must agree. Returns the module's
        own tensors by name (what `load_state_dict` then fills in)."""
        where = type(self).__name__
        if not isinstance(state, Mapping):
            raise TypeError(f"{where}.load_state_dict: expected a dict, got {type(state).__name__}")
        own = dict(self._named_tensors(""))
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
            for x in flatten(state[name]):
                if isinstance(x, bool) or not isinstance(x, numbers.Real) or not is_finite_number(x):
                    raise ValueError(
                        f"{where}.load_state_dict: '{name}' holds {x!r:.40}; expected finite numbers"
                    )
        _check_tied_agree(f"{where}.load_state_dict", own, state)
        return own

    # ------------------------------------------------------------ save/load
    def save(self, path: str | os.PathLike) -> None:
        """Write the state dict to `path` as JSON: plain numbers, never pickle.

        The file is written beside the target and then renamed over it, so a
        crash mid-save leaves the old file whole. An existing file keeps its
        permissions, a new one gets those `open()` would give, and a symlink
        is followed (its target is rewritten, the link stays).
        """
        where, path = _checked_path(self, "save", path)
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
                if not all(map(math.isfinite, flatten(_to_numbers(t))))
            ]
            raise ValueError(
                f"{type(self).__name__}.save: parameters {bad} hold NaN or infinity; refusing to save them"
            ) from None
        write_atomically(path, text, where)

    def load(self, path: str | os.PathLike) -> None:
        """Read a file written by `save` into this module. A truncated or
        malformed file, another architecture, or non-numeric values raise a
        ValueError and leave the module untouched. A file many times larger
        than this module could ever save is refused before it is read."""
        where, path = _checked_path(self, "load", path)
        bound = self._saved_size_bound()
        limit = LOAD_SIZE_FACTOR * bound + LOAD_SIZE_SLACK
        size = os.stat(path).st_size  # FileNotFoundError names the path
        if size > limit:
            raise ValueError(
                f"{where}: the file is {size:,} bytes, but a {type(self).__name__} of this size saves to "
                f"at most {bound:,}; refusing to read more than {limit:,}: is it the right file?"
            )
        document = read_json(
            path, where, limit, f"a {type(self).__name__} of this size saves to at most {bound:,}"
        )
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

    def _saved_size_bound(self) -> int:
        """The size of the file save() would write if every number took the
        most characters a float can print."""
        widest = -2.2250738585072014e-308  # 24 characters
        state = {name: _map_numbers(tensor, widest) for name, tensor in self._named_tensors("")}
        document = {"format": SAVE_FORMAT, "module": type(self).__name__, "state_dict": state}
        return len(json.dumps(document))

    # ----------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's repr."""
        return ""

    @reprlib.recursive_repr(fillvalue="... (a module already being printed)")
    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()})"
        lines = [head]
        for name, child in self.children():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        return "\n".join(lines)


# ------------------------------------------------------------------ helpers
def shape_of(tensor: Tensor) -> tuple[int, ...]:
    """() for a Value, (n,) for a vector, (rows, cols) for a matrix."""
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


def _checked_path(module: Module, method: str, path: Any) -> tuple[str, str]:
    """('Linear.save('model.json')', the path as a str), or a clear error."""
    name = type(module).__name__
    try:
        path = os.fsdecode(path)
    except TypeError:
        raise TypeError(
            f"{name}.{method}: path must be a str or os.PathLike, got {type(path).__name__}"
        ) from None
    where = f"{name}.{method}({path!r})"
    if not path:
        raise ValueError(f"{where}: the path is empty; give a file name, like 'model.json'")
    return where, path


def read_json(path: str | os.PathLike, where: str, limit: int | None = None, why: str = "") -> Any:
    """The JSON document in the file at `path`, or a ValueError starting with
    `where` that says what is wrong: not UTF-8, truncated or not JSON,
    nested too deeply, a number too long to read, or (with `limit`) more
    than `limit` bytes (`why` says why that is too many). Reads at most
    limit + 1 bytes: a device or a growing file reports no true size."""
    with open(path, "rb") as file:  # FileNotFoundError names the path
        raw = file.read() if limit is None else file.read(limit + 1)
    if limit is not None and len(raw) > limit:
        raise ValueError(f"{where}: the file is more than {limit:,} bytes, but {why}: is it the right file?")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not a text (UTF-8) file; expected JSON written by save()") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not a complete JSON file (truncated?): {error}") from None
    except RecursionError:  # '[[[[...' nested deeper than any file we write
        raise ValueError(f"{where}: JSON nested too deeply to be a saved model") from None
    except ValueError as error:  # json hands ints to int(), which refuses over 4300 digits
        raise ValueError(
            f"{where}: a number in the file is too long to read ({error.args[0].split(';')[0]}); "
            "expected the numbers save() writes"
        ) from None


def write_atomically(path: str | os.PathLike, text: str | bytes, where: str) -> None:
    """Write `text` (UTF-8) or bytes to a new file beside `path`, then
    rename it over `path`: a crash or Ctrl-C mid-write leaves the old file
    whole, or none. Every file the package writes (models, pages, pictures,
    vocabularies, results) goes through here.

    Errors name the user's path (`where`), never the temporary file, and
    keep their type (PermissionError, FileNotFoundError, ...). A text with
    no UTF-8 (a lone surrogate, which `os.fsdecode` makes of a name that is
    not UTF-8) is a ValueError naming the character, and nothing is written.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> write_atomically(path, "kept", "demo")
        >>> write_atomically(path, "caf" + os.fsdecode(b"\\xe9"), "demo")
        Traceback (most recent call last):
        ValueError: demo: the text has no UTF-8 for '\\udce9' (a lone surrogate, as os.fsdecode makes of a name that is not UTF-8) at character 3; nothing was written
        >>> open(path).read()
        'kept'
    """
    if isinstance(text, str):
        try:
            text = text.encode("utf-8")
        except UnicodeEncodeError as error:
            bad = error.object[error.start]
            raise ValueError(
                f"{where}: the text has no UTF-8 for {bad!r} (a lone surrogate, as os.fsdecode makes of "
                f"a name that is not UTF-8) at character {error.start}; nothing was written"
            ) from None
    path = os.fspath(path)
    target = os.path.realpath(path)  # through a symlink: rewrite its target, keep the link
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise IsADirectoryError(
            errno.EISDIR,
            f"{where}: that is a folder; give a file name, like {os.path.join(path, 'model.json')!r}",
        )
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            errno.ENOENT, f"{where}: the folder {folder!r} does not exist; create it first"
        )
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None  # a new file: os.open's 0o666 less the umask, as open() would give
    else:
        if not os.access(target, os.W_OK):  # a rename would replace it; open() would refuse
            raise PermissionError(errno.EACCES, f"{where}: the file is read-only (mode {mode:o})")
    temporary = None
    doing = f"cannot create a file in the folder {folder!r}"
    try:
        fd, temporary = _create_beside(target)
        doing = "writing the file failed"
        with os.fdopen(fd, "wb") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        doing = "cannot replace the file"
        os.replace(temporary, target)  # atomic on POSIX and Windows
    except BaseException as error:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        if isinstance(error, OSError):
            raise _reworded(error, f"{where}: {doing}: {error.strerror or error}") from None
        raise


def _create_beside(target: str) -> tuple[int, str]:
    """A new file '.NAME.tmp-XXXXXXXX' in target's folder, opened for writing.
    (Not mkstemp: that makes it 0600, and a new model file would keep that.)"""
    folder, name = os.path.split(target)
    while True:
        temporary = os.path.join(folder, f".{name}.tmp-{os.urandom(4).hex()}")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:  # 1 in 4 billion: draw another name
            continue


def _reworded(error: OSError, message: str) -> OSError:
    """An OSError of the same type, with a message naming the user's path."""
    try:
        return type(error)(error.errno, message) if error.errno is not None else type(error)(message)
    except TypeError:  # a subclass with another constructor
        return OSError(error.errno, message)


def _map_numbers(tensor: Tensor, x: float) -> Any:
    """The nested lists of `tensor`, every Value replaced by `x`."""
    if isinstance(tensor, Value):
        return x
    return [_map_numbers(item, x) for item in tensor]


def _check_tied_agree(where: str, own: dict[str, Tensor], state: Mapping[str, Any]) -> None:
    """A Value reached by two names must get one number from both: a file
    whose tied copies differ was edited by hand (or is not ours)."""
    first: dict[int, tuple[str, Any]] = {}
    for name, tensor in own.items():
        for param, x in zip(flatten(tensor), flatten(state[name])):
            earlier = first.setdefault(id(param), (name, x))
            if earlier[1] != x:
                raise ValueError(
                    f"{where}: '{name}' and '{earlier[0]}' are the same (tied) parameter, "
                    f"but the state gives {x!r} and {earlier[1]!r}"
                )


def flatten(tensor: Any) -> list:
    if isinstance(tensor, (list, tuple)):
        return [v for item in tensor for v in flatten(item)]
    return [tensor]


def _to_numbers(tensor: Tensor) -> Any:
    if isinstance(tensor, Value):
        return tensor.data
    return [_to_numbers(item) for item in tensor]


def _find_members(value: Any, name: str, where: str) -> Iterator[tuple[str, Tensor | Module]]:
    """The tensors and modules inside one attribute's value, at any depth."""
    if isinstance(value, (Value, Module)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        if _tensor_shape(value) is not None:
            yield name, value
            return
        holds_values = any(isinstance(item, Value) for item in value)
        for i, item in enumerate(value):
            if holds_values and isinstance(item, numbers.Number):  # a half-converted tensor
                raise TypeError(
                    f"{where}: attribute '{name}' holds Values mixed with plain numbers (item {i} is "
                    f"{item!r:.40}); a parameter tensor holds only Values: keep numbers in another "
                    "attribute, or in one whose name starts with '_'"
                )
            yield from _find_members(item, f"{name}.{i}", where)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found = list(_find_members(item, f"{name}.{key}", where))
            if found and (not isinstance(key, str) or not key or "." in key):
                raise TypeError(
                    f"{where}: attribute '{name}' holds parameters under key {key!r}; keys must be "
                    "non-empty str without '.', since they become part of dotted names (as in torch's ModuleDict)"
                )
            yield from found
    elif isinstance(value, (set, frozenset)) and any(isinstance(item, (Value, Module)) for item in value):
        raise TypeError(
            f"{where}: attribute '{name}' is a set holding parameters or modules; a set has no order, "
            "so their names and saved files would change from run to run: use a list"
        )


def _tensor_shape(value: Any) -> tuple[int, ...] | None:
    """The shape of a Value or of rectangular nested lists of Values, else None."""
    if isinstance(value, Value):
        return ()
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if isinstance(value[0], Value):  # a vector: the common case, in one pass
        return (len(value),) if all(isinstance(v, Value) for v in value) else None
    inner = _tensor_shape(value[0])
    if inner is None or any(_tensor_shape(item) != inner for item in value[1:]):
        return None
    return (len(value), *inner)
