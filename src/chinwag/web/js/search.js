// Searching messages: the dialog behind the header's search button (and "/"). The
// server finds the text messages of the user's rooms that contain the query; results
// come newest first, with the match marked, and open their room when chosen.

import { h, icon } from "./dom.js";
import { field, formError, modal, sentence, closeTo, uid } from "./dialogs.js";
import { formatDay, formatFull, formatTime, plural, readableColor } from "./format.js";
import { plainOf } from "./markdown.js";
import { plainText } from "./timeline.js";

const LIMIT = 50;
const EXCERPT = 280;

// What was searched last, offered again when the dialog reopens in this page.
let last = { query: "", scope: "all" };

export function searchDialog(app) {
  const active = app.state.rooms.get(app.active);
  const query = field("Search for", {
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: "200",
    enterkeyhint: "search",
    placeholder: "Words in a message; has:file for files",
    value: last.query,
  });
  const scopeName = uid("scope");
  const scopes = [
    ["room", active ? `This room (${app.roomTitle(active)})` : "This room"],
    ["all", "All my rooms"],
  ];
  const scope = active ? last.scope : "all";
  const radios = scopes.map(([value, label]) =>
    h(
      "label",
      { class: "radio" },
      h("input", {
        type: "radio",
        name: scopeName,
        value,
        checked: scope === value,
        disabled: value === "room" && !active,
        onchange: () => {
          last.scope = value;
          if (query.input.value.trim()) run();
        },
      }),
      label,
    ),
  );
  const submit = h("button", { type: "submit", class: "btn primary" }, icon("search"), "Search");
  const error = formError();
  const status = h("p", { class: "search-status", role: "status" });
  const results = h("ul", { class: "search-results", "aria-label": "Search results" });
  const form = h(
    "form",
    { class: "stack search-form", role: "search", "aria-label": "Search messages" },
    h("div", { class: "search-row" }, query.wrap, submit),
    h("fieldset", { class: "radios inline" }, h("legend", null, "Where"), radios),
  );
  let gen = 0;

  async function run() {
    const q = query.input.value;
    const where = form.querySelector(`input[name="${scopeName}"]:checked`)?.value || "all";
    last = { query: q, scope: where };
    gen += 1;
    const mine = gen;
    error.textContent = "";
    status.textContent = "Searching…";
    submit.disabled = true;
    try {
      // "has:file" in the box: only messages with files (the words left are the query).
      const hasFile = /(^|\s)has:files?(?=\s|$)/i.test(q);
      const words = hasFile ? q.replace(/(^|\s)has:files?(?=\s|$)/gi, " ").trim() : q;
      const fields = { query: words, room: where === "room" ? app.active : null, limit: LIMIT };
      if (hasFile) fields.has_file = true;
      const reply = await app.request("search", fields);
      if (mine !== gen) return;
      show(reply.messages, reply.more, words.trim());
    } catch (e) {
      if (mine !== gen) return;
      results.replaceChildren();
      status.textContent = "";
      error.textContent = sentence(e.message);
    } finally {
      if (mine === gen) submit.disabled = false;
    }
  }

  function show(messages, more, q) {
    if (!messages.length) {
      status.textContent = "No messages found.";
      results.replaceChildren();
      return;
    }
    status.textContent = more
      ? `Showing the newest ${messages.length}; refine your search to find older ones.`
      : `${plural(messages.length, "message", "messages")} found.`;
    results.replaceChildren(...messages.map((msg) => h("li", null, hit(app, msg, q, () => open(msg)))));
  }

  function open(msg) {
    closeTo(dialog, app.composer);
    app.selectRoom(msg.room, { focus: true });
    app.conv.jumpTo(msg.room, msg.seq);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    run();
  });
  query.input.addEventListener("keydown", (e) => {
    // A search box clears itself on Escape; here Escape closes the dialog, as elsewhere.
    if (e.key === "Escape") {
      e.preventDefault();
      dialog.close();
    }
  });
  const dialog = modal({
    title: "Search messages",
    className: "wide search-dialog",
    content: [form, error, status, results],
    focus: query.input,
  });
  query.input.select();
  return dialog;
}

/** One result: a button with the room, the sender in their colour, the time, the text. */
function hit(app, msg, q, onclick) {
  const state = app.state;
  const room = state.rooms.get(msg.room);
  const user = state.user(msg.sender);
  const color = user ? readableColor(user.color, app.effectiveTheme()) : null;
  const roomIcon = room && room.kind !== "dm" ? icon(room.kind === "private" ? "lock" : "hash") : null;
  const roomName = room ? (room.kind === "dm" ? `DM with ${state.roomLabel(room)}` : room.name) : msg.room;
  return h(
    "button",
    { type: "button", class: "search-hit", onclick },
    h(
      "span",
      { class: "hit-head" },
      h("span", { class: "hit-room" }, roomIcon, roomName),
      h("span", { class: "hit-author", css: color ? { color } : null }, state.displayName(msg.sender)),
      h(
        "time",
        { datetime: new Date(msg.ts).toISOString(), title: formatFull(msg.ts) },
        `${formatDay(msg.ts)} ${formatTime(msg.ts)}`,
      ),
    ),
    h("span", { class: "hit-body" }, marked(excerpt(plainOf(msg.body), q), q)),
  );
}

/** A long body cut down to the part around the first match. */
function excerpt(body, q) {
  if (body.length <= EXCERPT) return body;
  const at = Math.max(0, body.toLowerCase().indexOf(q.toLowerCase()));
  const start = Math.max(0, at - 60);
  const end = Math.min(body.length, start + EXCERPT);
  return `${start > 0 ? "…" : ""}${body.slice(start, end)}${end < body.length ? "…" : ""}`;
}

/** Text nodes, <mark> and <abbr> elements: the query's occurrences marked and bidi
 * controls shown as tags (see `plainText`), nothing parsed. */
function marked(text, q) {
  if (!q) return plainText(text);
  // Each word of the query, wherever it is (the server finds them in any order).
  const words = q.split(/\s+/).filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!words.length) return plainText(text);
  const re = new RegExp(words.join("|"), "gi");
  const out = [];
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > at) out.push(plainText(text.slice(at, m.index)));
    out.push(h("mark", { class: "hit-mark" }, plainText(m[0])));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(plainText(text.slice(at)));
  return out;
}
