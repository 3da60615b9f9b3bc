// Conversations: reacting, replying (the composer's "Replying to" bar), pinning and the
// pinned list, opening a quoted original or a search result in its history (far.js when
// it is far back), and the read positions of threads. The thread panel itself is
// thread.js.

import { $, h, icon, setText } from "./dom.js";
import { modal, sentence } from "./dialogs.js";
import { formatDay, formatTime } from "./format.js";
import { FarRun } from "./far.js";
import { plainOf } from "./markdown.js";
import { emojiPicker } from "./picker.js";
import { quoteText } from "./convrows.js";
import { plainText } from "./text.js";
import { inRoom } from "./messages.js";

// The page asked for around a message that is not held: as many before it as after.
const AROUND = 100;

export class Conversations {
  constructor(app) {
    this.app = app;
    this.replyTo = null; // {room, seq, sender, excerpt, deleted}
    // "room/root" -> the last reply read in that thread
    this.threadReads = new Map();
    this.threadsLoaded = new Set();
  }

  bind() {
    $("reply-cancel").addEventListener("click", () => this.cancelReply({ focus: true }));
    $("open-pins").addEventListener("click", () => this.showPins(this.app.active));
  }

  /** What a message's menu offers: [{label, icon, run(button)}] (the thread panel's
   * rows: a reply quotes it in the thread; no thread). */
  menuItems(msg, inThread) {
    const items = [];
    if (this.canReact(msg)) {
      items.push({ label: "Add a reaction", icon: "smile", run: (b) => this.pickReaction(msg, b) });
      const reply = inThread ? () => this.app.thread.startReply(msg) : () => this.startReply(msg);
      items.push({ label: "Reply", icon: "reply", run: reply });
    }
    if (!inThread && msg.kind === "text" && (msg.thread != null || !msg.deleted)) {
      items.push({ label: "Reply in thread", icon: "thread", run: () => this.openThread(msg.room, msg.thread ?? msg.seq) });
    }
    if (this.canPin(msg)) {
      const pinned = !!msg.pinned;
      items.push({ label: pinned ? "Unpin" : "Pin", icon: "pin", run: () => this.setPinned(msg, !pinned) });
    }
    return items;
  }

  // -- reactions -----------------------------------------------------------------------

  canReact(msg) {
    const app = this.app;
    return msg.kind === "text" && !msg.deleted && !!app.state.rooms.get(msg.room)?.member && !app.muting.notice(msg.room);
  }

  async react(msg, emoji, add = true) {
    try {
      const reply = await this.app.request("react", { room: msg.room, seq: msg.seq, emoji, add });
      this.app.state.updateMessage(reply.message);
    } catch (e) {
      // A reaction lists only its first 50 users: one not listed in a list cut short
      // may have reacted already, and then the click takes the reaction back.
      const r = (msg.reactions || []).find((x) => x.emoji === emoji);
      if (e.code === "no_change" && add && r && r.count > r.users.length) {
        await this.react(msg, emoji, false);
        return;
      }
      // Already so (another tab, a double click): nothing to say.
      if (e.code !== "no_change") this.app.toast(sentence(e.message), "error");
    }
  }

  /** The picker, to add a reaction (or take back one already made with that emoji). */
  pickReaction(msg, returnTo = null) {
    emojiPicker(this.app, {
      title: "Add a reaction",
      returnTo,
      onPick: (emoji) => {
        const r = (msg.reactions || []).find((x) => x.emoji === emoji);
        const mine = r && r.users.some((u) => this.app.state.isMe(u));
        this.react(msg, emoji, !mine);
      },
    });
  }

  // -- replies -------------------------------------------------------------------------

  startReply(msg) {
    const text = plainOf(msg.body);
    this.replyTo = { room: msg.room, seq: msg.seq, sender: msg.sender, excerpt: [...text].slice(0, 200).join(""), deleted: false };
    this.renderReply();
    this.app.composer.focus();
  }

  cancelReply({ focus = false } = {}) {
    this.replyTo = null;
    this.renderReply();
    if (focus) this.app.composer.focus();
  }

  /** The reply for the open room's next message, or null. */
  replyFor(room) {
    return this.replyTo && this.replyTo.room === room ? this.replyTo : null;
  }

  renderReply() {
    const bar = $("reply-bar");
    const ref = this.replyFor(this.app.active);
    bar.hidden = !ref;
    if (!ref) return;
    const who = this.app.state.displayName(ref.sender);
    $("reply-text").replaceChildren(
      "Replying to ",
      h("strong", null, who),
      ": ",
      h("span", { class: "reply-excerpt" }, plainText(quoteText(ref))),
    );
    $("reply-cancel").setAttribute("aria-label", `Cancel the reply to ${who}`);
  }

  // -- opening a message in its history ------------------------------------------------

