"""What the course's diagrams share: one plotly figure in data coordinates, labels, and the finish.

A diagram (an LSTM cell, the encoder-decoder bottleneck, attention's data flow) is drawn shape by
shape on equal axis scales with the axes hidden; each diagram module adds its own primitives
(gates, state boxes, wires) on top of this class.

Used by: helpers.figures.cell_diagrams, helpers.figures.flow_diagrams.
"""
import plotly.graph_objects as go


class Drawing:
    """A figure with equal axis scales (1 unit right = 1 unit up) and no axes, built up shape by shape."""

    def __init__(self, label_size=13, top_margin=60):
        self.fig = go.Figure()
        self.label_size, self.top_margin = label_size, top_margin

    def label(self, x, y, text, size=None, **style):
        self.fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=size or self.label_size),
                                **style)

    def finish(self, title, x_range, y_range, height):
        self.fig.update_xaxes(visible=False, range=list(x_range))
        self.fig.update_yaxes(visible=False, range=list(y_range), scaleanchor="x", scaleratio=1)
        self.fig.update_layout(title=title, height=height, hovermode=False, showlegend=False,
                               margin=dict(l=10, r=10, t=self.top_margin, b=10))
        return self.fig
