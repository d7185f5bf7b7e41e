"""Two builds of the book, the same glued numbers: compare the values every chapter glued into its prose.

Usage: python tests/compare_builds.py BUILD_A BUILD_B
where each BUILD is a book's `_build` folder (or its `jupyter_execute/book`). Every value passed to
`helpers.glue` is read back from the executed notebooks. Wall-clock measurements differ from run to
run by nature: their names match TIMED below and are listed apart, not counted as differences.
Exits 1 when any other glued value differs, or when a value is missing from one build.
"""
import re
import sys
from pathlib import Path

import nbformat

# glue names whose values are timings, or read off timings (a ranking, a speed-up, a fraction of peak)
TIMED = re.compile(r"(^time_|^step_ms_|_ms(_|$)|^bottleneck_(?!device|longest|shortest|length_growth|flop)|"
                   r"^recall_ms_|^gru_verdict$|^slowest_|^growth_|^score_time|^tp_|^throughput_|"
                   r"seconds|speed|peak|utilis|achieved|per_second|_us_|_us$)")


def glued_values(build):
    """{(chapter, name): text} of every glued value in a build's executed chapters."""
    folder = Path(build)
    if (folder / "jupyter_execute" / "book").is_dir():
        folder = folder / "jupyter_execute" / "book"
    values = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                if name is None:
                    continue
                data = output.get("data", {})
                text = next((v for k, v in data.items() if k.endswith("text/plain")), None)
                values[path.stem, name] = text
    if not values:
        raise SystemExit(f"{build}: no executed chapters with glued values found")
    return values


def main(first, second):
    a, b = glued_values(first), glued_values(second)
    timed, differ = [], []
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        (timed if TIMED.search(key[1]) else differ).append(key)
    same = len(set(a) & set(b)) - len(timed) - len(differ)
    print(f"{len(a)} and {len(b)} glued values; {same} identical, {len(timed)} timings differ "
          f"(expected), {len(differ)} other values differ")
    for chapter, name in timed:
        print(f"  timing  {chapter}::{name}: {a.get((chapter, name))} | {b.get((chapter, name))}")
    for chapter, name in differ:
        print(f"  DIFFERS {chapter}::{name}: {a.get((chapter, name))} | {b.get((chapter, name))}")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
