"""Two builds of the book, the same glued numbers: compare the values every chapter glued into its prose.

Usage: python tests/compare_builds.py BUILD_A BUILD_B
where each BUILD is a book's `_build` folder, with the chapters it was built from in book/ beside it.
Every value the pages show through a `{glue:text}` or `{eval}` role is read back from the built HTML.
Wall-clock measurements differ from run to run by nature: their names match TIMED below and are
listed apart, not counted as differences.
Exits 1 when any other glued value differs, or when a value is missing from one build.
"""
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
from glued_eval import glued_name  # noqa: E402  (the site's own reading of an {eval} role)

# glue names whose values are timings, or read off timings (a ranking, a speed-up, a fraction of peak)
TIMED = re.compile(r"(^time_|^step_ms_|_ms(_|$)|_us(_|$)|us_per_step|^recall_ms_|^gru_verdict$|slowest|growth|"
                   r"_vs_|comparison|lead|^st_led_|hours|^cost_ratio_|additive_concat|^cost_order$|"
                   r"^cost_dot_verdict$|^cost_precision$|^cost_noise|ranking|fastest|peak|speed|per_second)")


GLUE_ROLE = re.compile(r"\{(glue(?::[a-z]+)?|eval)\}`([^`]+)`")
PASTED = re.compile(r'class="pasted-text">([^<]*)')


def glued_values(build):
    """{(chapter, n, name): text} of every glued number the pages show, in reading order.

    The executed notebooks a build keeps drop the glue outputs, so the values are read where the
    reader reads them: the n-th `{glue:text}` or `{eval}` role of a chapter's markdown (beside the build, in
    book/) is the n-th pasted value of its page.
    """
    build = Path(build)
    values = {}
    for source in sorted((build.parent / "book").glob("*.ipynb")):
        nb = nbformat.read(source, as_version=4)
        names = GLUE_ROLE.findall("\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))
        page = build / "html" / "book" / f"{source.stem}.html"
        shown = PASTED.findall(page.read_text(encoding="utf-8"))
        if len(names) != len(shown):
            raise SystemExit(f"{page}: {len(shown)} glued values shown, {len(names)} roles in {source}: "
                             "is this the build of that source?")
        for n, ((kind, role), text) in enumerate(zip(names, shown)):
            # the glued name, whichever page glued it: 'x' from 'x:s', '04_lstm_gru.ipynb::x:s' or an {eval} role
            name = (glued_name(role) if kind == "eval" else role.split("::")[-1].split(":")[0]).split("::")[-1]
            values[source.stem, n, name] = text.strip()
    if not values:
        raise SystemExit(f"{build}: no glued values found")
    return values


def main(first, second):
    a, b = glued_values(first), glued_values(second)
    timed, differ = [], []
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        (timed if TIMED.search(key[2]) else differ).append(key)
    same = len(set(a) & set(b)) - len(timed) - len(differ)
    print(f"{len(a)} and {len(b)} glued values; {same} identical, {len(timed)} timings differ "
          f"(expected), {len(differ)} other values differ")
    for key in timed:
        print(f"  timing  {key[0]}::{key[2]}: {a.get(key)} | {b.get(key)}")
    for key in differ:
        print(f"  DIFFERS {key[0]}::{key[2]}: {a.get(key)} | {b.get(key)}")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
