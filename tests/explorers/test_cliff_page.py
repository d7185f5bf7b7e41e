"""The website's in-page trainer of chapter 1.6 (book/_static/copy_trainer.js) against PyTorch.

In node: its generator gives torch's batches exactly; its float64 training gives PyTorch's float64
losses over the first 20 updates within 1e-9 (the issue's bound; the error analysis is beside the
test); its greedy decoding gives accuracy_by_length's numbers exactly. In the built site: the page
trains from its controls, matches PyTorch the same way, adds the curve, stops when told, and says
which input it cannot take.
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.core.seeding import seeded
from helpers.experiments.seq2seq_training import accuracy_by_length, train_seq2seq
from helpers.explorers.attention_page import float32_values
from helpers.explorers.cliff_page import (
    HIDDEN_SIZES,
    initial_weights,
    page_spec,
    trainable_in_page,
    weights_file_name,
    weights_script,
)
from helpers.models.seq2seq import EOS, Seq2Seq, make_batch
from site_browser import SITE
from tests.messages import names

ROOT = Path(__file__).resolve().parents[2]
TRAINER = ROOT / "book" / "_static" / "copy_trainer.js"
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="no Node to run the page's script")

# The bound on |loss_page - loss_torch| over the first 20 updates, both in float64 from the same float32
# weights and batches. The two compute the same formulas in different orders (torch's blocked matrix
# products, its GRU cell's n + z (h - n) for (1 - z) n + z h, its log-softmax), so each result differs by
# a few units in the last place, relative 1e-16 to 1e-15; a loss is a mean of at most 64 x 25 terms
# of size ~3 (u = 1.1e-16: the sums' order changes it by at most 1600 u x 3 = 5e-13). The steps carry
# gradient differences of relative ~1e-13 (sums over a batch's ~10^4 terms) into the weights: Adam's
# step lr m / (sqrt(v) + eps) moves by lr x that relative difference (3e-16 a step), and where a
# gradient is tiny (|g| ~ eps = 1e-8) by lr x (its absolute error ~1e-18) / eps = 3e-13. Twenty steps
# of such differences, through a loss whose gradient is O(1), stay below 1e-11: 1e-9 leaves a factor
# of 100 (measured: 1.8e-15 at most over the cases here).
LOSS_BOUND = 1e-9


def run_trainer(program):
    """copy_trainer.js in node, `program` after it with `core` and `reach` in scope; its JSON output."""
    source = f"const {{core, reach}} = require({json.dumps(str(TRAINER))});\n{program}"
    done = subprocess.run(["node", "-"], input=source, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def weights_js(hidden_size):
    """The page's weights for one size, as JS numbers (float32 values): what loadWeights hands the worker."""
    return {name: float32_values(b64).tolist() for name, b64 in initial_weights(hidden_size).items()}


def settings(hidden, task="copy", max_len=24, min_len=1, batch=64):
    return dict(hidden=hidden, emb=32, vocab=10, task=task, minLen=min_len, maxLen=max_len, batch=batch, lr=3e-3,
                seed=0)


@needs_node
@pytest.mark.parametrize("seed, n, low, high, task", [(0, 64, 1, 24, "copy"), (3, 5, 4, 9, "reverse"),
                                                      (2**31 + 5, 7, 40, 40, "copy")])
def test_the_page_draws_torchs_batches(seed, n, low, high, task):
    page = run_trainer(f"""const random = core.mt19937({seed});
const out = []; for (let i = 0; i < 3; i++) out.push(core.makeBatch(random, {n}, {low}, {high}, "{task}", 10));
console.log(JSON.stringify(out));""")
    generator = torch.Generator().manual_seed(seed)
    for batch in page:
        want = make_batch(n, low, high, task, 10, generator)
        assert batch["lengths"] == want.source_lengths.tolist()
        for i, length in enumerate(batch["lengths"]):
            assert batch["sources"][i] == want.source[i, :length].tolist()
            assert batch["targets"][i] + [EOS] == want.target[i, :length + 1].tolist()


CASES = [(16, "copy", 24), (64, "reverse", 12), (8, "copy", 2)]


