"""One self-contained HTML file: the shell, its assets, and the data as JSON.

The pages viz writes (the stepping page, the training player) each are a
single file that opens in any browser with no server and nothing to fetch.
Their HTML, CSS and JavaScript live as ordinary files in ``viz/assets/``
(readable, and lintable as what they are); this module puts one page
together from them:

    page.html  the shell: doctype, head, <h1>, then the page's own body,
               the data and the script
    page.css   the style every page shares, before the page's own
    <name>.*   a page's body, style and script, inlined

The page's numbers go in as JSON inside ``<script type="application/json">``,
which the script reads with ``JSON.parse``. Every piece of text that is not
ours is escaped on its way in: in the HTML by `html.escape` (`fill`'s
``text=``), in the JSON by `json_for_script`, and a lone surrogate (a
string half of a pair, which has no UTF-8) as the text ``\\udxxx``.

    >>> json_for_script({"label": "</script><b>"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    >>> fill("<p>@WHO@ says @WHAT@</p>", text={"WHO": "a<b", "WHAT": "@WHO@"})
    '<p>a&lt;b says @WHO@</p>'
    >>> page = html_page("Hi", "<p>@@</p>", styles=[], scripts=[], data=[1], data_id="d")
    >>> page.startswith("<!DOCTYPE html>") and '<script type="application/json" id="d">[1]</script>' in page
    True
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

__all__ = ["fill", "html_page", "json_for_script", "read_asset"]

_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def read_asset(name: str) -> str:
    """The text of ``viz/assets/<name>``, without its final newline (each
    piece goes on lines of its own in the page)."""
    text = resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")
    return text.removesuffix("\n")


def fill(
    template: str, *, text: Mapping[str, str] | None = None, markup: Mapping[str, str] | None = None
) -> str:
    """`template` with each ``@NAME@`` replaced, in one pass (so a label
    that says ``@SVG@`` is never replaced again): a `text` value is escaped
    as HTML, a `markup` value goes in as it is (HTML built and escaped
    already: an SVG, table rows)."""
    values = {name: html.escape(value) for name, value in (text or {}).items()} | dict(markup or {})
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def json_for_script(data: Any) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' can end the
    element or start a comment, the line separators JavaScript once choked
    on are escaped, and so is a lone surrogate (JSON's ``\\udxxx`` gives
    JavaScript the same string)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in [
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ]:
        text = text.replace(raw, escaped)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def html_page(
    title: str, body: str, *, styles: Sequence[str], scripts: Sequence[str], data: Any, data_id: str
) -> str:
    """The whole page: `title` (plain text) in <title> and <h1>, then `body`
    (HTML, filled already), `data` as JSON in the element ``id=data_id``,
    and the asset files `styles` and `scripts` inlined in that order."""
    page = fill(
        read_asset("page.html") + "\n",  # the whole file: it ends with a newline
        text={"TITLE": title, "DATA_ID": data_id},
        markup={
            "STYLE": "\n".join(read_asset(name) for name in ["page.css", *styles]),
            "BODY": body,
            "DATA": json_for_script(data),
            "SCRIPT": "\n".join(read_asset(name) for name in scripts),
        },
    )
    # A lone surrogate left in the HTML (a label in a table row) has no
    # UTF-8: write it as the text \udxxx, as in the JSON.
    return page.encode("utf-8", "backslashreplace").decode("utf-8")
