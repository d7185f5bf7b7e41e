"""The {eval} role on the website: the value the build glued under the same name.

The chapters write a computed number as {eval}`helpers.glued.name` (or `helpers.glued["a name"]`, or
`helpers.glued.chapter("04_lstm_gru").name` for another chapter's number),
which JupyterLab with jupyterlab-myst evaluates in the reader's kernel (helpers/core/glued_values.py).
The site is built with execute_notebooks: cache, where myst-nb's own {eval} is not available; this
role takes its place and pastes the glued value, exactly as {glue:text}`name` does. Anything else
inside {eval} is an error, so the build (-W) stops at a mistyped role. A page that quotes another
chapter's number depends on that chapter's file: when it changes (and runs again), the page is read
again and shows the new number.

myst-nb sets every pasted value in bold, which marks a measured number in the prose; a pasted
sentence (a verdict glued whole, right whichever way the measurement came out) is marked
`pasted-sentence` instead, and course.css sets it in the text's own weight.
"""
import ast
import re
from pathlib import Path

from docutils import nodes
from myst_nb.ext.glue.roles import PasteTextRole

CHAPTER = re.compile(r"\d\d_\w+")
SENTENCE_WORDS = 8     # a pasted value of more words than this is a sentence, not a number with its unit


def _is_glued(node):
    """Is `node` the expression helpers.glued?"""
    return (isinstance(node, ast.Attribute) and node.attr == "glued"
            and isinstance(node.value, ast.Name) and node.value.id == "helpers")


def _key(node):
    """The name in `<x>.name` or `<x>["a name"]`, with <x> the node returned; else (None, None)."""
    if isinstance(node, ast.Attribute):
        return node.value, node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.value, node.slice.value
    return None, None


def glued_name(expression):
    """The glue key an {eval} role pastes, or None when it is not a glued value.

    'helpers.glued.x' -> 'x'; 'helpers.glued["a b"]' -> 'a b';
    'helpers.glued.chapter("04_lstm_gru").x' -> '04_lstm_gru.ipynb::x' (another chapter's value).
    """
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return None
    owner, name = _key(node)
    if owner is None or name.startswith("_"):
        return None
    if _is_glued(owner):
        return name
    if (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute) and owner.func.attr == "chapter"
            and _is_glued(owner.func.value) and len(owner.args) == 1 and not owner.keywords
            and isinstance(owner.args[0], ast.Constant) and isinstance(owner.args[0].value, str)
            and CHAPTER.fullmatch(owner.args[0].value)):
        return f"{owner.args[0].value}.ipynb::{name}"
    return None


class GluedEvalRole(PasteTextRole):
    def __call__(self, name, rawtext, text, lineno, inliner, options=None, content=()):
        key = glued_name(text)
        if key is None:
            message = inliner.reporter.error(
                "{eval} on this site pastes a glued value: write helpers.glued.<name>, or "
                f'helpers.glued.chapter("NN_name").<name> for another chapter\'s, not {text!r}', line=lineno)
            problem = inliner.problematic(rawtext, rawtext, message)
            return [problem], [message]
        if "::" in key:         # another chapter's number: this page is stale when that chapter changes
            env = inliner.document.settings.env
            env.note_dependency(str(Path(env.doc2path(env.docname)).parent / key.split("::")[0]))
        # ":s", glue's default format, written out: a ":" in a name would otherwise read as a format
        return super().__call__("glue:text", rawtext, f"{key}:s", lineno, inliner, options or {}, content)


def mark_sentences(app, doctree, docname=None):
    """Class `pasted-sentence` on every pasted value longer than SENTENCE_WORDS words (after glue resolves)."""
    for node in doctree.findall(nodes.inline):
        if "pasted-text" in node["classes"] and len(node.astext().split()) > SENTENCE_WORDS:
            node["classes"].append("pasted-sentence")


def setup(app):
    app.add_role("eval", GluedEvalRole(), override=True)    # after myst-nb's own, which needs inline execution
    app.connect("doctree-resolved", mark_sentences)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
