"""The book build's own run of every chapter reproduces the outputs that nbval checks.

`make book` executes every chapter on this CPU's native kernels; `make test` then runs nbval on
a second code path (ATen's generic kernels, MKL's compatible mode). Comparing the build's
executed notebooks here checks the native path without executing the chapters a third time.
The comparison is nbval's own: the same output fields, streams merged the same way. Glued values
are left out: the build's saved copy of a chapter drops the outputs of `glue(..., display=False)`
(nbval compares them, on the second code path).
"""
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import transform_streams_for_comparison

from store_checked_outputs import is_checked

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
# the fields nbval leaves out of a comparison (nbval.plugin.IPyNbFile.skip_compare)
SKIPPED = {"metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
           "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}

pytestmark = pytest.mark.site

if not EXECUTED.exists():
    pytest.skip("the book is not built: run `make book` (make test does)", allow_module_level=True)


def merged_streams(outputs):
    """Outputs without the glued values, consecutive pieces of one stream joined into one.

    Where a glue output sat between two pieces of printed text, the build's copy keeps the pieces
    apart ("...1.000" and "\n") once the glue is dropped; joined, they read as the stored output does.
    """
    merged = []
    for output in outputs:
        if "scrapbook" in output.get("metadata", {}):
            continue
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            merged[-1] = nbformat.from_dict(dict(previous, text=previous["text"] + output["text"]))
        else:
            merged.append(output)
    return merged


def compared_fields(outputs):
    """{field: [values]} as nbval compares them: streams merged, data flattened, skips removed."""
    fields = defaultdict(list)
    for output in transform_streams_for_comparison(merged_streams(outputs)):
        for key, value in output.items():
            if key in SKIPPED:
                continue
            if key == "data":
                for mime, content in value.items():
                    if mime not in SKIPPED:
                        fields[mime].append(content)
            else:
                fields[key].append(value)
    return dict(fields)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_build_reproduces_every_stored_check(chapter):
    stored = [c for c in nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4).cells
              if is_checked(c)]
    built = [c for c in nbformat.read(EXECUTED / f"{chapter}.ipynb", as_version=4).cells
             if is_checked(c)]
    assert len(built) == len(stored), "the built chapter is not the one in book/: run make book"
    for ours, theirs in zip(stored, built):
        assert ours.source == theirs.source
        assert compared_fields(theirs.outputs) == compared_fields(ours.outputs), (
            f"{chapter}: the build's output differs from the stored check of\n{ours.source[:300]}")


def test_the_comparison_sees_a_changed_number_and_ignores_glued_values():
    stream = nbformat.v4.new_output("stream", name="stdout", text="mean loss 0.17\n")
    glued = nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "'0.17'"},
                                   metadata={"scrapbook": {"name": "loss", "mime_prefix": "application/papermill.record/"}})
    changed = nbformat.v4.new_output("stream", name="stdout", text="mean loss 0.18\n")
    assert compared_fields([stream, glued]) == compared_fields([stream])
    assert compared_fields([stream]) != compared_fields([changed])
    split = [nbformat.v4.new_output("stream", name="stdout", text="mean loss 0.17"), glued,
             nbformat.v4.new_output("stream", name="stdout", text="\n")]
    assert compared_fields(split) == compared_fields([stream])
