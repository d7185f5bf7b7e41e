"""Plotly only: the course's figure style, diagrams, and the figure halves of the experiments and
measurements. Figures draw results they are given; they never train."""
