// Pure formatting helpers: times, days, links, colours. No state, no network.

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });
const dayYearFmt = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});

export function formatTime(ts) {
  return timeFmt.format(new Date(ts));
}

export function formatFull(ts) {
  return fullFmt.format(new Date(ts));
}

/** A key that changes when the local calendar day changes. */
export function dayKey(ts) {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Today", "Yesterday", "Monday 3 March", or with the year when it is not this year. */
export function formatDay(ts, now = Date.now()) {
  const d = new Date(ts);
  const today = new Date(now);
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  const startOfDay = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOfToday - startOfDay) / 86400000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return (d.getFullYear() === today.getFullYear() ? dayFmt : dayYearFmt).format(d);
}

// -- bidirectional controls ------------------------------------------------------------
// These characters change the order in which the text after them is drawn: an override
// makes "\u202Egnp.exe" read "exe.png", and can turn a link's text around. A message
// keeps them, but the client never draws them: each is shown as a small visible tag
// instead, so the text reads in the order it was typed and the trick shows.

/** Each bidi control: its short name and what it is. */
export const BIDI_CONTROLS = new Map([
  ["\u061C", ["ALM", "Arabic letter mark"]],
  ["\u200E", ["LRM", "left-to-right mark"]],
  ["\u200F", ["RLM", "right-to-left mark"]],
  ["\u202A", ["LRE", "left-to-right embedding"]],
  ["\u202B", ["RLE", "right-to-left embedding"]],
  ["\u202C", ["PDF", "pop directional formatting"]],
  ["\u202D", ["LRO", "left-to-right override"]],
  ["\u202E", ["RLO", "right-to-left override"]],
  ["\u2066", ["LRI", "left-to-right isolate"]],
  ["\u2067", ["RLI", "right-to-left isolate"]],
  ["\u2068", ["FSI", "first strong isolate"]],
  ["\u2069", ["PDI", "pop directional isolate"]],
]);
const BIDI_RE = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

export function hasBidi(text) {
  BIDI_RE.lastIndex = 0;
  return BIDI_RE.test(text);
}

/** Split a text into [{text}] and [{bidi: short name, title}] parts. */
export function splitBidi(text) {
  const parts = [];
  let last = 0;
  BIDI_RE.lastIndex = 0;
  for (let m = BIDI_RE.exec(text); m; m = BIDI_RE.exec(text)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    const [short, name] = BIDI_CONTROLS.get(m[0]);
    const code = m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    parts.push({ bidi: short, title: `U+${code} ${name}: a hidden character that changes the order text is drawn in, shown instead` });
    last = m.index + 1;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** The text with each bidi control written out as [RLO], [PDI], ...: for plain-text
 * places (desktop notifications) that cannot show a tag. */
export function bidiAsText(text) {
  return text.replace(BIDI_RE, (ch) => `[${BIDI_CONTROLS.get(ch)[0]}]`);
}

// http(s) URLs only; anything else stays text.
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"*_~]+$/;

/** Split a text into [{text}] and [{url, text}] parts. A link whose text holds a bidi
 * control is shown as its real address (`odd`): the control is percent-encoded there,
 * so it neither hides nor reorders anything. */
export function findLinks(text) {
  const parts = [];
  let last = 0;
  URL_RE.lastIndex = 0;
  for (let m = URL_RE.exec(text); m; m = URL_RE.exec(text)) {
    let raw = m[0];
    // Trailing punctuation belongs to the sentence, and so does a closing bracket
    // that has no opening one in the URL.
    for (;;) {
      const before = raw;
      raw = raw.replace(TRAILING, "");
      for (const [open, close] of ["()", "[]", "{}"]) {
        if (raw.endsWith(close) && count(raw, open) < count(raw, close)) raw = raw.slice(0, -1);
      }
      if (raw === before) break;
    }
    const url = safeUrl(raw);
    if (!url) continue;
    if (m.index > last) parts.push({ text: text.slice(last, m.index) });
    parts.push(hasBidi(raw) ? { url, text: url, odd: true } : { url, text: raw });
    last = m.index + raw.length;
    URL_RE.lastIndex = last;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

function count(s, ch) {
  let n = 0;
  for (const c of s) if (c === ch) n += 1;
  return n;
}

/** The URL as a string if it is a well-formed http: or https: URL, else null. */
export function safeUrl(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url.href;
}

// -- colours ------------------------------------------------------------------------

function channels(hex) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return [110, 110, 110];
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function toHex(rgb) {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;
}

// Each theme's backgrounds a name is drawn on (page, side panels, a row under the
// pointer, a message that mentions you, the open room): a name must read on all.
const BACKGROUNDS = {
  light: [
    [255, 255, 255],
    [245, 246, 248],
    [236, 238, 242],
    [255, 247, 220],
    [227, 229, 252],
  ],
  dark: [
    [30, 31, 35],
    [22, 23, 26],
    [43, 45, 51],
    [58, 50, 28],
    [52, 54, 92],
  ],
};
const cache = new Map();

/**
 * A user's colour adjusted, keeping its hue, until it reads on the theme's background
 * (contrast of at least 4.5:1): a pale yellow name stays legible on white, a dark blue
 * one on black.
 */
export function readableColor(hex, theme) {
  const key = `${hex}/${theme}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const bgs = BACKGROUNDS[theme] || BACKGROUNDS.light;
  const target = theme === "dark" ? [255, 255, 255] : [0, 0, 0];
  const base = channels(hex);
  let rgb = base;
  const worst = (c) => Math.min(...bgs.map((bg) => contrast(c, bg)));
  for (let t = 0.05; worst(rgb) < 4.6 && t <= 1; t += 0.05) {
    rgb = base.map((c, i) => c + (target[i] - c) * t);
  }
  const out = toHex(rgb);
  cache.set(key, out);
  return out;
}

/** White or near-black text, whichever reads better on `hex` (for avatars). */
export function inkOn(hex) {
  const rgb = channels(hex);
  return contrast(rgb, [255, 255, 255]) >= contrast(rgb, [20, 20, 20]) ? "#ffffff" : "#141414";
}

/** One or two letters standing for a name. */
export function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const first = Array.from(words[0] || "?")[0] || "?";
  const second = words.length > 1 ? Array.from(words[words.length - 1])[0] : "";
  return (first + (second || "")).toUpperCase();
}

/** The length of `s` in code points (not UTF-16 units). */
export function codePoints(s) {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatDuration(seconds) {
  const s = Math.ceil(seconds);
  if (s < 60) return plural(s, "second", "seconds");
  if (Math.ceil(s / 60) < 60) return plural(Math.ceil(s / 60), "minute", "minutes");
  if (s < 86400) return plural(Math.round(s / 3600), "hour", "hours");
  return plural(Math.round(s / 86400), "day", "days");
}
