// The message composer and the outbox: drafts per room, the length hint, typing
// notices, and sending in order with retries. A message keeps its client_msg_id across
// retries, so that a resend after a lost reply is stored once. What each error does to
// a message is policy.js: waited out, resent after the reconnect, tried again a few
// times, or failed with the server's reason. A timeout never fails a message: the
// connection is replaced and the message goes again, with its id, after the catch-up.

import { RequestError, sleep } from "./connection.js";
import { $, setText } from "./dom.js";
import { codePoints, formatDuration } from "./format.js";
import { SEND_RETRIES, backoffDelay, errorAction, retryAfterDelay } from "./policy.js";
import { Completion } from "./complete.js";
import { emojize, loadEmoji } from "./emoji.js";
import { emojiPicker } from "./picker.js";

const TYPING_EVERY = 3000;
// The server passes on one `typing` per connection and room every 2 s and drops the rest.
const SERVER_TYPING_INTERVAL = 2000;

export class Composer {
  constructor(app) {
    this.app = app;
    this.input = $("composer-input");
    this.outbox = [];
    this.pumping = false;
    this.drafts = new Map();
    this.lastTyping = new Map();
    this.typingTimer = 0;
  }

  bind() {
    const input = this.input;
    // First: while its list is open, the completion takes Enter, Tab, Escape and arrows.
    this.completion = new Completion(this.app, input, () => this.roomPeople());
    $("emoji-btn").addEventListener("click", () =>
      emojiPicker(this.app, { title: "Insert emoji", onPick: (e) => this.insert(e), returnTo: input }),
    );
    loadEmoji().catch(() => {}); // for :names: in what is sent; the picker says if it fails
    $("composer").addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      } else if (e.key === "Escape" && this.app.conv.replyFor(this.app.active)) {
        e.preventDefault();
        this.app.conv.cancelReply();
      } else if (e.key === "ArrowUp" && !input.value && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
        // Up in an empty box edits the last message you sent here.
        const last = this.app.active ? this.app.edit.lastOwn(this.app.active) : null;
        if (last) {
          e.preventDefault();
          this.app.editMessage(last);
        }
      }
    });
    input.addEventListener("input", () => {
      this.autosize();
      if (this.app.active) this.drafts.set(this.app.active, input.value);
      this.renderHint();
      if (input.value.trim()) this.sendTyping();
    });
  }

  /** The open room's people for @ completion: [{username, display_name}]. */
  roomPeople() {
    const app = this.app;
    const room = app.state.rooms.get(app.active);
    const members = room ? app.memberList.members(room) : null;
    return (members || []).map((m) => app.state.user(m.user) || { username: m.user, display_name: m.user });
  }

  /** Put `text` where the caret is (replacing a selection), as if typed. */
  insert(text) {
    const input = this.input;
    input.focus();
    input.setRangeText(text, input.selectionStart, input.selectionEnd, "end");
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /** Forget the queue and the drafts (another user, or none). */
  forget() {
    this.outbox = [];
    this.drafts.clear();
  }

  maxBody() {
    return this.app.hello ? this.app.hello.max_body : 4000;
  }

  /** Show the open room's draft, labelled for that room. */
  render() {
    const app = this.app;
    const room = app.state.rooms.get(app.active);
    const label = room ? `Message ${app.roomTitle(room)}` : "Message";
    this.input.setAttribute("aria-label", label);
    this.input.placeholder = label;
    this.input.value = this.drafts.get(app.active) || "";
    this.waiting = false;
    this.autosize();
    this.renderMuted();
    app.conv.renderReply();
  }

  /** Muted in the open room: the box is disabled and says why, and for how long. */
  renderMuted() {
    const app = this.app;
    const room = app.state.rooms.get(app.active);
    const text = app.active ? app.muting.notice(app.active) : null;
    this.input.disabled = !!text;
    $("send").disabled = !!text;
    $("attach").disabled = !!text;
    $("emoji-btn").disabled = !!text;
    this.input.placeholder = text || (room ? `Message ${app.roomTitle(room)}` : "Message");
    this.renderHint();
  }

  autosize() {
    const c = this.input;
    c.style.height = "auto";
    c.style.height = `${Math.min(c.scrollHeight, 200)}px`;
  }

  renderHint() {
    const max = this.maxBody();
    const n = codePoints(this.input.value.trim());
    const hint = $("composer-hint");
    const muted = this.app.active ? this.app.muting.notice(this.app.active) : null;
    if (muted) {
      hint.className = "composer-hint muted";
      setText(hint, muted);
    } else if (this.waiting && this.app.files.busy()) {
      hint.className = "composer-hint";
      setText(hint, "The message goes once its files are uploaded.");
    } else if (n > max) {
      hint.className = "composer-hint error";
      setText(hint, `Too long: ${n.toLocaleString()} of ${max.toLocaleString()} characters.`);
    } else if (n > max - 200) {
      hint.className = "composer-hint";
      setText(hint, `${(max - n).toLocaleString()} ${max - n === 1 ? "character" : "characters"} left.`);
    } else {
      hint.className = "composer-hint";
      setText(hint, "");
    }
  }

  send() {
    const app = this.app;
    this.completion.close();
    const body = emojize(this.input.value);
    const text = body.trim();
    if (!app.active) return;
    // Files still uploading: the message waits for them (Enter again sends it then).
    this.waiting = app.files.busy();
    if (this.waiting) {
      this.renderHint();
      return;
    }
    const files = app.files.ready();
    if (!text && !files.length) return;
    if (codePoints(text) > this.maxBody()) {
      this.renderHint();
      return;
    }
    const p = app.state.addPending(app.active, files.length ? text : body);
    const reply = app.conv.replyFor(app.active);
    if (reply) {
      p.reply_to = reply.seq;
      app.state.setPending(p, p.status); // kept with it if the page closes unsent
      app.conv.cancelReply();
    }
    if (files.length) {
      p.attachments = files.map((u) => u.att.id);
      p.files = files.map((u) => u.att);
      app.files.sent(files);
    }
    this.input.value = "";
    this.drafts.delete(app.active);
    this.autosize();
    this.renderHint();
    app.timeline.clearMarker();
    app.timeline.toLatest();
    // The others stop showing "typing…" when this message reaches them: typing on
    // straight away must say so again as soon as the server passes it on.
    this.sentAt = { room: app.active, ts: Date.now() };
    this.queue(p);
  }

  sendTyping() {
    const app = this.app;
    const room = app.active;
    if (!room || !app.ready) return;
    const now = Date.now();
    const last = this.lastTyping.get(room) || 0;
    if (now - last >= TYPING_EVERY) {
      this.typingNow(room);
    } else if (this.sentAt && this.sentAt.room === room && this.sentAt.ts > last && !this.typingTimer) {
      // Sent a message since the last notice: the next one as soon as the server takes it.
      this.typingTimer = setTimeout(
        () => {
          this.typingTimer = 0;
          if (this.app.active === room && this.input.value.trim() && this.app.ready) this.typingNow(room);
        },
        last + SERVER_TYPING_INTERVAL + 100 - now,
      );
    }
  }

  typingNow(room) {
    clearTimeout(this.typingTimer);
    this.typingTimer = 0;
    this.lastTyping.set(room, Date.now());
    this.app.conn.request("typing", { room }).catch(() => {});
  }

  /** Send what waits in the outbox, one at a time and in order. */
  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.outbox.length && this.app.ready) {
        const p = this.outbox[0];
        if (!this.app.state.pending.includes(p) || p.status === "failed") {
          this.outbox.shift();
          continue;
        }
        const result = await this.trySend(p);
        if (result === "offline") break;
        if (typeof result === "number") {
          await sleep(result);
          continue;
        }
        this.outbox.shift();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** One attempt: "done", "failed", "offline", or the milliseconds to wait first. */
  async trySend(p) {
    const state = this.app.state;
    state.setPending(p, "sending");
    try {
      const fields = { room: p.room, body: p.body, client_msg_id: p.cid };
      if (p.attachments) fields.attachments = p.attachments;
      if (p.reply_to) fields.reply_to = p.reply_to;
      if (p.thread != null) Object.assign(fields, { thread: p.thread, in_room: !!p.in_room });
      const reply = await this.app.conn.request("send", fields);
      for (const room of state.addMessages([reply.message])) this.app.session.fillGap(room);
      state.settle(p.cid);
      return "done";
    } catch (e) {
      if (!(e instanceof RequestError)) {
        // Lost or timed out: the connection is being replaced; sent again after it.
        state.setPending(p, "queued");
        return "offline";
      }
      switch (errorAction(e.code)) {
        case "wait":
          return Math.ceil(retryAfterDelay(e.retryAfter) * 1000) + 20;
        case "reconnect": // the session has dropped the connection: sent after the next
        case "sign_out": // the session has ended: kept for the next login
        case "banned":
          state.setPending(p, "queued");
          return "offline";
        case "retry":
          if ((p.tries || 0) < SEND_RETRIES) {
            p.tries = (p.tries || 0) + 1;
            state.setPending(p, "queued");
            return Math.ceil(backoffDelay(p.tries) * 1000);
          }
          break;
        default:
          break;
      }
      // Not left as "sending": not sent, and why (the mute as the user was told of it).
      const muted = e.code === "muted" ? this.app.muting.notice(p.room) : null;
      let reason = e.message;
      if (muted) reason = muted.replace(/^You are/, "you are").replace(/\.$/, "");
      else if (e.code === "muted" && e.retryAfter > 0) reason = `you are muted for ${formatDuration(e.retryAfter)} more`;
      state.setPending(p, "failed", reason);
      return "failed";
    }
  }

  /** Send `p` (added to the state's pending messages) after what waits already. */
  queue(p) {
    this.outbox.push(p);
    this.pump();
  }

  retry(p) {
    const state = this.app.state;
    if (!state.pending.includes(p)) return;
    p.tries = 0;
    state.setPending(p, "queued");
    if (!this.outbox.includes(p)) this.outbox.push(p);
    this.pump();
  }

  discard(p) {
    this.app.state.discard(p);
    this.outbox = this.outbox.filter((x) => x !== p);
  }

  /** Queue again what this user left unsent in an earlier visit or in another tab. */
  restore() {
    const app = this.app;
    const state = app.state;
    if (!state.me) return;
    for (const u of app.unsent.left(state.me.username)) {
      if (state.findPending(u.cid)) continue;
      if (!state.rooms.get(u.room)?.member) {
        app.unsent.drop(u.cid);
        continue;
      }
      const p = state.addPending(u.room, u.body, u.cid, u.ts);
      if (Array.isArray(u.attachments)) Object.assign(p, { attachments: u.attachments, files: u.files || [] });
      if (u.reply_to) p.reply_to = u.reply_to;
      if (u.thread != null) Object.assign(p, { thread: u.thread, in_room: !!u.in_room });
      this.outbox.push(p);
    }
  }

  /** Forget the draft of a room the user is no longer in. */
  dropDraft(roomId) {
    this.drafts.delete(roomId);
  }
}
