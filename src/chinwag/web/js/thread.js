// The thread panel beside the timeline: a thread's root and its replies, oldest first,
// with its own message box (completion included) and "Also send to #room". Replies come
// live as the room's `message` events (a thread reply is a message of the room); the
// panel reads the thread as it shows it (mark_read with `thread`). A reply may quote
// the root or another reply of the thread (`reply_to`). A reply goes out
// through the main box's outbox (composer.js): shown as pending under the replies, kept
// across a reload, sent again with its client_msg_id after a reconnect.

import { $, h, setText } from "./dom.js";
import { sentence } from "./dialogs.js";
import { Completion } from "./complete.js";
import { emojize } from "./emoji.js";
import { Rows, iconsOnShow } from "./rows.js";
import { plainOf } from "./markdown.js";
import { plainText } from "./text.js";
import { quoteText } from "./convrows.js";
import { pendingRows } from "./pendingrows.js";

// The most pages of older replies fetched to reach a quoted one.
const SEEK_PAGES = 20;

export class ThreadPanel {
  constructor(app) {
    this.app = app;
    this.room = null;
    this.root = null; // the root's seq
    this.msgs = new Map(); // seq -> message, the replies fetched or heard
    this.rootMsg = null;
    this.rows = new Rows(app, this, { idPrefix: "t", inThread: true });
    this.sentRead = 0;
    this.pageSize = 100; // replies per page
    this.more = false; // older replies remain on the server
    this.loadingOlder = false;
    this.replyTo = null; // the message of the thread the next reply quotes: {seq, sender, excerpt}
    // This thread's replies not stored yet, under the others.
    this.pendingEl = h("div", { class: "thread-pending" });
    // What was typed in the box of each thread left unsent: "room/root" -> {text, replyTo, also}.
    this.drafts = new Map();
  }

  get theme() {
    return this.app.effectiveTheme();
  }

