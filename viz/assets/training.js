// The training player (viz/training.py). Text only ever goes in through textContent.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("run").textContent);
  var frames = data.frames, names = data.names;
  var NS = "http://www.w3.org/2000/svg";
  function byId(id) { return document.getElementById(id); }
  function svgEl(tag, attrs, parent) {
    var el = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    parent.appendChild(el);
    return el;
  }
  function fmt(x) {
    if (x === null || x === undefined) { return "\u2013"; }
    if (x === 0) { return "0"; }
    var a = Math.abs(x);
    return (a >= 1e4 || a < 1e-3) ? x.toExponential(2) : String(Number(x.toPrecision(3)));
  }
  function shown(name) { return name.replace(/_/g, " "); }  // batch_accuracy= reads "batch accuracy"
  var current = 0, timer = null;
  var slider = byId("slider"), counter = byId("counter"), numbers = byId("numbers");
  var next = byId("next"), prev = byId("prev"), play = byId("play"), reset = byId("reset");
  slider.max = String(frames.length - 1);

  // ------------------------------------------------ the decision boundary
  var cells = [], hasGrid = data.gridX.length > 0 && frames[0].grid;
  if (!hasGrid) { byId("boundary-box").style.display = "none"; }
  else {
    var box = byId("boundary"), W = 360, nx = data.gridX.length, ny = data.gridY.length;
    var x0 = data.gridX[0], x1 = data.gridX[nx - 1], y0 = data.gridY[0], y1 = data.gridY[ny - 1];
    var cw = W / nx, ch = W / ny;
    for (var j = 0; j < ny; j++) {
      for (var i = 0; i < nx; i++) {  // row j = gridY[j], drawn upside down so y grows upwards
        cells.push(svgEl("rect", {id: "cell-" + j + "-" + i, x: i * cw, y: W - (j + 1) * ch,
                                  width: cw + 0.5, height: ch + 0.5}, box));
      }
    }
    data.points.forEach(function (p, k) {
      var cx = (p[0] - x0) / (x1 - x0) * (W - cw) + cw / 2;
      var cy = W - ((p[1] - y0) / (y1 - y0) * (W - ch) + ch / 2);
      svgEl("circle", {cx: cx, cy: cy, r: 3.5, "class": data.labels[k] > 0 ? "pos" : "neg"}, box);
    });
  }

  // ------------------------------------------------------- the loss curve
  var curve = byId("curve"), CW = 420, CH = 260, PAD = 52;  // room for a label like 0.00315
  var losses = frames.map(function (f) { return f.loss; });
  var lo = Math.min.apply(null, losses), hi = Math.max.apply(null, losses);
  if (hi === lo) { hi = lo + 1; }
  var first = frames[0].step, last = frames[frames.length - 1].step;
  function px(step) { return PAD + (last === first ? 0 : (step - first) / (last - first)) * (CW - 2 * PAD); }
  function py(y, a, b) { return CH - PAD - (y - a) / (b - a) * (CH - 2 * PAD); }
  function points(values, a, b, upto) {
    var out = [];
    for (var k = 0; k <= upto; k++) { out.push(px(frames[k].step).toFixed(1) + "," + py(values[k], a, b).toFixed(1)); }
    return out.join(" ");
  }
  svgEl("polyline", {"class": "full", points: points(losses, lo, hi, frames.length - 1)}, curve);
  var done = svgEl("polyline", {"class": "done", points: ""}, curve);
  var metricNames = Object.keys(frames[0].metrics).filter(function (m) {
    return frames.every(function (f) { return f.metrics[m] >= 0 && f.metrics[m] <= 1; });
  });
  var metricLines = metricNames.map(function () { return svgEl("polyline", {"class": "metric", points: ""}, curve); });
  var marker = svgEl("circle", {r: 4, fill: "#1f77b4"}, curve);
  function label(text, x, y, anchor) { svgEl("text", {x: x, y: y, "text-anchor": anchor}, curve).textContent = text; }
  label(fmt(hi), PAD - 4, PAD + 4, "end");
  label(fmt(lo), PAD - 4, CH - PAD + 4, "end");
  label("step " + first, PAD, CH - PAD + 16, "start");
  label("step " + last, CW - PAD, CH - PAD + 16, "end");
  if (metricNames.length) {
    label("1", CW - PAD + 4, PAD + 4, "start"); label("0", CW - PAD + 4, CH - PAD + 4, "start");
    byId("curve-caption").textContent = "loss (blue; grey: the rest of the run); dashed: " +
      metricNames.map(shown).join(", ") + " (0..1, the scale at the right)";
  }

  // ------------------------------------------------- the parameters table
  var body = byId("params");
  var rows = names.map(function (name, k) {
    var tr = document.createElement("tr");
    ["rank", "name", "value", "grad", "update"].forEach(function (field) {
      var td = document.createElement("td");
      td.className = field === "name" ? "name" : "num";
      tr.appendChild(td);
    });
    tr.children[1].textContent = name;
    return tr;
  });

  function show(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    var f = frames[current];
    counter.textContent = "step " + f.step + " (" + (current + 1) + " of " + frames.length + " recorded)";
    var parts = ["loss " + fmt(f.loss)];
    Object.keys(f.metrics).forEach(function (m) { parts.push(shown(m) + " " + fmt(f.metrics[m])); });
    numbers.textContent = parts.join(", ");
    done.setAttribute("points", points(losses, lo, hi, current));
    marker.setAttribute("cx", px(f.step).toFixed(1));
    marker.setAttribute("cy", py(f.loss, lo, hi).toFixed(1));
    metricNames.forEach(function (m, i) {
      metricLines[i].setAttribute("points", points(frames.map(function (g) { return g.metrics[m]; }), 0, 1, current));
    });
    if (hasGrid) {
      for (var c = 0; c < cells.length; c++) {  // one letter a cell: case = side, letter = |score| in tenths
        var letter = f.grid.charAt(c), lower = letter.toLowerCase();
        cells[c].setAttribute("class", letter === lower ? "neg" : "pos");
        cells[c].setAttribute("fill-opacity", String(0.3 + 0.07 * (lower.charCodeAt(0) - 97)));
      }
    }
    var order = names.map(function (_, i) { return i; });
    order.sort(function (a, b) { return Math.abs(f.grad[b]) - Math.abs(f.grad[a]) || a - b; });
    order.forEach(function (i, rank) {
      var tr = rows[i];
      tr.id = "param-rank-" + rank;
      tr.children[0].textContent = String(rank + 1);
      tr.children[2].textContent = fmt(f.value[i]);
      tr.children[3].textContent = fmt(f.grad[i]);
      tr.children[4].textContent = f.update ? fmt(f.update[i]) : "\u2013";
      body.appendChild(tr);  // moves it: the rows end up in rank order
    });
    slider.value = String(current);
    prev.disabled = current <= 0;
    next.disabled = current >= frames.length - 1;
  }

  function stop() { if (timer !== null) { clearInterval(timer); timer = null; play.textContent = "\u25B6 Play"; } }
  next.addEventListener("click", function () { show(current + 1); });
  prev.addEventListener("click", function () { stop(); show(current - 1); });
  reset.addEventListener("click", function () { stop(); show(0); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (current >= frames.length - 1) { show(0); }
    play.textContent = "\u23F8 Pause";
    timer = setInterval(function () { if (current >= frames.length - 1) { stop(); } else { show(current + 1); } }, 120);
  });
  document.addEventListener("keydown", function (event) {
    if (event.target && event.target.tagName === "INPUT" && event.target.type !== "range") { return; }
    if (event.key === "ArrowRight") { next.click(); }
    else if (event.key === "ArrowLeft") { prev.click(); }
    else if (event.key === " ") { event.preventDefault(); play.click(); }
  });

  // #step=K: the recorded step at or before training step K, saying so
  // when step K itself was not recorded.
  function fromHash() {
    var match = /step=(\d+)/.exec(location.hash);
    if (!match) { return false; }
    var want = parseInt(match[1], 10), k = 0;
    while (k + 1 < frames.length && frames[k + 1].step <= want) { k++; }
    stop();
    show(k);
    if (frames[k].step !== want) {
      counter.textContent += ": step " + want + " was not recorded; this is " +
        (frames[k].step < want ? "the last recorded step before it" : "the first recorded step, after it");
    }
    return true;
  }
  window.addEventListener("hashchange", fromHash);
  if (!fromHash()) { show(0); }
}());
