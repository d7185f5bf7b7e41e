"""The attention explorer's page (helpers/explorers/attention_page.py): the script that decodes in the page
gives PyTorch's attention weights and outputs, and its controls work from file:// with the keyboard.

COMPUTE_JS runs in Node (skipped where there is none) on the weights exactly as the page reads them
(float32 values, computed in doubles), and is compared with PyTorch in float64 on the same float32 values
(model.double() of the float32 model changes no weight). The two sides do the same arithmetic on the same
numbers, in different orders (BLAS's blocked, possibly fused, sums against the page's left-to-right ones)
and with different libms (V8's exp and tanh against PyTorch's): the tolerance is an a-priori forward error
bound for that, derived and propagated step by step below (`Bound`), not a factor fitted to what one CPU
gave. The page's wiring runs in headless Chromium (skipped without it or Playwright).
"""
import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from helpers.experiments.seq2seq_training import train_seq2seq
from helpers.explorers.attention import explore_attention
from helpers.explorers.attention_page import COMPUTE_JS, float32_values, model_spec, weight_bytes
from helpers.explorers.inpage import COMMON_JS
from helpers.models.seq2seq import BOS, EOS, FIRST_SYMBOL, encode_symbols
from tests.explorers.inpage import open_page
from tests.messages import names

ROOT = Path(__file__).resolve().parents[2]
PLOTLY_PARTIAL = ROOT / "node_modules" / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js"
MAX_LEN = 6
KINDS = ("dot", "additive", "general", "concat", None)
# corners (length 1, the longest trained length, one symbol repeated, 0s and 9s) and everyday sources
INPUTS = ("0", "9", "5", "0 9", "9 0", "3 1 4 1 5 9", "0 0 0 0 0 0", "9 9 9 9 9 9", "7 7 7 7 7 7", "0 9 0 9 0 9",
          "1 2 3 4 5 6", "6 5 4 3 2 1", "2 7 1 8", "1 1", "4 4 4", "8 0 8", "5 0 5 0 5", "9 8 7", "3 3 3 1", "2 7 1 8 2 8",
          "1 6 1 8 0 3", "0 1", "6 2 6", "4 9 4 9", "8", "5 5 5 5 5")
u = 2.0 ** -53          # the unit roundoff of float64, both sides' arithmetic
F = 8 * u               # one sigmoid, tanh or exp near [-1, 1]: 1 ulp (2u) of the function and up to 3 roundings


def gamma(n):
    """Higham's bound on n float64 roundings: a sum of n products is off by at most gamma(n) sum |a_i b_i|,
    in any order and with or without fused multiply-adds."""
    return n * u / (1 - n * u)


