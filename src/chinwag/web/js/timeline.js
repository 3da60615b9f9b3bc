// The message list of the open room: grouping, day separators, the "new messages"
// marker, unsent messages, scrolling (stick to the bottom, load older at the top).

import { $, h, icon, setText } from "./dom.js";
import { dayKey, findLinks, formatDay, formatFull, formatTime, initials, inkOn, readableColor } from "./format.js";
import { sameUser } from "./state.js";

const GROUP_MS = 5 * 60 * 1000;
const NEAR_BOTTOM = 48;
const NEAR_TOP = 400;

/** Text with http(s) links made clickable: only Text nodes and <a> elements. */
export function richText(text, mentionOf) {
  const out = [];
  for (const part of findLinks(text)) {
    if (part.url) {
      out.push(h("a", { href: part.url, target: "_blank", rel: "noopener noreferrer" }, part.text));
    } else if (mentionOf) {
      out.push(...mentions(part.text, mentionOf));
    } else {
      out.push(part.text);
    }
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
  return new RegExp(`(?<![\\w@.-])@${escapeRe(username)}(?![\\w-]|\\.\\w)`, flags);
}

export function mentionsMe(body, username) {
  if (!username) return false;
  return mentionRe(username, "i").test(body);
}

export function avatar(user, theme, size = "") {
  const color = user ? user.color : "#6b7280";
  const name = user ? user.display_name : "?";
  return h("span", { class: `avatar ${size}`, "aria-hidden": "true", css: { backgroundColor: color, color: inkOn(color) } }, initials(name));
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

export class TimelineView {
  constructor(app) {
    this.app = app;
    this.state = app.state;
    this.scroller = $("timeline");
    this.list = $("messages");
    this.pendingList = $("pending");
    this.top = $("history-status");
    this.jump = $("jump");
    this.room = null;
    this.renderedFirst = 1;
    this.renderedLast = 0;
    this.rendered = false;
    this.markerSeq = null;
    this.newBelow = 0;
    this.atBottom = true;
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.jump.addEventListener("click", () => {
      this.scrollToBottom();
      this.app.composer.focus();
    });
    new ResizeObserver(() => {
      if (this.atBottom) this.scrollToBottom();
    }).observe(this.scroller);
  }

  get theme() {
    return this.app.effectiveTheme();
  }

  // -- opening a room and redrawing --------------------------------------------------

  open(roomId) {
    this.room = roomId;
    this.markerSeq = null;
    this.markerPlaced = false;
    this.newBelow = 0;
    this.rendered = false;
    this.atBottom = true;
    const edit = this.app.edit;
    if (edit.target && edit.target.room !== roomId) edit.forget();
    const room = this.state.rooms.get(roomId);
    this.scroller.setAttribute("aria-label", `Messages in ${this.app.roomTitle(room)}`);
    this.render({ initial: true });
  }

  /** Forget the "new messages" line (after sending, or on leaving the room). */
  clearMarker() {
    if (this.markerSeq === null) return;
    this.markerSeq = null;
    this.markerPlaced = false;
    for (const el of this.list.querySelectorAll(".new-marker")) el.remove();
  }

  /** The open room was read up to `seq` on another device: the line moves past it. */
  readElsewhere(seq) {
    if (this.markerSeq === null || seq <= this.markerSeq) return;
    if (seq >= this.renderedLast) {
      this.clearMarker();
    } else {
      this.markerSeq = seq;
      this.app.schedule("timelineFull");
    }
  }

  /** Messages arrived while the reader was away: mark where the new ones begin. */
  ensureMarker() {
    if (this.markerSeq === null) this.markerSeq = this.state.readSeq(this.room);
  }

  render({ initial = false, keepScroll = false } = {}) {
    const tl = this.state.timelines.get(this.room);
    const oldHeight = this.scroller.scrollHeight;
    const oldTop = this.scroller.scrollTop;
    // A control inside a row (the message editor) keeps its focus across the redraw.
    const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
    const edit = this.app.edit;
    if (edit.target && !edit.current()) edit.forget();
    this.list.replaceChildren();
    if (!tl || !tl.loaded) {
      this.renderedFirst = 1;
      this.renderedLast = 0;
      this.rendered = false;
      setText(this.top, "Loading messages…");
      this.top.className = "history-status loading";
      this.renderPending();
      return;
    }
    if (!this.rendered) {
      // The first time this room's messages are drawn: mark where the unread ones begin.
      initial = true;
      if (this.markerSeq === null && this.state.unread(this.room).count > 0) {
        this.markerSeq = this.state.readSeq(this.room);
      }
    }
    let prev = null;
    this.markerPlaced = false;
    for (const msg of tl.shown()) {
      this.appendRows(msg, prev);
      prev = msg;
    }
    this.renderedFirst = tl.first;
    this.renderedLast = tl.last;
    this.rendered = true;
    this.renderTop();
    this.renderPending();
    if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
    if (initial) {
      const marker = this.list.querySelector(".new-marker");
      if (marker && marker.offsetTop > this.scroller.clientHeight / 3) {
        this.scroller.scrollTop = marker.offsetTop - this.scroller.clientHeight / 3;
        this.atBottom = this.isNearBottom();
      } else {
        this.scrollToBottom();
      }
    } else if (keepScroll) {
      this.scroller.scrollTop = oldTop + (this.scroller.scrollHeight - oldHeight);
    } else if (this.atBottom) {
      this.scrollToBottom();
    }
    this.afterDraw();
  }

  /** Bring the view up to date with the timeline after a change in the open room. */
  update(changed = []) {
    const tl = this.state.timelines.get(this.room);
    if (!tl || !tl.loaded || !this.rendered || tl.first !== this.renderedFirst || changed.length) {
      const prepended = this.rendered && tl && tl.first < this.renderedFirst;
      this.render({ initial: !this.rendered, keepScroll: prepended || !this.atBottom });
      return;
    }
    if (tl.last > this.renderedLast) {
      const wasAtBottom = this.atBottom;
      let prev = tl.get(this.renderedLast) || null;
      let added = 0;
      for (let s = this.renderedLast + 1; s <= tl.last; s += 1) {
        const msg = tl.get(s);
        if (!msg) break;
        this.appendRows(msg, prev);
        if (msg.kind === "text" && !this.state.isMe(msg.sender)) added += 1;
        prev = msg;
      }
      this.renderedLast = tl.last;
      if (wasAtBottom) this.scrollToBottom();
      else this.newBelow += added;
      this.renderTop();
    }
    this.afterDraw();
  }

  afterDraw() {
    this.updateJump();
    this.app.maybeMarkRead();
    this.maybeLoadOlder();
  }

  renderTop() {
    const tl = this.state.timelines.get(this.room);
    const room = this.state.rooms.get(this.room);
    this.top.replaceChildren();
    if (!tl) return;
    if (tl.hasOlder) {
      this.top.className = "history-status";
      if (tl.loadingOlder) {
        this.top.append("Loading older messages…");
      } else {
        this.top.append(
          h("button", { type: "button", class: "link-btn", onclick: () => this.app.loadOlder(this.room) }, "Load older messages"),
        );
      }
    } else {
      this.top.className = "history-status start";
      const label = this.app.roomTitle(room);
      const intro =
        room && room.kind === "dm"
          ? `This is the beginning of your conversation with ${label}.`
          : `This is the beginning of ${label}.`;
      this.top.append(h("p", { class: "start-title" }, label), h("p", null, intro));
    }
  }

  // -- rows -------------------------------------------------------------------------

  appendRows(msg, prev) {
    const newDay = !prev || dayKey(prev.ts) !== dayKey(msg.ts);
    if (newDay) {
      const day = formatDay(msg.ts);
      this.list.append(h("div", { class: "day-sep", role: "separator", "aria-label": day }, h("span", null, day)));
    }
    let marker = false;
    if (
      this.markerSeq !== null &&
      !this.markerPlaced &&
      msg.seq > this.markerSeq &&
      msg.kind === "text" &&
      !this.state.isMe(msg.sender)
    ) {
      this.list.append(
        h("div", { class: "new-marker", role: "separator", "aria-label": "New messages" }, h("span", null, "New messages")),
      );
      this.markerPlaced = true;
      marker = true;
    }
    const continued =
      !newDay &&
      !marker &&
      prev !== null &&
      prev.kind === "text" &&
      msg.kind === "text" &&
      sameUser(prev.sender, msg.sender) &&
      msg.ts - prev.ts < GROUP_MS;
    this.list.append(this.row(msg, continued));
  }

  row(msg, continued) {
    const id = `m-${this.room}-${msg.seq}`;
    const time = h("time", { datetime: new Date(msg.ts).toISOString(), title: formatFull(msg.ts) }, formatTime(msg.ts));
    if (msg.kind === "system") {
      return h(
        "div",
        { class: "msg system", id, dataset: { seq: msg.seq } },
        h("span", { class: "system-text" }, msg.body),
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
    else if (!mine && me && mentionsMe(msg.body, me.username)) classes.push("mentions-me");
    const editing = this.app.edit.isEditing(msg);
    if (editing) classes.push("editing");
    let body = msg.deleted
      ? h("div", { class: "msg-body" }, h("em", null, "This message was deleted."))
      : h("div", { class: "msg-body" }, richText(msg.body, me ? me.username : null));
    if (editing) body = this.app.edit.el;
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
        ),
      );
    }
    main.append(body);
    const gutter = continued
      ? h("div", { class: "msg-gutter" }, h("time", { class: "gutter-time", datetime: new Date(msg.ts).toISOString(), title: formatFull(msg.ts) }, formatTime(msg.ts)))
      : h("div", { class: "msg-gutter" }, avatar(user || { color: "#6b7280", display_name: name }, this.theme));
    const el = h("div", { class: classes.join(" "), id, dataset: { seq: msg.seq, sender: msg.sender } }, gutter, main);
    const actions = [];
    if (!editing && this.app.edit.canEdit(msg)) {
      actions.push(
        h(
          "button",
          {
            type: "button",
            class: "icon-btn small",
            "aria-label": `Edit your message, ${formatTime(msg.ts)}`,
            title: "Edit message",
            onclick: () => this.app.editMessage(msg),
          },
          icon("edit"),
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
            "aria-label": `Delete message from ${name}, ${formatTime(msg.ts)}`,
            title: "Delete message",
            onclick: () => this.app.confirmDelete(msg),
          },
          icon("trash"),
        ),
      );
    }
    if (actions.length) el.append(h("div", { class: "msg-actions" }, actions));
    return el;
  }

  nameEl(username, user, name) {
    const color = user ? readableColor(user.color, this.theme) : null;
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

  /** Scroll a message of the open room into view and flash it (a search result). */
  reveal(roomId, seq) {
    if (roomId !== this.room) return;
    const el = document.getElementById(`m-${roomId}-${seq}`);
    if (!el) return;
    el.scrollIntoView({ block: "center" });
    this.atBottom = this.isNearBottom();
    this.updateJump();
    el.classList.add("found");
    setTimeout(() => el.classList.remove("found"), 2500);
  }

  // -- unsent messages -----------------------------------------------------------------

  renderPending() {
    const items = this.state.pendingIn(this.room);
    this.pendingList.replaceChildren();
    const tl = this.state.timelines.get(this.room);
    const lastShown = tl ? tl.get(tl.last) : null;
    let prevMine = lastShown && lastShown.kind === "text" && this.state.isMe(lastShown.sender);
    const me = this.state.me;
    for (const p of items) {
      const status =
        p.status === "failed"
          ? h(
              "div",
              { class: "pending-status failed", role: "alert" },
              icon("alert"),
              h("span", null, `Not sent: ${p.error || "failed"}`),
              h("button", { type: "button", class: "link-btn", onclick: () => this.app.retry(p) }, "Retry"),
              h("button", { type: "button", class: "link-btn", onclick: () => this.app.discard(p) }, "Discard"),
            )
          : h(
              "div",
              { class: "pending-status" },
              icon("clock"),
              h("span", null, p.status === "sending" || this.app.ready ? "Sending…" : "Waiting for the connection…"),
            );
      const main = h("div", { class: "msg-main" });
      if (!prevMine && me) {
        main.append(h("div", { class: "msg-head" }, this.nameEl(me.username, me, me.display_name)));
      }
      main.append(h("div", { class: "msg-body" }, p.body), status);
      const gutter = h("div", { class: "msg-gutter" }, !prevMine && me ? avatar(me, this.theme) : null);
      this.pendingList.append(
        h("div", { class: `msg mine pending ${p.status}${prevMine ? " continued" : ""}`, dataset: { cid: p.cid } }, gutter, main),
      );
      prevMine = true;
    }
    if (this.atBottom) this.scrollToBottom();
  }

  // -- scrolling ---------------------------------------------------------------------

  isNearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.atBottom = true;
    this.newBelow = 0;
    this.updateJump();
  }

  onScroll() {
    const was = this.atBottom;
    this.atBottom = this.isNearBottom();
    if (this.atBottom) this.newBelow = 0;
    if (this.atBottom !== was || this.atBottom) this.updateJump();
    if (this.atBottom) this.app.maybeMarkRead();
    this.maybeLoadOlder();
  }

  maybeLoadOlder() {
    const tl = this.state.timelines.get(this.room);
    if (!tl || !tl.loaded || !tl.hasOlder || tl.loadingOlder) return;
    if (this.scroller.scrollTop < NEAR_TOP) this.app.loadOlder(this.room);
  }

  updateJump() {
    const show = !this.atBottom;
    this.jump.hidden = !show;
    if (show) {
      this.jump.replaceChildren(
        icon("down"),
        this.newBelow > 0 ? `${this.newBelow} new ${this.newBelow === 1 ? "message" : "messages"}` : "Jump to latest",
      );
    }
  }
}
