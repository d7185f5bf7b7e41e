"""How far every checked claim about trained runs is from its threshold, over more seeds and CPU paths.

A chapter checks verdicts ("on each of the 3 seeds, <claim>: yes"), never trained numbers. A
verdict holds on another CPU only if every seed clears its threshold by more than what another CPU
does to training, which behaves like another seed. This script measures that: it executes the
chapters with more seeds than they use (their `SEEDS = (...)`-style tuples extended to --seeds
values), collects every Claim they state (helpers/experiments/verdicts.py), and records each seed's
margin. Run it once per CPU code path, then report:

    python tests/verdict_margins.py run --seeds 5 --out margins-native.json
    ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE python tests/verdict_margins.py run --seeds 5 --out margins-default.json
    ATEN_CPU_CAPABILITY=avx2 python tests/verdict_margins.py run --seeds 5 --out margins-avx2.json
    python tests/verdict_margins.py report margins-*.json

A claim that fails on some seed or path is a finding for the prose, not a check (report marks it).
"""
import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_TUPLE = re.compile(r"^(?P<name>[A-Z_]*SEEDS) = \((?P<seeds>[^)]*)\)(?P<rest>.*)$", re.M)
DUMP = ("import json\nfrom helpers.experiments.verdicts import RECORDED\n"
        "print('CLAIMS' + json.dumps([c.as_dict() for c in RECORDED]))")


def with_seeds(source, count):
    """`SEEDS = (0, 1, 2)` -> the same tuple extended to `count` seeds (the next unused integers)."""
    def extend(m):
        seeds = [int(s) for s in m.group("seeds").split(",") if s.strip()]
        k = 0
        while len(seeds) < count:
            if k not in seeds:
                seeds.append(k)
            k += 1
        return f"{m.group('name')} = {tuple(seeds)}{m.group('rest')}"
    return SEED_TUPLE.sub(extend, source)


def run_chapter(path, seeds):
    import nbformat
    from nbclient import NotebookClient
    os.environ.update(COURSE_SITE_BUILD="1", TORCH_NUM_THREADS="1", OMP_NUM_THREADS="1")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = with_seeds(cell.source, seeds)
    nb.cells.append(nbformat.v4.new_code_cell(DUMP))
    start = time.perf_counter()
    NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    claims = json.loads(text[text.index("CLAIMS") + len("CLAIMS"):])
    return Path(path).stem, claims, time.perf_counter() - start


def run(args):
    chapters = [p for p in sorted((ROOT / "book").glob("*.ipynb"))
                if not args.chapters or any(p.stem.startswith(c) for c in args.chapters)]
    chapters = [p for p in chapters if "verdicts import" in p.read_text()]
    path = os.environ.get("ATEN_CPU_CAPABILITY", "native") + (" " + os.environ["MKL_CBWR"] if "MKL_CBWR" in os.environ else "")
    results = {"code path": path, "seeds": args.seeds, "chapters": {}}
    failed = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_chapter, path, args.seeds): path for path in chapters}
        for future in as_completed(futures):
            try:
                stem, claims, seconds = future.result()
            except Exception as error:        # noqa: BLE001  (the other chapters still run; reported below)
                failed.append(futures[future].stem)
                print(f"{futures[future].stem}: FAILED\n{error}", flush=True)
                continue
            results["chapters"][stem] = claims
            print(f"{stem}: {len(claims)} claims in {seconds:.0f} s", flush=True)
            Path(args.out).write_text(json.dumps(results, indent=1))     # what is done so far
    if failed:
        raise SystemExit(f"chapters failed: {', '.join(failed)}")


def report(args):
    runs = [json.loads(Path(f).read_text()) for f in args.files]
    rows = {}
    for r in runs:
        for chapter, claims in r["chapters"].items():
            for claim in claims:
                key = (chapter, claim["text"])
                row = rows.setdefault(key, {"margins": [], "paths": set(), "seeds": set(), "claim": claim})
                row["margins"].extend(claim["margins"].values())
                row["paths"].add(r["code path"])
                row["seeds"].update(claim["values"])
    print(f"{'chapter':22s} {'smallest margin':>15s} {'threshold':>10s}  {'seeds':>5s} paths  claim")
    for (chapter, text), row in rows.items():
        claim = row["claim"]
        smallest = min(row["margins"])
        fails = smallest < 0 or (claim["strict"] and smallest <= 0)
        threshold = claim["low"] if claim["low"] is not None else claim["high"]
        print(f"{chapter:22s} {smallest:15.3g} {threshold:10.3g}  {len(row['seeds']):5d} {len(row['paths']):5d}  "
              f"{'FAILS ON SOME RUN: ' if fails else ''}{text[:90]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="margins of the chapters' verdicts")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--seeds", type=int, default=5)
    r.add_argument("--jobs", type=int, default=1)
    r.add_argument("--out", required=True)
    r.add_argument("chapters", nargs="*", help="chapter prefixes, e.g. 04 06 (default: every chapter with a verdict)")
    p = sub.add_parser("report")
    p.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    (run if args.command == "run" else report)(args)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
