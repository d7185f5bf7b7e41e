"""Diagrams of chapters 1.6 and 1.7: the encoder-decoder's one-vector bottleneck, attention's data flow.

Drawn with plotly shapes and annotations like helpers.sequence_figures.unrolled_rnn_figure, so they
take the course's caption, alt text and dark mode (transparent background; course.css recolours the
text; lines and arrows are a mid grey that reads on white and on the dark theme). Nothing here trains
anything: the attention diagram's weights are the softmax of the scores it is given.

Used in: 1.6, 1.7.
"""
import numpy as np
import torch

from helpers.core.checks import check_int
from helpers.figures.diagrams import Drawing
from helpers.figures.plots import PALETTE, describe

LINE = "#8c8c8c"           # arrows and outlines: visible in the light and the dark theme
HALF_W, HALF_H = 0.3, 0.2  # half the size of a state box, in data units
# the attention diagram's row names, in a column SIDE_WIDTH data units wide at the right of the drawing
SIDE_LABELS = (("keys", "keys, values:<br>encoder states"), ("scores", "scores:<br>how well<br>each fits"),
               ("weights", "weights:<br>softmax, > 0,<br>sum to 1"),
               ("context", "context:<br>weighted sum<br>of the values"))
SIDE_WIDTH = 2.0


class _Drawing(Drawing):
    """The state boxes and arrows of the sequence diagrams."""

    def box(self, cx, cy, color, text, opacity=0.3, half_w=HALF_W, half_h=HALF_H, dash="solid", size=15):
        self.fig.add_shape(type="rect", x0=cx - half_w, x1=cx + half_w, y0=cy - half_h, y1=cy + half_h,
                           line=dict(color=color, width=2, dash=dash), fillcolor=color, opacity=opacity,
                           layer="below")
        self.fig.add_annotation(x=cx, y=cy, text=text, showarrow=False, font=dict(size=size))

    def arrow(self, x0, y0, x1, y1, color=LINE, width=1.6, dash=None):
        if dash:   # annotation arrows cannot be dashed: draw the shaft as a line, the head as a short arrow
            self.fig.add_shape(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color=color, width=width, dash=dash))
            x0, y0 = x1 - 0.15 * (x1 - x0), y1 - 0.15 * (y1 - y0)
        self.fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                                showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=width, arrowcolor=color)



