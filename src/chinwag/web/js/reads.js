// Read positions shared with the server, so that a room read on one device (another
// tab, the desktop app) is read on all. What the user reads here goes out as `mark_read`,
// at most about once a second per room and always ending with the newest position;
// what they read elsewhere comes back as `read` events and in each `rooms` reply, and
// moves the position here forward (never back). The local store stays the fallback.

import { ConnectionLost } from "./connection.js";

const SPACING_MS = 1000;

export class ReadSync {
  constructor(app) {
    this.app = app;
    this.gen = 0;
    this.timers = new Map();
    this.reset();
  }

  /** A new user, or none: forget everything, cancel what was about to go out. */
  reset() {
    this.gen += 1;
    for (const timer of this.timers.values()) clearTimeout(timer);
    // room -> timeout of the send to come
    this.timers = new Map();
    // room -> highest seq sent to the server or heard from it
    this.told = new Map();
    // room -> when its last mark_read went out
    this.lastSent = new Map();
    // rooms read while not connected or not caught up yet
    this.waiting = new Set();
  }

  known(room) {
    return this.told.get(room) || 0;
  }

  /** The user read `room` further here: tell the server, now or within a second. */
  readHere(room) {
    if (this.app.state.readSeq(room) <= this.known(room) || this.timers.has(room)) return;
    const last = this.lastSent.get(room);
    const wait = last === undefined ? 0 : Math.max(0, last + SPACING_MS - Date.now());
    this.timers.set(room, setTimeout(() => this.send(room), wait));
  }

  send(room) {
    this.timers.delete(room);
    const app = this.app;
    const seq = app.state.readSeq(room);
    const before = this.known(room);
    if (seq <= before) return;
    if (!app.ready || !app.conn.open) {
      this.waiting.add(room);
      return;
    }
    if (!app.state.rooms.get(room)?.member) return;
    const gen = this.gen;
    this.told.set(room, seq);
    this.lastSent.set(room, Date.now());
    app.conn.request("mark_read", { room, seq }).catch((e) => {
      // Not kept: the next read here, or the next connection, sends it again.
      if (gen !== this.gen || this.told.get(room) !== seq) return;
      this.told.set(room, before);
      if (e instanceof ConnectionLost) this.waiting.add(room);
    });
  }

  /** Connected and caught up: send what was read meanwhile. */
  resume() {
    const rooms = [...this.waiting];
    this.waiting.clear();
    for (const room of rooms) this.readHere(room);
  }

  /** The `read` map of a `rooms` reply: the server's markers after a (re)connection. */
  fromRooms(read) {
    for (const [room, seq] of Object.entries(read || {})) {
      if (typeof seq === "number" && seq > this.known(room)) this.told.set(room, seq);
    }
    this.apply(read);
  }

  /** A `read` event: read on another device (or our own mark_read coming back). */
  heard(room, seq) {
    if (typeof seq !== "number") return;
    if (seq > this.known(room)) this.told.set(room, seq);
    this.apply({ [room]: seq });
  }

  apply(read) {
    const app = this.app;
    const moved = app.state.mergeRead(read, { store: true });
    const active = app.active;
    if (active && moved.includes(active)) app.timeline.readElsewhere(app.state.readSeq(active));
  }
}
