// Message formatting: a small, safe Markdown subset, parsed by markdown-it (vendored,
// the release that markdown-it-py in the desktop client ports) with the configuration
// both clients share, and drawn from its tokens as elements, never as HTML.
//
// On: **bold**/__bold__, *italic*/_italic_, ~~strike~~, `code`, ``` fenced blocks
// (the language word ignored), - and 1. lists, > quotes, [text](url), <https://...>,
// backslash escapes, entities; a newline is a line break (breaks: true). Off: raw HTML (shown as
// text), images, headings, tables, rules, indented code. Links go only to http:, https:
// and mailto:, show their real address on hover, and one whose text names another
// address is shown as its real address. Text runs are drawn by text.js (bare links,
// bidi controls as tags, mentions of the reader); code is drawn as typed.
//
// A body is parsed once: the result is kept (by body and reader) and cloned.

import "../vendor/markdown-it/markdown-it.min.js";
import { h } from "./dom.js";
import { plainText, richText } from "./text.js";

const markdownit = globalThis.markdownit;

export const md = markdownit("zero", { html: false, breaks: true, linkify: false });
md.enable([
  "emphasis",
  "strikethrough",
  "backticks",
  "fence",
  "list",
  "blockquote",
  "link",
  "autolink",
  "escape",
  "newline",
  "paragraph",
  "text",
  "entity",
  "balance_pairs",
  "text_join",
  "fragments_join",
]);

const SCHEMES = new Set(["http:", "https:", "mailto:"]);
const validate = md.validateLink;

/** markdown-it's own check (no javascript:, vbscript:, file:, data:), then an allow-list. */
export function linkAllowed(url) {
  if (!validate(url)) return false;
  try {
    return SCHEMES.has(new URL(url).protocol);
  } catch {
    return false;
  }
}
md.validateLink = linkAllowed;

const LIMIT = 4000;
const cache = new Map();

/** The `.msg-body` element of a body, formatted for the reader `mentionOf` (or null). */
export function formatted(body, mentionOf) {
  const key = `${mentionOf || ""}\u0000${body}`;
  let el = cache.get(key);
  if (el) {
    // Most recently used last: the oldest go first when the cache is full.
    cache.delete(key);
  } else {
    el = build(body, mentionOf);
    if (cache.size >= LIMIT) cache.delete(cache.keys().next().value);
  }
  cache.set(key, el);
  return el.cloneNode(true);
}

function build(body, mentionOf) {
  const tokens = md.parse(body, {});
  const blocks = blocksOf(tokens, mentionOf);
  // One paragraph is drawn as its text: a body like today's plain ones, inline with
  // "(edited)".
  if (blocks.length === 1 && blocks[0].tagName === "P") {
    return h("div", { class: "msg-body" }, [...blocks[0].childNodes]);
  }
  return h("div", { class: "msg-body md" }, blocks);
}

const BLOCK_TAGS = {
  paragraph_open: "p",
  bullet_list_open: "ul",
  ordered_list_open: "ol",
  list_item_open: "li",
  blockquote_open: "blockquote",
};

