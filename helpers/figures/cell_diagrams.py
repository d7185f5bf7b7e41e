"""Diagrams of one LSTM step and one GRU step, gate by gate, drawn with plotly shapes.

Builders only, like sequence_figures.unrolled_rnn_figure: boxes are the gates (a learned layer
each), circles the element-wise operations, arrows the data. Wires are a mid grey and boxes
translucent, so a diagram reads on the site's light and dark backgrounds alike (course.css
recolours the text). The labels follow chapter 1.4's equations and helpers.gated's step functions.

Used in: 1.4.
"""
from helpers.figures.diagrams import Drawing
from helpers.figures.plots import PALETTE, describe

WIRE = "#8c96a0"        # readable on white and on the dark theme's background
HIGHWAY = PALETTE[1]    # the path that carries the state from step to step
GATE_W, GATE_H, OP_R = 0.42, 0.32, 0.24


class _Drawing(Drawing):
    """A cell's primitives: its frame, gates, element-wise operations and wires."""

    def __init__(self):
        super().__init__(label_size=14, top_margin=50)

    def frame(self, x0, y0, x1, y1):
        self.fig.add_shape(type="rect", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color=WIRE, width=1, dash="dot"),
                           layer="below")

    def gate(self, x, y, symbol, name, color, name_right=False):
        """A learned layer: a box with its activation inside and the gate's name under it (or right of it)."""
        self.fig.add_shape(type="rect", x0=x - GATE_W, x1=x + GATE_W, y0=y - GATE_H, y1=y + GATE_H,
                           line=dict(color=color, width=2), fillcolor=color, opacity=0.3, layer="below")
        self.fig.add_annotation(x=x, y=y, text=symbol, showarrow=False, font=dict(size=15))
        if name_right:
            self.fig.add_annotation(x=x + GATE_W + 0.08, y=y, text=name, showarrow=False, xanchor="left",
                                    font=dict(size=12))
        else:
            self.fig.add_annotation(x=x, y=y - GATE_H - 0.22, text=name, showarrow=False, font=dict(size=12))

    def linear(self, x, y, text, color):
        """A learned linear layer with no activation: an outlined box, unfilled, with its matrix inside."""
        self.fig.add_shape(type="rect", x0=x - GATE_W, x1=x + GATE_W, y0=y - GATE_H, y1=y + GATE_H,
                           line=dict(color=color, width=2), layer="below")
        self.fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=14))

    def op(self, x, y, text):
        """An element-wise operation: a circle (×, +, tanh, 1−)."""
        self.fig.add_shape(type="circle", x0=x - OP_R, x1=x + OP_R, y0=y - OP_R, y1=y + OP_R,
                           line=dict(color=WIRE, width=2), layer="below")
        self.fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=14 if len(text) == 1 else 11))

    def wire(self, *points, color=WIRE, width=2, arrow=True):
        """A polyline through `points`; its last segment ends in an arrowhead."""
        for (x0, y0), (x1, y1) in zip(points[:-2], points[1:-1]):
            self.fig.add_shape(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color=color, width=width))
        (x0, y0), (x1, y1) = points[-2], points[-1]
        if arrow:
            self.fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                                    showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=width, arrowcolor=color)
        else:
            self.fig.add_shape(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color=color, width=width))



