"""Bad input must fail early, with a ValueError that names the parameter a reader got wrong.

The course promises (helpers/checks.py) that a wrong value never surfaces as a traceback from
deep inside torch. Each case below calls a public helper the way a notebook would, with one bad
argument, and checks both the exception type and that its message names that argument.
"""
import re

import pytest
import torch

from helpers.checks import check_choice, check_float, check_int
from helpers.device import pick_device, seed_everything
from helpers.gradient_flow import gradient_flow
from helpers.inits import recurrent_matrix, rescale_to_radius
from helpers.models import TanhRNN
from helpers.tables import multiplier_table, tanh_derivative_table
from helpers.tasks import adding_problem, delayed_echo
from helpers.training import truncated_gradient_reach


def names(parameter):
    """A `match` pattern: the message starts by naming `parameter`."""
    return r"^" + re.escape(parameter) + r"\b"


# --- the three checkers themselves -------------------------------------------------------------

def test_check_int_accepts_in_range_and_returns_int():
    assert check_int("n", 3, 1) == 3
    assert check_int("n", 1, 1, 5) == 1 and check_int("n", 5, 1, 5) == 5   # bounds are inclusive
    assert type(check_int("n", torch.tensor(4).item(), 1)) is int


@pytest.mark.parametrize("value", [0, 6, 2.0, "3", True, None])
def test_check_int_rejects_and_states_allowed_range(value):
    with pytest.raises(ValueError, match=names("n") + r".*an integer in \[1, 5\]"):
        check_int("n", value, 1, 5)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), "1.0", True])
def test_check_float_rejects_non_finite_and_non_numbers(value):
    with pytest.raises(ValueError, match=names("x") + r".*a finite number"):
        check_float("x", value)


def test_check_float_bounds():
    assert check_float("x", 0.0, low=0.0) == 0.0
    with pytest.raises(ValueError, match=names("x") + r".*> 0"):
        check_float("x", 0.0, low=0.0, low_inclusive=False)
    with pytest.raises(ValueError, match=names("x") + r".*<= 1"):
        check_float("x", 1.5, high=1.0)


def test_check_choice_lists_the_options():
    assert check_choice("init", "identity", ("default", "identity")) == "identity"
    with pytest.raises(ValueError, match=names("init") + r".*'default', 'identity'.*'glorot'"):
        check_choice("init", "glorot", ("default", "identity"))


# --- every public entry point, one bad argument at a time -------------------------------------

