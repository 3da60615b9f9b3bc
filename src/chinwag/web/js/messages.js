// The messages of one room that the client holds: a gap-free run, deduplicated by seq,
// with edits, deletions and reactions applied in place (no DOM).

/** Whether a message shows in its room's timeline: not a thread reply kept to its
 * thread (one sent "also to the room" shows in both). */
export function inRoom(msg) {
  return msg.thread == null || msg.in_room === true;
}

/**
 * The messages of one room that this client holds. `first..last` is a run with no
 * holes; only that run is shown. A message beyond `last + 1` (after a gap) is kept
 * aside until what is missing has been fetched.
 */
export class Timeline {
  constructor(room) {
    this.room = room;
    this.msgs = new Map();
    this.first = 1;
    this.last = 0;
    this.maxHeld = 0;
    this.loaded = false;
    this.hasOlder = false;
    this.loadingOlder = false;
    // The room's change number (edits, deletions) this timeline is up to date with.
    this.change = null;
  }

  /** "new", "changed" or null (a duplicate). */
  put(msg) {
    const old = this.msgs.get(msg.seq);
    if (old) {
      const edited = !old.deleted && msg.edited_ts && msg.edited_ts !== old.edited_ts;
      if ((msg.deleted && !old.deleted) || edited) {
        this.msgs.set(msg.seq, msg);
        return "changed";
      }
      return null;
    }
    this.msgs.set(msg.seq, msg);
    if (msg.seq > this.maxHeld) this.maxHeld = msg.seq;
    if (this.loaded) this.advance();
    return "new";
  }

  advance() {
    while (this.msgs.has(this.last + 1)) this.last += 1;
  }

  /** Whether messages are held beyond a hole after `last`. */
  get gap() {
    return this.loaded && this.maxHeld > this.last;
  }

  /** The newest page, from `history` without `before`. */
  setNewest(messages, more) {
    for (const m of messages) this.put(m);
    if (messages.length) {
      this.first = messages[0].seq;
      this.last = messages[messages.length - 1].seq;
    } else {
      this.first = 1;
      this.last = 0;
    }
    this.hasOlder = more && this.first > 1;
    this.loaded = true;
    this.advance();
  }

  /** An older page, from `history` with `before = first`. */
  addOlder(messages, more) {
    for (const m of messages) this.put(m);
    if (messages.length) this.first = Math.min(this.first, messages[0].seq);
    this.hasOlder = more && messages.length > 0 && this.first > 1;
  }

  /** A held message as it now is (an edit, or its reactions, pin or thread summary
   * changed); false if it is not held or nothing changed. A deletion stays one. */
  update(msg) {
    const old = this.msgs.get(msg.seq);
    if (!old || old.deleted) return false;
    if ((old.changed || 0) > (msg.changed || 0)) return false; // a late copy
    if (msg.deleted) return this.markDeleted(msg.seq);
    if (JSON.stringify(old) === JSON.stringify(msg)) return false;
    this.msgs.set(msg.seq, msg);
    return true;
  }

  /** An edit of a held message that is not deleted; false if nothing changes. */
  replace(msg) {
    const old = this.msgs.get(msg.seq);
    if (!old || old.deleted || msg.deleted || old.edited_ts === msg.edited_ts) return false;
    if ((old.changed || 0) > (msg.changed || 0)) return false; // a late copy
    this.msgs.set(msg.seq, msg);
    return true;
  }

  markDeleted(seq) {
    const old = this.msgs.get(seq);
    if (!old || old.deleted) return false;
    this.msgs.set(seq, { ...old, body: "", deleted: true });
    return true;
  }

  get(seq) {
    return this.msgs.get(seq);
  }

  /** The shown run, oldest first. */
  shown() {
    const out = [];
    for (let s = this.first; s <= this.last; s += 1) {
      const m = this.msgs.get(s);
      if (m) out.push(m);
    }
    return out;
  }

  newestTs() {
    const m = this.msgs.get(this.last);
    return m ? m.ts : 0;
  }
}
