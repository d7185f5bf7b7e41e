"""How a chapter's checked outputs are compared with the stored ones, wherever the chapter ran.

nbval's own comparison (the same output fields, streams merged the same way), applied to the cells
tagged `nbval-check-output` of a notebook some other run executed and saved: the book build's copy
(native CPU path, tests/test_executed_checks.py) and the live JupyterLab run (ATen's generic path,
tests/test_live.py). Glued values are left out: the build's saved copy drops the outputs of
`glue(..., display=False)`.
"""
import re
from collections import defaultdict
from pathlib import Path

import nbformat
from nbval.plugin import get_sanitize_patterns, transform_streams_for_comparison

from store_checked_outputs import is_checked

# the same rules nbval applies (pyproject.toml passes this file as --nbval-sanitize-with)
SANITIZE = get_sanitize_patterns((Path(__file__).parent / "nbval_sanitize.cfg").read_text())

# the fields nbval leaves out of a comparison (nbval.plugin.IPyNbFile.skip_compare)
SKIPPED = {"metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
           "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg"}


def merged_streams(outputs):
    """Outputs without the glued values, consecutive pieces of one stream joined into one.

    Where a glue output sat between two pieces of printed text, the build's copy keeps the pieces
    apart ("...1.000" and "\\n") once the glue is dropped; joined, they read as the stored output does.
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


def sanitized(value):
    if isinstance(value, str):
        for pattern, replacement in SANITIZE:
            value = re.sub(pattern, replacement, value)
    return value


def compared_fields(outputs):
    """{field: [values]} as nbval compares them: streams merged, data flattened, skips removed, and
    the per-seed numbers of a verdict replaced (tests/nbval_sanitize.cfg)."""
    fields = defaultdict(list)
    for output in transform_streams_for_comparison(merged_streams(outputs)):
        for key, value in output.items():
            if key in SKIPPED:
                continue
            if key == "data":
                for mime, content in value.items():
                    if mime not in SKIPPED:
                        fields[mime].append(sanitized(content))
            else:
                fields[key].append(sanitized(value))
    return dict(fields)


def differences(stored_nb, executed_nb):
    """[message] for every checked cell whose executed output differs from the stored one."""
    stored = [c for c in stored_nb.cells if is_checked(c)]
    executed = [c for c in executed_nb.cells if is_checked(c)]
    if [c.source for c in stored] != [c.source for c in executed]:
        return ["the executed chapter is not the one in book/ (its checked cells differ)"]
    return [f"the output differs from the stored check of\n{ours.source[:300]}\n"
            f"stored:   {compared_fields(ours.outputs)}\nexecuted: {compared_fields(theirs.outputs)}"
            for ours, theirs in zip(stored, executed)
            if compared_fields(theirs.outputs) != compared_fields(ours.outputs)]
