"""Site plumbing for the course: light pages that read offline, for every reader.

- book/_static (the course's stylesheet, course.css, and course.js: native controls for the figures'
  sliders and menus, the phone layout of figures, wrapped code listings) is served with the site.
- plotly.js is served once from the site's _static folder, and only to pages with a figure: a
  partial bundle of the same plotly.js version as the Python plotly package's plotly.min.js (which
  helpers writes its figures for), from npm with a pinned version (package.json, package-lock.json at
  the repository's root). A page whose figures are all scatter and bar traces gets the basic bundle
  (about 1.0 MB); a page with a heatmap gets the cartesian one (about 1.3 MB). Without npm the
  whole plotly.min.js (4.8 MB) is served instead, and the build says so.
- MathJax runs when the site is built, not in the reader's browser: every formula is typeset into
  CommonHTML with its hidden MathML for screen readers (book/_ext/tex_to_chtml.js, mathjax-full from
  npm), and no page loads MathJax's 1.2 MB of scripts. Without npm, the pages load a trimmed MathJax
  (TeX base and ams, CommonHTML, assistive MathML: no menu) instead.
- The theme draws its icons twice: with Font Awesome's 1.5 MB script and with its web fonts through
  its stylesheet. The script is replaced by a line that does nothing, and the fonts are cut down to
  the icons the site shows (subset-font from npm).
- Markup the theme and myst-nb write that a screen reader stumbles on is corrected in each page:
  the bibliography's entries are list items (docutils gives them a deprecated role the list does
  not accept), and a folded cell's summary is named by its visible text.
- The kernels that execute the chapters inherit COURSE_SITE_BUILD=1, which tells explorers to
  emit only their static figure: a live widget's saved state would embed plotly's widget bundle
  (about 5 MB) in the page and show nothing without a kernel.
- They also inherit TORCH_NUM_THREADS=1 unless it is set: the checked outputs are stored on one
  thread (see helpers.start_notebook), and a reader's own kernel keeps all its cores.
- The gradient-flow explorers of chapters 1.3 and 1.4 also compute in the reader's browser:
  book/_static/flow_engine.js is loaded where such a figure is, and the matrices and inputs PyTorch
  draws for each hidden size are written here, into the site's _static, as classic data scripts the
  engine loads on demand (helpers/explorers/flow_export.py). They are build outputs, not files in git,
  and so is flow_kernels.js, the engine's WebAssembly kernels: book/_static/flow_kernels.wat assembled
  by wasmtime (pinned in requirements.txt) and carried in base64 by a classic script.
- Chapter 1.6's cliff explorer trains encoder-decoders in the reader's browser: book/_static/copy_trainer.js
  is loaded where its figure is, and the initial weights PyTorch draws for each context size are
  written here too, as classic scripts it loads when that size is trained (helpers/explorers/cliff_page.py).
- Jupyter Book 1 always loads sphinx-thebe, whose page script is added twice and throws
  "Identifier 'THEBE_JS_URL' has already been declared". The course does not use thebe, so its
  hooks are removed.
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import plotly
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# the partial bundles, smallest first, with the trace types each holds
BUNDLES = [("plotly.js-basic-dist-min", "plotly-basic.min.js", {"bar", "pie", "scatter"}),
           ("plotly.js-cartesian-dist-min", "plotly-cartesian.min.js",
            {"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour", "image", "pie",
             "scatter", "scatterternary", "violin"})]
MATH_FONTS = "mathjax-fonts"      # the CommonHTML fonts, in the site's _static
SITE_BUILD_ENV = "COURSE_SITE_BUILD"
STATE = {"bundles": [("plotly.min.js", None)], "prerender_math": False, "subset_icons": False}   # this build's choices
# the trimmed MathJax a page loads when the build could not typeset it (no npm)
MATHJAX_TRIMMED = {"loader": {"load": ["input/tex-base", "[tex]/ams", "output/chtml", "a11y/assistive-mml"]},
                   "tex": {"packages": ["base", "ams"]},
                   "options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area",
                               "enableMenu": False}}


def plotly_version(path):
    head = Path(path).read_text(encoding="utf-8", errors="replace")[:300]
    found = re.search(r"plotly\.js.*?v(\d+\.\d+\.\d+)", head)
    return found.group(1) if found else None


def node_packages():
    """node_modules as package-lock.json pins it: `npm ci` when it is missing or older than the lock.

    Returns False (and the site falls back to the full plotly.js and MathJax in the page) when npm is
    not installed or fails; `make test` installs npm before it builds (see the Makefile)."""
    lock, installed = ROOT / "package-lock.json", NODE_MODULES / ".package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return True
    npm = shutil.which("npm")
    if npm is None:
        logger.info("course_assets: npm is not installed, so the site serves the whole plotly.js and MathJax "
                    "(install nodejs and npm, or run `make test`, for the light pages)")
        return False
    logger.info("course_assets: npm ci (the site's pinned assets, package-lock.json)")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        logger.info(f"course_assets: npm ci failed, serving the whole plotly.js and MathJax:\n{done.stderr[-2000:]}")
        return False
    return True


def setup_assets(app):
    """Copies what pages load into the site's _static (through a folder beside it) and decides how
    plotly.js and MathJax are served."""
    target = Path(app.outdir).parent / ".assets"
    target.mkdir(parents=True, exist_ok=True)
    have_npm = node_packages()
    want = plotly_version(PLOTLY_JS)
    STATE["bundles"] = []
    if have_npm:
        for package, name, traces in BUNDLES:
            source = NODE_MODULES / package / name
            if plotly_version(source) != want:
                raise ExtensionError(f"{source} is plotly.js {plotly_version(source)}, but the Python plotly package "
                                     f"bundles plotly.js {want}: pin {package}@{want} in package.json and run npm install")
            shutil.copy2(source, target / name)
            STATE["bundles"].append((name, traces))
    shutil.copy2(PLOTLY_JS, target / "plotly.min.js")
    STATE["bundles"].append(("plotly.min.js", None))       # every trace type: the fallback
    STATE["prerender_math"] = have_npm and shutil.which("node") is not None and \
        (NODE_MODULES / "mathjax-full").is_dir()
    STATE["subset_icons"] = have_npm and shutil.which("node") is not None and (NODE_MODULES / "subset-font").is_dir()
    if STATE["prerender_math"]:
        fonts = NODE_MODULES / "mathjax-full" / "es5" / "output" / "chtml" / "fonts" / "woff-v2"
        shutil.copytree(fonts, target / MATH_FONTS, dirs_exist_ok=True)
    else:
        app.config.mathjax_path = "mathjax/startup.js"
        config = dict(app.config.mathjax3_config or {})
        app.config.mathjax3_config = dict(config, **{k: v for k, v in MATHJAX_TRIMMED.items() if k != "options"},
                                          options=dict(config.get("options", {}), **MATHJAX_TRIMMED["options"]))
    from helpers.explorers.flow_export import write_data_scripts, write_kernel_script  # imports torch: only when a site is built
    write_data_scripts(target)
    write_kernel_script(target, Path(__file__).resolve().parents[1] / "_static" / "flow_kernels.wat")   # wasmtime assembles it
    from helpers.explorers.cliff_page import write_weight_scripts
    write_weight_scripts(target)
    app.config.html_static_path.append(str(target))


def trace_types(body):
    """The trace types of every plotly figure drawn in a page's body (template entries aside)."""
    types, decoder = set(), json.JSONDecoder()
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', body):
        try:
            data, _ = decoder.raw_decode(body, call.end())
        except ValueError:
            return None           # not the renderer's JSON: every trace type
        types.update(t.get("type", "scatter") for t in data if isinstance(t, dict))
    return types


