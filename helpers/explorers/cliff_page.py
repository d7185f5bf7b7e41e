"""What the website's cliff explorer (chapter 1.6) trains from: the encoder-decoder's initial weights, as
PyTorch draws them, for each context size the page offers.

On the website the reader picks a context size, a task, the longest training length and a number of
updates, and the page trains a new model itself (book/_static/copy_trainer.js, in a worker) and adds
its accuracy curve to the figure. The page re-implements torch's random generator for the batches but
not its weight initialisation (normal_ and uniform_ in float32, through libm's float functions), so the
build writes the weights train_seq2seq starts from (seed 0) into classic scripts, one per context size,
each setting `window.COPY_TRAINER_DATA[hidden_size]`, loaded only when the reader trains that size.

`trainable_in_page(explorer, lengths)` marks the cliff explorer's figure for the trainer; the live
widget is unchanged, and without JavaScript the figure keeps the sizes trained when the book was built.

Used in: 1.6.
"""
import html
import json
from pathlib import Path

from helpers.core.checks import check_choice, check_seed
from helpers.core.seeding import seeded
from helpers.explorers.attention_page import model_weights
from helpers.explorers.cliff import LIVE_CONTROLS
from helpers.explorers.inpage import MarkedExplorer
from helpers.models.seq2seq import Seq2Seq

HIDDEN_SIZES = (8, 16, 32, 64, 128)     # 128's weights are 0.55 MB of script; a 256 would be 2.7 MB
TRAINER_SCRIPT = "book/_static/copy_trainer.js"
SEED, VOCAB_SIZE, EMBEDDING_DIM = 0, 10, 32      # train_seq2seq's defaults, which chapter 1.6 uses
BATCH, LR, MIN_LEN = 64, 3e-3, 1
EVAL_N, EVAL_SEED = 200, 1                       # accuracy_by_length's defaults


def weights_file_name(hidden_size):
    return f"copytrain_h{hidden_size}.js"


def initial_weights(hidden_size, seed=SEED):
    """The weights train_seq2seq(hidden_size, seed=seed) starts from, as base64 float32 by the page's names."""
    hidden_size = check_choice("hidden_size", hidden_size, HIDDEN_SIZES)
    with seeded(check_seed(seed)):
        model = Seq2Seq(VOCAB_SIZE, hidden_size, None, EMBEDDING_DIM)
    return model_weights(model)


def weights_script(hidden_size):
    """The classic script that registers one context size's initial weights."""
    data = {"hidden": hidden_size, "seed": SEED, "w": initial_weights(hidden_size)}
    return ("// Written by helpers/explorers/cliff_page.py when the book was built: what PyTorch drew.\n"
            "window.COPY_TRAINER_DATA = window.COPY_TRAINER_DATA || {};\n"
            f"window.COPY_TRAINER_DATA[{hidden_size}] = {json.dumps(data, separators=(',', ':'))};\n")


def write_weight_scripts(folder):
    """Write every context size's script into `folder` (the site's _static); returns {file name: characters}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for hidden_size in HIDDEN_SIZES:
        path, text = folder / weights_file_name(hidden_size), weights_script(hidden_size)
        if not path.exists() or path.read_text() != text:    # unchanged files keep their time stamps
            path.write_text(text)
        sizes[path.name] = len(text)
    return sizes


def page_spec(lengths, defaults):
    """What the trainer's controls offer and what a run uses: the live face's ranges, train_seq2seq's
    settings, and the lengths and sources accuracy_by_length measures."""
    controls = {c.name: c for c in LIVE_CONTROLS}
    max_len, steps = controls["max_len"], controls["steps"]
    return {"sizes": list(HIDDEN_SIZES), "tasks": list(controls["task"].options),
            "maxLen": [max_len.low, max_len.high], "updates": [steps.low, steps.high, steps.step],
            "defaults": {"hidden": defaults["hidden_size"], "task": defaults["task"], "maxLen": defaults["max_len"],
                         "updates": defaults["steps"]},
            "run": {"emb": EMBEDDING_DIM, "vocab": VOCAB_SIZE, "minLen": MIN_LEN, "batch": BATCH, "lr": LR,
                    "seed": SEED},
            "eval": {"lengths": list(lengths), "n": EVAL_N, "seed": EVAL_SEED}}


def trainable_in_page(explorer, lengths, defaults):
    """Mark the cliff explorer so that the website trains new models in the reader's browser.

    lengths: the source lengths its accuracy curves are measured at; defaults: the settings the controls
    start at (hidden_size, task, max_len, steps: the chapter's)."""
    spec = html.escape(json.dumps(page_spec(lengths, defaults), separators=(",", ":")))
    return MarkedExplorer(explorer, f'<div class="copy-trainer" data-spec="{spec}" hidden></div>', TRAINER_SCRIPT)
