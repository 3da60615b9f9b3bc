// The parts of a message row that conversations add: the quote of the message it
// replies to, its reactions, its thread's summary and its pin. Built from data, never
// parsed as HTML; each calls back into app.conv.

import { h, icon } from "./dom.js";
import { formatFull, plural } from "./format.js";
import { plainOf } from "./markdown.js";
import { plainText } from "./text.js";

const EXCERPT = 200;

/** "5 s ago", "2 min ago", "3 h ago", "4 d ago". */
export function ago(ts, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** What a reply quotes, as the client knows it now: the original it holds wins over the
 * excerpt the server wrote (an edit or a deletion since). */
export function quoted(app, msg) {
  const ref = msg.reply_to;
  const tl = app.state.timelines.get(msg.room);
  const original = tl ? tl.get(ref.seq) : null;
  if (original) {
    if (original.deleted) return { ...ref, deleted: true, excerpt: "" };
    const text = plainOf(original.body);
    return { ...ref, excerpt: [...text].slice(0, EXCERPT).join("") };
  }
  if (app.state.deletedAway.has(`${msg.room}/${ref.seq}`)) return { ...ref, deleted: true, excerpt: "" };
  // The server's excerpt is the start of the body as written: shown without its marks.
  return { ...ref, excerpt: ref.excerpt ? plainOf(ref.excerpt) : "" };
}

/** The one-line text of a quote: the excerpt, or why there is none. */
export function quoteText(ref) {
  if (ref.deleted) return "original deleted";
  if (!ref.excerpt) return "a file";
  return ref.excerpt.replace(/\s+/g, " ");
}

/** The quote of the message `msg` replies to; a click shows the original (in the thread
 * panel when both are in the thread shown there). */
export function quoteEl(app, msg, inThread = false) {
  if (!msg.reply_to || msg.deleted) return null;
  const ref = quoted(app, msg);
  const who = app.state.displayName(ref.sender);
  const text = quoteText(ref);
  return h(
    "button",
    {
      type: "button",
      class: `quote${ref.deleted ? " gone" : ""}`,
      title: "Show the original",
      onclick: () => (inThread && app.thread.reveal(ref.seq)) || app.conv.jumpTo(msg.room, ref.seq),
    },
    icon("reply"),
    h("span", { class: "sr-only" }, "Replying to "),
    h("span", { class: "quote-who" }, who),
    h("span", { class: "sr-only" }, ": "),
    h("span", { class: "quote-text" }, ref.deleted || !ref.excerpt ? h("em", null, text) : plainText(text)),
  );
}

/** The reactions under a message: a chip per emoji (yours pressed), and a button to add. */
export function reactionsEl(app, msg, canReact) {
  const list = msg.reactions || [];
  if (msg.deleted || (!list.length)) return null;
  const state = app.state;
  const chips = list.map((r) => {
    const mine = r.users.some((u) => state.isMe(u));
    const names = r.users.map((u) => (state.isMe(u) ? "you" : state.displayName(u)));
    // The server lists a reaction's first 50 users; `count` counts them all.
    const more = r.count - Math.min(8, names.length);
    const who = more > 0 ? `${names.slice(0, 8).join(", ")} and ${more} more` : names.join(", ");
    return h(
      "button",
      {
        type: "button",
        class: `reaction${mine ? " mine" : ""}`,
        "aria-pressed": String(mine),
        "aria-label": `${r.emoji} ${plural(r.count, "reaction", "reactions")} by ${who}`,
        title: `${who} reacted with ${r.emoji}`,
        disabled: !canReact,
        onclick: () => app.conv.react(msg, r.emoji, !mine),
      },
      h("span", { class: "reaction-emoji", "aria-hidden": "true" }, r.emoji),
      h("span", { class: "reaction-count", "aria-hidden": "true" }, String(r.count)),
    );
  });
  if (canReact) {
    chips.push(
      h(
        "button",
        {
          type: "button",
          class: "reaction add",
          "aria-label": "Add a reaction",
          title: "Add a reaction",
          onclick: () => app.conv.pickReaction(msg),
        },
        icon("smile"),
        h("span", { "aria-hidden": "true" }, "+"),
      ),
    );
  }
  return h("div", { class: "reactions", role: "group", "aria-label": "Reactions" }, chips);
}

/** "3 replies · last 2 min ago" under a thread's root, with its unread count. */
export function summaryEl(app, msg) {
  const sum = msg.thread_summary;
  if (!sum || msg.thread != null) return null;
  const unread = app.conv.threadUnread(msg.room, msg.seq);
  const label = `${plural(sum.replies, "reply", "replies")} · last ${ago(sum.last_ts)}`;
  const who = sum.participants.map((u) => app.state.displayName(u)).join(", ");
  return h(
    "button",
    {
      type: "button",
      class: "thread-summary",
      title: `Open the thread (${who}: last reply ${formatFull(sum.last_ts)})`,
      onclick: () => app.conv.openThread(msg.room, msg.seq),
    },
    icon("thread"),
    h("span", null, label),
    unread ? h("span", { class: "badge" }, String(unread), h("span", { class: "sr-only" }, " unread")) : null,
  );
}

export function pinnedEl(app, msg) {
  if (!msg.pinned || msg.deleted) return null;
  const by = app.state.displayName(msg.pinned.by);
  return h("span", { class: "pinned-mark", title: `Pinned by ${by}, ${formatFull(msg.pinned.ts)}` }, icon("pin"), `Pinned by ${by}`);
}

/** Under a thread reply also sent to the room: the thread it belongs to, to open it. */
export function inThreadEl(app, msg) {
  if (msg.thread == null || msg.deleted) return null;
  const root = app.state.timelines.get(msg.room)?.get(msg.thread);
  const text = root && !root.deleted ? quoteText({ excerpt: plainOf(root.body) }) : "";
  return h(
    "button",
    { type: "button", class: "thread-summary in-thread", title: "Open the thread", onclick: () => app.conv.openThread(msg.room, msg.thread) },
    icon("thread"),
    h("span", null, text ? "Replied in a thread:" : "Replied in a thread"),
    text ? h("span", { class: "in-thread-root" }, plainText(text)) : null,
  );
}