# (pattern, replacement) on each page's body; see the module's docstring
MARKUP_FIXES = [
    (re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"'), r'\1 role="listitem"'),
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
]


def page_assets(app, pagename, templatename, context, doctree):
    """Per page: its markup fixes, plotly.js and the flow engine only where a figure needs them,
    and no MathJax script where the build typesets the math."""
    body = context.get("body")
    if body is None:
        return
    for pattern, replacement in MARKUP_FIXES:
        body = pattern.sub(replacement, body)
    context["body"] = body
    if "Plotly.newPlot(" in body:
        types = trace_types(body)
        name = next(n for n, traces in STATE["bundles"] if traces is None or (types is not None and types <= traces))
        app.add_js_file(name, priority=100)
        if 'class="flow-engine"' in body:
            app.add_js_file("flow_engine.js", priority=600)   # after plotly.js; computes the flow explorers in the page
        if 'class="copy-trainer"' in body:
            app.add_js_file("copy_trainer.js", priority=600)  # after plotly.js; trains 1.6's encoder-decoder in the page
    if STATE["prerender_math"] or 'class="math' not in body:
        scripts = context.get("script_files", [])
        scripts[:] = [s for s in scripts if "mathjax" not in str(getattr(s, "filename", s) or "").lower()
                      and "window.MathJax" not in str(getattr(s, "attributes", {}).get("body", ""))]


MATH = re.compile(r'(<(span|div) class="math notranslate nohighlight"[^>]*>)(.*?)(</\2>)', re.S)
TEX = {"span": re.compile(r"\\\((.*)\\\)", re.S), "div": re.compile(r"\\\[(.*)\\\]", re.S)}


def html_pages(outdir):
    return sorted(p for p in Path(outdir).rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def typeset_math(outdir):
    """Every formula of every page typeset into CommonHTML by MathJax in node, written into the page."""
    import html
    pages, jobs = [], []
    for path in html_pages(outdir):
        text = path.read_text(encoding="utf-8")
        found = []
        for m in MATH.finditer(text):
            inner = TEX[m.group(2)].search(m.group(3))
            if inner:
                found.append((m, inner))
        if not found:
            continue
        depth = len(path.relative_to(outdir).parts) - 1
        pages.append((path, text, found))
        jobs.append({"fontURL": "../" * depth + f"_static/{MATH_FONTS}",
                     "formulas": [{"tex": html.unescape(inner.group(1)), "display": m.group(2) == "div"} for m, inner in found]})
    if not jobs:
        return
    done = subprocess.run(["node", str(Path(__file__).with_name("tex_to_chtml.js"))], input=json.dumps({"pages": jobs}),
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise ExtensionError(f"typesetting the math with MathJax failed:\n{done.stderr[-3000:]}")
    for (path, text, found), result in zip(pages, json.loads(done.stdout)):
        out, last = [], 0
        for (m, inner), chtml in zip(found, result["html"]):
            content = m.group(3)
            out.append(text[last:m.start()] + m.group(1) + content[:inner.start()] + chtml + content[inner.end():] + m.group(4))
            last = m.end()
        out.append(text[last:])
        page = "".join(out).replace("</head>", f'<style id="MJX-CHTML-styles">{result["css"]}</style>\n</head>', 1)
        path.write_text(page, encoding="utf-8")
    logger.info(f"course_assets: typeset {sum(len(j['formulas']) for j in jobs)} formulas on {len(jobs)} pages")


FA_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:before,?)+)\{content:"((?:\\[0-9a-f]+|[^"\\])+)"\}')


