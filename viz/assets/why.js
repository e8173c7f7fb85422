// Why this grad? Selecting a value lists the terms of its grad that have
// arrived by the current step, and those still to come.
(function () {
  "use strict";
  var page = window.steppingPage = window.steppingPage || {};
  page.shown = page.shown || [];
  var data = JSON.parse(document.getElementById("frames").textContent);
  var why = data.why, box = document.getElementById("why"), selected = null;
  function render(current) {
    if (selected === null) { return; }
    var w = why[selected], lines = [];
    function arrived(frame) { return frame < current || (frame === current && !page.hidden(current)); }
    lines.push(w.name + ".grad is " + page.grads[selected] + (current >= 0 ? " at step " + (current + 1) : " (nothing computed yet)"));
    if (w.root) {
      lines.push("  it is the output: its grad is seeded with 1 when the backward pass starts (d out/d out = 1)");
    } else if (w.terms.length === 0) {
      lines.push("  no value in this graph uses it, so nothing hands it a grad");
    } else {
      var done = w.terms.filter(function (t) { return arrived(t[0]); });
      var todo = w.terms.filter(function (t) { return !arrived(t[0]); });
      lines.push("  = the sum over the " + w.terms.length + (w.terms.length === 1 ? " place" : " places") +
                 " it is used of (that value's grad x its local derivative):");
      done.forEach(function (t) { lines.push("  " + t[1]); });
      todo.forEach(function (t) { lines.push("  still to come: from " + t[2] + ", at step " + (t[0] + 1)); });
      if (todo.length === 0) { lines.push("  total: " + w.total + " (what backward() gives)"); }
    }
    box.textContent = lines.join("\n");
  }
  function select(i) {
    if (selected !== null) { var old = document.getElementById("row-n" + selected); if (old) { old.classList.remove("selected"); } }
    selected = i;
    var row = document.getElementById("row-n" + i);
    if (row) { row.classList.add("selected"); }
    render(page.current());
  }
  why.forEach(function (_, i) {
    ["n" + i, "row-n" + i].forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) { return; }
      el.addEventListener("click", function () { select(i); });
      if (id.indexOf("row-") === 0) {
        el.tabIndex = 0;
        el.addEventListener("keydown", function (event) { if (event.key === "Enter") { select(i); } });
      }
    });
  });
  page.shown.push(function (current) { render(current); });
}());
