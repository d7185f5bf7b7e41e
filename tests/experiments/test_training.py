"""The training tools do what the chapter says (helpers/experiments/training.py): detaching cuts the
graph, truncated BPTT stops the gradient at the window, clipping prevents the blow-up that plain SGD
suffers at a large spectral radius, and every threshold is checked before the first run."""
import numpy as np
import pytest
import torch
from torch import nn

from helpers.experiments import training
from helpers.experiments.tasks import delayed_echo
from helpers.experiments.training import (
    ClippingRun,
    SequenceModel,
    clip_or_skip,
    clipping_experiment,
    detach_state,
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
    torch.manual_seed(0)
    model = SequenceModel(cell, 1, 8, 1)
    x = torch.randn(12, 2, 1, requires_grad=True)
    _, state = model(x[:6])
    out_cut, _ = model(x[6:], detach_state(state))
    out_full, _ = model(x)
    torch.testing.assert_close(out_cut, out_full[6:])      # same forward values
    out_cut.sum().backward()
    assert (x.grad[:6] == 0).all() and (x.grad[6:] != 0).any()


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
    torch.manual_seed(3)
    reach = truncated_gradient_reach("gru", 20, 20, hidden_size=8, seed=3)
    torch.manual_seed(3)
    model = SequenceModel("gru", 1, 8, 1)
    x = torch.randn(20, 1, 1, generator=torch.Generator().manual_seed(3), requires_grad=True)
    model(x)[0][-1].sum().backward()
    np.testing.assert_allclose(reach, x.grad.abs().flatten().numpy(), rtol=1e-6)


# --- clipping ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def clipping_runs():
    return clipping_experiment(steps=60, progress=False)


def test_unclipped_training_diverges_and_clipped_training_does_not(clipping_runs):
    unclipped, clipped = clipping_runs
    assert unclipped.max_norm is None and clipped.max_norm == 1.0
    assert unclipped.diverged_at is not None
    assert clipped.diverged_at is None
    assert np.isfinite(clipped.losses).all() and np.isfinite(clipped.grad_norms).all()
    # the blow-up is an explosion of the gradient, seen before the loss goes non-finite
    assert np.nanmax(unclipped.grad_norms[: unclipped.diverged_at]) > 1e6
    assert np.isnan(unclipped.losses[unclipped.diverged_at:]).all(), "nothing is recorded after divergence"


def test_both_runs_start_from_the_same_weights_and_data(clipping_runs):
    unclipped, clipped = clipping_runs
    assert unclipped.losses[0] == clipped.losses[0]
    assert unclipped.grad_norms[0] == clipped.grad_norms[0]


def test_clipped_run_actually_clips(clipping_runs):
    """grad_norms are measured before clipping: the clipped run must have seen norms above 1.0."""
    _, clipped = clipping_runs
    assert (clipped.grad_norms > 1.0).any()


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
    torch.manual_seed(seed)
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


@pytest.mark.parametrize("max_norm", [1e-3, 0.05, 1e6])
def test_clip_or_skip_matches_clip_grad_norm_on_a_finite_gradient(max_norm):
    model, x, y = _model_and_data(seed=1)
    twin = SequenceModel("rnn", 1, 8, 1)
    twin.load_state_dict(model.state_dict())
    _gradients(model, x, y)
    _gradients(twin, x, y)
    norm, stepped = clip_or_skip(model.parameters(), torch.optim.SGD(model.parameters(), lr=0.5), max_norm)
    expected = nn.utils.clip_grad_norm_(twin.parameters(), max_norm)
    torch.optim.SGD(twin.parameters(), lr=0.5).step()
    assert stepped and norm == pytest.approx(expected.item(), rel=1e-6)
    for ours, theirs in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-7)
    clipped = max_norm < norm
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
