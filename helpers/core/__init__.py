"""The bottom layer: argument checks, device, seeds, progress bars, tables and the glued values of
the prose. It imports nothing else of helpers."""
