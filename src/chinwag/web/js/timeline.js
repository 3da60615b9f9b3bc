// The message list of the open room, windowed (window.js: only a bounded run of a
// room's messages is in the page, however many the room holds); an older page from the
// server adds rows only if they are wanted, and never redraws the rows shown. Also: the
// "new messages" marker, unsent messages, and sticking to the bottom while reading the
// newest.

import { $, h, icon, setText } from "./dom.js";
import { Rows, iconsOnShow } from "./rows.js";
import { inRoom } from "./messages.js";
import { MAX_ROWS, RowWindow } from "./window.js";
import { pendingRows } from "./pendingrows.js";

export { avatar, mentionsMe, plainText, richText, systemText } from "./rows.js";

const NEAR_BOTTOM = 48;
// The first drawing of a room, and the rows drawn on either side of a message shown
// far from the window (a search result, the "new messages" line).
const FIRST_ROWS = 60;
const AROUND = 30;

export class TimelineView extends RowWindow {
  constructor(app) {
    super();
    this.app = app;
    this.state = app.state;
    this.rows = new Rows(app, this);
    this.scroller = $("timeline");
    this.list = $("messages");
    iconsOnShow(this.list);
    this.pendingList = $("pending");
    this.top = $("history-status");
    this.bottom = $("newer-status");
    this.bottomKey = null;
    this.jump = $("jump");
    this.room = null;
    // What the line above the rows says (renderTop), to leave it alone when unchanged.
    this.topKey = null;
    // The window: the seqs whose rows are in the page, `first..last` (last < first: none).
    this.first = 1;
    this.last = 0;
    this.rendered = false;
    this.markerSeq = null;
    this.markerAt = null;
    this.newBelow = 0;
    this.atBottom = true;
    this.scrollQueued = false;
    // The newest seq held when the view was last brought up to date.
    this.lastHeld = 0;
    // A far-back run (far.js) drawn instead of the room's live one, or null.
    this.away = null;
    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.jump.addEventListener("click", () => {
      this.toLatest();
      this.app.composer.focus();
    });
    new ResizeObserver(() => {
      if (this.atBottom) this.scrollToBottom();
    }).observe(this.scroller);
  }

  get theme() {
    return this.app.effectiveTheme();
  }

  /** The run drawn: the room's timeline, or a far-back run of it. */
  get tl() {
    return this.away || this.state.timelines.get(this.room);
  }

  /** Whether the window reaches the newest message held. */
  get live() {
    const tl = this.tl;
    return !this.away && (!tl || this.last >= tl.last);
  }

  /** Show a far-back run (far.js) instead of the newest messages, around `seq`; the
   * one shown before must have been left (leaveFar) before this one was made. */
  showFar(run, seq) {
    this.away = run;
    this.atBottom = false;
    this.render({ around: seq });
  }

  /** Back to the room's live run (the far-back one is let go). */
  leaveFar() {
    if (!this.away) return;
    this.away.drop();
    this.away = null;
  }

  // -- opening a room and redrawing --------------------------------------------------

  open(roomId) {
    this.leaveFar();
    this.room = roomId;
    this.markerSeq = null;
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
    this.markerAt = null;
    for (const el of this.list.querySelectorAll(".new-marker")) el.remove();
  }

