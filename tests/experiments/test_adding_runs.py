"""The adding problem with the recall task's recipe: the mean-sum baseline, the forget bias, determinism."""
import numpy as np
import pytest
import torch

from helpers.experiments import adding_runs
from helpers.experiments.tasks import adding_problem


def test_mean_sum_loss_is_what_always_answering_one_scores():
    """Var(u1 + u2) = 2/12 = 1/6 for independent u ~ U[0, 1). Over n = 200,000 draws the sample mean of
    (y - 1)^2 has standard error sqrt(Var((y - 1)^2) / n): y - 1 is triangular on (-1, 1), E[(y - 1)^4]
    = 1/15, so Var((y - 1)^2) = 1/15 - 1/36 = 7/180 and the error is 4.4e-4; 5 of them is 2.2e-3."""
    _, y = adding_problem(200_000, 10, torch.Generator().manual_seed(0))
    assert float(((y - 1) ** 2).mean()) == pytest.approx(adding_runs.MEAN_SUM_LOSS, abs=5 * np.sqrt(7 / 180 / 200_000))


def test_a_run_learns_and_repeats_itself():
    first = adding_runs.train_adding("gru", steps=40, seed=2, test_size=200, progress=False)
    again = adding_runs.train_adding("gru", steps=40, seed=2, test_size=200, progress=False)
    assert (first.losses == again.losses).all() and first.test_mse == again.test_mse
    assert first.losses[-10:].mean() < first.losses[:10].mean()


def test_forget_bias_sits_in_b_ih_of_the_second_gate(monkeypatch):
    built = []
    real = adding_runs.SequenceModel

    def spy(*args, **kwargs):
        model = real(*args, **kwargs)
        built.append(model)
        return model
    monkeypatch.setattr(adding_runs, "SequenceModel", spy)
    monkeypatch.setattr(torch.optim.Adam, "step", lambda self, closure=None: None)     # keep the initial weights
    adding_runs.train_adding("lstm", hidden_size=4, steps=1, forget_bias=2.0, test_size=8, progress=False)
    rnn = built[0].recurrent
    assert torch.equal(rnn.bias_ih_l0[4:8], torch.full((4,), 2.0)) and torch.equal(rnn.bias_hh_l0[4:8], torch.zeros(4))


@pytest.mark.parametrize("call, name", [
    (lambda: adding_runs.train_adding("cnn"), "cell"),
    (lambda: adding_runs.train_adding("rnn", forget_bias=1.0), "forget_bias"),
    (lambda: adding_runs.train_adding("lstm", forget_bias=float("nan")), "forget_bias"),
    (lambda: adding_runs.train_adding("gru", seq_len=1), "seq_len"),
    (lambda: adding_runs.train_adding("gru", lr=0.0), "lr"),
    (lambda: adding_runs.train_adding("gru", test_size=0), "test_size"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=f"^{name} "):
        call()
