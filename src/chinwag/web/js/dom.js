// Building the page from data without ever parsing it as HTML.
//
// Everything a user wrote (bodies, names, topics, reasons) reaches the page through
// `h(...)` children or `text`, which become Text nodes. Nothing in this client assigns
// innerHTML, outerHTML or insertAdjacentHTML, and `h` refuses to.

const FORBIDDEN = new Set(["innerHTML", "outerHTML", "srcdoc", "style"]);

/**
 * h("button", {class: "x", onclick: fn, "aria-label": "Send"}, "text", child, ...)
 * Props: `class`, `text` (textContent), `dataset` (object), `css` (object of CSSOM
 * style properties), `on<event>` (functions only), anything else as an attribute
 * (true: present, false/null/undefined: absent). Children: nodes, strings (as text),
 * arrays, and null/false (skipped).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

function setProps(el, props) {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (FORBIDDEN.has(key)) throw new Error(`h(): ${key} is not allowed`);
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "css") Object.assign(el.style, value);
    else if (key.startsWith("on")) {
      if (typeof value !== "function") throw new Error(`h(): ${key} must be a function`);
      el.addEventListener(key.slice(2), value);
    } else if (key === "value" || key === "checked" || key === "selected") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no element #${id}`);
  return el;
}

export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function show(el, visible) {
  el.hidden = !visible;
}

const SVG = "http://www.w3.org/2000/svg";

// Simple stroke icons on a 24x24 grid, drawn for this project.
const ICONS = {
  menu: ["M4 6h16", "M4 12h16", "M4 18h16"],
  plus: ["M12 5v14", "M5 12h14"],
  close: ["M6 6l12 12", "M18 6L6 18"],
  more: ["M5 12h.01", "M12 12h.01", "M19 12h.01"],
  users: [
    "M16 20v-1.5a3.5 3.5 0 0 0-3.5-3.5h-5A3.5 3.5 0 0 0 4 18.5V20",
    "M10 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z",
    "M20 20v-1.5a3.5 3.5 0 0 0-2.6-3.4",
    "M15 4.2a3.5 3.5 0 0 1 0 6.6",
  ],
  settings: [
    "M4 7h9", "M17 7h3", "M15 5v4", "M4 17h3", "M11 17h9", "M9 15v4",
  ],
  logout: ["M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3", "M10 8l-4 4 4 4", "M6 12h10"],
  bell: [
    "M18 16H6l1.5-2V10a4.5 4.5 0 0 1 9 0v4z",
    "M10.5 19a1.5 1.5 0 0 0 3 0",
  ],
  bellOff: [
    "M18 16H6l1.5-2V10a4.5 4.5 0 0 1 9 0v4z",
    "M10.5 19a1.5 1.5 0 0 0 3 0",
    "M4 4l16 16",
  ],
  send: ["M4 12l16-8-6 16-2.5-6.5z", "M11.5 13.5L20 4"],
  down: ["M12 5v14", "M6 13l6 6 6-6"],
  hash: ["M9 4L7 20", "M17 4l-2 16", "M4 9h16", "M3.5 15h16"],
  lock: ["M6 11h12v9H6z", "M8.5 11V8a3.5 3.5 0 0 1 7 0v3"],
  trash: ["M5 7h14", "M10 7V5h4v2", "M7 7l1 13h8l1-13"],
  edit: ["M4 20h4L19 9l-4-4L4 16z", "M13 7l4 4"],
  search: ["M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13z", "M15.5 15.5L20 20"],
  retry: ["M5 12a7 7 0 1 0 2-5", "M5 4v4h4"],
  clock: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M12 7v5l3 2"],
  alert: ["M12 3l9 17H3z", "M12 10v4", "M12 17h.01"],
  attach: ["M20 11.5l-8.2 8.2a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4L15 7"],
  file: ["M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z", "M14 3v5h5"],
  download: ["M12 4v11", "M7 10l5 5 5-5", "M5 20h14"],
  reply: ["M10 8L5 12l5 4", "M5 12h9a5 5 0 0 1 5 5v1"],
  thread: ["M4 5h16v10H9l-5 4z", "M8 9h8", "M8 12h5"],
  pin: ["M9 4h6l-1 6 3 3H7l3-3z", "M12 13v7"],
  smile: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M8.5 14a4.5 4.5 0 0 0 7 0", "M9 9.5h.01", "M15 9.5h.01"],
};

export function icon(name, label) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon-${name}`);
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "2");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else {
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
  }
  for (const d of ICONS[name] || []) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
  }
  return svg;
}

/** Replace every [data-icon] placeholder in the static page with its icon. */
export function fillIcons(root = document) {
  for (const el of root.querySelectorAll("[data-icon]")) {
    if (!el.querySelector("svg")) el.prepend(icon(el.dataset.icon));
  }
}
