// Desktop notifications (the Notification API). Permission is asked only when the user
// turns them on, never on page load. Modes: "off", "mentions" (direct messages and
// @mentions), "all".

import { bidiAsText } from "./format.js";
import { plainOf, proseOf } from "./markdown.js";
import { mentionsMe } from "./timeline.js";

const STORE = "chinwag.notify";

export class Notifier {
  constructor(app) {
    this.app = app;
    let mode = "off";
    try {
      mode = localStorage.getItem(STORE) || "off";
    } catch {
      // storage disabled
    }
    this.mode = ["off", "mentions", "all"].includes(mode) ? mode : "off";
    /** "room/seq" of the messages told of (the newest 500), so that none is told twice. */
    this.told = new Set();
    if (this.mode !== "off" && this.permission() !== "granted") this.mode = "off";
  }

  supported() {
    return "Notification" in window && window.isSecureContext;
  }

  unsupportedReason() {
    if (!("Notification" in window)) return "This browser cannot show desktop notifications.";
    return "Browsers show desktop notifications only for pages served over HTTPS (or from localhost). Run the server with --tls-cert and --tls-key to use them.";
  }

  permission() {
    return "Notification" in window ? Notification.permission : "denied";
  }

  get enabled() {
    return this.mode !== "off";
  }

  save() {
    try {
      localStorage.setItem(STORE, this.mode);
    } catch {
      // storage disabled
    }
  }

  /** Switch to `mode`, asking for permission if needed. Returns a sentence for the user. */
  async choose(mode) {
    if (mode === "off") {
      this.mode = "off";
      this.save();
      return "Desktop notifications are off.";
    }
    if (!this.supported()) {
      this.mode = "off";
      return this.unsupportedReason();
    }
    let permission = this.permission();
    if (permission === "default") {
      try {
        permission = await Notification.requestPermission();
      } catch {
        permission = "denied";
      }
    }
    if (permission !== "granted") {
      this.mode = "off";
      this.save();
      return "Notifications are blocked for this site: allow them in your browser's site settings.";
    }
    this.mode = mode;
    this.save();
    return mode === "all"
      ? "You will be notified of every new message while this page is in the background."
      : "You will be notified of direct messages and mentions while this page is in the background.";
  }

  /** The bell button: on (direct messages and mentions) or off. */
  async toggle() {
    return this.choose(this.enabled ? "off" : "mentions");
  }

  /** A new message arrived; notify if the user is not looking at it (once per message). */
  maybeNotify(msg) {
    const app = this.app;
    const state = app.state;
    if (!this.enabled || this.permission() !== "granted") return;
    if (msg.kind !== "text" || msg.deleted || state.isMe(msg.sender)) return;
    const told = `${msg.room}/${msg.seq}`;
    if (this.told.has(told)) return;
    const room = state.rooms.get(msg.room);
    if (!room || !room.member) return;
    if (msg.room === app.active && app.pageVisible()) return;
    const me = state.me;
    if (this.mode === "mentions" && room.kind !== "dm" && !msg.mentions_all && !mentionsMe(proseOf(msg.body), me && me.username)) return;
    this.told.add(told);
    if (this.told.size > 500) this.told.delete(this.told.values().next().value);
    const who = state.displayName(msg.sender);
    const title = room.kind === "dm" ? who : `${who} in ${app.roomTitle(room)}`;
    // The text as plain text: no formatting marks, no HTML the system might draw.
    const text = plainOf(msg.body);
    try {
      const n = new Notification(title, {
        body: bidiAsText(text.length > 240 ? `${text.slice(0, 240)}…` : text),
        tag: `chinwag:${msg.room}`,
        icon: "/assets/favicon.svg",
      });
      n.onclick = () => {
        window.focus();
        app.selectRoom(msg.room, { focus: true });
        n.close();
      };
    } catch (err) {
      console.warn("chinwag: notification failed", err);
    }
  }
}