def lstm_cell_figure():
    """One LSTM step: the cell state runs along the top, the four gates read [h_{t-1}, x_t] below it."""
    d = _Drawing()
    d.frame(1.0, 0.55, 9.1, 5.75)
    top, gates, bus = 5.0, 2.0, 1.0
    x_f, x_i, x_g, x_o = 2.4, 3.7, 4.9, 6.7
    # the cell state: c_{t-1} -> x f_t -> + i_t g_t -> c_t, no weight matrix on the way
    d.label(0.55, top, "c<sub>t−1</sub>", xanchor="right")
    d.wire((0.6, top), (x_f - OP_R, top), color=HIGHWAY, width=3)
    d.op(x_f, top, "×")
    d.wire((x_f + OP_R, top), (4.3 - OP_R, top), color=HIGHWAY, width=3)
    d.op(4.3, top, "+")
    d.wire((4.3 + OP_R, top), (9.5, top), color=HIGHWAY, width=3)
    d.label(9.55, top, "c<sub>t</sub>", xanchor="left")
    d.label(5.9, top + 0.38, "cell state: c<sub>t</sub> = f<sub>t</sub> ⊙ c<sub>t−1</sub> + i<sub>t</sub> ⊙ g<sub>t</sub>",
            size=12)
    # the input bus: h_{t-1} from the left, x_t from below, read by every gate
    d.label(0.55, bus, "h<sub>t−1</sub>", xanchor="right")
    d.wire((0.6, bus), (x_o, bus), arrow=False)
    d.label(1.6, 0.05, "x<sub>t</sub>")
    d.wire((1.6, 0.25), (1.6, bus), arrow=False)
    for x, symbol, name, color in ((x_f, "σ", "forget f<sub>t</sub>", PALETTE[5]), (x_i, "σ", "input i<sub>t</sub>", PALETTE[2]),
                                   (x_g, "tanh", "candidate g<sub>t</sub>", PALETTE[4]),
                                   (x_o, "σ", "output o<sub>t</sub>", PALETTE[3])):
        d.wire((x, bus), (x, gates - GATE_H - 0.42))
        d.gate(x, gates, symbol, name, color)
    # gates to their products
    d.wire((x_f, gates + GATE_H), (x_f, top - OP_R))
    d.op(4.3, 3.6, "×")
    d.wire((x_i, gates + GATE_H), (x_i, 3.6), (4.3 - OP_R, 3.6))
    d.wire((x_g, gates + GATE_H), (x_g, 3.6), (4.3 + OP_R, 3.6))
    d.wire((4.3, 3.6 + OP_R), (4.3, top - OP_R))
    # the output: h_t = o_t ⊙ tanh(c_t)
    d.op(7.9, 4.2, "tanh")
    d.wire((7.9, top), (7.9, 4.2 + OP_R))
    d.op(7.9, 3.0, "×")
    d.wire((7.9, 4.2 - OP_R), (7.9, 3.0 + OP_R))
    d.wire((x_o, gates + GATE_H), (x_o, 3.0), (7.9 - OP_R, 3.0))
    d.wire((7.9 + OP_R, 3.0), (8.6, 3.0), (8.6, bus), (9.5, bus))
    d.label(9.55, bus, "h<sub>t</sub>", xanchor="left")
    d.label(5.6, 0.25, "[h<sub>t−1</sub>, x<sub>t</sub>] feeds every gate", size=11)
    fig = d.finish("One LSTM step: three gates and a candidate around the cell state", (-0.5, 10.4), (-0.2, 6.0), 470)
    return describe(fig, caption=("One step of an LSTM. Boxes are learned layers (σ for a gate, tanh for the "
                                  "candidate), circles element-wise operations. Along the top line the cell state "
                                  "is only multiplied by the forget gate and added to, so a gradient can travel "
                                  "along it without meeting a weight matrix."),
                    alt=("Diagram of an LSTM cell: the cell state runs left to right along the top through a "
                         "multiplication by the forget gate and an addition of input gate times candidate; the "
                         "previous hidden state and the input feed four boxes (forget, input, candidate, output); "
                         "the new hidden state is the output gate times tanh of the new cell state."))


