"""The attention explorer's page script (chapter 1.7 on the website): the reader types a source, and the
page runs the trained encoder-decoders itself, with greedy decoding, and draws the attention heatmap.

At build time each trained Seq2Seq's weights go into the page as base64 little-endian float32 arrays
(`model_spec`); the page reads them as doubles and repeats helpers.models.seq2seq's `encode`, `read_out`
and `generate` in float64 (COMPUTE_JS): torch.nn.GRU's cell (gates r, z, n), the dot, general, additive or
concat score of helpers.models.attention, a softmax over the source's positions, tanh(W_c [c; s]) and
the output layer, then the argmax fed back until EOS or source length + 1 steps. The controls above the
figure (a text box, a model picker, a button per example) are native HTML, keyboard operable, and the
script is one classic <script> with no module and no fetch (helpers.explorers.inpage), so the page works
from file://.
tests/explorers/test_attention_page.py runs COMPUTE_JS in Node against PyTorch in float64.

Used by: helpers.explorers.attention, helpers.explorers.cliff_page.
"""
import base64
import html

import numpy as np

from helpers.explorers.inpage import float32_base64, status_line
from helpers.models.seq2seq import EOS, FIRST_SYMBOL


def model_weights(model):
    """A Seq2Seq's weights by the names the page's scripts use, as base64 float32 (torch's row-major order)."""
    weights = {"embed": model.embed.weight, "combine_w": model.combine.weight, "combine_b": model.combine.bias,
               "out_w": model.out.weight, "out_b": model.out.bias}
    for side, gru in (("enc", model.encoder), ("dec", model.decoder)):
        weights.update({f"{side}_ih": gru.weight_ih_l0, f"{side}_hh": gru.weight_hh_l0,
                        f"{side}_bih": gru.bias_ih_l0, f"{side}_bhh": gru.bias_hh_l0})
    if model.score is not None:
        score = model.score
        if model.attention == "general":
            weights["score_W"] = score.W.weight
        elif model.attention == "additive":
            weights.update(score_Wq=score.W_query.weight, score_Wk=score.W_key.weight, score_v=score.v.weight)
        elif model.attention == "concat":
            weights.update(score_W=score.W.weight, score_v=score.v.weight)
    return {name: float32_base64(t.detach().cpu().float().numpy()) for name, t in weights.items()}


def model_spec(label, run):
    """One trained model for the page: its sizes, trained lengths and weights (base64 float32)."""
    model = run.model
    score = model.score
    attention_size = (score.W_query.out_features if model.attention == "additive" else
                      score.W.out_features if model.attention == "concat" else None)
    return {"label": label, "kind": model.attention, "hidden": model.hidden_size, "emb": model.embed.embedding_dim,
            "attn": attention_size, "vocab": model.vocab_size, "min_len": run.min_len, "max_len": run.max_len,
            "w": model_weights(model)}


def weight_bytes(spec):
    """The characters one model's weights add to the page (base64 text)."""
    return sum(len(v) for v in spec["w"].values())


def float32_values(b64):
    """What the page reads from one base64 array (inpageFloats): the float32 values, as float64 numbers."""
    return np.frombuffer(base64.b64decode(b64), dtype="<f4").astype(np.float64)


