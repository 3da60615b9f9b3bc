// The rows of the timeline: a message, its day separator and the "new messages" line,
// built from data (never parsed as HTML), and the grey lines told with people's display
// names. A body is drawn formatted (markdown.js); text runs as text.js draws them.

import { fillIcons, h } from "./dom.js";
import { dayKey, formatDay, formatFull, formatTime, initials, inkOn, plural, readableColor } from "./format.js";
import { formatted, proseOf } from "./markdown.js";
import { inRoom } from "./messages.js";
import { sameUser } from "./state.js";
import { mentionsMe, plainText } from "./text.js";
import { inThreadEl, pinnedEl, quoteEl, reactionsEl, summaryEl } from "./convrows.js";
import { openMenu } from "./menu.js";

export { mentionsMe, plainText, richText } from "./text.js";

const GROUP_MS = 5 * 60 * 1000;

export function avatar(user, theme, size = "") {
  const color = user ? user.color : "#6b7280";
  const name = user ? user.display_name : "?";
  return h("span", {
    class: `avatar ${size}`,
    "aria-hidden": "true",
    css: { backgroundColor: color, color: inkOn(color) },
    dataset: { initials: initials(name) },
  });
}

/** "(edited)", with when in its title and in the text a screen reader reads. */
function editedLabel(ts) {
  const when = formatFull(ts);
  return h(
    "span",
    { class: "edited", title: `Edited ${when}` },
    h("span", { "aria-hidden": "true" }, "(edited)"),
    h("span", { class: "sr-only" }, `(edited ${when})`),
  );
}

const UNITS = { d: ["day", "days"], h: ["hour", "hours"], min: ["minute", "minutes"], s: ["second", "seconds"] };

/**
 * A grey line as people read it: the usernames the server wrote replaced by display
 * names ("Bob Smith joined"), and "10 min" as "10 minutes". A line in a shape this
 * client does not know is shown as written.
 */
export function systemText(body, displayName) {
  const who = (token) => displayName(token) ?? token;
  let m = /^(\S+) (joined|left)$/.exec(body);
  if (m) return `${who(m[1])} ${m[2]}`;
  m = /^(\S+) muted (\S+) for (\d+) (d|h|min|s)(: [\s\S]*)?$/.exec(body);
  if (m) {
    const [one, many] = UNITS[m[4]];
    return `${who(m[1])} muted ${who(m[2])} for ${plural(Number(m[3]), one, many)}${m[5] || ""}`;
  }
  m = /^(\S+) (added|kicked|banned|unbanned|unmuted) (\S+)(: [\s\S]*)?$/.exec(body);
  if (m) return `${who(m[1])} ${m[2]} ${who(m[3])}${m[4] || ""}`;
  m = /^(\S+) (created|renamed|set|cleared|pinned|unpinned) ([\s\S]*)$/.exec(body);
  if (m) return `${who(m[1])} ${m[2]} ${m[3]}`;
  return body;
}

/**
 * A message's buttons are drawn without their icons, which are added when the buttons
 * show: on the pointer over the row, on focus in it, or on a tap. Hidden, the buttons
 * draw nothing anyway, and an icon is an SVG of its own (a few elements, and a transform
 * for the browser to place each frame): for every row in the page, that was most of a
 * big room's scrolling.
 */
export function iconsOnShow(list) {
  const show = (e) => {
    const row = e.target instanceof Element ? e.target.closest(".msg") : null;
    const bar = row && row.lastElementChild;
    if (bar && bar.classList.contains("msg-actions") && !bar.dataset.drawn) {
      bar.dataset.drawn = "1";
      fillIcons(bar);
    }
  };
  list.addEventListener("mouseover", show, { passive: true });
  list.addEventListener("focusin", show);
  list.addEventListener("click", show);
}

/** Builds the rows of one room's timeline for the view. */
export class Rows {
  /** `view`: what the rows are drawn for (its `room` and `theme`); `inThread`: the rows
   * of a thread panel (every reply, no thread actions), with ids of their own. */
  constructor(app, view, { idPrefix = "m", inThread = false } = {}) {
    this.app = app;
    this.state = app.state;
    this.view = view;
    this.idPrefix = idPrefix;
    this.inThread = inThread;
  }

  /** A username as the server writes it, as its display name (null if unknown). */
  knownName = (token) => {
    const u = this.state.user(token);
    return u && u.username === token ? u.display_name : null;
  };

  /**
   * The elements of one message: its day separator (a new day after `prev`), the "new
   * messages" line (`marker`), and its row, grouped under `prev` when both are text
   * from the same person within minutes.
   */
  unit(msg, prev, marker) {
    const out = [];
    // A thread reply not sent to the room shows in its thread only.
    if (!this.inThread && !inRoom(msg)) return out;
    const newDay = !prev || dayKey(prev.ts) !== dayKey(msg.ts);
    if (newDay) {
      const day = formatDay(msg.ts);
      out.push(h("div", { class: "day-sep", role: "separator", "aria-label": day, dataset: { unit: msg.seq } }, h("span", null, day)));
    }
    if (marker) {
      out.push(
        h(
          "div",
          { class: "new-marker", role: "separator", "aria-label": "New messages", dataset: { unit: msg.seq } },
          h("span", null, "New messages"),
        ),
      );
    }
    const continued =
      !newDay &&
      !marker &&
      prev !== null &&
      prev.kind === "text" &&
      msg.kind === "text" &&
      sameUser(prev.sender, msg.sender) &&
      msg.ts - prev.ts < GROUP_MS;
    out.push(this.row(msg, continued));
    return out;
  }