class Bound:
    """PyTorch's float64 decoding, redone by hand with torch ops so that every intermediate value is at hand,
    with a bound on how far the page's value can be from PyTorch's carried along each one.

    Each side is within the rounding bound `local` of the exact result of its own inputs, so the two sides'
    outputs differ by at most |J| (difference of inputs) + 2 local, J the operation's Jacobian: first order in
    the differences (the derivatives sigmoid' = s (1 - s) and tanh' = 1 - tanh^2 are taken at PyTorch's values),
    which stay under 1e-6 here (checked), so the neglected second-order terms, of the order of their squares,
    are far below the bound. The bound grows with the steps, as |J| compounds along the recurrence.
    Both sides read the same weights and embeddings (the same tokens, checked), so only the recurrent state,
    the encoder states and what follows from them carry differences.
    """

    def __init__(self, model):
        self.m = model
        self.p = {k: v.detach() for k, v in model.named_parameters()}

    def linear(self, W, b, x, dx):
        """y = W x + b: |W| dx + 2 gamma(n + 1) (|W| |x| + |b|)."""
        y = W @ x + (0 if b is None else b)
        local = gamma(W.shape[1] + 1) * (W.abs() @ x.abs() + (0 if b is None else b.abs()))
        return y, W.abs() @ dx + 2 * local

    def gru(self, side, x, h, dh):
        p, H = self.p, self.m.hidden_size
        gi, dgi = self.linear(p[f"{side}.weight_ih_l0"], p[f"{side}.bias_ih_l0"], x, torch.zeros_like(x))
        gh, dgh = self.linear(p[f"{side}.weight_hh_l0"], p[f"{side}.bias_hh_l0"], h, dh)
        pre = gi[:2 * H] + gh[:2 * H]
        gates = torch.sigmoid(pre)
        dgates = gates * (1 - gates) * (dgi[:2 * H] + dgh[:2 * H] + 2 * u * pre.abs()) + 2 * F   # sigmoid' = s (1 - s)
        r, z, dr, dz = gates[:H], gates[H:], dgates[:H], dgates[H:]
        a = gi[2 * H:] + r * gh[2 * H:]
        da = dgi[2 * H:] + r.abs() * dgh[2 * H:] + gh[2 * H:].abs() * dr + 2 * 2 * u * ((r * gh[2 * H:]).abs() + a.abs())
        n = torch.tanh(a)
        dn = (1 - n * n) * da + 2 * F                                              # tanh' = 1 - tanh^2
        new = (1 - z) * n + z * h
        # (1 - z) n + z h or n + z (h - n): 3 or 4 roundings, each at most u (|n| + |h|)
        dnew = (1 - z).abs() * dn + z.abs() * dh + (n - h).abs() * dz + 2 * 4 * u * (n.abs() + h.abs())
        return new, dnew

    def scores(self, q, dq, keys, dkeys):
        kind, p = self.m.attention, self.p
        H = self.m.hidden_size
        if kind in ("dot", "general"):
            if kind == "general":
                W = p["score.W.weight"]
                proj = keys @ W.T
                dproj = dkeys @ W.abs().T + 2 * gamma(H) * (keys.abs() @ W.abs().T)
            else:
                proj, dproj = keys, dkeys
            s = proj @ q
            return s, proj.abs() @ dq + dproj @ q.abs() + 2 * gamma(H) * (proj.abs() @ q.abs())
        if kind == "additive":
            Wq, Wk = p["score.W_query.weight"], p["score.W_key.weight"]
        else:
            Wq, Wk = p["score.W.weight"].split(H, dim=1)
        v = p["score.v.weight"][0]
        Q, dQ = Wq @ q, Wq.abs() @ dq + 2 * gamma(H) * (Wq.abs() @ q.abs())
        K, dK = keys @ Wk.T, dkeys @ Wk.abs().T + 2 * gamma(H) * (keys.abs() @ Wk.abs().T)
        pre = Q + K
        t = torch.tanh(pre)
        dt = (1 - t * t) * (dQ + dK + 2 * u * pre.abs()) + 2 * F
        return t @ v, dt @ v.abs() + 2 * gamma(len(v)) * (t.abs() @ v.abs())

    def decode(self, text):
        """{tokens, weights, dweights, logits, dlogits, margins}: the greedy decoding as generate does it."""
        m, p = self.m, self.p
        source, _ = encode_symbols(text, m.vocab_size)
        symbols = source[0].tolist()
        L, H = len(symbols), m.hidden_size
        embed = p["embed.weight"]
        h, dh = torch.zeros(H, dtype=torch.float64), torch.zeros(H, dtype=torch.float64)
        keys, dkeys = [], []
        for t in symbols:
            h, dh = self.gru("encoder", embed[t], h, dh)
            keys.append(h)
            dkeys.append(dh)
        keys, dkeys = torch.stack(keys), torch.stack(dkeys)
        token, out = BOS, dict(tokens=[], weights=[], dweights=[], logits=[], dlogits=[], margins=[])
        for _ in range(L + 1):
            h, dh = self.gru("decoder", embed[token], h, dh)
            feature, dfeature = h, dh
            if m.attention:
                s, ds = self.scores(h, dh, keys, dkeys)
                w = torch.softmax(s, -1)
                spread = (s - s.max()).abs().max()
                # softmax: w_j moves by w_j (ds_j + sum_i w_i ds_i) (its Jacobian is diag(w) - w w^T); each side
                # rounds s_j - max (u |s_j - max| on exp's argument), exp (1 ulp), the sum (gamma(L)), the division
                local = w * (2 * (u * spread + 2 * u) + gamma(L) + u)
                dw = w * (ds + (w * ds).sum()) + 2 * local
                c = w @ keys
                dc = dw @ keys.abs() + w @ dkeys + 2 * gamma(L) * (w @ keys.abs())
                feature, dfeature = torch.cat([c, h]), torch.cat([dc, dh])
                out["weights"].append(w)
                out["dweights"].append(dw)
            y, dy = self.linear(p["combine.weight"], p["combine.bias"], feature, dfeature)
            combined = torch.tanh(y)
            dcombined = (1 - combined * combined) * dy + 2 * F
            logits, dlogits = self.linear(p["out.weight"], p["out.bias"], combined, dcombined)
            token = int(logits.argmax())
            # the page picks the same token if every other logit stays below it with both moved by their bounds
            others = torch.arange(len(logits)) != token
            out["margins"].append(float((logits[token] - logits[others] - dlogits[token] - dlogits[others]).min()))
            out["tokens"].append(token)
            out["logits"].append(logits)
            out["dlogits"].append(dlogits)
            if token == EOS:
                break
        return out


