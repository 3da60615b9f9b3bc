// The message composer and the outbox: drafts per room, the length hint, typing
// notices, and sending in order with retries. A message keeps its client_msg_id across
// retries, so that a resend after a lost reply is stored once.

import { ConnectionLost, RequestError, sleep } from "./connection.js";
import { $, setText } from "./dom.js";
import { codePoints, formatDuration } from "./format.js";

const TYPING_EVERY = 3000;

export class Composer {
  constructor(app) {
    this.app = app;
    this.input = $("composer-input");
    this.outbox = [];
    this.pumping = false;
    this.drafts = new Map();
    this.lastTyping = new Map();
  }

  bind() {
    const input = this.input;
    $("composer").addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        this.send();
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
    this.autosize();
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
    if (n > max) {
      hint.className = "composer-hint error";
      setText(hint, `Too long: ${n.toLocaleString()} of ${max.toLocaleString()} characters.`);
    } else if (n > max - 200) {
      hint.className = "composer-hint";
      setText(hint, `${(max - n).toLocaleString()} characters left.`);
    } else {
      hint.className = "composer-hint";
      setText(hint, "");
    }
  }

  send() {
    const app = this.app;
    const body = this.input.value;
    const text = body.trim();
    if (!text || !app.active) return;
    if (codePoints(text) > this.maxBody()) {
      this.renderHint();
      return;
    }
    const p = app.state.addPending(app.active, body);
    this.input.value = "";
    this.drafts.delete(app.active);
    this.autosize();
    this.renderHint();
    app.timeline.clearMarker();
    app.timeline.scrollToBottom();
    this.lastTyping.delete(app.active);
    this.outbox.push(p);
    this.pump();
  }

  sendTyping() {
    const app = this.app;
    const room = app.active;
    if (!room || !app.ready) return;
    const now = Date.now();
    if (now - (this.lastTyping.get(room) || 0) < TYPING_EVERY) return;
    this.lastTyping.set(room, now);
    app.conn.request("typing", { room }).catch(() => {});
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
      const reply = await this.app.conn.request("send", { room: p.room, body: p.body, client_msg_id: p.cid });
      for (const room of state.addMessages([reply.message])) this.app.session.fillGap(room);
      state.settle(p.cid);
      return "done";
    } catch (e) {
      if (e instanceof RequestError) {
        switch (e.code) {
          case "rate_limited":
            return Math.ceil((e.retryAfter || 0.5) * 1000) + 20;
          case "unavailable":
          case "internal_error":
            state.setPending(p, "queued");
            return 2000;
          case "muted":
            state.setPending(p, "failed", `you are muted for ${formatDuration(e.retryAfter || 1)} more`);
            return "failed";
          default:
            state.setPending(p, "failed", e.message);
            return "failed";
        }
      }
      if (e instanceof ConnectionLost && e.timeout) {
        state.setPending(p, "failed", "no answer from the server");
        return "failed";
      }
      state.setPending(p, "queued");
      return "offline";
    }
  }

  retry(p) {
    const state = this.app.state;
    if (!state.pending.includes(p)) return;
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
      this.outbox.push(state.addPending(u.room, u.body, u.cid, u.ts));
    }
  }

  /** Forget the draft of a room the user is no longer in. */
  dropDraft(roomId) {
    this.drafts.delete(roomId);
  }
}
