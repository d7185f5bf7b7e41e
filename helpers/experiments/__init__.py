"""The runs whose numbers the prose quotes: tasks, training loops, gradient flow, long-range
recall, the encoder-decoder runs. No plotly, no widgets: they import only core and models."""