def node_decode(specs, inputs):
    """COMPUTE_JS (after COMMON_JS) in Node: {label: [attnDecode of each input]}."""
    program = (COMMON_JS + COMPUTE_JS + f"\nconst specs = {json.dumps(specs)};\nconst inputs = {json.dumps(inputs)};\n" +
               "const out = {}; for (const m of specs) out[m.label] = inputs.map(t => " +
               "attnDecode(m, t.split(' ').map(Number)));\nconsole.log(JSON.stringify(out));")
    result = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def page_runs():
    """Small copy models, one per score and one without attention, trained a few steps; and a dot model trained
    enough to draw a diagonal (300 steps, hidden 16)."""
    runs = {str(k): train_seq2seq(8, k, max_len=MAX_LEN, steps=20, batch=16, progress=False) for k in KINDS}
    runs["dot, trained"] = train_seq2seq(16, "dot", max_len=MAX_LEN, steps=300, batch=32, lr=1e-2, progress=False)
    return runs


def float64_copy(run):
    model = copy.deepcopy(run.model).cpu().double()
    for name, param in model.named_parameters():         # the float32 weights, unchanged: what the page reads
        assert torch.equal(param, run.model.state_dict()[name].double()), name
    return model.eval()


def test_the_page_reads_the_float32_weights_exactly(page_runs):
    run = page_runs["additive"]
    spec = model_spec("additive", run)
    assert torch.equal(torch.from_numpy(float32_values(spec["w"]["enc_hh"])),
                       run.model.encoder.weight_hh_l0.detach().double().flatten())
    assert set(spec["w"]) >= {"embed", "enc_ih", "dec_bhh", "combine_w", "out_b", "score_Wq", "score_Wk", "score_v"}


@pytest.mark.skipif(shutil.which("node") is None, reason="no Node to run the page's script")
def test_the_pages_decoder_gives_pytorchs_weights_and_outputs(page_runs):
    specs = [model_spec(label, run) for label, run in page_runs.items()]
    page = node_decode(specs, list(INPUTS))
    compared = 0
    for label, run in page_runs.items():
        model = float64_copy(run)
        bound = Bound(model)
        for text, js in zip(INPUTS, page[label]):
            source, lengths = encode_symbols(text, model.vocab_size)
            tokens, weights = model.generate(source, lengths, source.shape[1] + 1)
            tokens = tokens[0].tolist()
            stop = tokens.index(EOS) + 1 if EOS in tokens else len(tokens)
            ref = bound.decode(text)
            assert ref["tokens"] == tokens[:stop], (label, text)          # the hand-written decoding is generate's
            assert min(ref["margins"]) > 0, (f"{label}, {text!r}: the top two logits are closer than the bound "
                                             "(choose another input or seed): the check cannot decide")
            assert js["tokens"] == tokens[:stop], (label, text)
            for got, want, d in zip(js["logits"], ref["logits"], ref["dlogits"]):
                assert (torch.tensor(got, dtype=torch.float64) - want).abs().le(d).all(), (label, text)
            if model.attention is None:
                assert js["weights"] is None and weights is None
                continue
            assert len(js["weights"]) == stop
            for step, (got, d) in enumerate(zip(js["weights"], ref["dweights"])):
                got = torch.tensor(got, dtype=torch.float64)
                assert (got - weights[0, step]).abs().le(d).all(), (label, text, step, (got - weights[0, step]).abs(), d)
                assert d.max() < 1e-6, (label, text, "the bound says nothing")     # the figure shows 3 decimals
                compared += 1
    assert compared > 25 * 4


@pytest.mark.skipif(shutil.which("node") is None, reason="no Node to run the page's script")
def test_the_page_says_which_sources_it_cannot_read(page_runs):
    spec = model_spec("dot", page_runs["dot"])
    texts = ["3 1 4", "3, 1, 4", "", "3 x", "10", "-1", "1 2 3 4 5 6 7"]
    program = (COMMON_JS + COMPUTE_JS + f"\nconst m = {json.dumps(spec)};\n" +
               f"console.log(JSON.stringify({json.dumps(texts)}.map(t => attnParse(t, m))));")
    result = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60, check=True)
    parsed = json.loads(result.stdout)
    assert parsed[0] == parsed[1] == {"symbols": [3, 1, 4]}
    assert "at least one symbol" in parsed[2]["error"] and "not a symbol" in parsed[3]["error"]
    assert "outside 0 to 9" in parsed[4]["error"] and "outside 0 to 9" in parsed[5]["error"]
    assert f"trained on 1 to {MAX_LEN}" in parsed[6]["error"]


