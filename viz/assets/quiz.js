// The quiz: before a backward step is shown, one box per edge for its local
// derivative; Enter moves on, then checks. Right means within 1% (or 0.0001).
(function () {
  "use strict";
  var page = window.steppingPage = window.steppingPage || {};
  page.shown = page.shown || [];
  var data = JSON.parse(document.getElementById("frames").textContent);
  var quiz = data.quiz, last = data.frames.length - 1, byFrame = {}, answered = {};
  var right = 0, asked = 0, total = 0, open = null;
  quiz.forEach(function (q) { byFrame[q.frame] = q; total += q.ask.length; });
  function byId(id) { return document.getElementById(id); }
  var box = byId("quiz"), question = byId("quiz-question"), inputs = byId("quiz-inputs");
  var check = byId("quiz-check"), result = byId("quiz-result"), score = byId("score");

  page.limit = function () {  // the player stops at the first question not answered yet
    for (var j = 0; j < quiz.length; j++) { if (!answered[quiz[j].frame]) { return quiz[j].frame; } }
    return last;
  };
  page.hidden = function (k) { return byFrame[k] !== undefined && !answered[k]; };

  function number(text) {
    var t = text.trim().replace(/\u2212/g, "-");
    return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : NaN;
  }
  function close(x, truth) { return Math.abs(x - truth) <= Math.max(0.01 * Math.abs(truth), 1e-4); }
  function fmt(x) { return String(Number(x.toPrecision(6))); }

  function ask(k) {
    var q = byFrame[k];
    open = k;
    question.textContent = q.head;
    result.textContent = "";
    while (inputs.firstChild) { inputs.removeChild(inputs.firstChild); }
    q.ask.forEach(function (item, j) {
      var label = document.createElement("label"), input = document.createElement("input");
      label.textContent = item[0] + " =";
      input.id = "quiz-answer-" + j;
      input.type = "text";
      input.setAttribute("inputmode", "decimal");
      input.setAttribute("autocomplete", "off");
      input.addEventListener("keydown", function (event) {
        event.stopPropagation();  // typing "-" or "0" must not zoom, arrows must not step
        if (event.key !== "Enter") { return; }
        event.preventDefault();
        var nextInput = byId("quiz-answer-" + (j + 1));
        if (nextInput && nextInput.value.trim() === "") { nextInput.focus(); } else { check.click(); }
      });
      label.appendChild(input);
      inputs.appendChild(label);
    });
    check.disabled = false;
  }

  check.addEventListener("click", function () {
    var k = open;
    if (k === null || answered[k]) { return; }
    var q = byFrame[k], lines = [], good = 0;
    q.ask.forEach(function (item, j) {
      var input = byId("quiz-answer-" + j), typed = input.value.trim(), ok = close(number(typed), item[1]);
      input.className = ok ? "right" : "wrong";
      input.readOnly = true;
      good += ok ? 1 : 0;
      lines.push((ok ? "right: " : "wrong: ") + item[0] + " = " + fmt(item[1]) +
                 (ok ? "" : " (you typed " + (typed === "" ? "nothing" : typed) + ")"));
    });
    answered[k] = true;
    right += good;
    asked += q.ask.length;
    check.disabled = true;
    result.textContent = lines.join("\n") + "\nThe step is shown below; Next (or \u2192) goes on.";
    page.refresh();
    byId("next").focus();
  });
  check.addEventListener("keydown", function (event) { event.stopPropagation(); });

  function showScore(current) {
    var text = "score: " + right + " of " + asked + " right";
    if (asked === total && current === last) { text = "Done: " + right + " of " + total + " right"; }
    else if (asked < total) { text += " (" + (total - asked) + " to go)"; }
    score.textContent = text;
  }
  page.shown.push(function (current) {
    if (byFrame[current] !== undefined && !answered[current]) {
      box.hidden = false;
      if (open !== current) { ask(current); }
      byId("quiz-answer-0").focus();
    } else {
      box.hidden = !(byFrame[current] !== undefined && open === current);
    }
    showScore(current);
  });
}());
