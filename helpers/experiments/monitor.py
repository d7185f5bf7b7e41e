"""A gradient-health check to call after loss.backward().

Parameter-gradient norms catch explosions (huge or non-finite values), but they cannot see
vanishing: a weight's gradient is a sum over time steps, and the recent steps keep it healthy
while the early steps contribute nothing. So the check also looks along time, at ||dL/dx_t||
for inputs that require grad, and flags a sequence whose first steps get a vanishing share.

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
    nonfinite: list = field(default_factory=list)    # parameters with inf or NaN in their grad
    time_ratio: float | None = None                  # ||dL/dx_first|| / ||dL/dx_last||, if inputs given
    vanishing: bool = False

    @property
    def healthy(self):
        return not (self.exploding or self.nonfinite or self.vanishing)

    def __str__(self):
        lines = [f"total gradient norm {self.total_norm:.3e}"]
        if self.nonfinite:
            lines.append("NON-FINITE gradients (inf/NaN) in: " + ", ".join(self.nonfinite))
        if self.exploding:
            lines.append("EXPLODING gradients in: " + ", ".join(self.exploding))
        if self.time_ratio is not None:
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
        last = per_step[-1].item()
        report.time_ratio = per_step[0].item() / last if last > 0 else float("nan")
        report.vanishing = not (report.time_ratio >= vanish_below)   # NaN counts as vanished
    return report