function blocksOf(tokens, mentionOf) {
  const root = h("div", null);
  const stack = [root];
  const top = () => stack[stack.length - 1];
  for (const tok of tokens) {
    if (tok.hidden) continue; // the paragraphs of a tight list item: their text only
    if (tok.nesting === 1 && BLOCK_TAGS[tok.type]) {
      const props = {};
      if (tok.type === "ordered_list_open") {
        const start = tok.attrGet("start");
        if (start !== null) props.start = String(start);
      }
      const el = h(BLOCK_TAGS[tok.type], props);
      top().append(el);
      stack.push(el);
    } else if (tok.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else if (tok.type === "fence") {
      const code = tok.content.endsWith("\n") ? tok.content.slice(0, -1) : tok.content;
      top().append(h("pre", { class: "code-block" }, h("code", null, plainText(code))));
    } else if (tok.type === "inline") {
      top().append(...inline(tok.children || [], mentionOf));
    } else if (tok.content) {
      top().append(...plainText(tok.content));
    }
  }
  return [...root.children];
}

const INLINE_TAGS = { strong_open: "strong", em_open: "em", s_open: "s" };

function inline(tokens, mentionOf) {
  const root = h("span", null);
  const stack = [root];
  const top = () => stack[stack.length - 1];
  let link = 0;
  for (const tok of tokens) {
    if (INLINE_TAGS[tok.type]) {
      const el = h(INLINE_TAGS[tok.type], null);
      top().append(el);
      stack.push(el);
    } else if (tok.type === "link_open") {
      const href = tok.attrGet("href");
      const el = h("a", { href, title: href, target: "_blank", rel: "noopener noreferrer nofollow" });
      top().append(el);
      stack.push(el);
      link += 1;
    } else if (tok.type === "link_close") {
      const el = stack.pop();
      link -= 1;
      checkLinkText(el);
    } else if (tok.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else if (tok.type === "text") {
      // Inside a link: no link within it, no mention marked.
      top().append(...(link ? plainText(tok.content) : richText(tok.content, mentionOf)));
    } else if (tok.type === "code_inline") {
      top().append(h("code", null, plainText(tok.content)));
    } else if (tok.type === "softbreak" || tok.type === "hardbreak") {
      // A line break as a newline in text kept as typed (white-space: pre-wrap): copied
      // text keeps it too.
      top().append("\n");
    } else if (tok.content) {
      top().append(...plainText(tok.content));
    }
  }
  return [...root.childNodes];
}

/** A link whose text is an address other than the one it goes to ("[https://bank.example]
 * (https://evil.example)") is shown as the address it goes to. */
function checkLinkText(a) {
  const text = a.textContent.trim();
  if (!/^(?:[a-z][a-z0-9+.-]*:|www\.|[^\s/@]+@[\w-]+\.|[\w-]+(?:\.[\w-]+)+(?:[/:?#]|$))/i.test(text)) return;
  const href = a.getAttribute("href");
  if (!sameAddress(text, href)) {
    a.className = "odd-link";
    a.title = `The real address of this link (its text named another one): ${href}`;
    a.replaceChildren(href);
  }
}

function sameAddress(text, href) {
  let real;
  try {
    real = new URL(href);
  } catch {
    return false;
  }
  if (real.protocol === "mailto:") return text.replace(/^mailto:/i, "").toLowerCase() === decodeURIComponent(real.pathname).toLowerCase();
  try {
    const shown = new URL(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`);
    return shown.host === real.host;
  } catch {
    return false;
  }
}

const plainCache = new Map();
const proseCache = new Map();

/**
 * A body as plain text, its formatting marks gone (for quotes, search excerpts and
 * notifications): blocks and line breaks as newlines, a link as its text.
 */
export function plainOf(body) {
  return textOf(body, true, plainCache);
}

/** The text of a body outside its code: where a mention counts. */
export function proseOf(body) {
  return textOf(body, false, proseCache);
}

function textOf(body, withCode, store) {
  let text = store.get(body);
  if (text !== undefined) return text;
  const out = [];
  for (const tok of md.parse(body, {})) {
    if (tok.type === "inline") {
      for (const t of tok.children || []) {
        if (t.type === "text" || (withCode && t.type === "code_inline")) out.push(t.content);
        else if (t.type === "code_inline" || t.type === "softbreak" || t.type === "hardbreak") out.push("\n");
      }
    } else if (tok.type === "fence") {
      out.push(withCode ? tok.content : "\n");
    } else if ((tok.type === "paragraph_close" && !tok.hidden) || tok.type === "list_item_close") {
      out.push("\n");
    }
  }
  text = out.join("").replace(/\n+$/, "");
  if (store.size >= LIMIT) store.delete(store.keys().next().value);
  store.set(body, text);
  return text;
}
