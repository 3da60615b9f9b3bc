// The session over the connection's lifetime: hello, resume or log in, catch up on
// everything missed with no gap (rooms, users, then `sync` from the last seq held in
// each room), fill gaps as they appear, and forget it all on logout or removal.
//
// What keeps the view complete is retried until it works (policy.js, docs/protocol.md
// "Client rules"): a catch-up, a gap fill or a room's first page that fails drops the
// connection, and the next one (after the back-off) resumes and catches up again. Only
// the end of the session stops it: a 4001, 4002 or 4005 close, or `invalid_token` or
// `banned` in answer to any request of the session.

import { RequestError } from "./connection.js";
import { $, setText } from "./dom.js";
import { sentence } from "./dialogs.js";
import { errorAction, sessionEnd } from "./policy.js";
import { TOKEN, load, save } from "./storage.js";

// Requests whose errors are about logging in, not about a session.
const LOGINS = new Set(["login", "register", "resume"]);

const PAGE = 50;
// Scrolling back: the largest page the server gives, as few round trips as can be.
const OLDER_PAGE = 200;

export class Session {
  constructor(app) {
    this.app = app;
    this.token = load(TOKEN);
    // Bumped on every (re)connection and logout: work begun under an older one is dropped.
    this.gen = 0;
    this.loading = new Map();
    this.syncing = new Set();
    this.resync = new Set();
    this.kickedBy = null;
    this.usersTimer = 0;
  }

  onHello(frame) {
    const app = this.app;
    this.gen += 1;
    // The server tells again every mute in force after the resume or login.
    app.muting.reset();
    app.ready = false;
    app.hello = frame;
    if (frame.protocol !== 1) {
      app.conn.stop();
      app.showView("boot");
      setText($("boot-text"), `This server speaks protocol ${frame.protocol}; this page speaks protocol 1. Reload the page.`);
      return;
    }
    if (this.token) {
      this.resume();
    } else {
      app.conn.healthy();
      app.login.show();
    }
  }

  async resume() {
    const gen = this.gen;
    let reply;
    try {
      reply = await this.app.conn.request("resume", { token: this.token });
    } catch (e) {
      if (gen !== this.gen) return;
      if (e instanceof RequestError && this.ended(e)) return;
      // Refused for now (`unavailable`, `internal_error`...): a failed attempt; timed
      // out: the socket is already being replaced. Either way, back off and resume.
      this.app.conn.abandon(`resume failed: ${e.message}`);
      return;
    }
    if (gen === this.gen) await this.loggedIn(reply);
  }

  /** If `error` ends the session (`invalid_token`, `banned`), end it and say so. */
  ended(error) {
    const action = errorAction(error.code);
    if (action !== "sign_out" && action !== "banned") return false;
    this.forget();
    this.gen += 1;
    this.app.conn.stop();
    if (action === "banned") this.app.login.show(sentence(error.message));
    else this.app.login.show("Your session has ended. Log in again.");
    return true;
  }

  /** Any request of the session refused: what the refusal says about the session or the
   * connection, before the request's caller hears of it. */
  onRefused({ type, error }) {
    if (!this.token || LOGINS.has(type) || type === "logout") return;
    if (this.ended(error)) return;
    if (errorAction(error.code) === "reconnect") this.app.conn.abandon(`${type}: ${error.code}`);
  }

  /** A request that keeps the view complete failed outside the catch-up: unless it was
   * refused for good (the room was left meanwhile), reconnect and catch up. */
  keepComplete(error) {
    if (error instanceof RequestError && errorAction(error.code) !== "fail" && this.app.ready) {
      this.app.conn.abandon(`${error.code}: catching up again`);
    }
  }

  async loggedIn(reply) {
    const app = this.app;
    const gen = this.gen;
    this.token = reply.token;
    save(TOKEN, reply.token);
    const switched = app.state.setMe(reply.user);
    if (switched) {
      app.reads.reset();
      app.active = null;
      app.compose.forget();
      app.thread.forget();
      app.files.forget();
    }
    if (app.view !== "app") {
      app.showView("app");
      // Logged in: the next thing to do is to write.
      app.composer.focus();
    }
    app.renderChrome();
    try {
      await this.catchUp(gen);
    } catch (e) {
      // Never left half caught up: a new connection, after the back-off, tries again
      // (unless the failure ended the session, or the socket is gone already).
      if (gen === this.gen && this.token) this.app.conn.abandon(`catching up failed: ${e.message}`);
      return;
    }
    if (gen !== this.gen) return;
    app.ready = true;
    app.restarting = 0;
    app.muting.tell();
    app.conn.healthy();
    // Presence is known again: the lists show who is online.
    app.schedule("members", "sidebar", "header");
    app.reads.resume();
    app.renderStatus();
    app.compose.restore();
    app.schedule("pending", "sidebar");
    app.compose.pump();
  }