# The page's computation (tests/explorers/test_attention_page.py runs it in Node against PyTorch), after
# helpers.explorers.inpage's COMMON_JS (inpageFloats). Token ids as helpers.models.seq2seq: PAD 0, BOS 1, EOS 2,
# symbols from 3.
COMPUTE_JS = r"""
var ATTN_BOS = 1, ATTN_EOS = __EOS__, ATTN_FIRST = __FIRST__;
function attnWeights(m) {
  if (!m._w) { m._w = {}; for (var name in m.w) m._w[name] = inpageFloats(m.w[name]); }
  return m._w;
}
// y_i = sum_j W[i * stride + col0 + j] x[j] (+ b_i): a torch Linear's W x + b, or columns col0.. of a wider W
function attnLinear(W, b, x, rows, cols, stride, col0) {
  stride = stride || cols; col0 = col0 || 0;
  var y = new Array(rows);
  for (var i = 0; i < rows; i++) {
    var s = 0, base = i * stride + col0;
    for (var j = 0; j < cols; j++) s += W[base + j] * x[j];
    y[i] = b ? s + b[i] : s;
  }
  return y;
}
function attnDot(a, b) { var s = 0; for (var i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }
function attnSigmoid(a) { return 1 / (1 + Math.exp(-a)); }
// torch.nn.GRU's cell: r = s(W_ir x + b_ir + W_hr h + b_hr), z likewise,
// n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h
function attnGru(W, side, x, h, H, E) {
  var gi = attnLinear(W[side + "_ih"], W[side + "_bih"], x, 3 * H, E);
  var gh = attnLinear(W[side + "_hh"], W[side + "_bhh"], h, 3 * H, H), out = new Array(H);
  for (var i = 0; i < H; i++) {
    var r = attnSigmoid(gi[i] + gh[i]), z = attnSigmoid(gi[H + i] + gh[H + i]);
    var n = Math.tanh(gi[2 * H + i] + r * gh[2 * H + i]);
    out[i] = (1 - z) * n + z * h[i];
  }
  return out;
}
// the scores of one decoder state q against every key (helpers.models.attention)
function attnScores(m, W, q, keys, keyed) {
  var H = m.hidden, A = m.attn, s = new Array(keys.length), j;
  if (m.kind === "dot") { for (j = 0; j < keys.length; j++) s[j] = attnDot(q, keys[j]); return s; }
  if (m.kind === "general") { for (j = 0; j < keys.length; j++) s[j] = attnDot(q, keyed[j]); return s; }
  var qa = m.kind === "additive" ? attnLinear(W.score_Wq, null, q, A, H) : attnLinear(W.score_W, null, q, A, H, 2 * H, 0);
  for (j = 0; j < keys.length; j++) {
    var t = new Array(A);
    for (var a = 0; a < A; a++) t[a] = Math.tanh(qa[a] + keyed[j][a]);
    s[j] = attnDot(W.score_v, t);
  }
  return s;
}
// what the score applies to each key once (W k for general, W_k k for additive and concat)
function attnKeyed(m, W, keys) {
  var H = m.hidden;
  return keys.map(function (k) {
    if (m.kind === "general") return attnLinear(W.score_W, null, k, H, H);
    if (m.kind === "additive") return attnLinear(W.score_Wk, null, k, m.attn, H);
    if (m.kind === "concat") return attnLinear(W.score_W, null, k, m.attn, H, 2 * H, H);
    return null;
  });
}
// softmax over the first `valid` positions (the source's real symbols); the rest get weight 0
function attnSoftmax(s, valid) {
  var top = -Infinity, w = new Array(s.length), total = 0, j;
  for (j = 0; j < valid; j++) top = Math.max(top, s[j]);
  for (j = 0; j < s.length; j++) { w[j] = j < valid ? Math.exp(s[j] - top) : 0; total += w[j]; }
  for (j = 0; j < s.length; j++) w[j] = w[j] / total;
  return w;
}
// greedy decoding of symbols (0 .. vocab-1) as Seq2Seq.generate, for source length + 1 steps or up to EOS:
// {tokens, weights (a row per output step, or null without attention), logits}
function attnDecode(m, symbols) {
  var W = attnWeights(m), H = m.hidden, E = m.emb, L = symbols.length, V = m.vocab + ATTN_FIRST;
  function embed(t) { return Array.prototype.slice.call(W.embed, t * E, (t + 1) * E); }
  var h = new Array(H).fill(0), keys = [], i, j;
  for (i = 0; i < L; i++) { h = attnGru(W, "enc", embed(symbols[i] + ATTN_FIRST), h, H, E); keys.push(h); }
  var keyed = m.kind ? attnKeyed(m, W, keys) : null, token = ATTN_BOS, tokens = [], rows = [], logits = [];
  for (var step = 0; step < L + 1; step++) {
    h = attnGru(W, "dec", embed(token), h, H, E);
    var feature = h;
    if (m.kind) {
      var w = attnSoftmax(attnScores(m, W, h, keys, keyed), L), c = new Array(H).fill(0);
      for (i = 0; i < H; i++) { var sum = 0; for (j = 0; j < L; j++) sum += w[j] * keys[j][i]; c[i] = sum; }
      feature = c.concat(h);
      rows.push(w);
    }
    var combined = attnLinear(W.combine_w, W.combine_b, feature, H, feature.length).map(Math.tanh);
    var out = attnLinear(W.out_w, W.out_b, combined, V, H), best = 0;
    for (i = 1; i < V; i++) if (out[i] > out[best]) best = i;
    token = best;
    tokens.push(token);
    logits.push(out);
    if (token === ATTN_EOS) break;
  }
  return {tokens: tokens, weights: m.kind ? rows : null, logits: logits};
}
function attnTokenText(t) { return t === ATTN_EOS ? "EOS" : t >= ATTN_FIRST ? String(t - ATTN_FIRST) : "\u00b7"; }
// the reader's text as symbols, or {error}: numbers separated by spaces or commas, as encode_symbols reads them
function attnParse(text, m) {
  var parts = String(text).replace(/,/g, " ").trim().split(/\s+/).filter(function (p) { return p.length; });
  if (!parts.length) return {error: "Type at least one symbol, for example 3 1 4 1 5."};
  var symbols = [];
  for (var i = 0; i < parts.length; i++) {
    if (!/^[+-]?\d+$/.test(parts[i]))
      return {error: "\u201c" + parts[i] + "\u201d is not a symbol: write whole numbers 0 to " + (m.vocab - 1) +
        " separated by spaces."};
    var v = Number(parts[i]);
    if (v < 0 || v >= m.vocab)
      return {error: "Symbol " + parts[i] + " is outside 0 to " + (m.vocab - 1) + ", the symbols the models were trained on."};
    symbols.push(v);
  }
  if (symbols.length < m.min_len || symbols.length > m.max_len)
    return {error: "That source has " + symbols.length + " symbols; the models were trained on " + m.min_len + " to " +
      m.max_len + "."};
  return {symbols: symbols};
}
"""
COMPUTE_JS = COMPUTE_JS.replace("__EOS__", str(EOS)).replace("__FIRST__", str(FIRST_SYMBOL))

