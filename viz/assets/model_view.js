// The model view (viz/model_view.py): embeddings, attention, the residual stream, the
// feed-forward neurons, the logit lens and the logits of one prompt, at each moment of
// training. Text only ever goes in through textContent. The forward pass below mirrors
// viz/model_view.py's trace, so that "sample a token" can extend the prompt here.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("model-view-data").textContent);
  var cfg = data.config, vocab = data.vocab;
  var original = data.moments.map(function (m) { return m; });
  var ids = data.ids.slice(), moments = data.moments.slice();
  var current = moments.length - 1, selected = data.selected, layerPick = 0, neuronPick = null;
  function byId(id) { return document.getElementById(id); }
  function el(tag, parent, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } return e; }
  function fmt(x) {
    if (x === null || x === undefined) { return "\u2013"; }
    if (x === 0) { return "0"; }
    var a = Math.abs(x);
    return (a >= 1e4 || a < 1e-3) ? x.toExponential(2) : String(Number(x.toPrecision(3)));
  }
  function shown(t) { return t === " " ? "\u2423" : t === "\n" ? "\u21b5" : t; }  // a space or newline, visible
  function diverging(x, scale) {  // red positive, blue negative, white 0
    var f = Math.max(-1, Math.min(1, scale ? x / scale : 0));
    var r = f < 0 ? Math.round(255 * (1 + f)) : 255, b = f > 0 ? Math.round(255 * (1 - f)) : 255;
    var g = Math.round(255 * (1 - Math.abs(f)));
    return "rgb(" + r + "," + g + "," + b + ")";
  }
  function blues(x) {  // 0 white .. 1 dark blue
    var f = Math.max(0, Math.min(1, x));
    return "rgb(" + Math.round(255 - 215 * f) + "," + Math.round(255 - 155 * f) + "," + Math.round(255 - 55 * f) + ")";
  }
  function maxAbs(rows) {
    var m = 0;
    rows.forEach(function (r) { r.forEach(function (v) { if (v !== null && Math.abs(v) > m) { m = Math.abs(v); } }); });
    return m;
  }
  function tokens() { return ids.map(function (i) { return vocab[i]; }); }

  // ------------------------------------------------------ the forward pass
  function dot(a, b) { var s = 0; for (var i = 0; i < a.length; i++) { s += a[i] * b[i]; } return s; }
  function linear(w, name, x) {
    var W = w[name + ".weight"], b = w[name + ".bias"];
    return W.map(function (row, i) { return dot(row, x) + (b ? b[i] : 0); });
  }
  function norm(w, name, x) {
    var n = x.length, y = x.slice();
    if (cfg.norm === "layernorm") {
      var mean = y.reduce(function (s, v) { return s + v; }, 0) / n;
      y = y.map(function (v) { return v - mean; });
    }
    var inv = Math.pow(dot(y, y) / n + cfg.eps, -0.5), g = w[name + ".weight"], b = w[name + ".bias"];
    return y.map(function (v, i) { return v * inv * (g ? g[i] : 1) + (b ? b[i] : 0); });
  }
  function activate(z) {
    if (cfg.activation === "relu") { return z > 0 ? z : 0; }
    if (cfg.activation === "tanh") { return Math.tanh(z); }
    if (cfg.activation === "sigmoid") { return 1 / (1 + Math.exp(-z)); }
    return z;
  }
  function softmax(z, temperature) {
    var t = temperature || 1, top = -Infinity;
    var s = z.map(function (v) { return v / t; });
    s.forEach(function (v) { if (v > top) { top = v; } });
    var e = s.map(function (v) { return Math.exp(v - top); });
    var total = e.reduce(function (a, v) { return a + v; }, 0);
    return e.map(function (v) { return v / total; });
  }
  function add(xs, hs) { return xs.map(function (x, t) { return x.map(function (v, i) { return v + hs[t][i]; }); }); }
  function head(w, name, xs) {
    var q = xs.map(function (x) { return linear(w, name + ".query", x); });
    var k = xs.map(function (x) { return linear(w, name + ".key", x); });
    var v = xs.map(function (x) { return linear(w, name + ".value", x); });
    var scale = 1 / Math.sqrt(q[0].length), T = xs.length, scores = [], att = [], out = [];
    q.forEach(function (qt, t) {
      var qs = qt.map(function (x) { return x * scale; }), seen = cfg.causal ? t + 1 : T, row = [];
      for (var s = 0; s < seen; s++) { row.push(dot(qs, k[s])); }
      var a = softmax(row), o = [];
      for (var j = 0; j < v[0].length; j++) { var sum = 0; for (s = 0; s < seen; s++) { sum += a[s] * v[s][j]; } o.push(sum); }
      for (s = seen; s < T; s++) { row.push(null); a.push(0); }
      scores.push(row); att.push(a); out.push(o);
    });
    return { q: q, k: k, v: v, scores: scores, attention: att, out: out };
  }
  function topTokens(p) {
    return p.map(function (x, i) { return [i, x]; }).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; }).slice(0, 5);
  }
  function trace(w, ids) {
    var tok = ids.map(function (i) { return w["wte.weight"][i]; });
    var table = cfg.positions || w["wpe.weight"];
    var pos = ids.map(function (_, t) { return table[t]; });
    var xs = add(tok, pos), layers = [], depths = [["embeddings", xs]];
    var headName = w[cfg.head + ".weight"] ? cfg.head : null;
    for (var l = 0; l < cfg.n_layer; l++) {
      var p = "blocks." + l + ".";
      var n1 = xs.map(function (x) { return norm(w, p + "ln_1", x); });
      var heads = [];
      for (var h = 0; h < cfg.n_head; h++) { heads.push(head(w, p + "attn.heads." + h, n1)); }
      var concat = xs.map(function (_, t) { return [].concat.apply([], heads.map(function (hd) { return hd.out[t]; })); });
      var attnOut = concat.map(function (c) { return linear(w, p + "attn.proj", c); });
      var mid = add(xs, attnOut);
      var n2 = mid.map(function (x) { return norm(w, p + "ln_2", x); });
      var hidden = n2.map(function (x) { return linear(w, p + "mlp.fc", x).map(activate); });
      var ffnOut = hidden.map(function (x) { return linear(w, p + "mlp.proj", x); });
      xs = add(mid, ffnOut);
      layers.push({ norm_1: n1, heads: heads, attn_out: attnOut, stream_mid: mid, norm_2: n2,
        ffn_hidden: hidden, ffn_out: ffnOut, stream: xs });
      depths.push(["block " + l + " + attention", mid], ["block " + l + " + feed-forward", xs]);
    }
    var unembed = function (x) {
      var y = norm(w, "ln_f", x), W = headName ? w[cfg.head + ".weight"] : w["wte.weight"], b = w[cfg.head + ".bias"];
      return W.map(function (row, i) { return dot(row, y) + (b ? b[i] : 0); });
    };
    var lens = depths.map(function (d) {
      return { depth: d[0], top: d[1].map(function (x) { return topTokens(softmax(unembed(x))); }) };
    });
    var logits = xs.map(unembed);
    return {
      embeddings: { token: tok, position: pos, sum: depths[0][1] }, layers: layers,
      stream_norms: depths.map(function (d) { return { depth: d[0], norms: d[1].map(function (x) { return Math.sqrt(dot(x, x)); }) }; }),
      logit_lens: lens, logits: logits, probs: logits.map(function (z) { return softmax(z); })
    };
  }
  function retrace() {  // every moment again, for the new prompt; the neurons' memories stay
    moments = original.map(function (m) {
      var t = trace(m.weights, ids);
      t.step = m.step; t.neurons = m.neurons; t.weights = m.weights;
      return t;
    });
  }

  // ------------------------------------------------------------ pictures
  function vectorStrip(vec, scale, parent, title) {
    var v = el("div", parent, null, "vec");
    vec.forEach(function (x, i) {
      var c = el("div", v, null, "cell");
      c.style.background = diverging(x, scale);
      c.title = (title ? title + " " : "") + "[" + i + "] = " + fmt(x);
    });
    return v;
  }
  function columns(parent, groups, caption) {  // groups: [[name, T x d rows], ...], side by side per position
    var wrap = el("div", parent, null, "vectors");
    if (caption) { el("div", wrap, caption, "muted caption"); }
    var box = el("div", wrap, null, "columns");
    var scale = maxAbs([].concat.apply([], groups.map(function (g) { return g[1]; })));
    tokens().forEach(function (tok, t) {
      var col = el("div", box, null, "column" + (t === selected ? " selected" : ""));
      var strip = el("div", col, null, "strip");
      groups.forEach(function (g) { vectorStrip(g[1][t], scale, strip, g[0] + " at " + t); });
      el("div", col, shown(tok), "label");
    });
    return box;
  }
  function grid(parent, rows, opts) {  // a T x T (or T x n) table of squares
    var table = el("table", parent, null, "grid"), tok = tokens();
    var head = el("tr", table);
    el("th", head, "");
    (opts.colLabels || tok).forEach(function (c) { el("th", head, shown(c)); });
    rows.forEach(function (row, t) {
      var tr = el("tr", table, null, t === selected ? "selected" : "");
      el("th", tr, shown(tok[t]));
      row.forEach(function (x, s) {
        var td = el("td", tr, null, "sq");
        if (x === null || (opts.mask && opts.mask(t, s))) { td.className = "sq masked"; td.title = "masked: position " + t + " may not see " + s; return; }
        td.style.background = opts.color(x);
        td.title = opts.title(t, s, x);
      });
    });
    return table;
  }
  function numbersTable(parent, header, rows) {
    var table = el("table", parent, null, "nums"), tr = el("tr", table);
    header.forEach(function (h) { el("th", tr, h); });
    rows.forEach(function (r) {
      var row = el("tr", table);
      r.forEach(function (x, i) { el(i ? "td" : "th", row, typeof x === "number" || x === null ? fmt(x) : x); });
    });
    return table;
  }

  // ------------------------------------------------------------- sections
  function renderTokens() {
    var box = clear(byId("prompt-tokens"));
    tokens().forEach(function (tok, t) {
      var b = el("button", box, shown(tok), t === selected ? "selected" : "");
      b.type = "button"; b.title = "position " + t + ": " + JSON.stringify(tok);
      b.addEventListener("click", function () { selected = t; render(); });
    });
  }
  function renderEmbeddings(m) {
    var box = clear(byId("embeddings"));
    columns(box, [["token", m.embeddings.token], ["position", m.embeddings.position], ["sum", m.embeddings.sum]],
      "in each column: the token's embedding | its position's | their sum");
  }
  function renderNorms(m) {
    var box = clear(byId("norms")), top = 0;
    m.stream_norms.forEach(function (d) { d.norms.forEach(function (x) { if (x > top) { top = x; } }); });
    var table = el("table", box, null, "nums");
    m.stream_norms.forEach(function (d) {
      var tr = el("tr", table);
      el("th", tr, "|stream| after " + d.depth);
      var td = el("td", tr), bars = el("div", td, null, "norms");
      d.norms.forEach(function (x, t) {
        var b = el("div", bars, null, "bar");
        b.style.height = Math.max(1, Math.round(30 * x / (top || 1))) + "px";
        b.title = "position " + t + " (" + JSON.stringify(tokens()[t]) + "): " + fmt(x);
        if (t === selected) { b.style.background = "#c90"; }
      });
    });
  }
  function renderBlocks(m) {
    var box = clear(byId("blocks")), t = selected, tok = tokens();
    m.layers.forEach(function (layer, l) {
      el("h3", box, "Block " + l);
      var row = el("div", box, null, "storyboard");
      columns(row, [["norm", layer.norm_1]], "the norm's output");
      var heads = el("div", row, null, "heads");
      layer.heads.forEach(function (hd, h) {
        var card = el("div", heads, null, "head");
        card.dataset.layer = l; card.dataset.head = h;
        el("div", card, "head " + h, "muted");
        grid(card, hd.attention, {
          color: blues, mask: function (a, b) { return cfg.causal && b > a; },
          title: function (a, b, x) { return JSON.stringify(tok[a]) + " (" + a + ") reads " + JSON.stringify(tok[b]) + " (" + b + "): " + fmt(x) + "; score " + fmt(hd.scores[a][b]); }
        }).classList.add("attention-map");
        var sp = data.step_page;
        if (sp && sp.layer === l && sp.head === h && sp.query === t && ids.length === data.ids.length &&
            current === original.length - 1 && ids.every(function (v, i) { return v === data.ids[i]; })) {
          var link = el("a", el("div", card, null, "muted"), "weight " + sp.query + "\u2192" + sp.key + ", step by step");
          link.href = sp.file;
          link.title = "the scalar engine's graph of this weight: q\u00b7k/\u221ad through the softmax, forward and backward";
          link.id = "step-link";
        }
        var more = el("details", card);
        el("summary", more, "q, k, v, scores at position " + t, "muted");
        card = more;
        el("div", card, "at the selected position " + t + " (" + shown(tok[t]) + "): query q = " + hd.q[t].map(fmt).join(", "), "muted");
        var rows = tok.map(function (tk, s) {
          var masked = hd.scores[t][s] === null;
          return [s + " " + shown(tk), hd.k[s].map(fmt).join(" "), masked ? "masked" : fmt(hd.scores[t][s]),
            masked ? "0" : fmt(hd.attention[t][s]), hd.v[s].map(fmt).join(" ")];
        });
        numbersTable(card, ["position", "key k", "q\u00b7k/\u221ad", "softmax", "value v"], rows);
        el("div", card, "weighted sum of values: " + hd.out[t].map(fmt).join(", "), "muted");
      });
      columns(row, [["attention adds", layer.attn_out], ["stream", layer.stream_mid]], "attention adds | the stream then");
      columns(row, [["ffn adds", layer.ffn_out], ["stream", layer.stream]], "feed-forward adds | the stream then");
    });
  }
  function renderNeurons(m) {
    var list = clear(byId("neuron-list")), t = selected;
    var s = data.scanned;
    byId("scanned").textContent = s.documents ? "scanned: a sample of " + s.documents + " documents, " + s.tokens + " positions" : "no training text was given";
    m.layers.forEach(function (layer, l) {
      var acts = layer.ffn_hidden[t].map(function (a, j) { return [j, a]; }).sort(function (a, b) { return b[1] - a[1]; }).slice(0, 8);
      var row = el("div", list, "block " + l + ", most active at position " + t + " (" + shown(tokens()[t]) + "): ");
      acts.forEach(function (p) {
        var b = el("button", row, "n" + p[0] + " " + fmt(p[1]), "neuron" + (layerPick === l && neuronPick === p[0] ? " selected" : ""));
        b.type = "button";
        b.addEventListener("click", function () { layerPick = l; neuronPick = p[0]; render(); });
      });
    });
    if (neuronPick === null && m.layers.length) {
      layerPick = 0;
      neuronPick = m.layers[0].ffn_hidden[t].reduce(function (best, a, j, arr) { return a > arr[best] ? j : best; }, 0);
    }
    renderNeuron(m);
  }
  function renderNeuron(m) {
    var box = clear(byId("neuron-detail"));
    if (neuronPick === null) { return; }
    var l = layerPick, j = neuronPick, layer = m.layers[l];
    el("h3", box, "Block " + l + ", neuron " + j);
    var acts = layer.ffn_hidden.map(function (h) { return [h[j]]; });
    var scale = maxAbs(acts);
    var strip = el("div", box, null, "columns");
    tokens().forEach(function (tok, t) {
      var c = el("div", strip, null, "column" + (t === selected ? " selected" : ""));
      var cell = el("div", c, fmt(acts[t][0]), "label");
      cell.style.background = diverging(acts[t][0], scale);
      el("div", c, shown(tok), "label");
    });
    var memory = (m.neurons[l] || [])[j];
    if (!memory) { el("p", box, "(no training text was scanned)", "muted"); return; }
    el("div", box, "where it fires most in the training text (the trigger highlighted):", "muted");
    var ctx = el("div", box);
    memory.contexts.forEach(function (c) {
      var line = el("div", ctx, null, "context");
      el("span", line, fmt(c.activation) + "  ", "muted");
      el("span", line, c.before.map(shown).join(cfg.kind === "bert" ? " " : ""));
      if (cfg.kind === "bert") { el("span", line, " "); }
      el("span", line, shown(c.token), "trigger");
      if (c.after.length) { el("span", line, " " + c.after.map(shown).join(" "), "after"); }
    });
    function tokenList(label, items) {
      var d = el("div", box, label, "muted");
      items.forEach(function (p) { el("span", d, "  " + shown(vocab[p[0]]) + " " + fmt(p[1]), "context"); });
    }
    tokenList("its value promotes:", memory.promotes);
    tokenList("and suppresses:", memory.suppresses);
  }
  function renderLens(m) {
    var box = clear(byId("lens")), tok = tokens();
    byId("lens-hint").textContent = cfg.kind === "gpt"
      ? "At each depth, the stream pushed through the final norm and the output layer: the likeliest next token at each position (hover for the top 5)."
      : "At each depth, the stream pushed through the final norm and the output layer: the likeliest fill-in at each position ([MASK] is the one to read; hover for the top 5).";
    var table = el("table", box, null, "nums"), head = el("tr", table);
    el("th", head, "depth \\ position");
    tok.forEach(function (tk, t) { el("th", head, t + " " + shown(tk)); });
    m.logit_lens.forEach(function (d) {
      var tr = el("tr", table);
      el("th", tr, d.depth);
      d.top.forEach(function (top, t) {
        var td = el("td", tr, shown(vocab[top[0][0]]) + " " + fmt(top[0][1]));
        td.title = top.map(function (p) { return JSON.stringify(vocab[p[0]]) + " " + fmt(p[1]); }).join(", ");
        td.style.background = blues(top[0][1] * 0.6);
        if (t === selected) { td.style.outline = "2px solid #c90"; }
      });
    });
  }

  // ---------------------------------------------------------------- logits
  var slider = byId("temperature"), topK = byId("top-k");
  function temperature() {  // the slider holds log10(T): 0.05 .. 5, evenly on a log scale, 1 in the middle
    return Math.min(5, Math.max(0.05, Math.pow(10, Number(slider.value))));
  }
  function distribution(m) {  // [[id, p]] over the top-k (all if 0), renormalised, likeliest first
    var z = m.logits[selected], k = Math.floor(Number(topK.value)) || z.length;
    var order = z.map(function (x, i) { return i; }).sort(function (a, b) { return z[b] - z[a] || a - b; }).slice(0, Math.min(k, z.length));
    order.sort(function (a, b) { return a - b; });
    var p = softmax(order.map(function (i) { return z[i]; }), temperature());
    return order.map(function (i, n) { return [i, p[n]]; }).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; });
  }
  function renderLogits(m) {
    byId("temperature-label").textContent = temperature().toPrecision(3);
    byId("logits-hint").textContent = (cfg.kind === "gpt" ? "After position " + selected + " (" + shown(tokens()[selected]) + "): the next token's"
      : "At position " + selected + " (" + shown(tokens()[selected]) + "): the fill-in") +
      " probabilities, softmax(logits / temperature) over the top-k (0: every token). Below 1 sharper, above 1 flatter.";
    var body = clear(byId("probs-body")), dist = distribution(m);
    dist.slice(0, 15).forEach(function (p) {
      var tr = el("tr", body);
      tr.dataset.id = p[0]; tr.dataset.p = String(p[1]);
      el("td", tr, shown(vocab[p[0]]));
      el("td", tr, p[1].toFixed(4));
      el("div", el("td", tr), null, "pbar").style.width = Math.round(200 * p[1]) + "px";
    });
    byId("sample").style.display = cfg.kind === "gpt" ? "" : "none";
    byId("restore").style.display = ids.length !== data.ids.length || ids.some(function (v, i) { return v !== data.ids[i]; }) ? "" : "none";
  }
  var rng = 1;
  function random() { rng = (rng * 16807) % 2147483647; return (rng - 1) / 2147483646; }  // seeded: the same run each time
  byId("sample").addEventListener("click", function () {
    if (!cfg.causal) { return; }  // BERT fills in; it does not continue a text
    selected = ids.length - 1;
    var dist = distribution(moments[current]), r = random(), next = dist[dist.length - 1][0];
    for (var n = 0; n < dist.length; n++) { r -= dist[n][1]; if (r <= 0) { next = dist[n][0]; break; } }
    ids.push(next);
    if (ids.length > cfg.context) { ids = ids.slice(ids.length - cfg.context); }
    selected = ids.length - 1;
    retrace(); render();
  });
  byId("restore").addEventListener("click", function () {
    ids = data.ids.slice(); moments = data.moments.slice(); selected = data.selected; render();
  });
  slider.addEventListener("input", function () { renderLogits(moments[current]); });
  topK.addEventListener("input", function () { renderLogits(moments[current]); });

  // ---------------------------------------------------------------- moments
  var momentSlider = byId("moment");
  momentSlider.max = String(moments.length - 1);
  momentSlider.value = String(current);
  momentSlider.addEventListener("input", function () { current = Number(momentSlider.value); render(); });
  function stepLabel(m) { return m.step === null ? "the trained model" : "step " + m.step; }
  function render() {
    var m = moments[current];
    byId("moment-label").textContent = stepLabel(m) + " (" + (current + 1) + " of " + moments.length + ")";
    byId("moment-box").style.display = moments.length > 1 ? "" : "none";
    renderTokens(); renderEmbeddings(m); renderNorms(m); renderBlocks(m); renderNeurons(m); renderLens(m); renderLogits(m);
  }
  var warnings = byId("warnings");
  data.warnings.forEach(function (w) { el("li", warnings, w); });
  window.modelView = { trace: trace, softmax: softmax, distribution: function () { return distribution(moments[current]); },
    temperature: temperature, ids: function () { return ids.slice(); } };
  render();
})();