  /** After every (re)connection: rooms, users, then everything missed, with no gap. */
  async catchUp(gen) {
    const app = this.app;
    const state = app.state;
    const [rooms, users] = await Promise.all([
      app.conn.requestAll("rooms", {}, "rooms"),
      app.conn.requestAll("users", {}, "users"),
    ]);
    if (gen !== this.gen) return;
    state.setUsers(users.users);
    // Before the rooms: a room read on another device is read before it is first drawn.
    app.reads.fromRooms(rooms.read);
    state.setRooms(rooms.rooms);
    const mine = state.memberRooms();
    if (!app.active || !state.rooms.get(app.active)?.member) {
      const saved = app.rooms.remembered();
      const pick = mine.find((r) => r.id === saved) || mine.find((r) => r.id === "general") || mine[0];
      if (pick) app.selectRoom(pick.id);
    } else {
      app.renderHeader();
      app.memberList.render();
    }
    const loaded = mine.filter((r) => state.timeline(r.id).loaded).map((r) => r.id);
    const fresh = mine.filter((r) => !state.timeline(r.id).loaded).map((r) => r.id);
    // A room refused for good now (left or removed meanwhile) must not hold up the
    // others; anything else fails the catch-up, which is then tried again.
    const refusedOnly = (e) => {
      if (!(e instanceof RequestError) || errorAction(e.code) !== "fail") throw e;
    };
    await Promise.all([this.syncRooms(loaded, gen), this.loadNewestMany(fresh, gen).catch(refusedOnly)]);
    if (gen !== this.gen) return;
    state.readKnown = true;
    if (app.active) app.rooms.loadMembers(app.active);
  }

  /** The newest page of a room we hold nothing of. */
  loadNewest(roomId, gen = this.gen) {
    const state = this.app.state;
    const tl = state.timeline(roomId);
    if (tl.loaded) return Promise.resolve();
    const running = this.loading.get(roomId);
    if (running) return running;
    // The room's change number before its history: no edit after it can slip by.
    const mark = state.rooms.get(roomId)?.last_change || 0;
    const job = (async () => {
      try {
        const reply = await this.app.conn.request("history", { room: roomId, limit: PAGE });
        if (gen !== this.gen || !state.timelines.has(roomId)) return;
        tl.setNewest(reply.messages, reply.more);
        if (tl.change === null) tl.change = mark;
        state.initRead(roomId, tl.last);
        state.changed("timeline", { room: roomId, changed: [], reset: true });
        if (tl.gap) await this.syncRooms([roomId], gen);
      } finally {
        this.loading.delete(roomId);
      }
    })();
    this.loading.set(roomId, job);
    return job;
  }

  /**
   * The newest page of every room we hold nothing of, by `sync` from a page before each
   * room's last seq: one request for up to a hundred rooms, where a `history` per room
   * would be hundreds at a login (and meet the server's request budgets).
   */
  async loadNewestMany(ids, gen = this.gen) {
    const state = this.app.state;
    const since = {};
    for (const id of ids) since[id] = Math.max(0, (state.rooms.get(id)?.last_seq || 0) - PAGE);
    const marks = new Map(ids.map((id) => [id, state.rooms.get(id)?.last_change || 0]));
    const got = new Map();
    let pending = { ...since };
    for (let round = 0; round < 10000 && Object.keys(pending).length; round += 1) {
      const reply = await this.app.conn.request("sync", { since: pending, limit: PAGE });
      if (gen !== this.gen) return;
      for (const msg of reply.messages) {
        if (!got.has(msg.room)) got.set(msg.room, []);
        got.get(msg.room).push(msg);
      }
      const next = {};
      for (const id of reply.more) {
        if (!(id in pending)) continue;
        const list = got.get(id);
        next[id] = list ? list[list.length - 1].seq : pending[id];
      }
      pending = next;
    }
    for (const id of ids) {
      const tl = state.timelines.get(id);
      if (!tl || tl.loaded) continue; // forgotten (left) or loaded meanwhile
      tl.setNewest(got.get(id) || [], since[id] > 0);
      if (tl.change === null) tl.change = marks.get(id);
      state.initRead(id, tl.last);
      state.changed("timeline", { room: id, changed: [], reset: true });
    }
  }