def bottleneck_diagram(src_len=4, tgt_len=4):
    """The encoder-decoder of chapter 1.6: every source symbol reaches the decoder through c = h_S only.

    Encoder states h_1 .. h_S in a chain; only h_S goes on, as the context c, to start the decoder
    s_1 .. s_T, which reads the previous target symbol y_{i-1} and writes y_i. It draws both ways of
    feeding y_{i-1}: in training the true symbol (teacher forcing, the solid arrow from below), at
    test time its own output of the step before (greedy decoding, the dotted arrow).
    """
    src_len = check_int("src_len", src_len, 2, 8)
    tgt_len = check_int("tgt_len", tgt_len, 1, 8)
    d = _Drawing()
    enc, ctx, out = PALETTE[0], PALETTE[1], PALETTE[2]
    c_x = src_len + 1.3                       # the context, between the two chains
    dec_x = [c_x + 1.3 + i for i in range(tgt_len)]
    for j in range(1, src_len + 1):           # encoder: x_j below, h_j in the chain
        last = j == src_len
        d.box(j, 0, PALETTE[4], f"x<sub>{j}</sub>")
        d.box(j, 1, enc, f"h<sub>{j}</sub>", opacity=0.3 if last else 0.12, dash="solid" if last else "dot")
        d.arrow(j, HALF_H, j, 1 - HALF_H)
        if j > 1:
            d.arrow(j - 1 + HALF_W, 1, j - HALF_W, 1)
    d.box(c_x, 1, ctx, "c = h<sub>S</sub>", opacity=0.45, half_w=0.45, half_h=0.3, size=16)
    d.arrow(src_len + HALF_W, 1, c_x - 0.45, 1, color=ctx, width=3)
    for i, x in enumerate(dec_x, start=1):    # decoder: y_{i-1} below, s_i in the chain, y_i above
        d.box(x, 0, PALETTE[4], "BOS" if i == 1 else f"y<sub>{i - 1}</sub>", size=13 if i == 1 else 15)
        d.box(x, 1, out, f"s<sub>{i}</sub>")
        d.box(x, 2, PALETTE[3], f"y<sub>{i}</sub>")
        d.arrow(x, HALF_H, x, 1 - HALF_H)
        d.arrow(x, 1 + HALF_H, x, 2 - HALF_H)
        d.arrow((c_x + 0.45) if i == 1 else (x - 1 + HALF_W), 1, x - HALF_W, 1, color=ctx if i == 1 else LINE,
                width=3 if i == 1 else 1.6)
        if i > 1:   # greedy decoding feeds the previous output back in
            d.arrow(x - 1 + HALF_W, 2 - HALF_H, x - HALF_W, HALF_H, dash="dot", width=1.2)
    # Labels wrapped to lines no wider than the boxes they sit over, at a phone's width too: text keeps
    # its size in pixels while the drawing scales with the page.
    dec_mid, enc_mid = (dec_x[0] + dec_x[-1]) / 2, (1 + src_len) / 2
    d.label(dec_mid, -0.3, "input y<sub>i−1</sub>: the true symbol<br>in training (teacher forcing),<br>"
            "its own last output at test<br>time (dotted: greedy decoding)", size=11, yanchor="top")
    d.label(enc_mid, 2.45, "encoder: reads the source,<br>one symbol per step", size=12)
    d.label(enc_mid, 1.6, f"h<sub>1</sub> … h<sub>{src_len - 1}</sub> are computed,<br>then thrown away", size=11)
    d.label(c_x, 0.45, "all of the source,<br>in d numbers", size=11)
    d.label(dec_mid, 2.6, "decoder: writes the target,<br>starting from c", size=12)
    fig = d.finish("The encoder-decoder: the whole source through one vector",
                   (0.35, dec_x[-1] + 0.6), (-1.75, 2.95), height=360)
    fig.update_yaxes(constrain="domain", constraintoward="top")   # on a phone the spare room goes below, not above
    return describe(fig, caption=(
        "The encoder reads the source into a chain of states, and only the last one, the context c, "
        "reaches the decoder: however long the source, everything the decoder learns about it has "
        "passed through those d numbers. Each decoder step reads the previous target symbol: the true "
        "one while training (teacher forcing), its own previous output when it translates (greedy "
        "decoding, the dotted arrows)."),
        alt=(f"Diagram: {src_len} source symbols feed a chain of encoder states; only the last state, "
             f"labelled c, is passed on to start a chain of {tgt_len} decoder states, each of which reads "
             "the previous target symbol (the true one in training, its own previous output at test time, "
             "drawn as dotted arrows) and writes the next one."))


def attention_weights(scores):
    """The softmax of a row of scores, as the diagram draws it (numpy, float64)."""
    scores = torch.as_tensor(np.asarray(scores, dtype=float))
    if scores.dim() != 1 or scores.numel() < 2:
        raise ValueError(f"scores must be a list of 2 or more numbers, got {scores.tolist()}")
    return torch.softmax(scores, dim=0).numpy()


