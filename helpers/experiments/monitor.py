"""A gradient-health check to call after loss.backward().

Parameter-gradient norms catch explosions (huge or non-finite values), but they cannot see
vanishing: a weight's gradient is a sum over time steps, and the recent steps keep it healthy
while the early steps contribute nothing. So the check also looks along time, at ||dL/dx_t||
for inputs that require grad, and flags a sequence whose first steps get a vanishing share.

A NaN is never read as vanishing: a non-finite input gradient is reported as non-finite (under
the name "inputs"), and a ratio that cannot be formed (no gradient at the first or the last step,
0 / 0) is reported as undefined. Neither is healthy.

Used in: 1.3.
"""
import math
from dataclasses import dataclass, field

import torch

from helpers.core.checks import check_float


@dataclass
class GradientHealth:
    total_norm: float
    param_norms: dict
    exploding: list = field(default_factory=list)    # parameters whose grad norm is above the limit
    nonfinite: list = field(default_factory=list)    # parameters (and "inputs") with inf or NaN in their grad
    time_ratio: float | None = None                  # ||dL/dx_first|| / ||dL/dx_last||, if inputs given
    vanishing: bool = False                          # a number below vanish_below: never NaN

    @property
    def ratio_undefined(self):
        """The inputs were given but their first/last ratio is NaN (non-finite, or 0 / 0)."""
        return self.time_ratio is not None and math.isnan(self.time_ratio)

    @property
    def healthy(self):
        return not (self.exploding or self.nonfinite or self.vanishing or self.ratio_undefined)

    def __str__(self):
        lines = [f"total gradient norm {self.total_norm:.3e}"]
        if self.nonfinite:
            lines.append("NON-FINITE gradients (inf/NaN) in: " + ", ".join(self.nonfinite))
        if self.exploding:
            lines.append("EXPLODING gradients in: " + ", ".join(self.exploding))
        if self.ratio_undefined:
            lines.append("first/last step gradient ratio UNDEFINED (a non-finite gradient, or none at both ends)")
        elif self.time_ratio is not None:
            verdict = "VANISHING along time" if self.vanishing else "reaches the first steps"
            lines.append(f"first/last step gradient ratio {self.time_ratio:.3e}: {verdict}")
        lines.append("healthy" if self.healthy else "needs attention")
        return "\n".join(lines)


def gradient_health(model, inputs=None, explode_above=1e3, vanish_below=1e-6):
    """Inspect the gradients left by loss.backward().

    inputs: optional tensor (seq_len, batch, features) with requires_grad=True that fed the model;
    its gradient along time is compared, first step against last.
    """
    explode_above = check_float("explode_above", explode_above, low=0.0, low_inclusive=False)
    vanish_below = check_float("vanish_below", vanish_below, low=0.0, low_inclusive=False)
    norms = {name: p.grad.detach().to(torch.float64).norm().item()
             for name, p in model.named_parameters() if p.grad is not None}
    if not norms:
        raise ValueError("the model has no gradients: call loss.backward() before gradient_health")
    report = GradientHealth(total_norm=math.sqrt(sum(n * n for n in norms.values())), param_norms=norms)
    report.nonfinite = [name for name, n in norms.items() if not math.isfinite(n)]
    report.exploding = [name for name, n in norms.items() if math.isfinite(n) and n > explode_above]
    if inputs is not None:
        if inputs.grad is None:
            raise ValueError("inputs has no gradient: create it with requires_grad=True before the forward pass")
        per_step = inputs.grad.detach().to(torch.float64).flatten(1).norm(dim=1)
        if torch.isfinite(per_step).all():
            report.time_ratio = _ratio(per_step[0].item(), per_step[-1].item())
        else:                                   # an inf or NaN along time is an explosion, not a small ratio
            report.nonfinite.append("inputs")
            report.time_ratio = float("nan")
        # a NaN ratio is not a small one: `not (nan >= x)` would call it vanished, `nan < x` does not
        report.vanishing = report.time_ratio < vanish_below
    return report


def _ratio(first, last):
    """first / last of two finite norms >= 0: inf when only the last is 0, NaN when both are."""
    if last == 0:
        return float("nan") if first == 0 else float("inf")
    return first / last
