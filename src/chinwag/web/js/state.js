// The client's view of the chat, without any DOM: rooms, users, members, timelines
// (deduplicated by room and seq, gap-free), unsent messages, read positions, typing.
//
// Every change calls `onChange(kind, detail)`; the UI decides what to redraw.

import { inRoom, Timeline } from "./messages.js";

export function key(username) {
  return String(username).toLowerCase();
}

export function sameUser(a, b) {
  return a != null && b != null && key(a) === key(b);
}

/** A random id for `client_msg_id`; crypto.randomUUID needs HTTPS, this does not. */
export function newClientMsgId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `w-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

const TYPING_MS = 5000;

export class ChatState {
  constructor(onChange) {
    this.onChange = onChange;
    this.reset();
  }

  reset() {
    this.me = null;
    this.rooms = new Map();
    this.users = new Map();
    this.timelines = new Map();
    this.members = new Map();
    this.typing = new Map();
    this.pending = [];
    this.read = {};
    this.readKnown = false;
    // "room/seq" of messages deleted that this page does not hold (quoted ones)
    this.deletedAway = new Set();
  }

  changed(kind, detail = {}) {
    this.onChange(kind, detail);
  }

  // -- me and users --------------------------------------------------------------------

  setMe(user) {
    const switched = !this.me || !sameUser(this.me.username, user.username);
    if (switched) {
      this.reset();
      this.loadRead(user.username);
    }
    this.me = user;
    this.users.set(key(user.username), user);
    this.changed("me");
    return switched;
  }

  isMe(username) {
    return this.me != null && sameUser(this.me.username, username);
  }

  user(username) {
    return this.users.get(key(username)) || null;
  }

  displayName(username) {
    const u = this.user(username);
    return u ? u.display_name : username;
  }

  setUsers(list) {
    this.users = new Map(list.map((u) => [key(u.username), u]));
    if (this.me) {
      const mine = this.users.get(key(this.me.username));
      if (mine) this.me = mine;
    }
    this.changed("users");
  }

  updateUser(user) {
    const old = this.user(user.username);
    this.users.set(key(user.username), user);
    if (this.isMe(user.username)) {
      this.me = user;
      this.changed("me");
    }
    this.changed("users", { user, renamed: !old || old.display_name !== user.display_name || old.color !== user.color });
  }

  setPresence(username, online) {
    const u = this.user(username);
    if (u) this.users.set(key(username), { ...u, online });
    else this.users.set(key(username), { username, display_name: username, color: "#6b7280", admin: false, online });
    this.changed("presence", { user: username });
  }

  // -- rooms ---------------------------------------------------------------------------

  setRooms(list) {
    const seen = new Set();
    for (const room of list) {
      seen.add(room.id);
      this.rooms.set(room.id, room);
    }
    for (const id of [...this.rooms.keys()]) {
      if (!seen.has(id)) this.forgetRoom(id, false);
    }
    for (const room of list) if (!room.member) this.dropTimeline(room.id);
    this.changed("rooms");
  }

  upsertRoom(room) {
    const old = this.rooms.get(room.id);
    this.rooms.set(room.id, room);
    this.changed("rooms", { room: room.id, added: !old || !old.member });
    return !old || !old.member;
  }

  /** We are no longer in `id`: keep a public room for browsing, drop its messages. */
  leftRoom(id) {
    const room = this.rooms.get(id);
    if (!room) return;
    if (room.kind === "public") this.rooms.set(id, { ...room, member: false });
    else this.rooms.delete(id);
    this.dropTimeline(id);
    this.changed("rooms", { room: id, removed: true });
  }

  forgetRoom(id, notify = true) {
    this.rooms.delete(id);
    this.dropTimeline(id);
    if (notify) this.changed("rooms", { room: id, removed: true });
  }

  dropTimeline(id) {
    this.timelines.delete(id);
    this.members.delete(id);
    this.typing.delete(id);
    this.pending = this.pending.filter((p) => p.room !== id);
  }

  memberRooms() {
    return [...this.rooms.values()].filter((r) => r.member);
  }

  /** For a DM, the other person's username. */
  dmPeer(room) {
    if (!room || room.kind !== "dm") return null;
    return room.members.find((u) => !this.isMe(u)) || room.members[0] || null;
  }

  roomLabel(room) {
    if (!room) return "";
    if (room.kind === "dm") return this.displayName(this.dmPeer(room));
    return room.name;
  }

  canModerate(room) {
    if (!room || !this.me || room.kind === "dm") return false;
    return this.me.admin || (room.owner != null && this.isMe(room.owner));
  }

  // -- members -------------------------------------------------------------------------

  setMembers(roomId, list) {
    this.members.set(roomId, new Map(list.map((m) => [key(m.user), m])));
    this.changed("members", { room: roomId });
  }

  memberJoined(roomId, username, role) {
    const map = this.members.get(roomId);
    if (map) map.set(key(username), { user: username, role: role || "member" });
    this.changed("members", { room: roomId });
  }

  memberLeft(roomId, username) {
    const map = this.members.get(roomId);
    if (map) map.delete(key(username));
    this.changed("members", { room: roomId });
  }

  // -- timelines -----------------------------------------------------------------------

  timeline(roomId) {
    let tl = this.timelines.get(roomId);
    if (!tl) {
      tl = new Timeline(roomId);
      this.timelines.set(roomId, tl);
    }
    return tl;
  }

  /**
   * Add messages from an event, a reply or a sync. Returns the rooms that now have a
   * gap (a message held beyond a hole), which the caller fills with `sync`.
   */
  addMessages(messages) {
    const gaps = new Set();
    const touched = new Map();
    for (const msg of messages) {
      const room = this.rooms.get(msg.room);
      if (room && !room.member) continue;
      const tl = this.timeline(msg.room);
      const before = tl.last;
      const what = tl.put(msg);
      if (what === null) continue;
      if (msg.client_msg_id && this.isMe(msg.sender)) this.settle(msg.client_msg_id);
      if (msg.kind === "text") this.stopTyping(msg.room, msg.sender);
      const t = touched.get(msg.room) || { before, changed: [] };
      if (what === "changed") t.changed.push(msg.seq);
      touched.set(msg.room, t);
      if (tl.gap) gaps.add(msg.room);
    }
    for (const [room, t] of touched) {
      const tl = this.timeline(room);
      const r = this.rooms.get(room);
      if (r && tl.last > r.last_seq) this.rooms.set(room, { ...r, last_seq: tl.last });
      this.changed("timeline", { room, from: t.before, to: tl.last, changed: t.changed });
    }
    return gaps;
  }

  editMessage(msg) {
    const tl = this.timelines.get(msg.room);
    if (tl && tl.replace(msg)) this.changed("timeline", { room: msg.room, changed: [msg.seq] });
  }

  /** A message as it now is (`message_updated`, `sync`'s `changed`, the reply to a
   * reaction or a pin): replaces the copy held. */
  updateMessage(msg) {
    const tl = this.timelines.get(msg.room);
    if (tl && tl.update(msg)) this.changed("timeline", { room: msg.room, changed: [msg.seq], updated: msg });
    else this.changed("message", { message: msg });
  }

  deleteMessage(roomId, seq) {
    const tl = this.timelines.get(roomId);
    if (tl && tl.markDeleted(seq)) this.changed("timeline", { room: roomId, changed: [seq, ...this.repliesTo(tl, seq)] });
    else if (tl && !tl.get(seq)) {
      // Not held, but quoted by replies that are: they say "original deleted" now.
      this.deletedAway.add(`${roomId}/${seq}`);
      const replies = this.repliesTo(tl, seq);
      if (replies.length) this.changed("timeline", { room: roomId, changed: replies });
    }
  }

  /** The held messages of a timeline that quote message `seq`. */
  repliesTo(tl, seq) {
    const out = [];
    for (const m of tl.msgs.values()) if (m.reply_to && m.reply_to.seq === seq) out.push(m.seq);
    return out;
  }

  // -- read positions and unread counts ----------------------------------------------

  readKey(username) {
    return `chinwag.read.${key(username)}`;
  }

  loadRead(username) {
    try {
      const raw = localStorage.getItem(this.readKey(username));
      this.read = raw ? JSON.parse(raw) : {};
      this.readKnown = raw !== null;
    } catch {
      this.read = {};
      this.readKnown = false;
    }
  }

  saveRead() {
    if (!this.me) return;
    try {
      localStorage.setItem(this.readKey(this.me.username), JSON.stringify(this.read));
    } catch {
      // Storage full or disabled: unread counts last for this page only.
    }
  }

  /**
   * Read positions from elsewhere: another tab of the same account, or the server (what
   * was read on another device). Each room only moves forward. Returns the rooms moved.
   */
  mergeRead(other, { store = false } = {}) {
    const moved = [];
    for (const [room, seq] of Object.entries(other || {})) {
      if (typeof seq === "number" && seq > (this.read[room] || 0)) {
        this.read[room] = seq;
        moved.push(room);
      }
    }
    if (moved.length) {
      if (store) this.saveRead();
      this.changed("unread", { rooms: moved });
    }
    return moved;
  }

  /**
   * The first time this browser sees an account, everything before now counts as read;
   * after that, a room we did not know of (a new DM, an invitation) starts unread.
   */
  initRead(roomId, lastSeq) {
    if (!(roomId in this.read)) {
      this.read[roomId] = this.readKnown ? 0 : lastSeq;
      this.saveRead();
    }
  }

  readSeq(roomId) {
    return this.read[roomId] || 0;
  }

  markRead(roomId) {
    const tl = this.timelines.get(roomId);
    if (!tl || !tl.loaded) return false;
    if ((this.read[roomId] || 0) >= tl.last) return false;
    this.read[roomId] = tl.last;
    this.saveRead();
    this.changed("unread", { room: roomId });
    return true;
  }

  /** {count, more}: text messages from others after the read position. */
  unread(roomId) {
    const tl = this.timelines.get(roomId);
    if (!tl || !tl.loaded) return { count: 0, more: false };
    const read = this.read[roomId] || 0;
    let count = 0;
    for (let s = tl.last; s > read && s >= tl.first; s -= 1) {
      const m = tl.msgs.get(s);
      if (m && m.kind === "text" && !m.deleted && !this.isMe(m.sender) && inRoom(m)) count += 1;
    }
    return { count, more: tl.hasOlder && read < tl.first - 1 };
  }

  totalUnread() {
    let n = 0;
    for (const room of this.memberRooms()) n += this.unread(room.id).count;
    return n;
  }

  // -- sending -------------------------------------------------------------------------

  addPending(roomId, body, cid = newClientMsgId(), ts = Date.now()) {
    const p = { cid, room: roomId, body, status: "queued", error: "", ts };
    this.pending.push(p);
    this.changed("pending", { room: roomId });
    return p;
  }

  findPending(cid) {
    return this.pending.find((p) => p.cid === cid) || null;
  }

  setPending(p, status, error = "") {
    if (!this.pending.includes(p)) return;
    p.status = status;
    p.error = error;
    this.changed("pending", { room: p.room });
  }

  /** The server has the message: it is no longer pending. */
  settle(cid) {
    const p = this.findPending(cid);
    if (!p) return;
    this.pending = this.pending.filter((x) => x !== p);
    this.changed("pending", { room: p.room });
  }

  discard(p) {
    this.pending = this.pending.filter((x) => x !== p);
    this.changed("pending", { room: p.room });
  }

  pendingIn(roomId) {
    return this.pending.filter((p) => p.room === roomId);
  }

  // -- typing --------------------------------------------------------------------------

  startTyping(roomId, username) {
    if (this.isMe(username)) return;
    let map = this.typing.get(roomId);
    if (!map) {
      map = new Map();
      this.typing.set(roomId, map);
    }
    map.set(key(username), { user: username, until: Date.now() + TYPING_MS });
    this.changed("typing", { room: roomId });
  }

  stopTyping(roomId, username) {
    const map = this.typing.get(roomId);
    if (map && map.delete(key(username))) this.changed("typing", { room: roomId });
  }

  /** Who is typing in a room now; forgets the expired. */
  typists(roomId, now = Date.now()) {
    const map = this.typing.get(roomId);
    if (!map) return [];
    const out = [];
    for (const [k, t] of map) {
      if (t.until <= now) map.delete(k);
      else out.push(t.user);
    }
    return out;
  }

  nextTypingExpiry() {
    let next = Infinity;
    for (const map of this.typing.values()) for (const t of map.values()) next = Math.min(next, t.until);
    return next;
  }
}
