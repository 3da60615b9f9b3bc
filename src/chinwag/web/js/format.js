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

// http(s) URLs only; anything else stays text.
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"*_~]+$/;

/** Split a text into [{text}] and [{url, text}] parts. */
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
    parts.push({ url, text: raw });
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

const BACKGROUNDS = { light: [255, 255, 255], dark: [30, 31, 35] };
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
  const bg = BACKGROUNDS[theme] || BACKGROUNDS.light;
  const target = theme === "dark" ? [255, 255, 255] : [0, 0, 0];
  const base = channels(hex);
  let rgb = base;
  for (let t = 0.05; contrast(rgb, bg) < 4.5 && t <= 1; t += 0.05) {
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
  if (s < 3600) return plural(Math.ceil(s / 60), "minute", "minutes");
  if (s < 86400) return plural(Math.round(s / 3600), "hour", "hours");
  return plural(Math.round(s / 86400), "day", "days");
}
