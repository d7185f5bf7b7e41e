// Typesets the course's TeX when the site is built, so that no page loads MathJax (book/_ext/course_assets.py).
//
// stdin: {"pages": [{"fontURL": "../_static/mathjax-fonts", "formulas": [{"tex": "...", "display": false}]}]}
// stdout: [{"html": ["<mjx-container ...>", ...], "css": "..."}], one entry per page, in order: each
// formula as MathJax's CommonHTML output with its hidden MathML for screen readers (assistive-mml),
// and the page's stylesheet (only the characters the page uses). A TeX error stops the build.
"use strict";
const fs = require("fs");
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { CHTML } = require("mathjax-full/js/output/chtml.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AssistiveMmlHandler } = require("mathjax-full/js/a11y/assistive-mml.js");
require("mathjax-full/js/input/tex/base/BaseConfiguration.js");
require("mathjax-full/js/input/tex/ams/AmsConfiguration.js");

// The x-height of the theme's text in pixels at 16 px: MathJax in the browser measured it and scaled the
// math to 127.3% to match; at build time it is given (16 * 0.442 * 1.273, 0.442 being TeX's x-height).
const EX = 9.0;

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));

const request = JSON.parse(fs.readFileSync(0, "utf8"));
const answer = request.pages.map((page) => {
  const tex = new TeX({
    packages: ["base", "ams"],
    formatError: (jax, err) => { throw new Error(`TeX error: ${err.message}`); },
  });
  const chtml = new CHTML({ fontURL: page.fontURL, adaptiveCSS: true });
  const doc = mathjax.document("", { InputJax: tex, OutputJax: chtml });
  const html = page.formulas.map((f) => {
    try {
      return adaptor.outerHTML(doc.convert(f.tex, { display: f.display, em: 16, ex: EX }));
    } catch (err) {
      throw new Error(`${err.message} in ${JSON.stringify(f.tex.slice(0, 200))}`);
    }
  });
  return { html, css: adaptor.textContent(chtml.styleSheet(doc)) };
});
process.stdout.write(JSON.stringify(answer));