  row(msg, continued) {
    const room = this.view.room;
    const id = `${this.idPrefix}-${room}-${msg.seq}`;
    const time = h("time", { datetime: new Date(msg.ts).toISOString(), title: formatFull(msg.ts) }, formatTime(msg.ts));
    if (msg.kind === "system") {
      return h(
        "div",
        { class: "msg system", id, dataset: { seq: msg.seq, unit: msg.seq } },
        h("span", { class: "system-text" }, plainText(systemText(msg.body, this.knownName))),
        h("span", { class: "sep", "aria-hidden": "true" }, " · "),
        time,
      );
    }
    const me = this.state.me;
    const user = this.state.user(msg.sender);
    const name = this.state.displayName(msg.sender);
    const mine = this.state.isMe(msg.sender);
    const classes = ["msg"];
    if (continued) classes.push("continued");
    if (mine) classes.push("mine");
    if (msg.deleted) classes.push("deleted");
    else if (!mine && me && (msg.mentions_all || mentionsMe(proseOf(msg.body), me.username))) classes.push("mentions-me");
    if (msg.pinned && !msg.deleted) classes.push("pinned");
    const edit = this.app.edit;
    const editing = edit.isEditing(msg);
    if (editing) classes.push("editing");
    let body = msg.deleted
      ? h("div", { class: "msg-body" }, h("em", null, "This message was deleted."))
      : formatted(msg.body, me ? (msg.mentions_all ? [me.username, msg.mentions_all] : me.username) : null);
    if (editing) body = edit.el;
    else if (!msg.deleted && msg.edited_ts) body = h("div", { class: "msg-content" }, body, editedLabel(msg.edited_ts));
    const main = h("div", { class: "msg-main" });
    if (continued) {
      main.append(h("span", { class: "sr-only" }, `${name}, ${formatTime(msg.ts)}: `));
    } else {
      main.append(
        h(
          "div",
          { class: "msg-head" },
          this.nameEl(msg.sender, user, name),
          user && user.admin ? h("span", { class: "badge-role" }, "admin") : null,
          time,
          pinnedEl(this.app, msg),
        ),
      );
    }
    if (continued && msg.pinned && !msg.deleted) main.append(pinnedEl(this.app, msg));
    const quote = editing ? null : quoteEl(this.app, msg, this.inThread);
    if (quote) main.append(quote);
    main.append(body);
    const files = editing ? null : this.app.files.attachmentsEl(msg);
    if (files) main.append(files);
    const conv = this.app.conv;
    const reactions = reactionsEl(this.app, msg, conv.canReact(msg));
    if (reactions) main.append(reactions);
    const summary = this.inThread ? null : summaryEl(this.app, msg) || inThreadEl(this.app, msg);
    if (summary) main.append(summary);
    const gutter = continued
      ? h(
          "div",
          { class: "msg-gutter" },
          h("time", { class: "gutter-time", datetime: new Date(msg.ts).toISOString(), title: formatFull(msg.ts) }, formatTime(msg.ts)),
        )
      : h("div", { class: "msg-gutter" }, avatar(user || { color: "#6b7280", display_name: name }, this.view.theme));
    const el = h("div", { class: classes.join(" "), id, dataset: { seq: msg.seq, unit: msg.seq, sender: msg.sender } }, gutter, main);
    const actions = [];
    if (!editing && conv.menuItems(msg, this.inThread).length) {
      const label = `More actions for the message from ${name}, ${formatTime(msg.ts)}`;
      actions.push(
        h(
          "button",
          {
            type: "button",
            class: "icon-btn small",
            dataset: { icon: "more" },
            "aria-label": label,
            "aria-haspopup": "menu",
            "aria-expanded": "false",
            title: "React, reply, thread, pin",
            onclick: (e) => openMenu(e.currentTarget, `Actions for the message from ${name}`, conv.menuItems(msg, this.inThread)),
          },
        ),
      );
    }
    if (!editing && !this.inThread && edit.canEdit(msg)) {
      actions.push(
        h(
          "button",
          {
            type: "button",
            class: "icon-btn small",
            dataset: { icon: "edit" },
            "aria-label": `Edit your message, ${formatTime(msg.ts)}`,
            title: "Edit message",
            onclick: () => this.app.editMessage(msg),
          },
        ),
      );
    }
    if (!msg.deleted && this.canDelete(msg)) {
      actions.push(
        h(
          "button",
          {
            type: "button",
            class: "icon-btn small",
            dataset: { icon: "trash" },
            "aria-label": `Delete message from ${name}, ${formatTime(msg.ts)}`,
            title: "Delete message",
            onclick: () => this.app.confirmDelete(msg),
          },
        ),
      );
    }
    if (actions.length) el.append(h("div", { class: "msg-actions" }, actions));
    return el;
  }

  nameEl(username, user, name) {
    const color = user ? readableColor(user.color, this.view.theme) : null;
    return h(
      "button",
      {
        type: "button",
        class: "msg-author",
        css: color ? { color } : null,
        title: `@${username}`,
        onclick: () => this.app.showUser(username),
      },
      name,
    );
  }

  canDelete(msg) {
    if (msg.kind !== "text") return false;
    if (this.state.isMe(msg.sender)) return true;
    const room = this.state.rooms.get(msg.room);
    return this.state.canModerate(room);
  }
}