def css_char(value):
    return re.sub(r"\\([0-9a-fA-F]{1,6})", lambda m: chr(int(m.group(1), 16)), value)


def trim_icons(outdir):
    """Font Awesome: the theme's 1.5 MB script becomes a no-op (its stylesheet and web fonts draw the
    same icons), and the web fonts keep only the icons that pages and stylesheets use."""
    static = Path(outdir) / "_static"
    script = static / "scripts" / "fontawesome.js"
    if script.exists():
        script.write_text("/* Font Awesome's icons are drawn by the theme's stylesheet and its web fonts, "
                          "cut down to the icons this site uses (book/_ext/course_assets.py). */\n")
    fonts = sorted((static / "vendor" / "fontawesome" / "webfonts").glob("*.woff2"))
    if not fonts:
        return
    css = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in static.rglob("*.css"))
    by_name = {}
    for m in FA_RULE.finditer(css):
        for name in re.findall(r"\.(fa-[a-z0-9-]+):before", m.group(1)):
            by_name[name] = css_char(m.group(2))
    rest = FA_RULE.sub("", css)
    used = set()
    for value in re.findall(r'(?:content:|--[a-z0-9-]+:)\s*"((?:\\[0-9a-fA-F]+|[^"\\])*)"', rest):
        used.update(c for c in css_char(value) if 0xE000 <= ord(c) <= 0xF8FF)
    names = set()
    for path in html_pages(outdir) + sorted(static.glob("scripts/*.js")):
        names.update(re.findall(r"\b(fa-[a-z0-9-]+)", path.read_text(encoding="utf-8", errors="replace")))
    used.update(by_name[n] for n in names if n in by_name)
    jobs = [{"font": str(p), "text": "".join(sorted(used))} for p in fonts]
    done = subprocess.run(["node", "-e", SUBSET_JS], input=json.dumps(jobs), capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise ExtensionError(f"cutting down the icon fonts failed:\n{done.stderr[-3000:]}")
    logger.info(f"course_assets: icon fonts cut down to {len(used)} icons: {done.stdout.strip()}")


SUBSET_JS = """
const fs = require("fs"), subsetFont = require("subset-font");
(async () => {
  const out = [];
  for (const job of JSON.parse(fs.readFileSync(0, "utf8"))) {
    const before = fs.statSync(job.font).size;
    const font = await subsetFont(fs.readFileSync(job.font), job.text, { targetFormat: "woff2" });
    fs.writeFileSync(job.font, font);
    out.push(`${job.font.split("/").pop()} ${before} -> ${font.length} bytes`);
  }
  console.log(out.join(", "));
})().catch((err) => { console.error(err); process.exit(1); });
"""


def finish(app, exc):
    if exc is not None or app.builder.format != "html":
        return
    if STATE["prerender_math"]:
        typeset_math(app.outdir)
    if STATE["subset_icons"]:
        trim_icons(app.outdir)


def drop_thebe(app, config):
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def setup(app):
    os.environ[SITE_BUILD_ENV] = "1"
    os.environ.setdefault("TORCH_NUM_THREADS", "1")
    app.config.html_static_path.append(str(Path(__file__).resolve().parents[1] / "_static"))
    app.add_css_file("course.css")
    app.add_js_file("course.js")    # figure controls, phone layouts, wrapped code listings
    app.connect("config-inited", drop_thebe)
    app.connect("builder-inited", setup_assets)
    app.connect("html-page-context", page_assets, priority=900)   # after sphinx.ext.mathjax adds its scripts
    app.connect("build-finished", finish, priority=900)           # after sphinx-mathjax-offline copies MathJax
    return {"parallel_read_safe": True, "parallel_write_safe": True}
