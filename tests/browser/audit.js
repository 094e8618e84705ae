// A WCAG 2.1 AA audit of what the browser shows, run with page.evaluate(source, rootSelector).
// It returns {problems, checked}: the problems found (strings; none means the checks passed)
// and how many texts, fields and buttons or links were checked (so that an audit that saw
// nothing cannot pass unnoticed):
//   contrast  text (and an input's value or placeholder) against its effective background:
//             4.5:1, or 3:1 for large text (>= 24px, or >= 18.66px and bold); icon-font glyphs
//             are graphics and need 3:1 (WCAG 1.4.11). Text of disabled controls is exempt,
//             and chart text is canvas pixels, not DOM text.
//   fields    every input, select, textarea and ARIA form control has an accessible name from
//             aria-labelledby, aria-label or an associated <label> (not from its value).
//   buttons   every button and link has a name: text (icons excluded, as they are
//             aria-hidden), aria-label, aria-labelledby or title.
// rootSelector limits the checks to one part of the page (an open dialog), else the body.
(rootSelector) => {
  const root = rootSelector ? document.querySelector(rootSelector) : document.body;
  if (!root) return { problems: [`nothing matches ${rootSelector}`], checked: {} };
  const problems = [];
  const checked = { texts: 0, fields: 0, controls: 0 };

  // -- colours ------------------------------------------------------------------------------
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const cache = new Map();
  // Any CSS colour (rgb, oklch, color-mix, ...) as sRGB 0..255 and alpha 0..1.
  const rgba = (css) => {
    if (!cache.has(css)) {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = "#000";
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      cache.set(css, { r, g, b, a: a / 255 });
    }
    return { ...cache.get(css) };
  };
  // Porter-Duff "over" of two colours that both may be translucent.
  const over = (top, below) => {
    const a = top.a + below.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (t, b) => (t * top.a + b * below.a * (1 - top.a)) / a;
    return { r: mix(top.r, below.r), g: mix(top.g, below.g), b: mix(top.b, below.b), a };
  };
  const channel = (v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const hex = (c) =>
    "#" + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");

  // The page background: the body's computed background (the html's, then white, if clear).
  let page = { r: 255, g: 255, b: 255, a: 1 };
  for (const e of [document.documentElement, document.body]) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c.a > 0) page = over(c, page);
  }

  // What a pixel of colour `fg` (or of nothing) inside `el` looks like on screen: it lies on
  // the backgrounds of `el` and its ancestors, each element fading as a whole with its
  // opacity (so a fading dialog fades its text and its background together), on the page.
  const seen = (el, fg) => {
    let content = fg || { r: 0, g: 0, b: 0, a: 0 };
    for (let e = el; e && e !== document.body && e !== document.documentElement; ) {
      const cs = getComputedStyle(e);
      content = over(content, rgba(cs.backgroundColor));
      content.a *= parseFloat(cs.opacity);
      e = e.parentElement;
    }
    return over(content, page);
  };

  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += "#" + e.id;
      const classes = [...e.classList].filter((c) => !c.startsWith("nicegui")).slice(0, 2);
      if (classes.length) part += "." + classes.join(".");
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const shown = (el) =>
    el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) &&
    el.getClientRects().length > 0 &&
    el.getBoundingClientRect().width > 0 &&
    el.getBoundingClientRect().height > 0;
  const disabled = (el) =>
    !!el.closest(
      "[disabled], [aria-disabled='true'], .disabled, .q-field--disabled, .q-btn--disabled",
    );
  const isIcon = (el) => el.matches(".q-icon, .material-icons, [class*='material-symbols']");

  const checkContrast = (el, text, fgCss, kind) => {
    checked.texts += 1;
    const cs = getComputedStyle(el);
    const fg = rgba(fgCss);
    if (fg.a === 0) return; // transparent text is not shown (an unfocused field's placeholder)
    const bg = seen(el, null);
    const shownFg = seen(el, fg);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && parseInt(cs.fontWeight, 10) >= 700);
    const need = kind === "icon" || large ? 3 : 4.5;
    const got = ratio(shownFg, bg);
    if (got + 1e-6 < need) {
      problems.push(
        `contrast ${got.toFixed(2)}:1 < ${need}:1 (${kind}, ${size}px) at ${path(el)}: ` +
          `${JSON.stringify(text.trim().slice(0, 40))} ${hex(shownFg)} on ${hex(bg)}`,
      );
    }
  };

  const visited = new Set();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || visited.has(el) || !node.nodeValue.trim()) continue;
    if (el.closest("canvas, script, style, noscript, template, option")) continue;
    visited.add(el);
    if (!shown(el) || disabled(el)) continue;
    checkContrast(el, node.nodeValue, getComputedStyle(el).color, isIcon(el) ? "icon" : "text");
  }
  for (const el of root.querySelectorAll("input, textarea")) {
    if (["hidden", "checkbox", "radio", "range", "color"].includes(el.type)) continue;
    if (!shown(el) || disabled(el)) continue;
    if (el.value.trim()) checkContrast(el, el.value, getComputedStyle(el).color, "value");
    else if (el.placeholder.trim())
      checkContrast(el, el.placeholder, getComputedStyle(el, "::placeholder").color, "placeholder");
  }

  // -- names --------------------------------------------------------------------------------
  const hidden = (el) => {
    if (el.closest("[aria-hidden='true']")) return true;
    const cs = getComputedStyle(el);
    return cs.display === "none" || cs.visibility === "hidden";
  };
  // The text a screen reader takes from an element's content (aria-hidden parts left out).
  const contentText = (el) => {
    let text = "";
    for (const child of el.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) text += child.nodeValue;
      else if (child.nodeType === Node.ELEMENT_NODE && !hidden(child)) {
        if (child.getAttribute("aria-label")) text += " " + child.getAttribute("aria-label");
        else if (child.tagName === "IMG") text += " " + (child.getAttribute("alt") || "");
        else text += " " + contentText(child);
      }
    }
    return text.replace(/\s+/g, " ").trim();
  };
  const labelledBy = (el) =>
    (el.getAttribute("aria-labelledby") || "")
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id))
      .filter(Boolean)
      .map((e) => contentText(e))
      .join(" ")
      .trim();
  // A label's own words: a Quasar field is one big <label> that also holds the value and
  // the messages, which do not name the field; its floating label (.q-field__label) does.
  const labelText = (label) => {
    const floating = label.querySelector(".q-field__label");
    if (label.classList.contains("q-field")) return floating ? contentText(floating) : "";
    return contentText(label);
  };
  const fieldName = (el) =>
    labelledBy(el) ||
    (el.getAttribute("aria-label") || "").trim() ||
    [...(el.labels || [])].map(labelText).join(" ").trim();

  const fields = root.querySelectorAll(
    "input:not([type=hidden]), select, textarea, [role=combobox], [role=listbox], " +
      "[role=textbox], [role=searchbox], [role=spinbutton], [role=slider], [role=switch], " +
      "[role=checkbox], [role=radio]",
  );
  for (const el of fields) {
    if (hidden(el) || !el.getClientRects().length) continue;
    // A combobox that wraps its own <input> is named through that input.
    if (el.matches("[role=combobox]") && el.tagName !== "INPUT" && el.querySelector("input"))
      continue;
    checked.fields += 1;
    // A switch, checkbox or radio may also be named by its content (ARIA "name from content").
    const own = el.matches("[role=switch], [role=checkbox], [role=radio]") ? contentText(el) : "";
    if (!fieldName(el) && !own) problems.push(`unnamed field at ${path(el)}`);
  }
  for (const el of root.querySelectorAll("button, [role=button], a[href], [role=link]")) {
    if (hidden(el) || !el.getClientRects().length) continue;
    checked.controls += 1;
    const name =
      labelledBy(el) ||
      (el.getAttribute("aria-label") || "").trim() ||
      contentText(el) ||
      (el.getAttribute("title") || "").trim();
    if (!name) problems.push(`unnamed ${el.tagName.toLowerCase()} at ${path(el)}`);
  }
  return { problems, checked };
};