def gru_cell_figure():
    """One GRU step in PyTorch's form: the state runs along the top, mixed with the candidate by z_t.

    The reset gate multiplies W_hn h_{t-1} + b_hn, the old state *after* its own linear layer (the box
    W_hn), not h_{t-1} itself: that would be Cho et al.'s original form, a different function.
    """
    d = _Drawing()
    d.frame(1.0, 0.55, 9.1, 5.75)
    top, gates, bus, mid, mix = 5.0, 2.0, 1.0, 3.0, 4.0
    x_z, x_r, x_hn, x_n, x_mix = 2.6, 3.8, 5.0, 6.2, 6.2
    # the state line: h_{t-1} -> x z_t -> + (1 - z_t) n_t -> h_t
    d.label(0.55, top, "h<sub>t−1</sub>", xanchor="right")
    d.wire((0.6, top), (x_z - OP_R, top), color=HIGHWAY, width=3)
    d.op(x_z, top, "×")
    d.wire((x_z + OP_R, top), (x_mix - OP_R, top), color=HIGHWAY, width=3)
    d.op(x_mix, top, "+")
    d.wire((x_mix + OP_R, top), (9.5, top), color=HIGHWAY, width=3)
    d.label(9.55, top, "h<sub>t</sub>", xanchor="left")
    d.label(5.0, top + 0.38, "h<sub>t</sub> = z<sub>t</sub> ⊙ h<sub>t−1</sub> + (1 − z<sub>t</sub>) ⊙ n<sub>t</sub>",
            size=12)
    # h_{t-1} also goes down to the gates and to W_hn; x_t comes in from below
    d.wire((1.3, top), (1.3, bus), (x_hn, bus), arrow=False)
    d.label(1.9, 0.05, "x<sub>t</sub>")
    d.wire((1.9, 0.25), (1.9, bus), arrow=False)                             # x_t joins the gates' input
    d.wire((1.9, 0.7), (x_n + 0.2, 0.7), (x_n + 0.2, mid - GATE_H))          # and feeds the candidate
    for x, name, color in ((x_z, "update z<sub>t</sub>", PALETTE[1]), (x_r, "reset r<sub>t</sub>", PALETTE[5])):
        d.wire((x, bus), (x, gates - GATE_H - 0.42))
        d.gate(x, gates, "σ", name, color)
    # PyTorch's form: the old state first passes its own linear layer, then the reset gate scales it
    d.linear(x_hn, gates, "W<sub>hn</sub>", PALETTE[4])
    d.wire((x_hn, bus), (x_hn, gates - GATE_H))
    d.op(x_hn, mid, "×")
    d.wire((x_hn, gates + GATE_H), (x_hn, mid - OP_R))
    d.wire((x_r, gates + GATE_H), (x_r, mid), (x_hn - OP_R, mid))
    d.wire((x_hn + OP_R, mid), (x_n - GATE_W, mid))
    d.label(x_hn - 0.35, mid + 0.42, "r<sub>t</sub> ⊙ (W<sub>hn</sub>h<sub>t−1</sub> + b<sub>hn</sub>)", size=10)
    d.gate(x_n, mid, "tanh", "candidate n<sub>t</sub>", PALETTE[4], name_right=True)
    # z_t keeps the old state; 1 - z_t lets the candidate in
    d.wire((x_z, gates + GATE_H), (x_z, top - OP_R))
    d.op(4.2, mix, "1−")
    d.wire((x_z, mix), (4.2 - OP_R, mix))
    d.op(x_mix, mix, "×")
    d.wire((4.2 + OP_R, mix), (x_mix - OP_R, mix))
    d.wire((x_n, mid + GATE_H), (x_mix, mix - OP_R))
    d.wire((x_mix, mix + OP_R), (x_mix, top - OP_R))
    d.wire((8.3, top), (8.3, bus), (9.5, bus))
    d.label(9.55, bus, "h<sub>t</sub>", xanchor="left")
    fig = d.finish("One GRU step: two gates and a candidate, one state", (-0.5, 10.4), (-0.2, 6.0), 470)
    return describe(fig, caption=("One step of a GRU, in PyTorch's form. The update gate z_t decides, unit by unit, "
                                  "how much of the old state to keep and how much of the candidate n_t to let in; "
                                  "the reset gate r_t scales the old state's contribution to the candidate after "
                                  "its own linear layer W_hn (Cho et al.'s original GRU scales h_t−1 before it). "
                                  "With z_t near 1 the state passes along the top line almost unchanged."),
                    alt=("Diagram of a GRU cell: the hidden state runs left to right along the top, multiplied by "
                         "the update gate and added to one minus the update gate times the candidate; the old "
                         "state also passes a linear layer W_hn, whose output the reset gate multiplies before it "
                         "enters the candidate; the input feeds the gates and the candidate from below."))
