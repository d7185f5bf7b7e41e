"""Where a trained attention model looks: a heatmap of weights, output step by source position.

Both faces let the reader type any source (symbols and lengths the models were trained on) and pick
a model; the heatmap and the decoded output follow. On the website the page itself runs the trained
models, from their weights written into it when the book was built (helpers.explorers.attention_page:
native controls above the figure and a classic script, working from file://, as helpers.explorers.inpage
writes them). Live, PyTorch decodes.

Used in: 1.7.
"""
import plotly.graph_objects as go
import torch

from helpers.core.checks import check_values
from helpers.explorers import Choice, LiveExplorer, Text
from helpers.explorers.attention_page import COMPUTE_JS, WIRING_JS, controls_html, model_spec
from helpers.explorers.inpage import InPageExplorer
from helpers.figures.plots import describe, live_figure
from helpers.models.seq2seq import EOS, FIRST_SYMBOL, encode_symbols


def token_text(token):
    return "EOS" if token == EOS else str(token - FIRST_SYMBOL) if token >= FIRST_SYMBOL else "·"


def read_attention(run, text):
    """Decode the reader's source greedily; return (source labels, output labels, weights rows)."""
    model = run.model
    source, lengths = encode_symbols(text, model.vocab_size)
    if model.attention is None:
        raise ValueError("this model has no attention to show: train it with attention='dot' or another score")
    device = next(model.parameters()).device
    tokens, weights = model.generate(source.to(device), lengths.to(device), source.shape[1] + 1)
    tokens = tokens[0].tolist()
    stop = tokens.index(EOS) + 1 if EOS in tokens else len(tokens)
    source_labels = [f"{token_text(t)} (#{i + 1})" for i, t in enumerate(source[0].tolist())]
    output_labels = [f"{token_text(t)} (out {i + 1})" for i, t in enumerate(tokens[:stop])]
    rows = torch.round(weights[0, :stop].cpu() * 1000) / 1000
    return source_labels, output_labels, rows.tolist()


def _axes_update(source_labels, output_labels):
    return {"xaxis.tickvals": list(range(len(source_labels))), "xaxis.ticktext": source_labels,
            "yaxis.tickvals": list(range(len(output_labels))), "yaxis.ticktext": output_labels}


def _heatmap(rows, visible, name):
    return go.Heatmap(z=rows, zmin=0, zmax=1, colorscale="Viridis", name=name, visible=visible,
                      colorbar=dict(title="weight"),
                      hovertemplate="source %{x}, output %{y}: weight %{z:.3f}<extra></extra>")


def static_attention_figure(runs, examples):
    """runs: {label: Seq2SeqRun with attention}; examples: source strings such as '3 1 4 1 5'.

    One heatmap per model (the first one shown) on the first example; the page's controls
    (helpers.explorers.attention_page) decode any other source and switch models."""
    examples = _check_examples(runs, examples)
    labels = list(runs)
    read = {label: read_attention(runs[label], examples[0]) for label in labels}
    fig = go.Figure([_heatmap(read[label][2], i == 0, label) for i, label in enumerate(labels)])
    fig.update_layout(
        title="Attention weights: each row is one output step, each column one source symbol",
        height=620, margin=dict(t=60, b=110), **{k.replace(".", "_"): v for k, v in
                                                 _axes_update(*read[labels[0]][:2]).items()})
    fig.update_xaxes(title="source symbol (position)", tickangle=-45)
    fig.update_yaxes(title="output symbol (step)", autorange="reversed")
    return describe(fig, caption=(
        "Attention weights of the trained copy models: row i is output step i, column j is source position j, and "
        "brighter (yellow) is more weight. The tick labels of the rows are what the model wrote. A model that copies "
        "by looking up the right position draws a diagonal. Type a source above the figure: this page runs the "
        "trained models itself, from their weights."),
        alt=("Heatmap of attention weights, output steps by source positions, for a source the reader types or "
             f"picks among examples, and the model chosen among {', '.join(labels)}."))


def _check_examples(runs, examples):
    """A list of source strings; runs and examples must each hold at least one."""
    if not runs:
        raise ValueError("runs must hold at least one trained model with attention, got none")

    def one(text):
        if not isinstance(text, str):
            raise ValueError(f"examples must be source strings such as '3 1 4 1 5', got {text!r}")
        for label, run in runs.items():
            try:
                source, _ = encode_symbols(text, run.model.vocab_size)
            except ValueError as error:
                raise ValueError(f"examples must be sources model {label!r} can read: {error}") from None
            if not run.min_len <= source.shape[1] <= run.max_len:
                raise ValueError(f"examples must have the lengths model {label!r} was trained on, {run.min_len} to "
                                 f"{run.max_len}, got {source.shape[1]} symbols in {text!r}")
        return text
    return list(check_values("examples", examples, one))


class AttentionWidget(LiveExplorer):
    """Live face: a text box for the source and a model picker; the decoded output is shown too."""

    def __init__(self, runs, figure, text):
        import ipywidgets as w
        self.runs, self.static_figure = runs, figure
        self.output = w.HTML()
        controls = (Text("source", "source", "symbols 0–9, spaces between"), Choice("model", "model", list(runs)))
        device = next(next(iter(runs.values())).model.parameters()).device
        super().__init__(controls, dict(source=text, model=list(runs)[0]), device, extra=[self.output])

    def what(self, values):
        return f"the weights of {values['model']} for that source"

    def recompute(self, values):
        return read_attention(self.runs[values["model"]], values["source"])

    def first_figure(self, read, values):
        return live_figure(self.static_figure)

    def draw(self, read, values):
        """Show the model's heatmap for the source, and what it wrote."""
        source_labels, output_labels, rows = read
        self.output.value = "output: " + " ".join(t.split()[0] for t in output_labels)
        with self.figure.batch_update():
            for trace in self.figure.data:
                trace.visible = trace.name == values["model"]
                if trace.name == values["model"]:
                    trace.z = rows
            self.figure.update_layout({k.replace(".", "_"): v for k, v in
                                       _axes_update(source_labels, output_labels).items()})


def explore_attention(runs, examples):
    """Explorer of the attention heatmap over example sources, for the trained models in `runs`."""
    examples = _check_examples(runs, examples)
    for label, run in runs.items():
        if run.model.attention is None:
            raise ValueError(f"model {label!r} has no attention to show")
    figure = static_attention_figure(runs, examples)
    spec = {"models": [dict(model_spec(label, run), trace=k) for k, (label, run) in enumerate(runs.items())],
            "examples": examples}
    return InPageExplorer(figure, lambda: AttentionWidget(runs, figure, examples[0]), spec, controls_html, COMPUTE_JS,
                          WIRING_JS, code=("helpers/explorers/attention_page.py",))
