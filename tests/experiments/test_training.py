"""The training tools do what the chapter says (helpers/experiments/training.py): detaching cuts the
graph, truncated BPTT stops the gradient at the window, clipping prevents the blow-up that plain SGD
suffers at a large spectral radius, and every threshold is checked before the first run."""
import numpy as np
import pytest
import torch
from torch import nn

from helpers.core.seeding import seeded
from helpers.experiments import training
from helpers.experiments.tasks import delayed_echo
from helpers.experiments.training import (
    ClippingRun,
    SequenceModel,
    clip_or_skip,
    clipping_experiment,
    detach_state,
    echo_accuracy,
    truncated_bptt,
    truncated_gradient_reach,
)

from tests.messages import names


# --- detach_state -------------------------------------------------------------------------------

def test_detach_state_tensor():
    leaf = torch.ones(2, 3, requires_grad=True)
    state = leaf * 2
    cut = detach_state(state)
    assert state.requires_grad and not cut.requires_grad
    assert torch.equal(cut, state)


def test_detach_state_lstm_tuple_and_none():
    leaf = torch.ones(2, 3, requires_grad=True)
    state = (leaf * 2, leaf * 3)
    cut = detach_state(state)
    assert isinstance(cut, tuple) and len(cut) == 2
    assert not any(s.requires_grad for s in cut)
    assert all(torch.equal(a, b) for a, b in zip(cut, state))
    assert detach_state(None) is None


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_detached_state_carries_values_but_no_gradient(cell):
    with seeded(0):
        model = SequenceModel(cell, 1, 8, 1)
    x = torch.randn(12, 2, 1, generator=torch.Generator().manual_seed(0), requires_grad=True)
    _, state = model(x[:6])
    out_cut, _ = model(x[6:], detach_state(state))
    out_kept, _ = model(x[6:], state)                    # the same two calls, the state not detached
    assert torch.equal(out_cut, out_kept), "detaching changed a value"   # the same arithmetic: equal exactly
    out_cut.sum().backward(retain_graph=True)
    assert (x.grad[:6] == 0).all() and (x.grad[6:] != 0).any()
    x.grad = None
    out_kept.sum().backward()
    assert (x.grad[:6] != 0).any(), "without the detach the gradient reaches the first window"