  /** `sync` from the last seq held in each room, again while `more` says so. */
  async syncRooms(ids, gen = this.gen) {
    const state = this.app.state;
    let since = {};
    for (const id of ids) {
      const tl = state.timeline(id);
      if (tl.loaded) since[id] = tl.last;
    }
    for (let round = 0; round < 10000 && Object.keys(since).length; round += 1) {
      const changes = {};
      for (const id of Object.keys(since)) {
        const mark = state.timeline(id).change;
        if (mark !== null) changes[id] = mark;
      }
      const reply = await this.app.conn.request("sync", { since, changes, limit: this.app.syncLimit });
      if (gen !== this.gen) return;
      const gaps = state.addMessages(reply.messages);
      // Edited, deleted, reacted to, pinned or replied to in a thread while this page
      // was away: as if the events had come.
      for (const msg of reply.changed || []) {
        if (msg.deleted) state.deleteMessage(msg.room, msg.seq);
        else state.updateMessage(msg);
      }
      for (const [id, mark] of Object.entries(reply.changes || {})) {
        const tl = state.timelines.get(id);
        if (tl) tl.change = Math.max(tl.change || 0, mark);
      }
      const next = {};
      for (const id of reply.more) next[id] = state.timeline(id).last;
      for (const id of gaps) {
        const last = state.timeline(id).last;
        if (id in since && last > since[id]) next[id] = last;
      }
      since = next;
    }
  }

  fillGap(roomId) {
    const state = this.app.state;
    if (!state.timeline(roomId).loaded) return;
    if (this.syncing.has(roomId)) {
      this.resync.add(roomId);
      return;
    }
    this.syncing.add(roomId);
    this.syncRooms([roomId])
      .catch((e) => this.keepComplete(e))
      .finally(() => {
        this.syncing.delete(roomId);
        if (this.resync.delete(roomId) && state.timeline(roomId).gap) this.fillGap(roomId);
      });
  }

  /** The page of messages before the oldest one held, when the user scrolls up. */
  async loadOlder(roomId) {
    const app = this.app;
    const tl = app.state.timelines.get(roomId);
    if (!tl || !tl.loaded || !tl.hasOlder || tl.loadingOlder || !app.conn.open || !app.state.me) return;
    tl.loadingOlder = true;
    if (roomId === app.active) app.timeline.renderTop();
    try {
      const reply = await app.conn.request("history", { room: roomId, before: tl.first, limit: OLDER_PAGE });
      if (app.state.timelines.get(roomId) === tl) tl.addOlder(reply.messages, reply.more);
    } catch {
      // retried on the next scroll
    } finally {
      tl.loadingOlder = false;
    }
    app.state.changed("timeline", { room: roomId, changed: [] });
  }

  /** Users we have not heard of yet (a presence event names them): fetch the list soon. */
  refreshUsersSoon() {
    if (this.usersTimer) return;
    this.usersTimer = setTimeout(async () => {
      this.usersTimer = 0;
      try {
        const reply = await this.app.conn.requestAll("users", {}, "users");
        this.app.state.setUsers(reply.users);
      } catch {
        // the next reconnection refreshes them
      }
    }, 300);
  }

  onClose({ code, reason }) {
    const app = this.app;
    app.ready = false;
    // Nobody is shown as online while this page cannot know.
    app.schedule("members", "sidebar", "header");
    this.gen += 1;
    app.hello = null;
    for (const p of app.state.pending) if (p.status === "sending") app.state.setPending(p, "queued");
    const kicked = this.kickedBy;
    this.kickedBy = null;
    const by = kicked && kicked.by ? ` by ${app.state.displayName(kicked.by)}` : "";
    const why = kicked && kicked.reason ? `: ${kicked.reason}` : "";
    const end = sessionEnd(code);
    if (end === "kicked") {
      this.forget();
      app.login.show(`You were removed from the server${by}${why}. You may log in again.`);
    } else if (end === "banned") {
      this.forget();
      app.login.show(`This account was banned${by}${why || (reason ? `: ${reason}` : "")}.`);
    } else if (end === "revoked") {
      this.forget();
      app.login.show("Your password was changed on another device. Log in again.");
    }
    app.renderStatus();
  }

  /** Drop the token and everything of this user's: the next user starts clean. */
  forget() {
    const app = this.app;
    this.token = null;
    save(TOKEN, null);
    app.unsent.detach();
    app.reads.reset();
    app.ready = false;
    app.compose.forget();
    app.thread.forget();
    app.files.forget();
    app.muting.forget();
    app.state.reset();
    app.active = null;
    app.composer.value = "";
  }

  async logout() {
    // A shared computer keeps nothing of this user's, unsent messages included.
    if (this.app.state.me) this.app.unsent.clear(this.app.state.me.username);
    try {
      await this.app.conn.request("logout");
    } catch {
      // The session ends on the server with the token; forget it here anyway.
    }
    this.forget();
    this.gen += 1;
    this.app.login.show("You have logged out.");
  }
}