def attention_flow_diagram(scores=(2.1, 0.2, 0.1), keys=("river", "flowing", "fast")):
    """One attention step as Bahdanau et al. arrange it: the previous decoder state s_{i-1} against
    keys h_j -> scores e_ij -> softmax weights alpha_ij -> context c_i.

    The weights are the softmax of `scores` (the worked example of chapter 1.7 by default), drawn as
    bars of that height; the context is the alpha-weighted sum of the same h_j, which serve as values.
    (Luong et al.'s arrangement asks with the current state s_i instead; the arithmetic is the same.)
    """
    weights = attention_weights(scores)
    if len(keys) != len(weights) or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"keys must be {len(weights)} strings, one per score, got {keys!r}")
    n = len(weights)
    d = _Drawing()
    xs = [1.6 * j for j in range(1, n + 1)]
    mid = (xs[0] + xs[-1]) / 2
    rows = {"keys": 0.0, "scores": 1.3, "weights": 2.5, "context": 4.1}
    q_x, q_y = xs[0] - 1.9, 0.65
    d.box(q_x, q_y, PALETTE[2], "s<sub>i−1</sub>", opacity=0.35)        # the query, below the scores it feeds
    d.label(q_x, q_y - HALF_H - 0.05, "query:<br>previous<br>decoder state", size=11, yanchor="top")
    for j, (x, key, score, weight) in enumerate(zip(xs, keys, scores, weights), start=1):
        d.box(x, rows["keys"], PALETTE[0], f"h<sub>{j}</sub>")
        d.label(x, rows["keys"] - 0.38, key, size=12)
        d.box(x, rows["scores"], PALETTE[4], f"e<sub>i{j}</sub> = {score:g}", half_w=0.55, size=13)
        d.arrow(x, rows["keys"] + HALF_H, x, rows["scores"] - HALF_H)
        d.arrow(q_x + HALF_W, q_y, x - 0.3, rows["scores"] - HALF_H, color=PALETTE[2], width=1.2)
        height = 0.9 * weight                  # a bar as tall as the weight, on the weights row
        base = rows["weights"] - 0.45
        d.fig.add_shape(type="rect", x0=x - 0.25, x1=x + 0.25, y0=base, y1=base + height, fillcolor=PALETTE[5],
                        opacity=0.7, line=dict(color=PALETTE[5], width=1))
        d.label(x + 0.3, base + height, f"α<sub>i{j}</sub> = {weight:.2f}", size=11, xanchor="left", yanchor="bottom")
        d.arrow(x, rows["scores"] + HALF_H, x, base - 0.02, width=1.2)
        d.arrow(x, base + height + 0.02, mid, rows["context"] - 0.3, color=PALETTE[5], width=1 + 3 * weight)
    d.box(mid, rows["context"], PALETTE[1], "c<sub>i</sub> = Σ<sub>j</sub> α<sub>ij</sub> h<sub>j</sub>",
          opacity=0.45, half_w=0.9, half_h=0.3, size=15)
    # The names of the rows, in a column of the drawing itself (not in a margin), wrapped to lines of at
    # most 14 characters: text keeps its size in pixels, so it must fit the column at a phone's width.
    side = xs[-1] + 1.7
    for name, text in SIDE_LABELS:
        d.label(side, rows[name] + (0.2 if name == "weights" else 0), text, size=11, xanchor="left", align="left")
    fig = d.finish("One attention step: query, keys, scores, weights, context",
                   (q_x - 1.0, side + SIDE_WIDTH), (-0.8, 4.5), height=350)
    fig.update_yaxes(constrain="domain", constraintoward="top")   # on a phone the spare room goes below, not above
    strongest = keys[int(np.argmax(weights))]
    return describe(fig, caption=(
        "One output step reads the source, as Bahdanau et al. arrange it: the previous decoder state sᵢ₋₁ "
        "scores every encoder state, the softmax turns "
        "the scores into weights, and the context is the weighted sum of the encoder states. Every source "
        "position is one step from the output, and the weights say how much each one counts."),
        alt=(f"Diagram: a query box, the previous decoder state, connects to {n} score boxes, one per encoder "
             f"state ({', '.join(keys)}); "
             f"the scores {', '.join(f'{s:g}' for s in scores)} become weights drawn as bars "
             f"({', '.join(f'{w:.2f}' for w in weights)}), the tallest for {strongest}, which flow into one "
             "context box."))
