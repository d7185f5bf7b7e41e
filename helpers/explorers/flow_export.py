"""The numbers behind the in-page explorers of chapters 1.3 and 1.4, as PyTorch draws them.

The website computes the gradient-flow figures in the reader's browser (book/_static/flow_engine.js)
for any |W_h|, length, init, hidden size, precision and gate bias. It does not re-implement torch's
random generator, QR or eigenvalues: the book build writes what PyTorch drew into classic scripts,
one per explorer and hidden size, each setting `window.FLOW_DATA[key]`, loaded only when the reader
picks that size. Arrays travel as base64 of little-endian float64 (float32 for the gated cells,
whose nn.Module weights are float32 even when the flow runs in float64).

torch's CPU `randn(L)` regenerates its last 16 values when L is not a multiple of 16, so the
inputs of length L are not a prefix of longer ones. Each file holds the inputs drawn once at a
multiple of 16 (the prefix) and, for every length the page offers, the last min(L, 16) values
`randn(L)` gives: prefix[:L - 16] + tail[L] is exactly what helpers.gradient_flow(seq_len=L) and
helpers.gated_flow(seq_len=L) use (checked when the file is written).

The engine's matrix-vector products, non-linearities and the rest of each step's arithmetic run in
WebAssembly SIMD where the browser has it: their source is book/_static/flow_kernels.wat (WebAssembly
text), which `kernel_script` assembles with wasmtime's wat2wasm into one more classic script,
flow_kernels.js (`window.FLOW_KERNELS = {simd: base64}`), written beside the data scripts when the book
is built: no binary in git, and base64 in a script works from file:// and in the engine's Blob-URL
workers alike.

`in_page(explorer, engine, seed)` marks an explorer's figure for the engine; the live widget is
unchanged, and without JavaScript the precomputed figure shows.

Used in: 1.3, 1.4.
"""
import base64
import hashlib
import html
import json
from pathlib import Path

import numpy as np
import torch

from helpers.core.checks import check_choice, check_int, check_seed
from helpers.experiments.gated_flow import _modules
from helpers.experiments.gradient_flow import _input_side, _recurrent_bases
from helpers.explorers.inpage import MarkedExplorer
from helpers.models.inits import INITS

HIDDEN_SIZES = (16, 32, 64, 128, 256)
ENGINE_SCRIPT = "book/_static/flow_engine.js"   # the engine that redraws these figures in the page
KERNEL_SOURCE = "book/_static/flow_kernels.wat"   # the kernels, in WebAssembly text
KERNEL_SCRIPT = "flow_kernels.js"                  # what the engine loads: the assembled bytes, in base64
MIN_LEN, MAX_LEN = 10, 1000
PREFIX_LEN = 1008            # a multiple of 16 >= MAX_LEN: randn draws it without regenerating a tail
TAIL = 16
ENGINES = {"gradient-flow": 0, "gated-flow": 1234}   # engine -> the seed its chapter uses
CELLS = ("rnn", "lstm", "gru")


def _b64(array, dtype):
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def data_key(engine, seed, hidden_size):
    return f"{engine}/s{seed}/h{hidden_size}"


def data_file_name(engine, seed, hidden_size):
    return f"flowdata_{engine}_s{seed}_h{hidden_size}.js"


def _tails(draw):
    """prefix (PREFIX_LEN values) and the concatenated tails for L = MIN_LEN..MAX_LEN."""
    prefix = draw(PREFIX_LEN)
    tails = []
    for L in range(MIN_LEN, MAX_LEN + 1):
        full = draw(L)
        tail = full[max(0, L - TAIL):]
        if not np.array_equal(np.concatenate([prefix[:L - len(tail)], tail]), full):
            raise AssertionError(f"randn({L}) is not prefix + tail: the input layout changed in this torch")
        tails.append(tail)
    return prefix, np.concatenate(tails)


def gradient_flow_data(hidden_size, seed=0):
    """What gradient_flow draws for `hidden_size`: W_hh per init at its natural scale, w_ih, readout, inputs."""
    hidden_size = check_choice("hidden_size", hidden_size, HIDDEN_SIZES)
    seed = check_seed(seed)
    bases, natural = _recurrent_bases(hidden_size, INITS, seed)
    w_ih, _, readout = _input_side(hidden_size, 1, TAIL, seed)
    prefix, tails = _tails(lambda L: _input_side(hidden_size, 1, L, seed)[1][:, 0].numpy())
    return dict(
        hidden=hidden_size, seed=seed, minLen=MIN_LEN, maxLen=MAX_LEN, tail=TAIL, inits=list(INITS),
        natural={k: float(v) for k, v in natural.items()},
        bases={init: _b64(b.numpy(), "<f8") for init, b in zip(INITS, bases) if init != "identity"},
        w_ih=_b64(w_ih[:, 0].numpy(), "<f8"), readout=_b64(readout.numpy(), "<f8"),
        prefix=_b64(prefix, "<f8"), tails=_b64(tails, "<f8"))