@needs_node
@pytest.mark.parametrize("hidden, task, max_len", CASES)
def test_the_pages_first_20_losses_are_pytorchs_in_float64(hidden, task, max_len):
    page = run_trainer(f"""const run = core.trainer({json.dumps(weights_js(hidden))}, {json.dumps(settings(hidden, task, max_len))});
const losses = []; for (let i = 0; i < 20; i++) losses.push(run.update());
console.log(JSON.stringify(losses));""")
    torch_run = train_seq2seq(hidden, None, task, 1, max_len, steps=20, progress=False, dtype=torch.float64)
    gap = np.abs(np.array(page) - np.array(torch_run.losses))
    assert gap.max() <= LOSS_BOUND, (gap.max(), gap.argmax())
    assert torch_run.losses[-1] < torch_run.losses[0] - 0.05       # it learns: the check is not on a flat line


def greedy_margins(model, data, steps):
    """The gap between the best and the second logit at every step of generate(): where it exceeds the two
    computations' difference (~1e-13 here), both pick the same token."""
    with torch.no_grad():
        _, h = model.encode(data.source, data.source_lengths)
        token, gaps = torch.full((data.source.shape[0], 1), 1), []
        for _ in range(steps):
            state, h = model.decoder(model.embed(token), h)
            logits, _ = model.read_out(state, None, None)
            top = logits.topk(2, dim=-1).values
            gaps.append((top[..., 0] - top[..., 1]).min().item())
            token = logits.argmax(-1)
    return min(gaps)


@needs_node
def test_the_pages_accuracy_is_accuracy_by_length():
    hidden, lengths, n = 16, list(range(1, 9)), 60
    page = run_trainer(f"""const run = core.trainer({json.dumps(weights_js(hidden))}, {json.dumps(settings(hidden))});
for (let i = 0; i < 150; i++) run.update();
console.log(JSON.stringify(run.accuracy({lengths}, {n}, 1)));""")
    torch_run = train_seq2seq(hidden, None, "copy", 1, 24, steps=150, progress=False, dtype=torch.float64)
    want = accuracy_by_length(torch_run, lengths, n=n, seed=1)
    generator = torch.Generator().manual_seed(1)
    for length in lengths:
        data = make_batch(n, length, length, "copy", 10, generator)
        assert greedy_margins(torch_run.model, data, length + 1) > 1e-9, f"a near tie at length {length}: undecided"
    # counts of tokens and sequences right (accuracy_by_length's means are float32, the page's float64)
    tokens = np.array([n * (L + 1) for L in lengths])
    assert np.array_equal(np.rint(np.array(page["token"]) * tokens), np.rint(want.token_accuracy * tokens))
    assert np.array_equal(np.rint(np.array(page["sequence"]) * n), np.rint(want.sequence_accuracy * n))
    # a real comparison: a different token accuracy at every length, some whole sequences right
    assert len(set(page["token"])) == len(lengths) and page["sequence"][0] > 0


@needs_node
def test_the_page_reaches_as_reach_does():
    from helpers.experiments.seq2seq_training import LengthAccuracy, reach
    for sequence in ([1, 0.9, 0.5, 0.4, 0.6], [0.4, 1], [1, 1, 1], [0.5, 0.49]):
        lengths = list(range(3, 3 + len(sequence)))
        result = LengthAccuracy(tuple(lengths), np.zeros(len(sequence)), np.array(sequence))
        assert run_trainer(f"console.log(reach({lengths}, {sequence}))") == reach(result)


@needs_node
def test_the_trainer_names_weights_of_the_wrong_size():
    weights = weights_js(8)
    weights["dec_hh"] = weights["dec_hh"][:-1]
    program = (f"try {{ core.trainer({json.dumps(weights)}, {json.dumps(settings(8))}); console.log('null'); }}"
               " catch (e) { console.log(JSON.stringify(e.message)); }")
    assert run_trainer(program) == f"weights.dec_hh must hold {3 * 8 * 8} numbers"


def test_the_weights_script_holds_what_train_seq2seq_starts_from():
    text = weights_script(16)
    data = json.loads(re.search(r"\] = (\{.*\});\n$", text).group(1))
    with seeded(0):
        model = Seq2Seq(10, 16, None)
    assert torch.equal(torch.from_numpy(float32_values(data["w"]["dec_hh"])),
                       model.decoder.weight_hh_l0.detach().double().flatten())
    embed = torch.from_numpy(float32_values(data["w"]["embed"])).view(13, 32)
    assert torch.equal(embed, model.embed.weight.detach().double()) and not embed[0].any()     # PAD's row is zero
    assert data["hidden"] == 16 and weights_file_name(16) == "copytrain_h16.js"


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match=names("hidden_size")):
        initial_weights(12)
    with pytest.raises(ValueError, match=names("dtype")):
        train_seq2seq(8, steps=1, progress=False, dtype=torch.float16)


