"""The {eval} role on the website: the value the build glued under the same name.

The chapters write a computed number as {eval}`helpers.glued.name` (or `helpers.glued["a name"]`),
which JupyterLab with jupyterlab-myst evaluates in the reader's kernel (helpers/glued_values.py).
The site is built with execute_notebooks: force, where myst-nb's own {eval} is not available; this
role takes its place and pastes the glued value, exactly as {glue:text}`name` does. Anything else
inside {eval} is an error, so the build (-W) stops at a mistyped role.
"""
import ast
import re

from myst_nb.ext.glue.roles import PasteTextRole

GLUED = re.compile(r"helpers\.glued(?:\.(?P<attr>[A-Za-z_]\w*)|\[(?P<item>.+)\])")


def glued_name(expression):
    """'helpers.glued.x' -> 'x'; 'helpers.glued["a b"]' -> 'a b'; anything else -> None."""
    match = GLUED.fullmatch(expression.strip())
    if match is None:
        return None
    if match["attr"]:
        return match["attr"]
    try:
        name = ast.literal_eval(match["item"])
    except (ValueError, SyntaxError):
        return None
    return name if isinstance(name, str) else None


class GluedEvalRole(PasteTextRole):
    def __call__(self, name, rawtext, text, lineno, inliner, options=None, content=()):
        key = glued_name(text)
        if key is None:
            message = inliner.reporter.error(
                f"{{eval}} on this site pastes a glued value: write helpers.glued.<name>, not {text!r}", line=lineno)
            problem = inliner.problematic(rawtext, rawtext, message)
            return [problem], [message]
        return super().__call__("glue:text", rawtext, key, lineno, inliner, options or {}, content)


def setup(app):
    app.add_role("eval", GluedEvalRole(), override=True)    # after myst-nb's own, which needs inline execution
    return {"parallel_read_safe": True, "parallel_write_safe": True}