# The page's wiring: typing a source (Enter or leaving the box), the Decode button, the model picker and
# the example buttons all decode in the page and restyle the figure.
WIRING_JS = r"""
    var input = box.querySelector("input[type=text]"), select = box.querySelector("select");
    var output = box.querySelector("output"), status = box.querySelector(".flow-status");
    function show() {
      var k = select.selectedIndex, m = spec.models[k], parsed = attnParse(input.value, m);
      if (parsed.error) {
        input.setAttribute("aria-invalid", "true");
        status.textContent = parsed.error + " The figure still shows the last source.";
        return;
      }
      input.removeAttribute("aria-invalid");
      var d = attnDecode(m, parsed.symbols), written = d.tokens.map(attnTokenText);
      var sources = parsed.symbols.map(function (s, i) { return s + " (#" + (i + 1) + ")"; });
      var outs = written.map(function (t, i) { return t + " (out " + (i + 1) + ")"; });
      Plotly.restyle(gd, {z: [d.weights]}, [m.trace]);
      Plotly.restyle(gd, {visible: spec.models.map(function (_, j) { return j === k; })},
                     spec.models.map(function (o) { return o.trace; }));
      Plotly.relayout(gd, {"xaxis.tickvals": sources.map(function (_, i) { return i; }), "xaxis.ticktext": sources,
                           "yaxis.tickvals": outs.map(function (_, i) { return i; }), "yaxis.ticktext": outs});
      output.textContent = written.join(" ");
      var copied = written.join(" ") === parsed.symbols.join(" ") + " EOS";
      status.textContent = m.label + " read " + parsed.symbols.length + " symbols and wrote " + written.join(" ") +
        (copied ? ": a correct copy." : ": not a correct copy.");
      box.dataset.source = parsed.symbols.join(" ");
      box.dataset.model = m.label;
    }
    input.addEventListener("change", show);
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); show(); } });
    select.addEventListener("change", show);
    box.querySelector("button.attention-decode").addEventListener("click", show);
    box.querySelectorAll("button[data-source]").forEach(function (b) {
      b.addEventListener("click", function () { input.value = b.dataset.source; show(); });
    });
    show();
"""


def controls_html(box_id, spec):
    """The controls above the figure: the source box, a Decode button, the model picker, the examples,
    the decoded output and a status line."""
    models = spec["models"]
    low, high = max(m["min_len"] for m in models), min(m["max_len"] for m in models)
    vocab = min(m["vocab"] for m in models)
    options = "".join(f'<option value="{html.escape(m["label"])}">{html.escape(m["label"])}</option>' for m in models)
    examples = " ".join(f'<button type="button" data-source="{html.escape(t)}">{html.escape(t)}</button>'
                        for t in spec["examples"])
    first = html.escape(spec["examples"][0])
    return (f'<div class="flow-controls inpage-controls attention-controls" id="{box_id}">'
            f'<label>source (symbols 0–{vocab - 1}, {low} to {high} of them, spaces between) '
            f'<input type="text" value="{first}" inputmode="numeric" autocomplete="off" spellcheck="false"></label>'
            f'<button type="button" class="attention-decode">Decode</button>'
            f'<label>model <select>{options}</select></label>'
            f'<span class="inpage-group" role="group" aria-label="examples">examples: {examples}</span>'
            f'<p class="inpage-line">output: <output aria-live="polite"></output></p>{status_line()}</div>')