def test_the_marker_carries_the_live_faces_ranges(monkeypatch):
    monkeypatch.setenv("COURSE_SITE_BUILD", "1")
    from helpers.explorers.cliff import explore_cliff
    runs = {h: train_seq2seq(h, max_len=4, steps=2, progress=False) for h in (8, 16)}
    results = {h: accuracy_by_length(run, (1, 2, 3), n=5) for h, run in runs.items()}
    defaults = dict(hidden_size=64, task="copy", max_len=24, steps=800)
    explorer = trainable_in_page(explore_cliff(runs, results, 8), (1, 2, 3), defaults)
    html = explorer._repr_mimebundle_()["text/html"]
    assert html.startswith('<div class="copy-trainer" data-spec="') and "copy_trainer.js" in html
    spec = page_spec((1, 2, 3), defaults)
    assert spec["sizes"] == list(HIDDEN_SIZES) and spec["maxLen"] == [2, 40] and spec["updates"] == [100, 5000, 100]
    assert spec["eval"] == {"lengths": [1, 2, 3], "n": 200, "seed": 1}
    # the slider restyles the build's two curves only, never the ones the page adds
    assert all(list(step.args[2]) == [0, 1] for step in explorer.static_figure.layout.sliders[0].steps)


@needs_node
@pytest.mark.parametrize("norm", [3.0, 0.5])
def test_the_pages_clipping_is_clip_grad_norm(norm):
    """Clipping first matters later than update 20 (at context 64 on the chapter's task, 87 of the first 200
    updates are clipped), so it is checked on its own: gradients of total norm 3 (scaled down) and 0.5 (left)."""
    generator = torch.Generator().manual_seed(5)
    grads = [torch.randn(n, generator=generator, dtype=torch.float64) for n in (7, 40, 3)]
    scale = norm / torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    grads = [g * scale for g in grads]
    page = run_trainer(f"""const G = {json.dumps({f"p{i}": g.tolist() for i, g in enumerate(grads)})};
for (const k in G) G[k] = Float64Array.from(G[k]);
const total = core.clipGradNorm(G, 1);
console.log(JSON.stringify({{total, G: Object.values(G).map((g) => Array.from(g))}}));""")
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(params, 1.0)
    assert page["total"] == pytest.approx(total.item(), rel=1e-15, abs=0)    # 50 squares summed: ~50 u apart at most
    for got, p in zip(page["G"], params):
        assert np.allclose(got, p.grad.numpy(), rtol=1e-14, atol=0)
    clipped = np.linalg.norm(np.concatenate(page["G"]))
    assert clipped == pytest.approx(min(norm, 1.0), rel=1e-6)


# -- the built site in a browser ----------------------------------------------------------------------------

CHAPTER = SITE / "book" / "06_encoder_decoder.html"
needs_site = pytest.mark.skipif(not CHAPTER.exists(), reason=f"no built site at {SITE} (make book, or set COURSE_SITE)")
BOX = ".copy-trainer-controls"


