// The stepping page's player (viz/page.py): forward, then backward, one frame a press.
// Text only ever goes in through textContent.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("frames").textContent);
  var frames = data.frames, nodes = data.nodes, n = nodes.length;
  var current = -1;  // -1: before the forward pass; otherwise the frame shown
  var timer = null;
  // What the additions (the why panel, the quiz) hook into, set by them
  // before this script runs: limit() is the last frame the player may go to,
  // hidden(k) holds back frame k's numbers and text, shown[] hear every show().
  var hooks = window.steppingPage = window.steppingPage || {};
  hooks.limit = hooks.limit || function () { return frames.length - 1; };
  hooks.hidden = hooks.hidden || function () { return false; };
  hooks.shown = hooks.shown || [];

  function byId(id) { return document.getElementById(id); }
  var groups = nodes.map(function (node) { return byId(node.id); });
  var opGroups = nodes.map(function (node) { return byId(node.id + "op"); });
  var gradTexts = groups.map(function (g) {
    if (!g) { return null; }
    var found = null;
    Array.prototype.forEach.call(g.querySelectorAll("text"), function (t) {
      if (t.textContent.indexOf("grad ") === 0) { found = t; }  // the last one: the grad field
    });
    return found;
  });
  var dataTexts = groups.map(function (g) {
    if (!g) { return null; }
    var found = null;
    Array.prototype.forEach.call(g.querySelectorAll("text"), function (t) {
      if (found === null && t.textContent.indexOf("data ") === 0) { found = t; }
    });
    return found;
  });
  var fills = groups.map(function (g) { return g ? g.querySelector("polygon, path") : null; });
  var cells = nodes.map(function (node) { return byId("grad-" + node.id); });
  var dataCells = nodes.map(function (node) { return byId("data-" + node.id); });
  var rows = nodes.map(function (node) { return byId("row-" + node.id); });
  var next = byId("next"), prev = byId("prev"), play = byId("play"), reset = byId("reset");
  var slider = byId("slider"), phase = byId("phase"), counter = byId("counter"), explain = byId("explain");
  slider.max = String(frames.length - 1);

  function setClass(el, name, on) { if (el) { el.classList.toggle(name, on); } }

  function show(k) {
    current = Math.max(-1, Math.min(hooks.limit(), k));
    var grads = [], colors = [], i;
    for (i = 0; i < n; i++) { grads.push(data.zero); colors.push(data.white); }
    for (i = n; i <= current; i++) {  // replay the backward steps up to this one
      var held = hooks.hidden(i);  // then only the node's own grad (the first change) is shown
      frames[i].set.forEach(function (change, j) {
        if (j === 0 || !held) { grads[change[0]] = change[1]; colors[change[0]] = change[2]; }
      });
    }
    var frame = current >= 0 ? frames[current] : null;
    for (i = 0; i < n; i++) {
      var pending = frame === null || (frame.phase === "forward" && i > frame.node);
      var isCurrent = frame !== null && i === frame.node;
      setClass(groups[i], "pending", pending);
      setClass(opGroups[i], "pending", pending);
      setClass(groups[i], "current", isCurrent);
      setClass(opGroups[i], "current", isCurrent);
      setClass(rows[i], "current", isCurrent);
      nodes[i].edges.forEach(function (id) {
        var edge = byId(id);
        setClass(edge, "pending", pending);
        setClass(edge, "active", isCurrent);
      });
      // A value is known once the forward pass has computed it, not before.
      var known = frame !== null && (frame.phase === "backward" || i <= frame.node);
      // The box keeps the drawing's 4 decimals; the column has the digits to work from.
      if (dataTexts[i]) { dataTexts[i].textContent = "data " + (known ? nodes[i].data : "?"); }
      if (dataCells[i]) { dataCells[i].textContent = known ? nodes[i].exact : "?"; }
      if (gradTexts[i]) { gradTexts[i].textContent = "grad " + grads[i]; }
      if (fills[i]) { fills[i].setAttribute("fill", colors[i]); }
      if (cells[i]) { cells[i].textContent = grads[i]; }
    }
    if (frame) {
      if (groups[frame.node] && groups[frame.node].scrollIntoView) {
        groups[frame.node].scrollIntoView({block: "nearest", inline: "nearest"});
      }
      phase.textContent = frame.phase === "forward" ? "Forward pass" : "Backward pass";
      phase.className = frame.phase;
      explain.textContent = hooks.hidden(current) ? "" : frame.text;
    } else {
      phase.textContent = "Press Next to start the forward pass.";
      phase.className = "";
      explain.textContent = "";
    }
    counter.textContent = "step " + (current + 1) + " of " + frames.length;
    slider.value = String(current);
    prev.disabled = current < 0;
    next.disabled = current >= hooks.limit();
    hooks.grads = grads;
    hooks.shown.forEach(function (listener) { listener(current, frame); });
  }
  hooks.current = function () { return current; };
  hooks.refresh = function () { show(current); };

  function stop() { if (timer !== null) { clearInterval(timer); timer = null; play.textContent = "\u25B6 Play"; } }

  next.addEventListener("click", function () { if (current < hooks.limit()) { show(current + 1); } });
  prev.addEventListener("click", function () { stop(); show(current - 1); });
  reset.addEventListener("click", function () { stop(); show(-1); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (current >= frames.length - 1) { show(-1); }
    play.textContent = "\u23F8 Pause";
    timer = setInterval(function () {
      if (current >= hooks.limit()) { stop(); } else { next.click(); }
    }, 900);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { next.click(); }
    else if (event.key === "ArrowLeft") { prev.click(); }
    else if (event.key === " ") { event.preventDefault(); play.click(); }
  });

  // Zoom: the SVG's own size times a factor; "fit" makes it as wide as the pane.
  var pane = byId("graph"), svg = pane.querySelector("svg"), level = byId("zoom-level");
  var natural = svg.getBoundingClientRect(), zoom = 1;
  function setZoom(z) {
    zoom = Math.max(0.1, Math.min(4, z));
    svg.style.width = (natural.width * zoom) + "px";
    svg.style.height = (natural.height * zoom) + "px";
    level.textContent = Math.round(zoom * 100) + "%";
    // The pane grows with the graph up to 70% of the window (a short graph
    // leaves the controls in view); the user can still drag it taller.
    var style = getComputedStyle(pane);
    var padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + 2;
    var scrollbar = natural.width * zoom > pane.clientWidth ? 18 : 0;
    pane.style.height = Math.min(natural.height * zoom + padding + scrollbar, 0.7 * window.innerHeight) + "px";
    var fits = svg.getBoundingClientRect().width <= pane.clientWidth + 1 &&
      svg.getBoundingClientRect().height <= pane.clientHeight + 1;
    pane.setAttribute("data-zoom", zoom.toFixed(3));
    pane.setAttribute("data-fits", fits ? "yes" : "no");  // the whole graph is in view
    if (!fits) { level.textContent += " (scroll for the rest; Fit width shows it all)"; }
  }
  // The zoom at which the boxes' text is READABLE_PX tall on screen: below
  // it a wide graph fitted to the pane has 5-7 px text, so the page opens at
  // this zoom at least and scrolls (the current step is scrolled into view).
  var READABLE_PX = 11;
  function readableZoom() {
    var box = svg.viewBox && svg.viewBox.baseVal, size = 0;
    Array.prototype.forEach.call(svg.querySelectorAll("g.node text"), function (t) {
      size = Math.max(size, parseFloat(t.getAttribute("font-size")) || 0);
    });
    if (!box || !box.width || !size) { return 0; }
    return READABLE_PX / (size * natural.width / box.width);
  }
  function fitWidth() {
    var style = getComputedStyle(pane);
    var room = pane.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return natural.width > 0 ? room / natural.width : 1;
  }
  byId("fit").addEventListener("click", function () { setZoom(fitWidth()); });
  byId("zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
  byId("zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
  byId("zoom-reset").addEventListener("click", function () { setZoom(1); });
  setZoom(Math.min(1, Math.max(fitWidth(), readableZoom())));  // fitted if readable, never enlarged
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }  // leave the browser's own zoom alone
    if (event.key === "f") { byId("fit").click(); }
    else if (event.key === "+" || event.key === "=") { byId("zoom-in").click(); }
    else if (event.key === "-") { byId("zoom-out").click(); }
    else if (event.key === "0") { byId("zoom-reset").click(); }
  });

  // #step=K: press Next K times from the start, through the same handler.
  function fromHash() {
    var match = /step=(\d+)/.exec(location.hash);
    if (!match) { return false; }
    stop();
    show(-1);
    var k = Math.min(parseInt(match[1], 10), frames.length);
    for (var j = 0; j < k; j++) { next.click(); }
    return true;
  }
  window.addEventListener("hashchange", fromHash);
  if (!fromHash()) { show(-1); }
}());