def test_the_page_weighs_what_the_weights_weigh(page_runs, monkeypatch):
    monkeypatch.setenv("COURSE_SITE_BUILD", "1")
    explorer = explore_attention({"dot": page_runs["dot"], "additive": page_runs["additive"]}, ["1 2 3", "4 5"])
    html = explorer._repr_mimebundle_()["text/html"]
    weights = sum(weight_bytes(m) for m in explorer.spec["models"])
    assert weights < len(html) < weights + 60_000
    script = html[html.rindex("<script>"):]
    assert 'type="module"' not in script and "fetch(" not in script and "import(" not in script
    assert 'role="status" aria-live="polite"' in html and html.count("data-source=") == 2
    assert html.index("attention-controls") < html.index('<figure class="course-figure">')


@pytest.mark.parametrize("examples, says", [(["1 x"], "examples"), (["1 2 3 4 5 6 7"], "examples"),
                                            (["12"], "examples"), ([3], "examples"), ("1 2", "examples")])
def test_bad_examples_name_the_parameter(page_runs, examples, says):
    with pytest.raises(ValueError, match=names(says)):
        explore_attention({"dot": page_runs["dot"]}, examples)


@pytest.fixture
def page(page_runs, tmp_path, monkeypatch):
    if not PLOTLY_PARTIAL.exists():
        pytest.skip("no node_modules/plotly.js-cartesian-dist-min (npm ci)")
    monkeypatch.setenv("COURSE_SITE_BUILD", "1")
    runs = {"dot": page_runs["dot, trained"], "additive": page_runs["additive"]}
    explorer = explore_attention(runs, ["3 1 4 1 5 9", "2 7 1 8"])
    path = tmp_path / "page.html"
    path.write_text(f"<html><head><meta charset='utf-8'><script src='{PLOTLY_PARTIAL.as_uri()}'></script></head>"
                    f"<body>{explorer._repr_mimebundle_()['text/html']}</body></html>")
    return path, runs


def test_typing_a_source_decodes_it_in_the_page_from_file_url(page):
    path, runs = page
    with open_page(path) as tab:
        box = tab.locator(".attention-controls")
        tab.wait_for_function("() => document.querySelector('.attention-controls').dataset.source")
        plotted = "() => { const d = document.querySelector('.js-plotly-plot'); " \
                  "return {z: d.data.map(t => t.z), visible: d.data.map(t => t.visible), " \
                  "y: d.layout.yaxis.ticktext, x: d.layout.xaxis.ticktext}; }"

        def check(label, text):
            model = float64_copy(runs[label])
            ref = Bound(model).decode(text)
            written = ["EOS" if t == EOS else str(t - FIRST_SYMBOL) for t in ref["tokens"]]
            shown = tab.evaluate(plotted)
            k = list(runs).index(label)
            assert shown["visible"] == [j == k for j in range(len(runs))]
            z = torch.tensor(shown["z"][k], dtype=torch.float64)
            assert z.shape == (len(written), len(text.split()))
            for row, want, d in zip(z, ref["weights"], ref["dweights"]):
                assert (row - want).abs().le(d).all()
            assert box.locator("output").text_content() == " ".join(written)
            assert shown["x"] == [f"{s} (#{i + 1})" for i, s in enumerate(text.split())]
            assert shown["y"] == [f"{t} (out {i + 1})" for i, t in enumerate(written)]

        check("dot", "3 1 4 1 5 9")
        source = tab.get_by_role("textbox", name="source")
        source.fill("9 0 9 0 7")
        source.press("Enter")
        tab.wait_for_function("() => document.querySelector('.attention-controls').dataset.source === '9 0 9 0 7'")
        check("dot", "9 0 9 0 7")
        tab.get_by_role("combobox", name="model").select_option("additive")
        check("additive", "9 0 9 0 7")
        tab.get_by_role("button", name="2 7 1 8").click()
        check("additive", "2 7 1 8")
        source.fill("1 2 3 4 5 6 7 8")                    # longer than trained: said, the figure kept
        source.press("Enter")
        status = box.locator(".flow-status").text_content()
        assert f"trained on 1 to {MAX_LEN}" in status and source.get_attribute("aria-invalid") == "true"
        check("additive", "2 7 1 8")
        source.fill("5 5")
        tab.keyboard.press("Tab")                          # leaving the box decodes too (change)
        tab.wait_for_function("() => document.querySelector('.attention-controls').dataset.source === '5 5'")
        check("additive", "5 5")
        assert tab.errors == []