def open_chapter(browser):
    """Chapter 1.6 from file:// (a downloaded copy of the site), its trainer's controls ready."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(CHAPTER.as_uri(), wait_until="load")
    page.wait_for_function("() => window.CopyTrainer && window.CopyTrainer.trainers.length === 1")
    return page, problems


def finished(page, timeout=300_000):
    page.wait_for_function(f"() => ['done', 'failed'].includes(document.querySelector('{BOX}').dataset.state)",
                           timeout=timeout)
    return page.evaluate(f"() => Object.assign({{}}, document.querySelector('{BOX}').dataset)")


@pytest.mark.site
@needs_site
def test_the_page_trains_from_the_keyboard_and_matches_pytorch(browser):
    page, problems = open_chapter(browser)
    page.focus(f"{BOX} select >> nth=0")
    for _ in range(3):
        page.keyboard.press("ArrowUp")                  # context 64 -> 32 -> 16 -> 8
    assert page.input_value(f"{BOX} select >> nth=0") == "8"
    page.fill(f"{BOX} input >> nth=1", "100")
    page.focus(f"{BOX} input >> nth=1")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "copy-train"
    page.keyboard.press("Enter")
    data = finished(page)
    assert data["state"] == "done" and data["step"] == "100", data
    losses = json.loads(data["losses"])
    torch_run = train_seq2seq(8, None, "copy", 1, 24, steps=100, progress=False, dtype=torch.float64)
    gap = np.abs(np.array(losses[:20]) - np.array(torch_run.losses[:20]))
    assert gap.max() <= LOSS_BOUND                      # the check, in the page
    lengths = list(range(1, 25))
    want = accuracy_by_length(torch_run, lengths, n=200, seed=1)
    tokens = np.array([200 * (L + 1) for L in lengths])
    token = np.array(json.loads(data["token"]))
    assert np.array_equal(np.rint(token * tokens), np.rint(want.token_accuracy * tokens))
    drawn = page.evaluate("() => { const gd = window.CopyTrainer.trainers[0].gd, t = gd.data[gd.data.length - 1];"
                          " return {name: t.name, x: Array.from(t.x), y: Array.from(t.y), n: gd.data.length}; }")
    assert drawn["n"] == 3 and drawn["x"] == lengths and np.allclose(drawn["y"], 100 * token, rtol=0, atol=1e-12)
    assert drawn["name"] == "trained here: context 8, copy, lengths 1–24, 100 updates"
    status = page.text_content(f"{BOX} .flow-status")
    assert status.startswith("Added “trained here: context 8") and f"{round(100 * token[0])}% at length 1" in status
    assert not page.is_disabled("button.copy-train") and page.is_disabled("button.copy-stop")
    # the build's slider still moves the build's curves, and leaves the page's alone
    build_curve = "() => Array.from(window.CopyTrainer.trainers[0].gd.data[0].y)"
    before = page.evaluate(build_curve)
    page.evaluate("() => { const r = document.querySelector('.course-controls input[type=range]');"
                  " r.value = r.min; r.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_function(f"(before) => JSON.stringify(({build_curve})()) !== JSON.stringify(before)", arg=before)
    assert page.evaluate("() => Array.from(window.CopyTrainer.trainers[0].gd.data[2].y)") == drawn["y"]
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_the_stop_button_stops_and_keeps_what_was_trained(browser):
    page, problems = open_chapter(browser)
    page.select_option(f"{BOX} select >> nth=0", "32")
    page.select_option(f"{BOX} select >> nth=1", "reverse")
    page.fill(f"{BOX} input >> nth=1", "5000")
    page.click("button.copy-train")
    assert page.is_disabled(f"{BOX} select >> nth=0")          # settings are fixed while it trains
    page.wait_for_function(f"() => document.querySelector('{BOX} progress').value >= 3", timeout=120_000)
    page.click("button.copy-stop")
    data = finished(page)
    step = int(data["step"])
    assert data["state"] == "done" and 3 <= step < 5000 and len(json.loads(data["losses"])) == step
    assert page.text_content(f"{BOX} .flow-status").startswith(f"Stopped at update {step}. Added “trained here: "
                                                               f"context 32, reverse, lengths 1–24, {step} updates”")
    assert not page.is_disabled(f"{BOX} select >> nth=0") and problems == []
    page.close()


@pytest.mark.site
@needs_site
@pytest.mark.parametrize("field, value, says", [
    (0, "41", "the longest training length must be a whole number from 2 to 40; got 41."),
    (0, "", "the longest training length must be a whole number from 2 to 40; got nothing."),
    (1, "150", "updates must be a whole number from 100 to 5000 in steps of 100; got 150."),
    (1, "2.5", "updates must be a whole number from 100 to 5000 in steps of 100; got 2.5.")])
def test_the_page_names_a_setting_out_of_range(browser, field, value, says):
    page, problems = open_chapter(browser)
    page.fill(f"{BOX} input >> nth={field}", value)
    page.click("button.copy-train")
    assert page.text_content(f"{BOX} .flow-status") == says
    assert page.get_attribute(f"{BOX} input >> nth={field}", "aria-invalid") == "true"
    assert page.evaluate(f"() => document.querySelector('{BOX}').dataset.state") is None     # nothing started
    assert problems == []
    page.close()
