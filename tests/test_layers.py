"""helpers/ in layers, each importing only the layers beneath it, with no import circle.

    core  <-  models  <-  experiments, measure  <-  exercises  <-  figures  <-  explorers  <-  helpers/__init__

core imports nothing else of helpers; models only core; experiments and measure never import
figures or explorers (no plotly, no widgets in a run whose numbers the prose quotes); figures draw
what they are given and never train; only explorers themselves, the package's __init__ and the
chapters import explorers. Imports inside functions count as much as those at the top.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "helpers"
MAY_IMPORT = {
    "core": {"core"},
    "models": {"core", "models"},
    "experiments": {"core", "models", "experiments"},
    "measure": {"core", "models", "experiments", "measure"},
    "exercises": {"core", "models", "experiments", "exercises"},
    "figures": {"core", "models", "experiments", "measure", "figures"},
    "explorers": {"core", "models", "experiments", "measure", "exercises", "figures", "explorers"},
}


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path):
    """Every helpers module `path` imports: 'helpers.a.b' for `from helpers.a.b import x` and
    `import helpers.a.b`, 'helpers.a.b' too for `from helpers.a import b` when b is a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; write `from helpers.<layer>.<module> import ...`")
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "helpers":
            found.add(node.module)
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if (ROOT / (sub.replace(".", "/") + ".py")).exists():
                    found.add(sub)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "helpers")
    return found


GRAPH = {module_name(p): imports_of(p) for p in sorted(HELPERS.rglob("*.py"))}


def wrong_way(graph):
    """(importer, imported) pairs that break the layering."""
    bad = []
    for importer, targets in graph.items():
        parts = importer.split(".")
        if len(parts) == 1:                      # helpers/__init__ may import any layer
            continue
        for target in targets:
            layer = target.split(".")[1] if "." in target else None
            if layer not in MAY_IMPORT[parts[1]]:
                bad.append((importer, target))
    return bad


def circle(graph):
    """One import circle among the modules, as a list, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt not in graph or (importer_is_package(nxt) and node.startswith(nxt + ".")):
                continue
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def importer_is_package(name):
    return (ROOT / name.replace(".", "/") / "__init__.py").exists()


def test_every_module_sits_in_a_layer():
    assert sorted(p.name for p in HELPERS.glob("*.py")) == ["__init__.py"], "helpers/ holds only __init__.py and the layers"
    assert {p.name for p in HELPERS.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(MAY_IMPORT)


def test_imports_go_one_way():
    assert wrong_way(GRAPH) == []


def test_no_import_circle():
    assert circle(GRAPH) is None


def test_the_check_sees_a_wrong_way_import_and_a_circle():
    """The two checks above can fail: a model importing a figure, and two modules importing each other."""
    assert wrong_way({"helpers.models.gated": {"helpers.figures.plots"}}) == [("helpers.models.gated", "helpers.figures.plots")]
    assert wrong_way({"helpers.core.checks": {"helpers.models.inits"}}) != []
    assert wrong_way({"helpers.experiments.training": {"helpers.explorers.cliff"}}) != []
    assert wrong_way({"helpers": {"helpers.explorers.cliff"}, "helpers.explorers.cliff": {"helpers.figures.plots"}}) == []
    assert circle({"helpers.measure.timing": {"helpers.measure.bottleneck"},
                   "helpers.measure.bottleneck": {"helpers.measure.timing"}}) is not None


TRAINING = ("backward", "optim", "train_seq2seq", "train_recall", "train_lookahead", "train_pick", "clipping_experiment",
            "clipping_runs", "tbptt_echo_accuracy")


@pytest.mark.parametrize("path", sorted((HELPERS / "figures").glob("*.py")), ids=lambda p: p.name)
def test_figures_never_train(path):
    """A figure draws results it is given: no backward pass, no optimiser, no training run."""
    tree = ast.parse(path.read_text())
    named = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not named & set(TRAINING), f"{path.name} trains: {sorted(named & set(TRAINING))}"
