"""Counted work and timed speed: the course's one timer, FLOPs and dependent products counted from
what PyTorch runs, and the speed measurements of chapters 1.2, 1.4, 1.5, 1.7 and 1.8. No plotly."""
