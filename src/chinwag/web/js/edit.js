// Editing one's own messages in place: the body becomes a text box with the current
// text (Enter saves, Shift+Enter starts a new line, Escape cancels), the server's
// refusal shows under it, and the composer's draft is left alone. Up in an empty
// composer edits the last message you sent in the open room.

import { h, icon, setText } from "./dom.js";
import { sentence } from "./dialogs.js";
import { codePoints } from "./format.js";

export class Editing {
  constructor(app) {
    this.app = app;
    this.target = null; // {room, seq} of the message being edited
    this.el = null; // the editor, kept across redraws of the timeline
    this.input = null;
    this.error = null;
    this.saving = false;
  }

  /** Whether `msg` is shown as an editor rather than as text. */
  isEditing(msg) {
    const t = this.target;
    return t !== null && t.room === msg.room && t.seq === msg.seq && !msg.deleted;
  }

  /** Whether the user may edit `msg`: their own text message, not deleted. */
  canEdit(msg) {
    return msg.kind === "text" && !msg.deleted && this.app.state.isMe(msg.sender);
  }

  /** The newest message of the user's own in a room that can still be edited. */
  lastOwn(roomId) {
    const tl = this.app.state.timelines.get(roomId);
    if (!tl || !tl.loaded) return null;
    for (let s = tl.last; s >= tl.first; s -= 1) {
      const msg = tl.get(s);
      if (msg && this.canEdit(msg)) return msg;
    }
    return null;
  }

  start(msg) {
    if (!this.canEdit(msg)) return;
    this.target = { room: msg.room, seq: msg.seq };
    this.saving = false;
    this.build(msg);
    this.app.timeline.render();
    this.input.focus();
    const end = this.input.value.length;
    this.input.setSelectionRange(end, end);
    this.autosize();
  }

  build(msg) {
    const input = h("textarea", {
      class: "edit-input",
      rows: "1",
      "aria-label": "Edit message",
      "aria-describedby": "edit-keys",
      enterkeyhint: "done",
      autocomplete: "off",
    });
    input.value = msg.body;
    input.addEventListener("input", () => {
      this.autosize();
      this.showError("");
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        this.save();
      }
    });
    this.input = input;
    this.error = h("p", { class: "form-error", role: "alert" });
    this.el = h(
      "form",
      {
        class: "edit-form",
        "aria-label": "Edit message",
        onsubmit: (e) => {
          e.preventDefault();
          this.save();
        },
        // Escape cancels from the text box and from the buttons alike.
        onkeydown: (e) => {
          if (e.key !== "Escape") return;
          e.preventDefault();
          e.stopPropagation();
          this.cancel();
        },
      },
      input,
      this.error,
      h(
        "div",
        { class: "edit-actions" },
        h("span", { class: "edit-keys", id: "edit-keys" }, "Enter saves · Shift+Enter new line · Escape cancels"),
        h("button", { type: "button", class: "btn small", onclick: () => this.cancel() }, "Cancel"),
        h("button", { type: "submit", class: "btn primary small" }, icon("edit"), "Save"),
      ),
    );
  }

  autosize() {
    const c = this.input;
    if (!c) return;
    c.style.height = "auto";
    c.style.height = `${Math.min(c.scrollHeight + 2, 300)}px`;
    this.el.scrollIntoView({ block: "nearest" });
  }

  showError(text) {
    if (!this.error) return;
    setText(this.error, text);
    if (text) this.el.scrollIntoView({ block: "nearest" });
  }

  /** The message being edited, as held now (null if it is gone or deleted). */
  current() {
    const t = this.target;
    if (!t) return null;
    const tl = this.app.state.timelines.get(t.room);
    const msg = tl ? tl.get(t.seq) : null;
    return msg && !msg.deleted ? msg : null;
  }

  async save() {
    if (this.saving || !this.target) return;
    const msg = this.current();
    if (!msg) {
      this.stop();
      return;
    }
    const body = this.input.value;
    const text = body.trim();
    if (text === msg.body) {
      this.cancel();
      return;
    }
    const max = this.app.compose.maxBody();
    if (!text) {
      this.showError("A message cannot be empty. Delete it instead.");
      return;
    }
    if (codePoints(text) > max) {
      this.showError(`Too long: ${codePoints(text).toLocaleString()} of ${max.toLocaleString()} characters.`);
      return;
    }
    const target = this.target;
    this.saving = true;
    const buttons = this.el.querySelectorAll("button");
    for (const b of buttons) b.disabled = true;
    try {
      const reply = await this.app.request("edit_message", { room: target.room, seq: target.seq, body });
      this.app.state.editMessage(reply.message);
      if (this.target === target) this.stop();
    } catch (e) {
      if (this.target === target) {
        this.showError(sentence(e.message));
        this.input.focus();
      }
    } finally {
      this.saving = false;
      for (const b of buttons) b.disabled = false;
    }
  }

  cancel() {
    this.stop();
  }

  /** The message being edited was deleted meanwhile (by a moderator, or on another
   * device): close the editor, say so, and give the focus back to the message box. */
  checkGone() {
    if (!this.target || this.current()) return;
    const elsewhere = this.target.room !== this.app.active;
    this.forget(); // the redraw that follows shows the message as deleted
    if (elsewhere) return; // another room opened, or this one left: nothing to say
    this.app.composer.focus();
    this.app.toast("The message you were editing was deleted.", "error");
  }

  /** Leave the editor; focus goes back to the message box. */
  stop() {
    if (!this.target) return;
    this.forget();
    if (this.app.active) this.app.timeline.render();
    this.app.composer.focus();
  }

  /** Drop the editor without drawing (another room opened, the message deleted). */
  forget() {
    this.target = null;
    this.el = null;
    this.input = null;
    this.error = null;
  }
}