  /**
   * Show message `seq` of `room` in the timeline and flash it: at once if it is held;
   * after loading the page around it when that page joins what is held; else (it is
   * far back) that page as a run of its own, drawn in the timeline instead of the
   * newest messages until scrolling down meets them or "Jump to latest" (far.js).
   */
  async jumpTo(room, seq) {
    const app = this.app;
    if (room !== app.active) app.selectRoom(room, { focus: false });
    const view = app.timeline;
    if (view.away && view.away.room === room && seq >= view.away.first && seq <= view.away.last) {
      view.reveal(room, seq);
      return;
    }
    let tl = app.state.timelines.get(room);
    const held = tl ? tl.get(seq) : null;
    if (held && !inRoom(held)) {
      await this.showInThread(held);
      return;
    }
    if (tl && tl.loaded && seq >= tl.first && held) {
      view.leaveFar();
      view.reveal(room, seq);
      return;
    }
    let reply;
    try {
      // The room's newest page first: the page around `seq` may join it.
      if (!tl || !tl.loaded) await app.session.loadNewest(room);
      reply = await app.request("history", { room, around: seq, limit: AROUND });
    } catch (e) {
      app.toast(sentence(e.message), "error");
      return;
    }
    tl = app.state.timelines.get(room);
    const msgs = reply.messages;
    if (app.active !== room || !tl || !tl.loaded || !msgs.length) return;
    const target = msgs.find((m) => m.seq === seq);
    if (target && !inRoom(target)) {
      await this.showInThread(target);
      return;
    }
    if (msgs[msgs.length - 1].seq >= tl.first - 1) {
      view.leaveFar();
      tl.addOlder(msgs, reply.more);
      app.state.changed("timeline", { room, changed: [], reset: true });
      app.flush();
      view.reveal(room, seq);
      return;
    }
    // The run shown before (if any) is let go first: its messages may be this one's too.
    view.leaveFar();
    view.showFar(new FarRun(app, tl, reply), seq);
    view.reveal(room, seq);
  }

  /** A reply kept to its thread is not in the timeline: its thread opens, at it. */
  async showInThread(msg) {
    const panel = this.app.thread;
    if (!panel.isOpen || panel.room !== msg.room || panel.root !== msg.thread) await panel.open(msg.room, msg.thread);
    if (!panel.reveal(msg.seq)) await panel.seek(msg.seq); // an older reply: paged back to
  }

  // -- pins ----------------------------------------------------------------------------

  canPin(msg) {
    const room = this.app.state.rooms.get(msg.room);
    if (!room || !room.member || msg.kind !== "text" || msg.deleted) return false;
    return room.kind === "dm" || this.app.state.canModerate(room);
  }

  async setPinned(msg, pinned) {
    try {
      const reply = await this.app.request(pinned ? "pin" : "unpin", { room: msg.room, seq: msg.seq });
      this.app.state.updateMessage(reply.message);
      this.app.toast(pinned ? "Pinned." : "Unpinned.");
    } catch (e) {
      if (e.code !== "no_change") this.app.toast(sentence(e.message), "error");
    }
  }

  async showPins(room) {
    const app = this.app;
    const r = app.state.rooms.get(room);
    if (!r) return;
    const list = h("ul", { class: "pins-list", "aria-label": "Pinned messages" });
    const status = h("p", { class: "search-status", role: "status" }, "Loading…");
    const dialog = modal({ title: `Pinned in ${app.roomTitle(r)}`, className: "wide pins-dialog", content: [status, list] });
    try {
      const reply = await app.request("pins", { room });
      setText(status, reply.messages.length ? "" : "Nothing is pinned in this room yet.");
      list.replaceChildren(
        ...reply.messages.map((m) =>
          h(
            "li",
            null,
            h(
              "button",
              {
                type: "button",
                class: "search-hit",
                onclick: () => {
                  dialog.close();
                  this.jumpTo(room, m.seq);
                },
              },
              h(
                "span",
                { class: "hit-head" },
                h("span", { class: "hit-author" }, app.state.displayName(m.sender)),
                h("time", null, `${formatDay(m.ts)} ${formatTime(m.ts)}`),
                m.pinned ? h("span", { class: "hit-room" }, icon("pin"), `pinned by ${app.state.displayName(m.pinned.by)}`) : null,
              ),
              h("span", { class: "hit-body" }, plainText(plainOf(m.body))),
            ),
          ),
        ),
      );
    } catch (e) {
      setText(status, sentence(e.message));
    }
  }

  openThread(room, root) {
    this.app.thread.open(room, root);
  }

  // -- thread read positions -------------------------------------------------------------

  /** Replies of a thread held here, after its read position and not one's own. */
  threadUnread(room, root) {
    const read = this.threadReads.get(`${room}/${root}`) || 0;
    const tl = this.app.state.timelines.get(room);
    if (!tl) return 0;
    let n = 0;
    for (let s = Math.max(read + 1, tl.first); s <= tl.last; s += 1) {
      const m = tl.get(s);
      if (m && m.thread === root && m.kind === "text" && !m.deleted && !this.app.state.isMe(m.sender)) n += 1;
    }
    return n;
  }

  /** The read positions of a room's threads, once per room and session. */
  async loadThreads(room) {
    if (this.threadsLoaded.has(room)) return;
    this.threadsLoaded.add(room);
    try {
      const reply = await this.app.request("threads", { room, limit: 50 });
      const moved = reply.threads.filter((t) => this.readThread(room, t.root.seq, t.read, false)).map((t) => t.root.seq);
      // Only the roots whose unread count changed are drawn again.
      if (moved.length) this.app.state.changed("timeline", { room, changed: moved });
    } catch {
      this.threadsLoaded.delete(room); // asked again next time the room opens
    }
  }

  /** A thread read up to `seq` (here, or heard from the server); true if it moved. */
  readThread(room, root, seq, redraw = true) {
    const k = `${room}/${root}`;
    if ((this.threadReads.get(k) || 0) >= seq) return false;
    this.threadReads.set(k, seq);
    if (redraw) this.app.state.changed("timeline", { room, changed: [root] });
    return true;
  }

  /** Forget everything of the last user (logout, another account). */
  forget() {
    this.replyTo = null;
    this.threadReads.clear();
    this.threadsLoaded.clear();
  }
}
