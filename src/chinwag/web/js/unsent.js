// Messages typed but not yet stored by the server, mirrored in localStorage so that a
// reload or a closed tab does not lose them: the next visit sends them with the same
// client_msg_id, so the server stores each once. Entries are keyed by that id, and each
// tab adds and removes only its own, so tabs of one user do not overwrite each other.

import { load, save } from "./storage.js";

const UNSENT = "chinwag.unsent";

function read() {
  try {
    const all = JSON.parse(load(UNSENT) || "{}");
    return all && typeof all === "object" && !Array.isArray(all) ? all : {};
  } catch {
    return {};
  }
}

function write(all) {
  save(UNSENT, Object.keys(all).length ? JSON.stringify(all) : null);
}

const sameUser = (a, b) => typeof a === "string" && a.toLowerCase() === b.toLowerCase();

export class UnsentStore {
  constructor() {
    this.mine = new Set();
  }

  /** Mirror this tab's pending messages of `username`. */
  sync(username, pending) {
    if (!username) return;
    const all = read();
    const now = new Set();
    let dirty = false;
    for (const p of pending) {
      now.add(p.cid);
      this.mine.add(p.cid);
      // New, or given its files, the message it replies to or its thread since it was
      // written down.
      const had = all[p.cid];
      if (
        !had ||
        (p.attachments && !had.attachments) ||
        (p.reply_to && had.reply_to !== p.reply_to) ||
        (p.thread != null && had.thread !== p.thread)
      ) {
        all[p.cid] = { user: username, room: p.room, body: p.body, ts: p.ts };
        if (p.attachments) Object.assign(all[p.cid], { attachments: p.attachments, files: p.files });
        if (p.reply_to) all[p.cid].reply_to = p.reply_to;
        if (p.thread != null) Object.assign(all[p.cid], { thread: p.thread, in_room: !!p.in_room });
        dirty = true;
      }
    }
    for (const cid of this.mine) {
      if (now.has(cid)) continue;
      this.mine.delete(cid);
      if (cid in all) {
        delete all[cid];
        dirty = true;
      }
    }
    if (dirty) write(all);
  }

  /** Stop mirroring (the session ended, not by logging out): what is stored stays. */
  detach() {
    this.mine.clear();
  }

  /** What `username` left unsent here, in any tab or visit, oldest first. */
  left(username) {
    const found = [];
    for (const [cid, u] of Object.entries(read())) {
      if (u && sameUser(u.user, username) && typeof u.room === "string" && typeof u.body === "string") {
        const entry = { cid, room: u.room, body: u.body, ts: Number(u.ts) || 0 };
        if (Array.isArray(u.attachments)) Object.assign(entry, { attachments: u.attachments, files: Array.isArray(u.files) ? u.files : [] });
        if (Number.isInteger(u.reply_to)) entry.reply_to = u.reply_to;
        if (Number.isInteger(u.thread)) Object.assign(entry, { thread: u.thread, in_room: u.in_room === true });
        found.push(entry);
      }
    }
    return found.sort((a, b) => a.ts - b.ts);
  }

  /** Forget one entry (its room is gone). */
  drop(cid) {
    const all = read();
    if (cid in all) {
      delete all[cid];
      write(all);
    }
    this.mine.delete(cid);
  }

  /** Logging out: forget everything `username` left unsent on this browser. */
  clear(username) {
    const all = read();
    for (const [cid, u] of Object.entries(all)) if (!u || sameUser(u.user, username)) delete all[cid];
    write(all);
    this.mine.clear();
  }
}
