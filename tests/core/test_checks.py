"""The checkers themselves (helpers/core/checks.py): what each accepts, and a refusal that starts by
naming the argument and states what is allowed.

Every public helper's use of them, one bad argument at a time, is tests/test_bad_input.py.
"""
import pytest
import torch

from helpers.core.checks import (
    SEED_MAX,
    check_callable,
    check_choice,
    check_device,
    check_dtype,
    check_float,
    check_generator,
    check_int,
    check_seed,
    check_values,
)

from tests.messages import names


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


# --- the checkers added for seeds, devices, dtypes, generators, functions and sequences ----------

def test_check_seed_is_one_rule_from_0_to_2_to_the_32_minus_1():
    assert check_seed(0) == 0 and check_seed(SEED_MAX) == SEED_MAX == 2**32 - 1
    for bad in (-1, SEED_MAX + 1, 1.5, "0", True, None):
        with pytest.raises(ValueError, match=names("seed") + r" must be an integer in \[0, 4294967295\]"):
            check_seed(bad)
    with pytest.raises(ValueError, match=names("sample_seed")):
        check_seed(-1, "sample_seed")


def test_check_device_accepts_this_machines_devices_and_names_the_choices():
    assert check_device("cpu") == check_device(torch.device("cpu")) == torch.device("cpu")
    for bad in ("tpu", "cpux", "meta", 3, None):
        with pytest.raises(ValueError, match=names("device") + r" must be a device such as 'cpu', 'cuda'"):
            check_device(bad)


def test_check_device_refuses_a_device_this_machine_lacks(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    for name in ("cuda", "cuda:1", "mps"):
        with pytest.raises(ValueError, match=names("device") + r"=.*no (cuda|mps) device"):
            check_device(name)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match=names("device") + r"='cuda:1'.*cuda devices 0 to 0"):
        check_device("cuda:1")


def test_check_dtype_generator_callable_and_values():
    assert check_dtype(torch.float64) is torch.float64
    for bad in (torch.float16, torch.int64, "float32", None):
        with pytest.raises(ValueError, match=names("dtype") + r" must be one of torch.float32, torch.float64"):
            check_dtype(bad)
    g = torch.Generator()
    assert check_generator(g) is g and check_generator(None) is None
    with pytest.raises(ValueError, match=names("generator") + r" must be a torch.Generator or None"):
        check_generator(0)
    assert check_callable("fn", len, "(x)") is len
    with pytest.raises(ValueError, match=names("fn") + r" must be a function \(x\), got 3"):
        check_callable("fn", 3, "(x)")
    assert check_values("radii", [1, 2], float) == (1.0, 2.0)
    assert check_values("radii", (), float, allow_empty=True) == ()
    for bad, why in (("12", "string"), (5, "sequence"), ((), "at least one")):
        with pytest.raises(ValueError, match=names("radii") + ".*" + why):
            check_values("radii", bad, float)