BAD_CALLS = {
    # seq_len
    "gradient_flow seq_len 0": (lambda: gradient_flow([1.0], seq_len=0), "seq_len"),
    "gradient_flow seq_len -5": (lambda: gradient_flow([1.0], seq_len=-5), "seq_len"),
    "gradient_flow seq_len too long": (lambda: gradient_flow([1.0], seq_len=10**9), "seq_len"),
    "adding_problem seq_len 0": (lambda: adding_problem(4, 0), "seq_len"),
    "adding_problem seq_len -5": (lambda: adding_problem(4, -5), "seq_len"),
    "delayed_echo seq_len 0": (lambda: delayed_echo(4, 0, 0), "seq_len"),
    "truncated_gradient_reach seq_len -5": (lambda: truncated_gradient_reach("rnn", -5, 2), "seq_len"),
    # hidden_size
    "gradient_flow hidden_size 0": (lambda: gradient_flow([1.0], hidden_size=0), "hidden_size"),
    "recurrent_matrix hidden_size 0": (lambda: recurrent_matrix(0, "orthogonal"), "hidden_size"),
    "TanhRNN hidden_size 0": (lambda: TanhRNN(1, 0), "hidden_size"),
    "TanhRNN input_size 0": (lambda: TanhRNN(0, 4), "input_size"),
    # init
    "gradient_flow init glorot": (lambda: gradient_flow([1.0], inits="glorot"), "init"),
    "gradient_flow init list with glorot": (lambda: gradient_flow([1.0], inits=("orthogonal", "glorot")), "init"),
    "recurrent_matrix init glorot": (lambda: recurrent_matrix(4, "glorot"), "init"),
    "TanhRNN init glorot": (lambda: TanhRNN(1, 4, init="glorot"), "init"),
    # radius
    "gradient_flow radius nan": (lambda: gradient_flow([float("nan")]), "radius"),
    "gradient_flow radius inf": (lambda: gradient_flow([1.0, float("inf")]), "radius"),
    "gradient_flow radius negative": (lambda: gradient_flow([-0.5]), "radius"),
    "gradient_flow no radius": (lambda: gradient_flow([]), "radii"),
    "rescale_to_radius nan": (lambda: rescale_to_radius(torch.eye(3), float("nan")), "radius"),
    "rescale_to_radius inf": (lambda: rescale_to_radius(torch.eye(3), float("inf")), "radius"),
    "rescale_to_radius negative": (lambda: rescale_to_radius(torch.eye(3), -1.0), "radius"),
    "TanhRNN radius nan": (lambda: TanhRNN(1, 4, radius=float("nan")), "radius"),
    "TanhRNN radius inf": (lambda: TanhRNN(1, 4, radius=float("inf")), "radius"),
    "TanhRNN radius negative": (lambda: TanhRNN(1, 4, radius=-2.0), "radius"),
    # other gradient_flow arguments
    "gradient_flow dtype float16": (lambda: gradient_flow([1.0], dtype=torch.float16), "dtype"),
    "gradient_flow seed -1": (lambda: gradient_flow([1.0], seed=-1), "seed"),
    # tables
    "tanh_derivative_table activation 1.0": (lambda: tanh_derivative_table((0.5, 1.0)), "activation"),
    "tanh_derivative_table activation -1.0": (lambda: tanh_derivative_table((-1.0,)), "activation"),
    "tanh_derivative_table activation nan": (lambda: tanh_derivative_table((float("nan"),)), "activation"),
    "multiplier_table negative": (lambda: multiplier_table((-0.9,)), "multiplier"),
    "multiplier_table steps 0": (lambda: multiplier_table(steps=(0,)), "steps"),
    # tasks and training
    "delayed_echo delay == seq_len": (lambda: delayed_echo(4, 10, 10), "delay"),
    "delayed_echo delay > seq_len": (lambda: delayed_echo(4, 10, 25), "delay"),
    "delayed_echo delay negative": (lambda: delayed_echo(4, 10, -1), "delay"),
    "adding_problem n 0": (lambda: adding_problem(0, 10), "n"),
    "truncated_gradient_reach window 0": (lambda: truncated_gradient_reach("rnn", 10, 0), "window"),
    "truncated_gradient_reach cell": (lambda: truncated_gradient_reach("transformer", 10, 2), "cell"),
    # device and seeding
    "pick_device tpu": (lambda: pick_device("tpu"), "prefer"),
    "seed_everything -1": (lambda: seed_everything(-1), "seed"),
}


@pytest.mark.parametrize("call, parameter", list(BAD_CALLS.values()), ids=list(BAD_CALLS))
def test_bad_argument_raises_value_error_naming_it(call, parameter):
    with pytest.raises(ValueError, match=re.escape(parameter)):
        call()


@pytest.mark.parametrize("shape", [(10, 2), (10, 2, 3), (10, 2, 1, 1), (3,)])
def test_tanh_rnn_wrong_input_shape_names_x_and_expected_shape(shape):
    model = TanhRNN(input_size=1, hidden_size=4)
    with pytest.raises(ValueError, match=r"^x must have shape \(seq_len, batch, 1\).*" + re.escape(str(shape))):
        model(torch.zeros(shape))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -3.0])
def test_radius_message_reports_the_bad_value(value):
    with pytest.raises(ValueError, match=r"^radius must be a finite number >= 0.*got " + re.escape(str(value))):
        rescale_to_radius(torch.eye(2), value)


def test_rescaling_a_nilpotent_matrix_is_refused():
    nilpotent = torch.tensor([[0.0, 1.0], [0.0, 0.0]])   # spectral radius 0: no scale reaches 1.0
    with pytest.raises(ValueError, match="spectral radius is 0"):
        rescale_to_radius(nilpotent, 1.0)


# --- device choice ---------------------------------------------------------------------------

def test_pick_device_tpu_lists_the_valid_choices():
    with pytest.raises(ValueError, match=r"prefer must be one of 'cpu', 'cuda', 'mps', got 'tpu'"):
        pick_device("tpu")


def test_pick_device_honours_cpu_and_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="tpu"):
        pick_device()


def test_pick_device_refuses_a_device_this_machine_lacks(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"prefer='cuda'.*no cuda device"):
        pick_device("cuda")


def test_seed_everything_makes_torch_repeatable():
    g1 = seed_everything(123)
    a, a_global = torch.rand(5, generator=g1), torch.rand(5)
    g2 = seed_everything(123)
    b, b_global = torch.rand(5, generator=g2), torch.rand(5)
    assert torch.equal(a, b) and torch.equal(a_global, b_global)
    assert not torch.equal(torch.rand(5, generator=seed_everything(124)), a)
