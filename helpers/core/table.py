"""How the course prints computed numbers: a Table (Markdown in a notebook, aligned text elsewhere)
and `value_range`, the "low to high" the prose quotes for results over several seeds.

Used in: 1.3, 1.4, 1.5, 1.6, 1.7, the summary.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    columns: tuple
    rows: tuple

    def _cells(self):
        return [list(self.columns)] + [[str(c) for c in row] for row in self.rows]

    def __repr__(self):
        cells = self._cells()
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells)

    def _repr_markdown_(self):
        head, *body = self._cells()
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])


def value_range(values, fmt="{}"):
    """'low to high' of values formatted with fmt, or the one value when they print alike.

    The prose quotes results over several seeds this way, so a sentence states their spread.
    """
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one number")
    low, high = fmt.format(min(values)), fmt.format(max(values))
    return low if low == high else f"{low} to {high}"
