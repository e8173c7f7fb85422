"""The stepping page: self-contained, escaped, and it really steps in a browser.

The browser tests load the page in Debian's headless Chromium with a
``#step=K`` fragment (which presses the page's own Next button K times) and
read the DOM it dumps. They are skipped, with the reason, only when no
chromium is installed.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from cdp import HEADLESS

import viz
from demos.neuron import build_neuron
from tinygrad_edu import Value

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")
XSS_LABELS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def dump_dom(page: Path, fragment: str = "", size: str = "1200,900") -> tuple[str, str]:
    """(the DOM after load, chromium's log) for `page` opened at `fragment`
    in a window of `size` pixels."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                *HEADLESS,
                "--enable-logging=stderr",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=2000",
                f"--window-size={size}",
                "--dump-dom",
                page.resolve().as_uri() + fragment,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


class Elements(html.parser.HTMLParser):
    """Tags, and the text inside each element with an id, from a DOM dump."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self.classes: dict[str, str] = {}
        self.attrs: dict[str, dict] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("br", "img", "input", "meta", "path", "polygon", "ellipse", "polyline"):
            return
        ident = attrs.get("id")
        if ident:
            self.text.setdefault(ident, "")
            self.classes[ident] = attrs.get("class", "")
            self.attrs[ident] = attrs
        self._open.append(ident)

    def handle_endtag(self, tag):
        if self._open and tag not in ("br", "img", "input", "meta", "path", "polygon", "ellipse", "polyline"):
            self._open.pop()

    def handle_data(self, data):
        for ident in self._open:
            if ident:
                self.text[ident] += data


def parse(dom: str) -> Elements:
    parser = Elements()
    parser.feed(dom)
    return parser


@pytest.fixture(scope="module")
def neuron_page(tmp_path_factory):
    o, params = build_neuron()
    path = viz.write_stepping_page(o, tmp_path_factory.mktemp("page") / "neuron.html", params=params)
    return path, o


# ---------------------------------------------------------- without a browser
def test_the_page_is_one_file_with_nothing_to_fetch(neuron_page):
    path, _ = neuron_page
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<script>" in text
    assert not re.search(r"\b(src|href)\s*=", text)  # no images, scripts or styles to load
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls


def test_a_graph_over_max_nodes_is_refused_before_any_work(monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("the steps were written down before max_nodes was checked")

    monkeypatch.setattr(viz.page, "forward_steps", no_work)
    monkeypatch.setattr(Value, "topological_order", no_work)
    x = Value(0.5, label="x")
    for _ in range(50_000):  # the steps of this chain would take seconds to write down
        x = x * 1.0
    with pytest.raises(ValueError) as error:
        viz.stepping_page(x, max_nodes=100)
    message = str(error.value)
    assert "stepping_page: the graph has more than max_nodes=100 values" in message
    assert "max_nodes=" in message and "group=" not in message and "collapse=" not in message
    assert viz.draw.DEFAULT_MAX_NODES == 300
    assert viz.page._count_values(x, 101) == 101  # the look stops at the limit


def test_the_page_leaves_the_graph_grads_alone():
    o, params = build_neuron()
    o.backward()
    before = [v.grad for v in o.topological_order()]
    viz.stepping_page(o, params=params)
    assert [v.grad for v in o.topological_order()] == before


def test_labels_are_escaped_in_the_html_and_the_json():
    a = Value(2.0, label=XSS_LABELS[0])
    b = Value(3.0, label=XSS_LABELS[1])
    out = a * b
    out.label = "@SVG@ </script>"
    text = viz.stepping_page(out)
    assert "<img" not in text and "onerror=alert(1)>" not in text
    assert text.count("<script") == 2 and text.count("</script>") == 2  # ours only
    data = re.search(r'<script type="application/json" id="frames">(.*?)</script>', text, re.S).group(1)
    assert "<" not in data and ">" not in data and "&" not in data
    parsed = json.loads(data)
    assert [n["name"] for n in parsed["nodes"]] == [repr(XSS_LABELS[0]), repr(XSS_LABELS[1]), repr(out.label)]
    assert text.count("<svg") == 1  # the "@SVG@" label was not replaced by a second drawing


# ------------------------------------------------------------- in a browser
@needs_chromium
def test_stepping_in_chromium_shows_the_grads_of_each_step(neuron_page):
    path, o = neuron_page
    order = o.topological_order()
    n = len(order)
    x1 = next(i for i, v in enumerate(order) if v.label == "x1")
    node_n = next(i for i, v in enumerate(order) if v.label == "n")
    out = order.index(o)

    # Forward pass, three presses in: the first three values computed, the rest pending.
    dom, log = dump_dom(path, "#step=3")
    page = parse(dom)
    assert page.text["counter"] == f"step 3 of {2 * n}"
    assert page.text["phase"] == "Forward pass"
    assert page.text["explain"] == "'x1*w1' = x1 * w1 = 2.0 * (-3.0) = -6.0"
    assert "pending" in page.classes[f"n{n - 1}"] and "pending" not in page.classes["n0"]
    assert "Uncaught" not in log

    # One press into the backward pass: the output seeds its grad and hands 0.5 to n.
    page = parse(dump_dom(path, f"#step={n + 1}")[0])
    assert page.text["phase"] == "Backward pass"
    assert "passes grad 1.0 to n: d(tanh(n))/dn = 1 - tanh(n)**2 = 1 - o**2 = 0.5" in page.text["explain"]
    assert page.text[f"grad-n{out}"] == "1.0000"
    assert page.text[f"grad-n{node_n}"] == "0.5000"
    assert page.text[f"grad-n{x1}"] == "0.0000"  # nothing has reached x1 yet
    assert "grad 0.0000" in page.text[f"n{x1}"]  # the SVG was drawn with -1.5: the script reset it
    assert "grad 0.5000" in page.text[f"n{node_n}"]  # the SVG box shows it too
    assert "current" in page.classes[f"n{out}"]

    # The last step: every grad is what backward() gives.
    o.backward()
    page = parse(dump_dom(path, f"#step={2 * n}")[0])
    assert page.text["counter"] == f"step {2 * n} of {2 * n}"
    for i, v in enumerate(order):
        assert page.text[f"grad-n{i}"] == viz.format_number(v.grad), v.label
        assert f"grad {viz.format_number(v.grad)}" in page.text[f"n{i}"], v.label
    assert page.text[f"grad-n{x1}"] == "-1.5000"


@needs_chromium
def test_the_neuron_graph_opens_readable_and_unknown_values_are_not_shown(neuron_page):
    """A learner saw a third of the graph in a 330 px pane, then the whole of
    it with 7 px text; and every number before the forward pass had computed it."""
    path, o = neuron_page
    order = o.topological_order()
    page = parse(dump_dom(path, "", size="1200,900")[0])
    graph = page.attrs["graph"]
    # Fitted to 1200 px the neuron's text was 7 px (issue 24); with boxes of
    # two fields, not three, it fits at a zoom that keeps its text 11 px.
    assert graph["data-fits"] == "yes" and text_px(path, graph) >= 10.9, graph
    # A graph too wide for that opens at the zoom that makes its text 11 px, and scrolls.
    x = Value(0.5, label="x")
    y = x
    for _ in range(8):
        y = y.tanh() * 2.0
    wide = viz.write_stepping_page(y, path.parent / "wide.html")
    page = parse(dump_dom(wide, "", size="1200,900")[0])
    graph = page.attrs["graph"]
    assert 10.9 < text_px(wide, graph) < 11.1, graph
    assert graph["data-fits"] == "no" and "scroll for the rest" in page.text["zoom-level"]
    # A graph that fits at its natural size opens at 100%, as before.
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    small = viz.write_stepping_page(a * b, path.parent / "small.html")
    graph = parse(dump_dom(small, "", size="1200,900")[0]).attrs["graph"]
    assert graph["data-fits"] == "yes" and float(graph["data-zoom"]) == 1.0, graph
    assert {"fit", "zoom-in", "zoom-out", "zoom-reset"} <= set(page.attrs)
    for i in range(len(order)):  # before the first step nothing is computed
        assert page.text[f"data-n{i}"] == "?"
        assert "data ?" in page.text[f"n{i}"] and "data 2.0000" not in page.text[f"n{i}"]

    page = parse(dump_dom(path, "#step=3")[0])  # three values computed, in order
    assert [page.text[f"data-n{i}"] for i in range(4)] == ["2.0000", "-3.0000", "-6.0000", "?"]
    assert "data -6.0000" in page.text["n2"] and "data ?" in page.text["n3"]


def text_px(page: Path, graph: dict) -> float:
    """How tall the boxes' text is on screen, in px, at the zoom the page chose."""
    svg = page.read_text(encoding="utf-8")
    font = max(float(f) for f in re.findall(r'<text[^>]*font-size="([\d.]+)"', svg))
    pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    view = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', svg).group(1))
    return font * (pt * 4 / 3) / view * float(graph["data-zoom"])


@needs_chromium
def test_hostile_labels_show_as_text_in_chromium(tmp_path):
    a = Value(2.0, label=XSS_LABELS[0])
    b = Value(3.0, label=XSS_LABELS[1])
    out = (a * b).tanh()
    out.label = "out"
    path = viz.write_stepping_page(out, tmp_path / "xss.html")
    dom, log = dump_dom(path, "#step=6")
    page = parse(dom)
    assert [tag for tag, _ in page.tags if tag == "img"] == []
    assert len([tag for tag, _ in page.tags if tag == "script"]) == 2  # ours only
    assert not any("onerror" in attrs for _, attrs in page.tags)
    # The labels are there, as text: in the table, in the SVG boxes, in the step text.
    assert page.text["row-n0"].startswith(repr(XSS_LABELS[0]))
    assert XSS_LABELS[0] in page.text["n0"] and XSS_LABELS[1] in page.text["n1"]
    assert repr(XSS_LABELS[1]) in page.text["explain"]
    assert "alert" not in log


# Labels whose script, if it ever ran, would leave a mark on the document.
PWN_LABELS = [
    "<script>document.documentElement.setAttribute('data-pwned', 'script')</script>",
    "\"><img src=x onerror=\"document.documentElement.setAttribute('data-pwned', 'img')\">",
]


@needs_chromium
@pytest.mark.parametrize("kind", ["svg", "page"])
def test_hostile_labels_run_no_script_in_an_svg_or_the_page(tmp_path, kind):
    a = Value(2.0, label=PWN_LABELS[0])
    b = Value(3.0, label=PWN_LABELS[1])
    out = a * b
    out.label = "out"
    if kind == "svg":  # the picture opened on its own, as a browser shows a .svg file
        path = viz.render(out, tmp_path / "xss.svg")
    else:
        path = viz.write_stepping_page(out, tmp_path / "xss.html")
    dom, _log = dump_dom(path, "#step=4" if kind == "page" else "")
    page = parse(dom)
    assert page.tags, "chromium dumped no document"
    assert not any("data-pwned" in attrs for _, attrs in page.tags)  # no script ran
    assert [tag for tag, _ in page.tags if tag == "img"] == []
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    scripts = [tag for tag, _ in page.tags if tag == "script"]
    assert len(scripts) == (0 if kind == "svg" else 2)  # the page's own two only
    # The labels are in the drawing, as text, character for character.
    assert PWN_LABELS[0] in page.text["n0"] and PWN_LABELS[1] in page.text["n1"]