  bind() {
    this.el = $("thread-panel");
    this.list = $("thread-messages");
    iconsOnShow(this.list);
    this.input = $("thread-input");
    this.alsoRoom = $("thread-also");
    this.error = $("thread-error");
    $("thread-close").addEventListener("click", () => this.close());
    $("thread-reply-cancel").addEventListener("click", () => this.cancelReply({ focus: true }));
    this.completion = new Completion(this.app, this.input, () => this.app.compose.roomPeople());
    $("thread-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      } else if (e.key === "Escape") {
        e.preventDefault();
        if (this.replyTo) this.cancelReply();
        else this.close();
      }
    });
  }

  get isOpen() {
    return this.root !== null;
  }

  async open(room, root) {
    const app = this.app;
    this.keepDraft();
    this.room = room;
    this.root = root;
    this.msgs = new Map();
    this.rootMsg = app.state.timelines.get(room)?.get(root) || null;
    this.sentRead = 0;
    this.error.textContent = "";
    const r = app.state.rooms.get(room);
    $("thread-room").textContent = app.roomTitle(r);
    $("thread-also-label").textContent = `Also send to ${app.roomTitle(r)}`;
    const draft = this.drafts.get(`${room}/${root}`);
    this.drafts.delete(`${room}/${root}`);
    this.input.value = draft ? draft.text : "";
    this.alsoRoom.checked = draft ? draft.also : false;
    this.replyTo = draft ? draft.replyTo : null;
    this.renderReply();
    this.el.hidden = false;
    $("app").classList.add("thread-open");
    this.render();
    this.input.focus();
    this.more = false;
    await this.loadPage(null);
  }

  /** A page of replies: the newest (`before` null), or those before `before`. */
  async loadPage(before) {
    const { room, root } = this;
    this.loadingOlder = true;
    try {
      const reply = await this.app.request("thread", { room, root, before, limit: this.pageSize });
      if (this.room !== room || this.root !== root) return;
      this.rootMsg = reply.root;
      for (const m of reply.messages) this.msgs.set(m.seq, m);
      this.more = reply.more;
      const keep = before === null ? null : this.list.scrollHeight - this.list.scrollTop;
      this.render();
      if (keep !== null) this.list.scrollTop = this.list.scrollHeight - keep; // what was shown stays
    } catch (e) {
      this.error.textContent = sentence(e.message);
    } finally {
      this.loadingOlder = false;
    }
  }

  loadOlder() {
    if (!this.more || this.loadingOlder || !this.msgs.size) return;
    this.loadPage(Math.min(...this.msgs.keys()));
  }

  /** Keeps what the open thread's box holds for when it is opened again. */
  keepDraft() {
    if (!this.isOpen) return;
    const at = `${this.room}/${this.root}`;
    if (this.input.value.trim() || this.replyTo) {
      this.drafts.set(at, { text: this.input.value, replyTo: this.replyTo, also: this.alsoRoom.checked });
    } else {
      this.drafts.delete(at);
    }
  }

  /** Forget the drafts (another user, or none). */
  forget() {
    this.close();
    this.drafts.clear();
    if (this.input) this.input.value = "";
  }

  close() {
    if (!this.isOpen) return;
    this.keepDraft();
    this.input.value = "";
    this.room = null;
    this.root = null;
    this.msgs = new Map();
    this.cancelReply();
    this.el.hidden = true;
    $("app").classList.remove("thread-open");
    this.completion.close();
    this.app.composer.focus();
  }

  /** The room's held messages changed: take this thread's from them, and redraw. */
  update(room) {
    if (!this.isOpen || room !== this.room) return;
    const tl = this.app.state.timelines.get(room);
    if (tl) {
      const root = tl.get(this.root);
      if (root) this.rootMsg = root;
      for (let s = Math.max(tl.first, this.root + 1); s <= tl.last; s += 1) {
        const m = tl.get(s);
        if (m && m.thread === this.root) this.msgs.set(s, m);
      }
    }
    this.render();
  }

  render() {
    if (!this.isOpen) return;
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const out = [];
    if (this.rootMsg) out.push(this.rows.row(this.rootMsg, false), h("div", { class: "thread-count", role: "separator" }, this.countText()));
    if (this.more) {
      out.push(h("div", { class: "history-status" }, h("button", { type: "button", class: "link-btn", onclick: () => this.loadOlder() }, "Load older replies")));
    }
    // The first reply, under the count, shows its sender (a day line only on a new day).
    let prev = this.rootMsg ? { kind: "system", ts: this.rootMsg.ts } : null;
    for (const seq of [...this.msgs.keys()].sort((a, b) => a - b)) {
      const m = this.msgs.get(seq);
      out.push(...this.rows.unit(m, prev, false));
      prev = m;
    }
    this.lastShown = prev;
    this.fillPending();
    this.list.replaceChildren(...out, this.pendingEl);
    if (atBottom || !this.rendered) this.list.scrollTop = this.list.scrollHeight;
    this.rendered = true;
    this.markRead();
  }

  /** The replies of this thread waiting in the outbox, as they are now. */
  renderPending() {
    if (!this.isOpen) return;
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.fillPending();
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }

  fillPending() {
    const items = this.app.state.pendingIn(this.room).filter((p) => p.thread === this.root);
    this.pendingEl.replaceChildren(...pendingRows(this.app, this.rows, items, this.lastShown));
  }

  countText() {
    const n = this.rootMsg && this.rootMsg.thread_summary ? Math.max(this.rootMsg.thread_summary.replies, this.msgs.size) : this.msgs.size;
    return n === 0 ? "No replies yet" : n === 1 ? "1 reply" : `${n} replies`;
  }

  /** The thread is shown: read up to its newest reply, here and on the server. */
  markRead() {
    if (!this.isOpen || !this.app.pageVisible()) return;
    const last = Math.max(0, ...this.msgs.keys());
    if (!last || last <= this.sentRead) return;
    this.sentRead = last;
    if (this.app.conv.readThread(this.room, this.root, last)) {
      this.app.conn.request("mark_read", { room: this.room, seq: last, thread: this.root }).catch(() => {});
    }
  }

  // -- quoting a message of the thread ------------------------------------------------

  startReply(msg) {
    if (!this.isOpen || msg.room !== this.room) return;
    const text = plainOf(msg.body);
    this.replyTo = { seq: msg.seq, sender: msg.sender, excerpt: [...text].slice(0, 200).join("") };
    this.renderReply();
    this.input.focus();
  }

  cancelReply({ focus = false } = {}) {
    this.replyTo = null;
    this.renderReply();
    if (focus) this.input.focus();
  }

  renderReply() {
    const bar = $("thread-reply-bar");
    const ref = this.replyTo;
    bar.hidden = !ref;
    if (!ref) {
      setText($("thread-reply-text"), "");
      return;
    }
    const who = this.app.state.displayName(ref.sender);
    $("thread-reply-text").replaceChildren(
      "Replying to ",
      h("strong", null, who),
      ": ",
      h("span", { class: "reply-excerpt" }, plainText(quoteText({ ...ref, deleted: false }))),
    );
    $("thread-reply-cancel").setAttribute("aria-label", `Cancel the reply to ${who}`);
  }

  /** Page back through the open thread until reply `seq` is shown (a quote of an older
   * reply), SEEK_PAGES pages at most; then show and flash it. False if not found. */
  async seek(seq) {
    for (let i = 0; i < SEEK_PAGES && this.isOpen && this.more && this.msgs.size; i += 1) {
      const oldest = Math.min(...this.msgs.keys());
      if (oldest <= seq) break;
      await this.loadPage(oldest);
    }
    return this.reveal(seq);
  }

  /** Show and flash a message the panel shows (a quote clicked in it); false if the
   * panel does not show it. */
  reveal(seq) {
    const el = this.isOpen ? document.getElementById(`t-${this.room}-${seq}`) : null;
    if (!el) return false;
    el.scrollIntoView({ block: "center" });
    el.classList.add("found");
    setTimeout(() => el.classList.remove("found"), 2500);
    return true;
  }

  send() {
    const app = this.app;
    const body = emojize(this.input.value);
    if (!body.trim() || !this.isOpen || !app.state.me) return;
    this.completion.close();
    this.error.textContent = "";
    this.input.value = "";
    const p = app.state.addPending(this.room, body);
    p.thread = this.root;
    p.in_room = this.alsoRoom.checked;
    if (this.replyTo) p.reply_to = this.replyTo.seq;
    this.cancelReply();
    app.state.setPending(p, p.status); // kept with its thread if the page closes unsent
    this.list.scrollTop = this.list.scrollHeight;
    app.compose.queue(p);
  }
}
