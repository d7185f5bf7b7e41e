"""The numbers of the prose: kept by helpers.glue in the kernel, and read back by the site's {eval} role."""
import json
import re
import sys
from pathlib import Path

import pytest

import helpers
from helpers.glued_values import NOT_YET, GluedValues

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from glued_eval import glued_name  # noqa: E402

EVAL_ROLE = re.compile(r"\{eval\}`([^`]+)`")


def test_glue_keeps_the_value_for_the_live_prose():
    helpers.glue("test_glued_ratio", "3e-04")
    assert helpers.glued.test_glued_ratio == "3e-04" and helpers.glued["test_glued_ratio"] == "3e-04"
    assert "test_glued_ratio" in helpers.glued


def test_a_value_not_computed_yet_says_so():
    values = GluedValues()
    assert values.later == NOT_YET and values["a name"] == NOT_YET and "later" not in values
    with pytest.raises(AttributeError):
        assert values._private is None   # private names are not glued values (copy, pickle look them up)


@pytest.mark.parametrize("expression, name", [
    ("helpers.glued.init_median_default", "init_median_default"),
    ('helpers.glued["LSTM, PyTorch default"]', "LSTM, PyTorch default"),
    ("helpers.glued['x']", "x"),
    ("1 + 1", None), ("helpers.glued", None), ("helpers.glued[0]", None), ("helpers.glued.a.b", None),
])
def test_the_site_reads_the_glued_name_of_an_eval_role(expression, name):
    assert glued_name(expression) == name


@pytest.mark.parametrize("chapter", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_eval_role_of_the_prose_names_a_glued_value(chapter):
    cells = json.loads(chapter.read_text())["cells"]
    roles = EVAL_ROLE.findall("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"))
    assert all(glued_name(role) for role in roles), [r for r in roles if not glued_name(r)]
