// The course's figures, for every reader: a keyboard, a screen reader, a phone.
//
// - Native controls. Plotly's own sliders and update-menu buttons are SVG that takes no keyboard
//   focus (plotly.js#562). Above every figure that has them, this script builds an <input
//   type=range> per slider and a <button> group (or a <select>, for a dropdown menu) per menu,
//   labelled for a screen reader, and hides plotly's SVG ones. A control applies the very step or
//   button plotly would (its method and args: restyle, relayout, update or animate), so the
//   figure changes exactly as before. The in-page explorers of chapters 1.3 and 1.4 build their own
//   controls (flow_engine.js) and are left to it.
// - The figure's toolbar (plotly's modebar) is one Tab stop: the arrow keys move along it
//   (the ARIA toolbar pattern), it shows while it has focus, and the drawing itself is hidden
//   from screen readers, which read the figure's alt text (a role=img beside the plot) instead.
// - Phones: a figure narrower than NARROW_PX gets a layout that fits it. Its title and axis titles
//   are wrapped onto several lines (measured with the figure's font), the margins follow them, and
//   what would overlap after that (a legend under the title, say) is measured and moved apart.
//   flow_engine.js asks for the same layout through CourseFigures.adapt(gd, layout).
// - A figure drawn inside a folded dropdown gets plotly's default width; opening it redraws.
// - A table a cell printed keeps its rows whole, its font fitted to the column (fitTables).
(() => {
  "use strict";
  const NARROW_PX = 600;           // narrower than this, a figure gets the phone layout
  const FONT = '"Open Sans", verdana, arial, sans-serif';   // plotly's default font
  const PLOTLY_MARGIN = { l: 80, r: 80, t: 100, b: 80 };    // plotly's defaults, when a figure sets none
  const info = new WeakMap();      // figure div -> what this script knows about it

  document.addEventListener("click", (event) => {
    if (event.target.closest(".toggle-button, .dropdown, details")) {
      setTimeout(() => window.dispatchEvent(new Event("resize")), 50);
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Text: plain text of plotly's HTML-ish labels, and wrapping to a width in pixels.
  const canvas = document.createElement("canvas").getContext("2d");
  const plain = (text) => String(text == null ? "" : text).replace(/<br\s*\/?>/gi, " ").replace(/<[^>]*>/g, "")
    .replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/\s+/g, " ").trim();

  function textWidth(text, size) {
    canvas.font = `${size}px ${FONT}`;
    return canvas.measureText(text).width;
  }

  // One line of plotly text wrapped at spaces; a tag still open at a break (<sup>, <b>) is closed
  // before the <br> and opened again after it.
  function wrapLine(line, size, width) {
    const open = [];
    let out = "", cur = "", curWidth = 0;
    for (const word of line.split(" ")) {
      const w = textWidth(plain(word), size), space = cur ? textWidth(" ", size) : 0;
      if (cur && curWidth + space + w > width) {
        out += cur + open.slice().reverse().map((t) => `</${t.name}>`).join("") + "<br>";
        cur = open.map((t) => t.tag).join("") + word;
        curWidth = w;
      } else {
        cur += (cur ? " " : "") + word;
        curWidth += space + w;
      }
      for (const m of word.matchAll(/<(\/?)([a-z]+)[^>]*>/gi)) {
        if (m[1]) { const i = open.map((t) => t.name).lastIndexOf(m[2].toLowerCase()); if (i >= 0) open.splice(i, 1); }
        else if (m[2].toLowerCase() !== "br") open.push({ name: m[2].toLowerCase(), tag: m[0] });
      }
    }
    return out + cur;
  }

  const wrap = (text, size, width) => String(text).split(/<br\s*\/?>/i).map((l) => wrapLine(l, size, width)).join("<br>");
  const lineCount = (text) => String(text).split(/<br\s*\/?>/i).length;
  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  const titleOf = (t) => (t == null ? {} : typeof t === "string" ? { text: t } : t);

  // ---------------------------------------------------------------------------------------------
  // Native controls above a figure, applying plotly's own slider steps and menu buttons.

  // Changes are applied one after another; a control's change that is still waiting is replaced by
  // its newer one (a fast drag applies only the steps the figure can keep up with).
  function queue(gd) {
    const waiting = [];
    let busy = false;
    const next = () => {
      const item = waiting.shift();
      if (!item) { busy = false; return; }
      busy = true;
      let done;
      try {
        done = item.method === "skip" ? null : Plotly[item.method](gd, ...item.args);
      } catch (err) {
        done = Promise.reject(err);
      }
      Promise.resolve(done).catch((err) => console.error("course.js: a figure control failed:", err)).then(next);
    };
    return (key, method, args) => {
      const same = waiting.findIndex((w) => w.key === key);
      if (same >= 0) waiting.splice(same, 1);
      waiting.push({ key, method: method || "restyle", args: args || [] });
      if (!busy) next();
    };
  }

  function element(tag, props, ...children) {
    const el = Object.assign(document.createElement(tag), props || {});
    el.append(...children);
    return el;
  }

  function sliderControl(s, k, apply) {
    const steps = s.steps || [];
    const prefix = plain((s.currentvalue && s.currentvalue.prefix) || "");
    const suffix = plain((s.currentvalue && s.currentvalue.suffix) || "");
    const name = prefix.replace(/\s*[=:]\s*$/, "") || s.name || `slider ${k + 1}`;
    const input = element("input", { type: "range", min: 0, max: Math.max(0, steps.length - 1), step: 1 });
    input.value = String(s.active || 0);
    const value = element("span", { className: "course-value" });
    value.setAttribute("aria-hidden", "true");      // the range input says it (aria-valuetext)
    const show = (i) => {
      const step = steps[i] || {};
      const text = plain(step.label != null ? step.label : step.value != null ? step.value : i) + (suffix ? " " + suffix : "");
      value.textContent = text;
      input.setAttribute("aria-valuetext", text);
    };
    show(Number(input.value));
    // the steps' labels, for a "Try this" button that names a value (tryControl below)
    input.dataset.labels = JSON.stringify(steps.map((step, i) => plain(step.label != null ? step.label : step.value != null ? step.value : i)));
    input.addEventListener("input", () => {
      const i = Number(input.value), step = steps[i] || {};
      show(i);
      s.active = i;
      if (step.execute !== false) apply(`slider${k}`, step.method, step.args);
    });
    return element("label", { className: "course-slider" }, element("span", { className: "course-control-name" }, name), input, value);
  }

  function menuControl(m, k, apply) {
    const buttons = (m.buttons || []).map((b, j) => ({ b, j })).filter(({ b }) => b.visible !== false && (b.method !== "skip" || b.label));
    const name = plain(m.name || "") || (buttons.length ? "show" : `menu ${k + 1}`);
    if ((m.type || "dropdown") === "dropdown") {
      const select = element("select");
      for (const { b, j } of buttons) select.add(new Option(plain(b.label) || `option ${j + 1}`, String(j)));
      select.value = String(m.active != null && m.active >= 0 ? m.active : 0);
      select.addEventListener("change", () => {
        const b = m.buttons[Number(select.value)];
        m.active = Number(select.value);
        if (b.execute !== false) apply(`menu${k}`, b.method, b.args);
      });
      return element("label", { className: "course-menu" }, element("span", { className: "course-control-name" }, name), select);
    }
    const group = element("span", { className: "course-menu" });
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", name);
    const pressed = () => group.querySelectorAll("button").forEach((el) => {
      if (m.showactive !== false) el.setAttribute("aria-pressed", String(Number(el.dataset.index) === m.active));
    });
    for (const { b, j } of buttons) {
      const el = element("button", { type: "button", className: "course-button", textContent: plain(b.label) || `option ${j + 1}` });
      el.dataset.index = String(j);
      el.addEventListener("click", () => {
        const toggleOff = b.args2 && m.active === j;          // plotly's toggle buttons: a second click undoes
        m.active = toggleOff ? -1 : j;
        pressed();
        if (b.execute !== false) apply(`menu${k}`, b.method, toggleOff ? b.args2 : b.args);
      });
      group.append(el);
    }
    pressed();
    return group;
  }

  function buildControls(gd) {
    const L = gd.layout || {};
    const sliders = (L.sliders || []).filter((s) => s.visible !== false);
    const menus = (L.updatemenus || []).filter((m) => m.visible !== false);
    if (!sliders.length && !menus.length) return false;
    const apply = queue(gd);
    const box = element("div", { className: "course-controls" });
    box.setAttribute("role", "group");
    const title = plain(titleOf(L.title).text);
    box.setAttribute("aria-label", title ? `Controls of the figure “${title}”` : "Controls of the figure below");
    (L.updatemenus || []).forEach((m, k) => { if (m.visible !== false) box.append(menuControl(m, k, apply)); });
    (L.sliders || []).forEach((s, k) => { if (s.visible !== false) box.append(sliderControl(s, k, apply)); });
    const figure = gd.closest("figure") || gd;
    figure.parentNode.insertBefore(box, figure);
    gd.classList.add("course-native");           // course.css hides plotly's own slider and menus
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // The layout a figure gets at its width, as relayout paths ("title.text", "margin.t", ...). `base`
  // is the layout its author wrote, `texts` its current title texts (a control may have changed
  // them). At desktop width the paths hold the author's values (plotly's slider room aside).
  const axisKeys = (layout) => Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k));
  const TITLE_PATHS = ["font.size", "x", "xanchor", "xref", "y", "yanchor", "yref", "pad"];

  // "annotations[2].font.size" -> ["annotations", 2, "font", "size"]
  const keysOf = (path) => path.split(".").flatMap((k) => { const m = k.match(/^(\w+)\[(\d+)\]$/); return m ? [m[1], Number(m[2])] : [k]; });

  function get(obj, path) {
    for (const key of keysOf(path)) { if (obj == null) return undefined; obj = obj[key]; }
    return obj;
  }

  function set(obj, path, value) {          // a copy of obj with one path changed (its parents copied)
    const keys = keysOf(path), copy = (v) => (Array.isArray(v) ? v.slice() : Object.assign({}, v));
    const out = copy(obj);
    let at = out;
    keys.slice(0, -1).forEach((k) => { at[k] = copy(at[k]); at = at[k]; });
    at[keys[keys.length - 1]] = value;
    return out;
  }

  function layoutPaths(gd, base, texts) {
    const st = info.get(gd) || {};
    const tm = (base.template && base.template.layout) || {};
    const margin = Object.assign({}, PLOTLY_MARGIN, tm.margin, base.margin);
    let height = base.height || 450;
    const out = {};
    const title = titleOf(base.title);
    out["title.text"] = texts.title;
    for (const p of TITLE_PATHS) out["title." + p] = get(title, p);
    // the room plotly's own slider took under the plot, now that the controls above replace it
    // (measured once it was drawn: see spare())
    if (st.cut > 0) { height -= st.cut; margin.b = st.cutBottom; }
    const axes = axisKeys(base);
    for (const key of axes) {
      out[`${key}.automargin`] = get(base, `${key}.automargin`);
      if (key.startsWith("x")) {
        out[`${key}.title.text`] = texts[key];
        out[`${key}.title.font.size`] = get(base, `${key}.title.font.size`);
      }
    }
    const legend = base.legend || {};
    const above = typeof legend.y === "number" && legend.y >= 1;
    if (above) { out["legend.x"] = legend.x; out["legend.xanchor"] = legend.xanchor; }
    const width = gd.clientWidth || gd.getBoundingClientRect().width;
    if (width > 0 && width < NARROW_PX) {
      const size = Math.min(get(title, "font.size") || get(tm, "title.font.size") || 17, 15);
      let titleH = 0;
      if (texts.title) {
        const text = wrap(texts.title, size, width - 24);
        Object.assign(out, { "title.text": text, "title.font.size": size, "title.x": 0.5, "title.xanchor": "center",
          "title.xref": "container", "title.y": 1, "title.yanchor": "top", "title.yref": "container",
          "title.pad": { t: Math.round(size * 1.1) + 6, b: 0, l: 0, r: 0 } });   // plotly puts the first baseline there
        titleH = 10 + lineCount(text) * size * 1.3;
      }
      // a legend above the plot (at y just over 1) needs room for its rows under the title
      const rows = above ? legendRows(gd, base, width - 40) : 0;
      if (above) Object.assign(out, { "legend.x": 0, "legend.xanchor": "left" });
      const top = Math.ceil(titleH + rows * 20 + 12 + (st.extraTop || 0));
      height += top - margin.t;
      margin.t = top;
      // the axes take the room their labels need (automargin); text placed in a side margin keeps it
      const outside = (side) => (base.annotations || []).some((a) => a.xref === "paper" && (side === "l" ? a.x < 0 : a.x > 1));
      if (!outside("l")) margin.l = Math.min(margin.l, 12);
      if (!outside("r")) margin.r = Math.min(margin.r, 12);
      for (const key of axes) {
        out[`${key}.automargin`] = true;
        if (key.startsWith("x") && texts[key]) {
          // as wide as its axis (plotly's last drawing says how long; the y axis labels take the rest)
          const drawn = gd._fullLayout && gd._fullLayout[key], plotWidth = (drawn && drawn._length) || width - 100;
          const room = Math.min(width - 90, plotWidth - 8);
          let tsize = get(base, `${key}.title.font.size`) || 14;
          // a word longer than the axis (side-by-side panels) gets a smaller font, down to 9 px
          const longest = Math.max(...plain(texts[key]).split(" ").map((w) => textWidth(w, tsize)));
          if (longest > room) {
            tsize = Math.max(9, Math.floor(tsize * room / longest));
            out[`${key}.title.font.size`] = tsize;
          }
          const text = wrap(texts[key], tsize, room);
          out[`${key}.title.text`] = text;
          const extra = Math.ceil((lineCount(text) - 1) * tsize * 1.3);
          margin.b += extra; height += extra;
        }
      }
      margin.b += st.extraBottom || 0;
      height += st.extraBottom || 0;
      const drawn = gd._fullLayout && gd._fullLayout._size;
      Object.assign(out, panelTitles(gd, drawn ? drawn.w : width - margin.l - margin.r));
    } else Object.assign(out, panelTitles(gd, 0));

    for (const side of ["l", "r", "t", "b"]) out["margin." + side] = margin[side];
    out.height = Math.round(height);
    return out;
  }

  // Panel titles (annotations in a row above side-by-side panels) that would run into each other on a
  // phone get a smaller font, down to 8 px; `plotWidth` 0 gives them back their own sizes.
  function panelTitles(gd, plotWidth) {
    const st = info.get(gd) || {}, out = {};
    const notes = (gd.layout && gd.layout.annotations) || [];
    st.noteSizes = st.noteSizes || new WeakMap();
    const row = notes.map((a, i) => ({ a, i })).filter(({ a }) => a.xref === "paper" && a.yref === "paper" && a.y >= 0.98 &&
      typeof a.x === "number" && a.text && !a.showarrow).sort((p, q) => p.a.x - q.a.x);
    row.forEach(({ a, i }, k) => {
      if (!st.noteSizes.has(a)) st.noteSizes.set(a, get(a, "font.size"));
      const own = st.noteSizes.get(a);
      let size = own;
      if (plotWidth > 0 && row.length > 1) {
        const gaps = [k > 0 ? a.x - row[k - 1].a.x : Infinity, k < row.length - 1 ? row[k + 1].a.x - a.x : Infinity];
        const room = Math.min(...gaps) * plotWidth - 6, wide = textWidth(plain(a.text), own || 12);
        if (wide > room) size = Math.max(8, Math.floor((own || 12) * room / wide));
      }
      out[`annotations[${i}].font.size`] = size;
    });
    return out;
  }

  // How many rows a horizontal legend takes at this width (plotly wraps its items).
  function legendRows(gd, layout, width) {
    const shown = (gd.data || []).filter((t) => t.visible !== false && t.showlegend !== false && t.name);
    const size = get(layout, "legend.font.size") || 12;
    let rows = shown.length ? 1 : 0, x = 0;
    for (const t of shown) {
      const w = 48 + textWidth(plain(t.name), size);
      if (x && x + w > width) { rows++; x = 0; }
      x += w;
    }
    return rows;
  }

  // The figure's layout at its width, for a caller that draws it itself (flow_engine.js).
  function adapt(gd, layout) {
    const st = info.get(gd) || { flow: true };
    st.base = layout;
    info.set(gd, st);
    watch(gd);
    const texts = { title: titleOf(layout.title).text };
    for (const key of axisKeys(layout)) texts[key] = get(layout, `${key}.title.text`);
    let out = layout;
    for (const [path, value] of Object.entries(layoutPaths(gd, layout, texts))) {
      if (value !== undefined || get(layout, path) !== undefined) out = set(out, path, value);
    }
    gd.style.height = `${out.height}px`;          // the div keeps the height it was written with
    return out;
  }

  // The room under everything drawn but plotly's own (hidden) slider and menus, in pixels: what the
  // figure can lose at the bottom without moving anything. Measured once, when first drawn in view.
  function spare(gd) {
    const svg = gd.querySelector("svg.main-svg");
    if (!svg || !gd.clientHeight) return undefined;
    const top = svg.getBoundingClientRect().top;
    let low = 0;
    for (const el of gd.querySelectorAll(".main-svg .cartesianlayer, .main-svg .infolayer > g, .main-svg .layer-above, " +
                                          ".main-svg .annotation, .main-svg .legend")) {
      if (el.closest(".slider-container, .updatemenu-container")) continue;
      const r = el.getBoundingClientRect();
      if (r.height) low = Math.max(low, r.bottom - top);
    }
    return Math.max(0, Math.floor(Number(svg.getAttribute("height")) - low - 12));
  }

  // A text this script wrapped reads back as its author's text.
  function unwrapped(st, text) { return st.wrapped && st.wrapped.has(text) ? st.wrapped.get(text) : text; }

  // Brings a drawn figure to the layout of its width (at the start, after a resize, after a control
  // changed a title).
  function fit(gd) {
    const st = info.get(gd);
    if (!st || !st.base || !gd._fullLayout || st.fitting) return;
    if (st.flow) return separate(gd);          // flow_engine.js redraws through adapt()
    const texts = { title: unwrapped(st, get(gd.layout, "title.text")) };
    for (const key of axisKeys(st.base)) texts[key] = unwrapped(st, get(gd.layout, `${key}.title.text`));
    if (st.native && st.cut === undefined) {
      // the bottom margin plotly drew (its automargin may have grown the author's) loses the spare room
      st.cut = spare(gd);
      if (st.cut !== undefined) st.cutBottom = Math.max(0, gd._fullLayout._size.b - st.cut);
    }
    const want = layoutPaths(gd, st.base, texts), update = {};
    st.wrapped = st.wrapped || new Map();
    for (const [path, value] of Object.entries(want)) {
      if (/title\.text$/.test(path) && value) st.wrapped.set(value, texts[path === "title.text" ? "title" : path.split(".")[0]]);
      if (JSON.stringify(value) !== JSON.stringify(get(gd.layout, path))) update[path] = value === undefined ? null : value;
    }
    gd.style.height = `${want.height}px`;         // the div keeps the height it was written with
    if (!Object.keys(update).length) { separate(gd); return; }
    st.fitting = true;
    Plotly.relayout(gd, update).catch((err) => console.error("course.js: a figure's layout failed:", err))
      .then(() => { st.fitting = false; separate(gd); });
  }

  // After a phone layout is drawn: what still overlaps the title (a legend of more rows than
  // estimated, a subplot's title) gets the room it needs, and what runs past the bottom too
  // (twice at most: the room only grows).
  function separate(gd) {
    const st = info.get(gd);
    const width = gd.clientWidth;
    if (!st || !(width > 0 && width < NARROW_PX) || (st.separated || 0) >= 2) return;
    const title = gd.querySelector(".gtitle"), box = gd.getBoundingClientRect();
    let push = 0, below = 0;
    if (title && title.textContent) {
      const t = title.getBoundingClientRect();
      for (const el of gd.querySelectorAll(".legend, .annotation, .cartesianlayer .subplot .bg, .nsewdrag")) {
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height || r.bottom <= t.top || r.left >= t.right || r.right <= t.left) continue;
        if (r.top < t.bottom + 4) push = Math.max(push, t.bottom + 4 - r.top);
      }
    }
    for (const el of gd.querySelectorAll(".legend, .g-xtitle, .xtick, .annotation")) {
      const r = el.getBoundingClientRect();
      if (r.height && r.bottom > box.bottom - 2) below = Math.max(below, r.bottom - box.bottom + 6);
    }
    if (push < 1 && below < 1) return;
    st.separated = (st.separated || 0) + 1;
    st.extraTop = (st.extraTop || 0) + Math.ceil(push);
    st.extraBottom = (st.extraBottom || 0) + Math.ceil(below);
    if (st.flow) { if (st.redraw) st.redraw(); } else fit(gd);
  }

  // ---------------------------------------------------------------------------------------------
  // The toolbar as one Tab stop; the drawing hidden from screen readers (the alt text speaks).
  function toolbar(gd) {
    for (const svg of gd.querySelectorAll("svg.main-svg")) svg.setAttribute("aria-hidden", "true");
    const bar = gd.querySelector(".modebar");
    if (!bar) return;
    const buttons = [...bar.querySelectorAll(".modebar-btn")];
    if (!buttons.length) return;
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Figure tools (arrow keys move between them)");
    if (!buttons.some((b) => b.getAttribute("tabindex") === "0")) buttons.forEach((b, i) => b.setAttribute("tabindex", i ? "-1" : "0"));
    if (bar.dataset.courseKeys) return;
    bar.dataset.courseKeys = "1";
    bar.addEventListener("keydown", (e) => {
      const all = [...bar.querySelectorAll(".modebar-btn")], i = all.indexOf(document.activeElement);
      if (i < 0) return;
      const j = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: all.length - 1 }[e.key];
      if (j === undefined) return;
      e.preventDefault();
      const k = (j + all.length) % all.length;
      all.forEach((b, n) => b.setAttribute("tabindex", n === k ? "0" : "-1"));
      all[k].focus();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Code listings wrap inside the column: each line becomes a block whose continuation lines hang
  // under its own indentation plus four columns. The text (and what the copy button copies) is the
  // same, newlines included.
  function wrapListing(pre) {
    const lines = [[]];
    for (const node of pre.childNodes) {
      if (node.nodeType === 1 && node.children.length) return;      // nested markup: left as it is
      const cls = node.nodeType === 1 ? node.className : "";
      node.textContent.split("\n").forEach((text, i) => {
        if (i) lines.push([]);
        if (text) lines[lines.length - 1].push([cls, text]);
      });
    }
    if (!lines[lines.length - 1].length) lines.pop();           // the listing's final newline
    const out = document.createDocumentFragment();
    lines.forEach((parts, i) => {
      const line = element("span", { className: "course-line" });
      const indent = (parts.map((p) => p[1]).join("").match(/^ */) || [""])[0].length + 4;
      line.style.paddingLeft = `${indent}ch`;
      line.style.textIndent = `-${indent}ch`;
      for (const [cls, text] of parts) line.append(cls ? element("span", { className: cls, textContent: text }) : text);
      line.append(i < lines.length - 1 ? "\n" : "");
      out.append(line);
    });
    pre.replaceChildren(out);
    pre.classList.add("course-wrapped");
  }

  function wrapListings() {
    for (const pre of document.querySelectorAll(".bd-article div.highlight > pre")) {
      if (!pre.classList.contains("course-wrapped")) wrapListing(pre);
    }
  }

  // A display formula wider than the column scrolls inside its box; a keyboard can reach it then
  // (MathJax's menu made every formula a Tab stop; typeset at build time, none is one by itself).
  function scrollableMath() {
    for (const m of document.querySelectorAll('.bd-article mjx-container[display="true"], .bd-article div.math')) {
      const wide = m.scrollWidth > m.clientWidth + 1 && /auto|scroll/.test(getComputedStyle(m).overflowX);
      if (wide && !m.hasAttribute("tabindex")) { m.setAttribute("tabindex", "0"); m.dataset.courseScroll = "1"; }
      else if (!wide && m.dataset.courseScroll) { m.removeAttribute("tabindex"); delete m.dataset.courseScroll; }
    }
  }

  // ---------------------------------------------------------------------------------------------
  function watch(gd) {
    const st = info.get(gd);
    if (st.watched || typeof gd.on !== "function") return;
    st.watched = true;
    const later = () => { clearTimeout(st.later); st.later = setTimeout(() => { toolbar(gd); fit(gd); }, 40); };
    for (const event of ["plotly_afterplot", "plotly_relayout", "plotly_update"]) gd.on(event, later);
    let lastWidth = gd.clientWidth;
    if (window.ResizeObserver) {
      new ResizeObserver(() => {
        if (gd.clientWidth === lastWidth) return;
        const narrow = (w) => w > 0 && w < NARROW_PX, was = narrow(lastWidth), is = narrow(gd.clientWidth);
        if (was !== is) { st.extraTop = 0; st.extraBottom = 0; st.separated = 0; }
        lastWidth = gd.clientWidth;
        if (!st.flow) later();
        else if (st.redraw && (was || is)) { clearTimeout(st.resized); st.resized = setTimeout(st.redraw, 100); }
      }).observe(gd);
    }
  }

  const isFlowFigure = (gd) => {
    const figure = gd.closest("figure") || gd;
    return !!(figure.parentNode && figure.parentNode.querySelector(":scope > .flow-engine[data-engine]"));
  };

  function setUp(gd) {
    if (!gd.layout || (info.has(gd) && !info.get(gd).flow)) return;
    if (isFlowFigure(gd)) {            // flow_engine.js draws it, asking adapt() for its layout
      info.set(gd, Object.assign(info.get(gd) || {}, { flow: true }));
      watch(gd);
      toolbar(gd);
      return;
    }
    const before = (gd.closest("figure") || gd).previousElementSibling;
    const own = before && before.classList.contains("flow-controls");   // an explorer's own controls (1.8's lanes)
    const st = { base: clone(Object.assign({}, gd.layout, { sliders: undefined, updatemenus: undefined })) };
    st.base.sliders = gd.layout.sliders;          // kept by reference: the controls follow their `active`
    st.base.updatemenus = gd.layout.updatemenus;
    info.set(gd, st);
    st.native = !own && buildControls(gd);
    if (st.native) wireTryButtons();                // a button may set one of the controls just built
    watch(gd);
    toolbar(gd);
    if (!st.native) return fit(gd);
    // plotly's own slider and menus go: hidden, they would still keep their room (plotly's automargin)
    const hide = {};
    (gd.layout.sliders || []).forEach((s, k) => { hide[`sliders[${k}].visible`] = false; });
    (gd.layout.updatemenus || []).forEach((m, k) => { hide[`updatemenus[${k}].visible`] = false; });
    st.fitting = true;
    Plotly.relayout(gd, hide).catch((err) => console.error("course.js: a figure's layout failed:", err))
      .then(() => { st.fitting = false; fit(gd); });
  }

  // ---------------------------------------------------------------------------------------------
  // "Try this" boxes: a button that sets the explorer above the box to the box's setting. The chapter
  // writes an HTML comment, `<!-- try: button text ; control ; value -->` (control: the start of the
  // control's label, empty for one of the explorer's own buttons; value: as the control shows it, or
  // that button's text), which JupyterLab does not show; here it becomes a button, shown once the
  // control it sets exists.
  const TRY = /^\s*try:\s*([^;]+?)\s*;\s*([^;]*?)\s*;\s*(.+?)\s*$/;

  function tryButtonsFromComments() {
    const walker = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_COMMENT);
    const found = [];
    while (walker.nextNode()) { const m = TRY.exec(walker.currentNode.data); if (m) found.push([walker.currentNode, m]); }
    for (const [comment, [, text, control, value]] of found) {
      const button = element("button", { type: "button", className: "course-try" }, text);
      Object.assign(button.dataset, { tryControl: control, tryValue: value });
      button.hidden = true;
      comment.parentNode.insertBefore(button, comment);
    }
  }

  function controlsBefore(node) {
    const boxes = [...document.querySelectorAll(".course-controls, .inpage-controls")];
    return boxes.filter((box) => box.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING).pop();
  }

  function tryControl(box, name, value) {
    const own = [...box.querySelectorAll("button")].find((b) => b.textContent.trim() === value);
    if (own) return () => own.click();
    for (const input of box.querySelectorAll("input[type=range][data-labels]")) {
      const label = input.closest("label");
      if (!label || !label.textContent.trim().toLowerCase().startsWith(name.toLowerCase())) continue;
      const index = JSON.parse(input.dataset.labels).indexOf(value);
      if (index < 0) continue;
      return () => {
        input.value = String(index);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus({ preventScroll: true });
      };
    }
    return null;
  }

  function wireTryButtons() {
    for (const button of document.querySelectorAll("button[data-try-value]:not([data-try-wired])")) {
      const box = controlsBefore(button);
      const apply = box && tryControl(box, button.dataset.tryControl || "", button.dataset.tryValue);
      if (!apply) continue;
      button.dataset.tryWired = "1";
      button.hidden = false;
      button.addEventListener("click", () => {
        apply();
        box.scrollIntoView({ block: "start", behavior: "smooth" });
      });
    }
  }

  // A table a cell printed (two lines or more with columns lined up by runs of spaces) keeps its rows
  // whole. The theme wraps output lines, and on a phone that split each row of such a table over two
  // or three lines, its columns no longer under their headings. Where the column is too narrow, the
  // table's font shrinks to fit, down to TABLE_MIN_FONT_PX; a table wider still scrolls sideways in
  // its own box, a Tab stop then. An output with a line longer than TABLE_MAX_CHARS
  // is sentences, not a table (the course's tables are narrower): it wraps as before.
  const TABLE_MIN_FONT_PX = 10, TABLE_MAX_CHARS = 100;
  const isTable = (text) => {
    const lines = text.replace(/\n$/, "").split("\n");
    return lines.every((line) => line.length <= TABLE_MAX_CHARS) && lines.filter((line) => /\S {2,}\S/.test(line)).length >= 2;
  };

  function fitTables() {
    for (const pre of document.querySelectorAll(".bd-article div.cell_output pre")) {
      if (!pre.classList.contains("course-table")) {
        if (!isTable(pre.textContent)) continue;
        pre.classList.add("course-table");
      }
      pre.style.fontSize = "";
      if (!pre.clientWidth) continue;               // in a folded section: fitted when it opens
      const cs = getComputedStyle(pre), padding = parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
      if (pre.scrollWidth > pre.clientWidth + 1) {   // the text's width scales with its font, the padding does not
        const size = parseFloat(cs.fontSize) * (pre.clientWidth - padding) / (pre.scrollWidth - padding);
        pre.style.fontSize = `${Math.max(TABLE_MIN_FONT_PX, Math.floor(size * 10) / 10)}px`;
      }
      // a Tab stop when it scrolls: the theme's rule for every pre, applied again since the theme's own
      // pass at load may come before this fitting
      pre.tabIndex = pre.scrollWidth > pre.clientWidth + 1 ? 0 : -1;
    }
  }

  function start() {
    wrapListings();
    tryButtonsFromComments();
    wireTryButtons();            // the in-page explorers' controls are in the HTML already
    scrollableMath();
    fitTables();
    const refit = () => { scrollableMath(); fitTables(); };
    let resized;
    window.addEventListener("resize", () => { clearTimeout(resized); resized = setTimeout(refit, 200); });
    document.addEventListener("toggle", () => setTimeout(refit, 50), true);   // a folded section opened
    if (typeof Plotly === "undefined") return;
    for (const gd of document.querySelectorAll(".js-plotly-plot, .plotly-graph-div")) {
      if (gd._fullLayout) setUp(gd);
      else if (typeof gd.on === "function") gd.on("plotly_afterplot", () => setUp(gd));
    }
  }

  // flow_engine.js: adapt(gd, layout) before each draw; onRedraw(gd, fn) to be redrawn when the
  // figure's width crosses NARROW_PX or its phone layout needs more room.
  const onRedraw = (gd, fn) => { const st = info.get(gd) || { flow: true }; st.redraw = fn; info.set(gd, st); watch(gd); };
  window.CourseFigures = { adapt, onRedraw, fit, wrap, NARROW_PX };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
