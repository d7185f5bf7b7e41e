"""The toy tasks pose the problem they claim to, and the training tools do what the chapter says:
detaching cuts the graph, truncated BPTT stops the gradient at the window, clipping prevents the
blow-up that plain SGD suffers at a large spectral radius."""
import numpy as np
import pytest
import torch
from torch import nn

from helpers.tasks import adding_problem, delayed_echo
from helpers.training import ClippingRun, SequenceModel, clipping_experiment, detach_state, truncated_gradient_reach


# --- tasks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("seq_len", [2, 7, 50])
def test_adding_problem_targets_are_the_sum_of_the_two_marked_values(seq_len):
    n = 200
    inputs, targets = adding_problem(n, seq_len, torch.Generator().manual_seed(seq_len))
    assert inputs.shape == (seq_len, n, 2) and targets.shape == (n, 1)
    values, markers = inputs[..., 0], inputs[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(markers.unique().tolist()) <= {0.0, 1.0}
    assert (markers.sum(0) == 2).all(), "exactly two markers per sequence"
    half = seq_len // 2
    assert (markers[:half].sum(0) == 1).all() and (markers[half:].sum(0) == 1).all(), "one in each half"
    for k in range(n):
        marked = torch.nonzero(markers[:, k]).flatten()
        assert targets[k, 0].item() == pytest.approx(values[marked, k].sum().item(), abs=1e-6)


def test_adding_problem_spreads_markers_over_each_half():
    inputs, _ = adding_problem(2000, 20, torch.Generator().manual_seed(0))
    positions = torch.nonzero(inputs[..., 1].T)[:, 1]
    assert set(positions.tolist()) == set(range(20)), "every position can be marked"


@pytest.mark.parametrize("delay", [0, 1, 5, 29])
def test_delayed_echo_targets_are_the_inputs_shifted_by_delay(delay):
    inputs, targets = delayed_echo(16, 30, delay, torch.Generator().manual_seed(delay))
    assert inputs.shape == targets.shape == (30, 16, 1)
    assert set(inputs.unique().tolist()) == {-1.0, 1.0}
    assert (targets[:delay] == 0).all()
    for t in range(delay, 30):
        assert torch.equal(targets[t], inputs[t - delay])


def test_tasks_are_repeatable_from_a_generator():
    a = adding_problem(8, 10, torch.Generator().manual_seed(1))
    b = adding_problem(8, 10, torch.Generator().manual_seed(1))
    c = adding_problem(8, 10, torch.Generator().manual_seed(2))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert torch.equal(delayed_echo(8, 10, 3, torch.Generator().manual_seed(1))[0],
                       delayed_echo(8, 10, 3, torch.Generator().manual_seed(1))[0])


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
