// Emoji by name: the table the server serves (/assets/emoji.json, made by
// chinwag.core.emojis, which the desktop client reads too), completion of a `:name`
// being typed, the picker's search, and `:name:` turned into its emoji on sending.

const URL_PATH = "/assets/emoji.json";
const NAME_RE = /:([^\s:]{1,60}):/g;
// Code is left as typed: `a::b::c` stays, and so does a fenced block.
const CODE_RE = /```[\s\S]*?(?:```|$)|`[^`\n]*`/g;

/** [{emoji, names: [name, ...alias]}] in the picker's order (popular first), or null. */
let table = null;
let byName = null;
let loading = null;

export function emojiReady() {
  return table !== null;
}

/** Fetch the table once (again after a failure); resolves to the table. */
export function loadEmoji() {
  if (table) return Promise.resolve(table);
  if (!loading) {
    loading = fetch(URL_PATH, { credentials: "same-origin" })
      .then((r) => {
        if (!r.ok) throw new Error(`The emoji list could not be loaded (HTTP ${r.status}).`);
        return r.json();
      })
      .then((rows) => {
        table = rows.map(([emoji, ...names]) => ({ emoji, names }));
        byName = new Map();
        for (const e of table) for (const n of e.names) if (!byName.has(n)) byName.set(n, e.emoji);
        return table;
      })
      .finally(() => {
        loading = null;
      });
  }
  return loading;
}

/** The emoji called `name` (without colons, any case), or null. */
export function lookup(name) {
  return (byName && byName.get(name.toLowerCase())) || null;
}

/** `text` with each known `:name:` outside code replaced by its emoji; unknown names
 * and code stay as typed. Unchanged while the table is not loaded. */
export function emojize(text) {
  if (!byName || !text.includes(":")) return text;
  let out = "";
  let last = 0;
  CODE_RE.lastIndex = 0;
  for (let m = CODE_RE.exec(text); m; m = CODE_RE.exec(text)) {
    out += names(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + names(text.slice(last));
}

function names(text) {
  return text.replace(NAME_RE, (whole, name) => lookup(name) || whole);
}

/** [{name, emoji}] for a name being typed after a colon: names that start with it
 * first (shortest first), then names with a word that does; each emoji once. The same
 * order as chinwag.core.emojis.complete. */
export function complete(prefix, limit = 8) {
  const key = prefix.toLowerCase();
  if (!table || !key) return [];
  const starts = [];
  const inside = [];
  for (const e of table) {
    for (const name of e.names) {
      if (name.startsWith(key)) {
        starts.push({ name, emoji: e.emoji });
        break;
      }
      if (name.includes(`_${key}`)) {
        inside.push({ name, emoji: e.emoji });
        break;
      }
    }
  }
  const byLength = (a, b) => a.name.length - b.name.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const out = [];
  const seen = new Set();
  for (const c of [...starts.sort(byLength), ...inside.sort(byLength)]) {
    if (seen.has(c.emoji)) continue;
    seen.add(c.emoji);
    out.push(c);
    if (out.length >= limit) break;
  }
  return out;
}

/** The picker's entries for a search: all (popular first) for "", else those with a
 * name holding the words, those whose name starts with the first word first. */
export function searchEmoji(query) {
  if (!table) return [];
  const words = query.toLowerCase().trim().replace(/:/g, "").split(/[\s_]+/).filter(Boolean);
  if (!words.length) return table;
  const first = [];
  const rest = [];
  for (const e of table) {
    const hit = e.names.find((n) => words.every((w) => n.includes(w)));
    if (!hit) continue;
    (e.names.some((n) => n.startsWith(words[0])) ? first : rest).push(e);
  }
  return [...first, ...rest];
}

/** A name as people read it: "thumbs up". */
export function spoken(name) {
  return name.replace(/_/g, " ");
}
