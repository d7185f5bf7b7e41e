"""A claim about trained runs, stated in words with its per-seed numbers, and how far each seed is
from the claim's threshold.

Training gives other numbers on another CPU (ATen and MKL choose their kernels by instruction set;
rounding differs and a few hundred updates amplify it), so a chapter never checks a trained number
itself. It checks a verdict: "on each of the 3 seeds, <claim>: yes". The verdict line is what nbval
compares; the per-seed numbers printed after it in parentheses are this run's and are left out of
the comparison (tests/nbval_sanitize.cfg). A verdict is only worth checking when every seed clears
its threshold by a margin wider than what another CPU does to training: tests/verdict_margins.py
measures those margins over more seeds and three CPU code paths, from the `margins` each claim records.

Used in: 1.3, 1.4, 1.5, 1.6, 1.7, the summary.
"""
import math
from dataclasses import dataclass, field

from helpers.core.checks import check_float

RECORDED = []   # every claim stated in this kernel, in order: what tests/verdict_margins.py reads back


@dataclass
class Claim:
    """`text` holds on a seed when its value is >= `low` (or > it, `strict`) and <= `high` (or <).

    values: {seed: the measured number the claim is about}; shown: how a value prints ("{:.0%}");
    what: the name of the printed values ("lowest accuracy"); over: what the keys of `values` are
    ("seeds", or "inits" for a claim over initialisations).
    """
    text: str
    values: dict
    low: float = None
    high: float = None
    strict: bool = False
    shown: str = "{:.3g}"
    what: str = "value"
    over: str = "seeds"
    margins: dict = field(init=False)

    def __post_init__(self):
        if not self.values:
            raise ValueError("values must hold at least one seed's number")
        if self.low is None and self.high is None:
            raise ValueError("a claim needs a threshold: low, high or both")
        for bound in ("low", "high"):
            if getattr(self, bound) is not None:
                check_float(bound, getattr(self, bound))
        self.values = {seed: float(v) for seed, v in self.values.items()}
        # how far each seed is inside the claim (negative: outside), in the values' own unit
        self.margins = {seed: min(v - self.low if self.low is not None else math.inf,
                                  self.high - v if self.high is not None else math.inf)
                        for seed, v in self.values.items()}
        RECORDED.append(self)

    def holds_on(self, seed):
        m = self.margins[seed]
        return m > 0 if self.strict else m >= 0

    @property
    def holds(self):
        return all(self.holds_on(s) for s in self.values)

    def __repr__(self):
        keys = list(self.values)
        failing = [k for k in keys if not self.holds_on(k)]
        one = self.over[:-1] if self.over.endswith("s") else self.over
        if len(keys) == 1:
            where = f"With {one} {keys[0]}"
        elif not failing:
            where = f"On each of the {len(keys)} {self.over}"
        else:
            where = f"On {len(keys) - len(failing)} of the {len(keys)} {self.over} (not {', '.join(map(str, failing))})"
        numbers = ", ".join(self.shown.format(self.values[k]) for k in keys)
        return f"{where}, {self.text}: {'yes' if not failing else 'no'} ({self.what} per {one}: {numbers})"

    def as_dict(self):
        return dict(text=self.text, over=self.over, values={str(k): v for k, v in self.values.items()},
                    margins={str(k): m for k, m in self.margins.items()}, low=self.low, high=self.high,
                    strict=self.strict, what=self.what)


def verdict(*claims):
    """Print the claims, one line each (the cell's checked output)."""
    for claim in claims:
        print(repr(claim))