  /** The open room was read up to `seq` on another device: the line moves past it. */
  readElsewhere(seq) {
    if (this.markerSeq === null || seq <= this.markerSeq) return;
    const tl = this.tl;
    if (!tl || seq >= tl.last) {
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

  /** The seq the "new messages" line stands before: the first text from someone else
   * after `markerSeq`. */
  findMarker() {
    const tl = this.tl;
    this.markerAt = null;
    if (this.markerSeq === null || !tl) return;
    for (let s = Math.max(this.markerSeq + 1, tl.first); s <= tl.last; s += 1) {
      const m = tl.get(s);
      if (m && m.kind === "text" && !this.state.isMe(m.sender) && inRoom(m)) {
        this.markerAt = s;
        return;
      }
    }
  }

  /**
   * Draw the window afresh. The first drawing of a room shows its newest rows (or the
   * rows from its "new messages" line); later ones keep the same window and what is on
   * screen where it was, or stay at the bottom. `around` draws the rows around a seq.
   */
  render({ initial = false, around = null } = {}) {
    const tl = this.tl;
    // A control inside a row (the message editor) keeps its focus across the redraw.
    const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
    const edit = this.app.edit;
    if (edit.target && !edit.current()) edit.forget();
    if (!tl || !tl.loaded) {
      this.list.replaceChildren();
      this.first = 1;
      this.last = 0;
      this.rendered = false;
      setText(this.top, "Loading messages…");
      this.top.className = "history-status loading";
      this.topKey = null;
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
    this.findMarker();
    const editing = edit.target && edit.target.room === this.room ? edit.target.seq : null;
    const anchor = initial || around !== null ? null : this.anchor();
    let from;
    let to;
    if (around !== null || (editing !== null && (editing < this.first || editing > this.last))) {
      const seq = around ?? editing;
      from = Math.max(tl.first, seq - AROUND);
      to = Math.min(tl.last, seq + AROUND);
    } else if (initial && this.markerAt !== null && tl.last - this.markerAt > FIRST_ROWS) {
      from = Math.max(tl.first, this.markerAt - 20);
      to = Math.min(tl.last, from + AROUND + FIRST_ROWS);
    } else if (initial || this.atBottom || !this.rendered) {
      to = tl.last;
      from = Math.max(tl.first, to - (initial ? FIRST_ROWS : Math.min(MAX_ROWS, this.last - this.first + 1)) + 1);
    } else {
      from = Math.max(tl.first, Math.min(this.first, tl.last));
      to = Math.min(tl.last, Math.max(this.last, from));
    }
    this.list.replaceChildren(...this.units(from, to));
    this.first = from;
    this.last = to;
    this.rendered = true;
    this.renderTop();
    this.renderPending();
    if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
    if (initial && this.markerAt !== null && this.markerAt >= from) {
      const marker = this.list.querySelector(".new-marker");
      if (marker && marker.offsetTop > this.scroller.clientHeight / 3) {
        this.scroller.scrollTop = marker.offsetTop - this.scroller.clientHeight / 3;
        this.atBottom = this.isNearBottom();
      } else {
        this.scrollToBottom();
      }
    } else if (anchor) {
      this.restore(anchor);
    } else if (around === null && (initial || this.atBottom)) {
      this.scrollToBottom();
    }
    this.afterDraw();
  }

  /** The elements of the messages `from..to`, in order. */
  units(from, to) {
    const tl = this.tl;
    const out = [];
    let prev = from > tl.first ? tl.get(from - 1) || null : null;
    for (let s = from; s <= to; s += 1) {
      const msg = tl.get(s);
      if (!msg) continue;
      out.push(...this.rows.unit(msg, prev, s === this.markerAt));
      prev = msg;
    }
    return out;
  }

  /** The elements of message `seq` now in the page. */
  unitOf(seq) {
    return this.list.querySelectorAll(`[data-unit="${seq}"]`);
  }

  /** Bring the view up to date with the timeline after a change in the open room. */
  update(changed = []) {
    const tl = this.tl;
    if (!tl || !tl.loaded || !this.rendered || tl.first > this.first) {
      this.render({ initial: !this.rendered });
      return;
    }
    const held = this.state.timelines.get(this.room);
    // Edited or deleted: their rows only (grouping depends on sender and time alone).
    for (const seq of new Set(changed)) {
      if (seq < this.first || seq > this.last) continue;
      const old = this.unitOf(seq);
      if (!old.length) continue;
      const msg = tl.get(seq);
      const fresh = this.rows.unit(msg, seq > tl.first ? tl.get(seq - 1) || null : null, seq === this.markerAt);
      // A row that had no day separator keeps none (it may be the window's first).
      const keep = old[0].classList.contains("day-sep") ? fresh : fresh.filter((el) => !el.classList.contains("day-sep"));
      old[0].before(...keep);
      for (const el of old) el.remove();
    }
    if (this.away) {
      // Reading far back: what arrives live is counted as new below.
      for (let s = this.lastHeld + 1; s <= held.last; s += 1) {
        const msg = held.get(s);
        if (msg && msg.kind === "text" && !this.state.isMe(msg.sender) && inRoom(msg)) this.newBelow += 1;
      }
    } else if (tl.last > this.last) {
      if (this.last >= this.lastHeld) {
        // The window reaches the newest: the new rows join it.
        const wasAtBottom = this.atBottom;
        let added = 0;
        for (let s = this.last + 1; s <= tl.last; s += 1) {
          const msg = tl.get(s);
          if (msg && msg.kind === "text" && !this.state.isMe(msg.sender)) added += 1;
        }
        if (this.markerSeq !== null && this.markerAt === null) this.findMarker();
        this.list.append(...this.units(this.last + 1, tl.last));
        this.last = tl.last;
        if (wasAtBottom) {
          this.trimTop(this.last - this.first + 1 - MAX_ROWS);
          this.scrollToBottom();
        } else {
          this.newBelow += added;
        }
      } else {
        for (let s = this.lastHeld + 1; s <= tl.last; s += 1) {
          const msg = tl.get(s);
          if (msg && msg.kind === "text" && !this.state.isMe(msg.sender)) this.newBelow += 1;
        }
      }
    }
    this.lastHeld = held.last;
    this.renderTop();
    this.afterDraw();
  }

  afterDraw() {
    const held = this.state.timelines.get(this.room);
    if (held) this.lastHeld = held.last;
    this.pendingList.hidden = !this.live;
    this.updateJump();
    this.app.maybeMarkRead();
    this.fill();
  }

  /** The line under the rows of a far-back run whose newer messages are not all
   * fetched: a page on its way, or a button for it. */
  renderBottom() {
    const run = this.away;
    const key = run && run.hasNewer && this.last >= run.last ? `newer ${run.loadingNewer}` : "";
    if (key === this.bottomKey) return;
    this.bottomKey = key;
    this.bottom.hidden = !key;
    this.bottom.replaceChildren();
    if (!key) return;
    this.bottom.append(
      run.loadingNewer
        ? "Loading newer messages…"
        : h("button", { type: "button", class: "link-btn", onclick: () => run.loadNewer() }, "Load newer messages"),
    );
  }

  renderTop() {
    this.renderBottom();
    const tl = this.tl;
    const room = this.state.rooms.get(this.room);
    // The same line as before (rows added above a window that does not reach the first
    // message): left alone, not made again every frame.
    const key = !tl
      ? ""
      : this.first > tl.first
        ? "more"
        : tl.hasOlder
          ? `older ${tl.loadingOlder}`
          : `start ${this.app.roomTitle(room)} ${room && room.kind}`;
    if (key && key === this.topKey && this.top.isConnected) return;
    this.topKey = key;
    this.top.replaceChildren();
    if (!tl) return;
    if (this.first > tl.first) {
      this.top.className = "history-status";
    } else if (tl.hasOlder) {
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
      this.top.append(h("h2", { class: "start-title" }, label), h("p", null, intro));
    }
  }

  /** Scroll a message of the open room into view and flash it (a search result). */
  reveal(roomId, seq) {
    if (roomId !== this.room) return;
    const tl = this.tl;
    if (tl && tl.get(seq) && (seq < this.first || seq > this.last)) this.render({ around: seq });
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
    // A thread's replies wait in the thread panel (thread.js); those also sent to the
    // room wait here too.
    const items = this.state.pendingIn(this.room).filter((p) => p.thread == null || p.in_room);
    const tl = this.state.timelines.get(this.room);
    // Under the last message the room shows (a thread's replies kept to it are not).
    let prev = null;
    for (let s = tl ? tl.last : 0; tl && s >= tl.first && !prev; s -= 1) {
      const m = tl.get(s);
      if (m && inRoom(m)) prev = m;
    }
    this.pendingList.replaceChildren(...pendingRows(this.app, this.rows, items, prev));
    if (this.atBottom) this.scrollToBottom();
  }

  // -- scrolling ---------------------------------------------------------------------

  /** At the bottom of the newest rows. */
  isNearBottom() {
    const s = this.scroller;
    return this.live && s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.atBottom = this.live;
    if (this.atBottom) this.newBelow = 0;
    this.updateJump();
  }

  /** To the newest message, drawing the newest rows first if the window is elsewhere. */
  toLatest() {
    if (!this.live) {
      this.leaveFar();
      this.atBottom = true;
      this.render();
    }
    this.scrollToBottom();
  }

  onScroll() {
    const was = this.atBottom;
    this.atBottom = this.isNearBottom();
    if (this.atBottom) this.newBelow = 0;
    if (this.atBottom !== was || this.atBottom) this.updateJump();
    if (this.atBottom) this.app.maybeMarkRead();
    // Rows are added at most once a frame, however many scroll events come.
    if (this.scrollQueued) return;
    this.scrollQueued = true;
    requestAnimationFrame(() => {
      this.scrollQueued = false;
      this.fill();
    });
  }

  updateJump() {
    const show = !this.atBottom;
    if (this.jump.hidden !== !show) this.jump.hidden = !show;
    if (!show) return;
    const label = this.newBelow > 0 ? `${this.newBelow} new ${this.newBelow === 1 ? "message" : "messages"}` : "Jump to latest";
    // Made again only when its words change, not on every frame of a scroll.
    if (this.jump.dataset.label === label) return;
    this.jump.dataset.label = label;
    this.jump.replaceChildren(icon("down"), label);
  }
}
