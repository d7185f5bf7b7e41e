"""The toy tasks pose the problem they claim to (helpers/experiments/tasks.py): the adding problem's
target is the sum of its two marked values, the delayed echo is its input shifted, and a generator
makes both repeatable."""
import pytest
import torch

from helpers.experiments.tasks import adding_problem, delayed_echo


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
        # exact: value * 0 = 0 and value * 1 = value are exact, adding zeros is exact, and the one addition
        # left, a + b, rounds the same in any order: both sides are fl(a + b)
        assert targets[k, 0].item() == values[marked, k].sum().item()


def test_adding_problem_spreads_markers_over_each_half():
    inputs, _ = adding_problem(2000, 20, torch.Generator().manual_seed(0))
    # each half's marker is uniform over its 10 positions: a given position is never drawn in 2000
    # sequences with probability 0.9**2000 < 1e-91, some position of 20 with at most 20 times that
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
