// Being muted: the `muted` and `unmuted` events, told to the user at once with the time
// left in words, and the message box of every room a mute covers disabled, saying why.
// The server sends a `muted` for each mute in force after every login and resume, so
// what was known is forgotten on each new connection.

import { formatDuration } from "./format.js";

/** "for 59 minutes", "for 2 hours", or "until you are unmuted" (no end). */
export function timeLeft(until, now = Date.now()) {
  if (until === null || until === undefined) return "until you are unmuted";
  return `for ${formatDuration(Math.max(1, (until - now) / 1000))}`;
}

export class Muting {
  constructor(app) {
    this.app = app;
    // Room id, or "" for server-wide -> the `muted` event.
    this.mutes = new Map();
    // What the user was told (key -> until), so that a reconnect does not tell it again;
    // and what waits to be told until the rooms' names are known.
    this.told = new Map();
    this.untold = [];
    this.timer = 0;
  }

  /** A new connection: the server tells again what is in force. */
  reset() {
    this.mutes.clear();
    this.untold = [];
    this.changed();
  }

  /** Another user, or none: nothing told to the last one counts. */
  forget() {
    this.told.clear();
    this.reset();
  }

  where(room) {
    if (room === null || room === undefined) return "on this server";
    const r = this.app.state.rooms.get(room);
    return `in ${r ? this.app.roomTitle(r) : `#${room}`}`;
  }

  onMuted(frame) {
    const key = frame.room ?? "";
    this.mutes.set(key, frame);
    if (this.told.get(key) !== frame.until) {
      this.untold.push(frame);
      if (this.app.ready) this.tell();
    }
    this.changed();
  }

  /** Tell of the mutes not told yet (once the rooms are known: their names are said). */
  tell() {
    for (const frame of this.untold) {
      const key = frame.room ?? "";
      const what = this.told.has(key) ? "Your mute changed: you are now muted" : "You are muted";
      this.told.set(key, frame.until);
      const by = frame.by ? ` by ${frame.by_display_name || this.app.state.displayName(frame.by)}` : "";
      const why = frame.reason ? `: ${frame.reason}` : "";
      this.app.toast(`${what} ${this.where(frame.room)} ${timeLeft(frame.until)}${by}${why}.`, "error", 15000);
    }
    this.untold = [];
  }

  onUnmuted(frame) {
    const key = frame.room ?? "";
    this.told.delete(key);
    this.untold = this.untold.filter((f) => (f.room ?? "") !== key);
    if (!this.mutes.delete(key)) return;
    this.app.toast(`You can write ${this.where(frame.room)} again.`, "notice");
    this.changed();
  }

  /** The mute that stops the user writing in `roomId`, if any (the one that ends last). */
  forRoom(roomId, now = Date.now()) {
    let found = null;
    for (const key of [roomId, ""]) {
      const m = this.mutes.get(key);
      if (!m || (m.until !== null && m.until <= now)) continue;
      if (!found || m.until === null || (found.until !== null && m.until > found.until)) found = m;
    }
    return found;
  }

  /** What the message box says while `roomId` is muted, or null. */
  notice(roomId) {
    const m = this.forRoom(roomId);
    if (!m) return null;
    return `You are muted ${this.where(m.room)} ${timeLeft(m.until)}${m.reason ? `: ${m.reason}` : ""}.`;
  }

  changed() {
    this.app.compose.renderMuted();
    clearTimeout(this.timer);
    if (!this.mutes.size) return;
    // The time left in words, kept current; and a mute that ran out is lifted here
    // too, should the server's `unmuted` be late.
    let next = 30000;
    const now = Date.now();
    for (const m of this.mutes.values()) if (m.until !== null) next = Math.min(next, Math.max(250, m.until - now + 250));
    this.timer = setTimeout(() => {
      for (const [key, m] of this.mutes) if (m.until !== null && m.until <= Date.now()) this.mutes.delete(key);
      this.changed();
    }, next);
  }
}
