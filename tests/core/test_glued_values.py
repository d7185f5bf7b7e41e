"""The numbers of the prose: kept by helpers.glue in the kernel, and read back by the site's {eval} role."""
import json
import re
import sys
from pathlib import Path

import pytest

import helpers
from helpers.core.glued_values import NOT_YET, GluedValues, not_run_yet

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from glued_eval import glued_name, mark_sentences  # noqa: E402

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


@pytest.mark.parametrize("expression, name", [
    ('helpers.glued.chapter("04_lstm_gru").ratio_rnn', "04_lstm_gru.ipynb::ratio_rnn"),
    ('helpers.glued.chapter("05_limitations")["a name"]', "05_limitations.ipynb::a name"),
    ('helpers.glued.chapter("lstm").ratio_rnn', None), ("helpers.glued.chapter(4).x", None),
    ('helpers.glued.chapter("04_lstm_gru")', None), ('helpers.glued.chapter("04_lstm_gru", 1).x', None),
])
def test_the_site_reads_another_chapters_name(expression, name):
    assert glued_name(expression) == name


@pytest.fixture
def reader_folder(tmp_path, monkeypatch):
    """A reader's folder of notebooks, outside a site build."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSE_SITE_BUILD", raising=False)
    return tmp_path


def test_a_chapter_run_live_saves_its_numbers_for_the_summary(reader_folder):
    chapter4 = GluedValues()
    chapter4.save_as("04_lstm_gru")
    chapter4["ratio_rnn"], chapter4["count"], chapter4["figure"] = "1e-28", 3, object()
    summary = GluedValues()              # another notebook's kernel, in the same folder
    lstm = summary.chapter("04_lstm_gru")
    assert lstm.ratio_rnn == "1e-28" and lstm["count"] == 3
    assert lstm.figure == not_run_yet("04_lstm_gru")      # only plain values are saved


def test_the_summary_says_which_chapter_to_run_for_a_missing_number(reader_folder):
    assert GluedValues().chapter("04_lstm_gru").ratio_rnn == "(run chapter 1.4 to compute this)"
    (reader_folder / ".course_values").mkdir()
    (reader_folder / ".course_values" / "07_attention.json").write_text('{"reach_dot": "4')   # cut short
    assert GluedValues().chapter("07_attention").reach_dot == "(run chapter 1.7 to compute this)"


def test_a_partial_rerun_keeps_the_numbers_it_did_not_recompute(reader_folder):
    first = GluedValues()
    first.save_as("03_vanishing_gradients")
    first["a"], first["b"] = "1", "2"
    rerun = GluedValues()
    rerun.save_as("03_vanishing_gradients")
    rerun["a"] = "10"
    assert GluedValues().chapter("03_vanishing_gradients").saved() == {"a": "10", "b": "2"}


def test_the_site_build_saves_nothing(reader_folder, monkeypatch):
    monkeypatch.setenv("COURSE_SITE_BUILD", "1")
    values = GluedValues()
    values.save_as("04_lstm_gru")
    values["x"] = "1"
    assert not (reader_folder / ".course_values").exists()


def test_a_pasted_sentence_is_marked_and_a_pasted_number_is_not():
    from docutils import nodes
    number = nodes.inline("2.4 ms", "2.4 ms", classes=["pasted-text"])
    sentence_text = "the LSTM was the faster layer at length 2048, 3.1 times faster than the Transformer layer"
    sentence = nodes.inline(sentence_text, sentence_text, classes=["pasted-text"])
    other = nodes.inline(sentence_text, sentence_text, classes=["not-pasted"])
    doctree = nodes.paragraph("", "", number, sentence, other)
    mark_sentences(None, doctree)
    assert number["classes"] == ["pasted-text"]
    assert sentence["classes"] == ["pasted-text", "pasted-sentence"] and other["classes"] == ["not-pasted"]
