// Text as the page shows it, built from data (never parsed as HTML): http(s) links made
// clickable, bidi controls drawn as tags, @mentions of the reader marked.

import { h } from "./dom.js";
import { findLinks, splitBidi } from "./format.js";

/** Text with http(s) links made clickable and bidi controls shown as tags: only Text
 * nodes, <a> and <abbr> elements. */
export function richText(text, mentionOf) {
  const out = [];
  for (const part of findLinks(text)) {
    if (part.odd) {
      const title = "The real address of this link: its text held hidden direction characters";
      out.push(h("a", { href: part.url, target: "_blank", rel: "noopener noreferrer", class: "odd-link", title }, part.text));
    } else if (part.url) {
      out.push(h("a", { href: part.url, target: "_blank", rel: "noopener noreferrer" }, part.text));
    } else {
      out.push(...plainText(part.text, mentionOf));
    }
  }
  return out;
}

/** Text whose bidi controls are drawn as small tags, which cannot reorder what follows
 * (with `mentionOf`, its @mentions of that name marked). */
export function plainText(text, mentionOf = null) {
  const out = [];
  for (const part of splitBidi(text)) {
    if (part.bidi) out.push(h("abbr", { class: "bidi-mark", title: part.title }, part.bidi));
    else if (mentionOf) out.push(...mentions(part.text, mentionOf));
    else out.push(part.text);
  }
  return out;
}

function mentions(text, username) {
  const re = mentionRe(username, "gi");
  const out = [];
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(h("mark", { class: "mention" }, m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
}

/** `@username` as a whole word, any case: not glued to what comes before ("me@ada"),
 * nor followed by more of a name ("@adam", "@ada_2", "@ada.b"); a full stop ending the
 * sentence is fine. The desktop client matches the same way. */
function mentionRe(username, flags) {
  const names = Array.isArray(username) ? username.map(escapeRe).join("|") : escapeRe(username);
  return new RegExp(`(?<![\\w@.-])@(?:${names})(?![\\w-]|\\.\\w)`, flags);
}

export function mentionsMe(body, username) {
  if (!username) return false;
  return mentionRe(username, "i").test(body);
}