def gated_flow_data(hidden_size, seed=1234):
    """The nn.RNN / nn.LSTM / nn.GRU weights gated_flow builds for `hidden_size`, and its float32 inputs."""
    hidden_size = check_choice("hidden_size", hidden_size, HIDDEN_SIZES)
    seed = check_seed(seed)
    modules = _modules(hidden_size, seed, "cpu", torch.float32)
    weights = {cell: {name: _b64(getattr(modules[cell], f"{name}_l0").detach().flatten().numpy(), "<f4")
                      for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")} for cell in CELLS}

    def draw(L):
        return torch.randn(L, 1, 1, generator=torch.Generator().manual_seed(seed)).flatten().numpy()
    prefix, tails = _tails(draw)
    return dict(hidden=hidden_size, seed=seed, minLen=MIN_LEN, maxLen=MAX_LEN, tail=TAIL, weights=weights,
                prefix=_b64(prefix, "<f4"), tails=_b64(tails, "<f4"))


def data_script(engine, hidden_size, seed=None):
    """The classic script that registers one data set: `window.FLOW_DATA[key] = {...}`."""
    check_choice("engine", engine, tuple(ENGINES))
    seed = ENGINES[engine] if seed is None else check_seed(seed)
    data = (gradient_flow_data if engine == "gradient-flow" else gated_flow_data)(hidden_size, seed)
    key = data_key(engine, seed, hidden_size)
    return ("// Written by helpers/flow_export.py when the book was built: what PyTorch drew.\n"
            "window.FLOW_DATA = window.FLOW_DATA || {};\n"
            f"window.FLOW_DATA[{json.dumps(key)}] = {json.dumps(data, separators=(',', ':'))};\n")


def write_data_scripts(folder, hidden_sizes=HIDDEN_SIZES):
    """Write every engine's data scripts into `folder` (the site's _static); returns {file name: bytes}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for engine, seed in ENGINES.items():
        for H in hidden_sizes:
            name = data_file_name(engine, seed, H)
            text = data_script(engine, H, seed)
            path = folder / name
            if not path.exists() or path.read_text() != text:   # unchanged files keep their time stamps
                path.write_text(text)
            sizes[name] = len(text)
    return sizes


def assemble_kernels(source):
    """The bytes of the WebAssembly module in `source` (a path to WebAssembly text), assembled by wasmtime."""
    import wasmtime  # only where the site is built or the kernels tested (requirements.txt pins it)
    return wasmtime.wat2wasm(Path(source).read_text())


def kernel_script(source):
    """The classic script that hands the engine its kernels: `window.FLOW_KERNELS = {simd: base64 of the bytes}`."""
    text = Path(source).read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    kernels = {"simd": base64.b64encode(assemble_kernels(source)).decode("ascii"), "source": digest}
    return (f"// Written by helpers/explorers/flow_export.py when the book was built: {Path(source).name} "
            "assembled by wasmtime.\n"
            f"window.FLOW_KERNELS = {json.dumps(kernels, separators=(',', ':'))};\n")


def write_kernel_script(folder, source):
    """Write flow_kernels.js, assembled from `source` (flow_kernels.wat), into `folder`; returns its size."""
    path = Path(folder) / KERNEL_SCRIPT
    path.parent.mkdir(parents=True, exist_ok=True)
    text = kernel_script(source)
    if not path.exists() or path.read_text() != text:   # unchanged, it keeps its time stamp
        path.write_text(text)
    return len(text)


def decode(b64, dtype="<f8"):
    """A base64 array from a data script, back as numpy (what the engine's decoder does)."""
    return np.frombuffer(base64.b64decode(b64), dtype=dtype)


def inputs_for_length(data, seq_len, dtype="<f8"):
    """The inputs of length `seq_len` assembled from a data set, as the engine assembles them."""
    seq_len = check_int("seq_len", seq_len, data["minLen"], data["maxLen"])
    prefix, tails = decode(data["prefix"], dtype), decode(data["tails"], dtype)
    start = sum(min(L, data["tail"]) for L in range(data["minLen"], seq_len))
    tail = tails[start:start + min(seq_len, data["tail"])]
    return np.concatenate([prefix[:seq_len - len(tail)], tail])


# -- the marker that hands a figure to the engine ------------------------------------------------------------

class InPage(MarkedExplorer):
    """An explorer whose website figure the in-page engine takes over; the live widget is unchanged."""

    def __init__(self, explorer, engine, seed):
        self.engine = check_choice("engine", engine, tuple(ENGINES))
        self.seed = check_seed(seed)
        super().__init__(explorer, f'<div class="flow-engine" data-engine="{html.escape(self.engine)}" '
                         f'data-seed="{self.seed}" data-hidden-sizes="{",".join(map(str, HIDDEN_SIZES))}" hidden></div>',
                         ENGINE_SCRIPT)


def in_page(explorer, engine, seed=None):
    """Mark `explorer` so that the website recomputes its figure in the reader's browser."""
    engine = check_choice("engine", engine, tuple(ENGINES))
    return InPage(explorer, engine, ENGINES[engine] if seed is None else seed)