# --- truncated BPTT ----------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("seq_len, window", [(50, 20), (40, 10), (30, 7), (25, 25), (12, 100)])
def test_truncated_gradient_reaches_back_exactly_to_the_last_window(cell, seq_len, window):
    reach = truncated_gradient_reach(cell, seq_len, window, hidden_size=16, seed=1)
    assert reach.shape == (seq_len,)
    last_start = ((seq_len - 1) // window) * window
    assert (reach[:last_start] == 0).all(), "no gradient before the last window"
    assert (reach[last_start:] > 0).all(), "gradient at every step inside the last window"


def test_truncated_gradient_reach_without_truncation_matches_full_bptt():
    reach = truncated_gradient_reach("gru", 20, 20, hidden_size=8, seed=3)
    with seeded(3):
        model = SequenceModel("gru", 1, 8, 1)
    x = torch.randn(20, 1, 1, generator=torch.Generator().manual_seed(3), requires_grad=True)
    model(x)[0][-1].sum().backward()
    # one window holding the whole sequence: the same model, input and calls, so equal exactly
    np.testing.assert_array_equal(reach, x.grad.abs().flatten().numpy())


# --- clipping ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clipping_runs():
    return clipping_experiment(steps=60, progress=False)


def test_unclipped_training_diverges_and_clipped_training_does_not(clipping_runs):
    unclipped, clipped = clipping_runs
    assert unclipped.max_norm is None and clipped.max_norm == 1.0
    assert unclipped.diverged_at is not None
    # clipped at 1.0 with lr 0.2, 60 updates move the weights by at most 12 in norm: ||W_hh||_2 <= 1.5 + 12,
    # and 20 steps of backward multiply by at most 13.5**20 = 4e22, far below float32's 3.4e38, so nothing
    # can overflow and the loss stays finite (a property of the setting, not of a CPU)
    assert clipped.diverged_at is None
    assert np.isfinite(clipped.losses).all() and np.isfinite(clipped.grad_norms).all()
    # the blow-up is an explosion of the gradient, seen before the loss goes non-finite. 1e6 is an order of
    # magnitude, not a fit: the loss overflows once a prediction reaches sqrt(3.4e38) = 1.8e19, which (|h| <= 1,
    # 32 units) needs a read-out weight near 5e17, reached only through updates lr ||g|| summing to that:
    # some ||g|| >= 5e17 / (0.2 * 60) = 4e16. (Measured on x86: 2.9e18 before the first non-finite loss.)
    largest = np.nanmax(unclipped.grad_norms[: unclipped.diverged_at])
    assert largest > 1e6, f"largest gradient norm before divergence {largest:.3e}, expected an explosion above 1e6"
    assert np.isnan(unclipped.losses[unclipped.diverged_at:]).all(), "nothing is recorded after divergence"


def test_both_runs_start_from_the_same_weights_and_data(clipping_runs):
    unclipped, clipped = clipping_runs
    assert unclipped.losses[0] == clipped.losses[0]
    assert unclipped.grad_norms[0] == clipped.grad_norms[0]


def test_clipped_run_actually_clips(clipping_runs):
    """grad_norms are measured before clipping: the clipped run must have seen norms above 1.0."""
    _, clipped = clipping_runs
    # the first update is the same in both runs, before any clipping: measured 8.55 on x86, 8.5 times the
    # threshold. Rounding moves it far less: a first-order estimate (not a bound) for 20 float32 steps of sums
    # of 33 terms, forward and back, is 40 gamma_33 = 8e-5 relative, a factor 1.0001, not 8.5
    assert clipped.grad_norms[0] > 1.0, f"first gradient norm {clipped.grad_norms[0]:.3e}, expected above 1.0"


def test_diverged_at_is_the_first_non_finite_loss():
    assert ClippingRun(None, np.array([1.0, 2.0, np.inf, np.nan]), np.ones(4)).diverged_at == 2
    assert ClippingRun(None, np.array([1.0, 0.5]), np.ones(2)).diverged_at is None


def test_sequence_model_reads_out_every_step():
    model = SequenceModel("lstm", 3, 5, 2)
    out, (h, c) = model(torch.randn(9, 4, 3))
    assert out.shape == (9, 4, 2) and h.shape == c.shape == (1, 4, 5)
    assert isinstance(model.recurrent, nn.LSTM)


def test_clipping_experiment_checks_every_threshold_before_the_first_run(monkeypatch):
    """The issue's case: a bad second max_norm used to be found after the first run had trained."""
    built = []
    monkeypatch.setattr(training, "SequenceModel", lambda *args: built.append(args))
    with pytest.raises(ValueError, match=names("max_norm")):
        training.clipping_experiment(max_norms=(None, -1.0), steps=1)
    assert built == []


# --- the training steps chapter 1.3 shows --------------------------------------------------------

def _model_and_data(cell="rnn", seq_len=24, seed=0):
    with seeded(seed):
        model = SequenceModel(cell, 1, 8, 1)
    x, y = delayed_echo(4, seq_len, 3, torch.Generator().manual_seed(seed))
    return model, x, y


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_truncated_bptt_is_the_window_loop_with_a_detached_state(cell):
    """Same updates as the loop written out by hand: run a window, detach, update, and carry on."""
    model, x, y = _model_and_data(cell)
    twin = SequenceModel(cell, 1, 8, 1)
    twin.load_state_dict(model.state_dict())
    losses = truncated_bptt(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y, window=5)

    optimizer, state, expected = torch.optim.SGD(twin.parameters(), lr=0.1), None, []
    for start in range(0, len(x), 5):
        if state is not None:
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        prediction, state = twin(x[start:start + 5], state)
        loss = nn.functional.mse_loss(prediction, y[start:start + 5])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        expected.append(loss.item())
    assert losses == expected and len(losses) == 5   # 24 steps in windows of 5: the last one has 4
    for ours, theirs in zip(model.parameters(), twin.parameters()):
        assert torch.equal(ours, theirs)


def test_truncated_bptt_needs_the_detach():
    """Without it the second window's backward reaches into the first window's graph, already freed."""
    model, x, y = _model_and_data()
    prediction, state = model(x[:5])
    nn.functional.mse_loss(prediction, y[:5]).backward()
    prediction, _ = model(x[5:10], state)   # state not detached
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        nn.functional.mse_loss(prediction, y[5:10]).backward()
    truncated_bptt(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y, window=5)   # detached: fine


def _gradients(model, x, y):
    model.zero_grad()
    prediction, _ = model(x)
    nn.functional.mse_loss(prediction, y).backward()


U32 = 2.0 ** -24           # unit roundoff of float32


def gamma32(n):
    """Higham's gamma_n = n u / (1 - n u) in float32: the relative error bound of a sum of n terms."""
    return n * U32 / (1 - n * U32)


@pytest.mark.parametrize("max_norm", [1e-3, 0.05, 1e6])
def test_clip_or_skip_matches_clip_grad_norm_on_a_finite_gradient(max_norm):
    model, x, y = _model_and_data(seed=1)
    twin = SequenceModel("rnn", 1, 8, 1)
    twin.load_state_dict(model.state_dict())
    _gradients(model, x, y)
    _gradients(twin, x, y)
    lr, before = 0.5, [p.detach().clone() for p in twin.parameters()]
    norm, stepped = clip_or_skip(model.parameters(), torch.optim.SGD(model.parameters(), lr=lr), max_norm)
    expected = nn.utils.clip_grad_norm_(twin.parameters(), max_norm).item()
    torch.optim.SGD(twin.parameters(), lr=lr).step()
    # Both take the 2-norm of the same N numbers (k tensors) in float32, in whatever order: the squares (u each),
    # a sum of N then of k positive terms (gamma_N, gamma_k) and two square roots (u each) give each a relative
    # error of at most delta = gamma_(N+k+2) / 2 + 2u, so the two differ by at most 2 delta (first order).
    N, k = sum(p.numel() for p in twin.parameters()), len(before)
    delta = gamma32(N + k + 2) / 2 + 2 * U32
    assert stepped and abs(norm - expected) <= 2 * delta * expected, \
        f"norm {norm!r} against clip_grad_norm_'s {expected!r}: allowed {2 * delta * expected:.2e} (2 delta)"
    # The scale max_norm / (norm + 1e-6) then differs by 2 delta + 4u (an addition and a division each side),
    # and each clipped gradient entry by that + 2u (its own rounding): |dg| <= (2 delta + 6u) |g|; unclipped,
    # both keep g (clip_grad_norm_ multiplies by exactly 1.0). SGD's p - lr g rounds within u |p'| + u lr |g|
    # on each side. Doubled for the second-order terms.
    clipped = max_norm < norm
    for (name, ours), theirs in zip(model.named_parameters(), twin.parameters()):
        g = theirs.grad.abs()
        allowance = 2 * (lr * (2 * delta + 6 * U32) * g * clipped + 2 * U32 * (theirs.abs() + lr * g))
        excess = ((ours - theirs).abs() - allowance).max().item()
        assert excess <= 0, f"{name}: a parameter differs by {excess:.2e} more than its allowance (derived above)"
    assert any(not torch.equal(p, b) for p, b in zip(twin.parameters(), before)), "the step was taken"
    # measured norm 0.34 on x86: 6.8 times the 0.05 threshold and 3e-6 times 1e6, far beyond any rounding
    assert clipped == (max_norm < 1e6)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_clip_or_skip_skips_a_non_finite_gradient_that_a_threshold_test_lets_through(bad):
    model, x, y = _model_and_data(seed=2)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    _gradients(model, x, y)
    model.head.weight.grad[0, 0] = bad   # one bad entry in one parameter
    assert not (float("nan") > 10)       # why a plain threshold test misses NaN

    twin = SequenceModel("rnn", 1, 8, 1)
    twin.load_state_dict(model.state_dict())
    for p, q in zip(model.parameters(), twin.parameters()):
        q.grad = p.grad.clone()
    nn.utils.clip_grad_norm_(twin.parameters(), 1.0)
    assert torch.isnan(twin.head.weight.grad[0, 0]), "clip_grad_norm_ leaves a NaN (inf times 0 is NaN)"
    if bad != bad:   # a NaN norm scales every gradient by NaN
        assert torch.isnan(twin.recurrent.weight_hh_l0.grad).all()

    norm, stepped = clip_or_skip(model.parameters(), torch.optim.SGD(model.parameters(), lr=0.5), 1.0)
    assert not stepped and not np.isfinite(norm)
    for n, p in model.named_parameters():
        assert torch.equal(p, before[n]), f"{n} changed although the step was skipped"
        assert p.grad is None or torch.count_nonzero(p.grad) == 0


def test_clip_or_skip_rejects_a_bad_threshold():
    model, x, y = _model_and_data()
    _gradients(model, x, y)
    with pytest.raises(ValueError, match="max_norm"):
        clip_or_skip(model.parameters(), torch.optim.SGD(model.parameters(), lr=0.1), 0.0)


# --- scoring the delayed echo ----------------------------------------------------------------------
# Accuracies are counts over counts, a single division of two integers: compared exactly with the same
# division written out.

def _echo(n=3, seq_len=7, delay=2, seed=0):
    """delayed_echo's targets, and predictions with their signs at t >= delay and nonsense before."""
    _, targets = delayed_echo(n, seq_len, delay, torch.Generator().manual_seed(seed))
    predictions = 0.3 * targets                  # the right sign wherever a sign is asked for
    predictions[:delay] = -5.0                   # targets there are 0: any nonzero prediction is "wrong"
    return predictions, targets


@pytest.mark.parametrize("delay", [0, 1, 2, 6])
def test_echo_accuracy_ignores_the_first_delay_steps(delay):
    predictions, targets = _echo(delay=delay)
    assert echo_accuracy(predictions, targets, delay) == 1.0


@pytest.mark.parametrize("delay", [0, 1, 2, 6])
def test_echo_accuracy_scores_step_delay_itself(delay):
    """One wrong sign at t = delay, the first scored step: one miss out of n (seq_len - delay)."""
    n, seq_len = 3, 7
    predictions, targets = _echo(n, seq_len, delay)
    predictions[delay, 1] = -predictions[delay, 1]
    scored = n * (seq_len - delay)
    assert echo_accuracy(predictions, targets, delay) == (scored - 1) / scored


def test_echo_accuracy_scores_the_last_step_and_counts_a_zero_prediction_as_wrong():
    n, seq_len, delay = 2, 5, 3
    predictions, targets = _echo(n, seq_len, delay)
    predictions[-1, 0] = 0.0                     # no sign at all: wrong
    predictions[-1, 1] = -predictions[-1, 1]     # the wrong sign
    assert echo_accuracy(predictions, targets, delay) == 2 / 4


def test_echo_accuracy_by_hand():
    """seq_len 4, one sequence, delay 1: targets x_{t-1} at t = 1, 2, 3; predictions right at t = 1 and 3."""
    targets = torch.tensor([0.0, 1.0, -1.0, 1.0]).reshape(4, 1, 1)
    predictions = torch.tensor([1.0, 0.2, 0.7, 3.0]).reshape(4, 1, 1)   # t = 0 unscored, t = 2 wrong
    assert echo_accuracy(predictions, targets, 1) == 2 / 3
    assert echo_accuracy(predictions, targets, 2) == 1 / 2
    assert echo_accuracy(predictions, targets, 3) == 1.0


def test_tbptt_echo_accuracy_scores_with_echo_accuracy(monkeypatch):
    seen = []

    def spy(predictions, targets, delay):
        seen.append((predictions.shape, targets.shape, delay))
        return 0.5

    monkeypatch.setattr(training, "echo_accuracy", spy)
    assert training.tbptt_echo_accuracy("rnn", 4, 3, seq_len=10, steps=1, batch=2, progress=False) == 0.5
    assert seen == [((10, 256, 1), (10, 256, 1), 3)]


@pytest.mark.parametrize("call, parameter", [
    (lambda: echo_accuracy(torch.zeros(5, 2, 1), torch.zeros(5, 2, 1), 5), "delay"),
    (lambda: echo_accuracy(torch.zeros(5, 2, 1), torch.zeros(5, 2, 1), -1), "delay"),
    (lambda: echo_accuracy(torch.zeros(5, 2, 1), torch.zeros(4, 2, 1), 1), "predictions"),
    (lambda: echo_accuracy(torch.zeros(5, 2), torch.zeros(5, 2), 1), "predictions"),
    (lambda: echo_accuracy([0.0], torch.zeros(5, 2, 1), 1), "predictions"),
])
def test_echo_accuracy_rejects_bad_input(call, parameter):
    with pytest.raises(ValueError, match=names(parameter)):
        call()
