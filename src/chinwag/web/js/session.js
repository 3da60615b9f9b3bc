// The session over the connection's lifetime: hello, resume or log in, catch up on
// everything missed with no gap (rooms, users, then `sync` from the last seq held in
// each room), fill gaps as they appear, and forget it all on logout or removal.

import { ConnectionLost, RequestError } from "./connection.js";
import { $, setText } from "./dom.js";
import { sentence } from "./dialogs.js";
import { TOKEN, load, save } from "./storage.js";

const PAGE = 50;

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
    try {
      const reply = await this.app.conn.request("resume", { token: this.token });
      if (gen !== this.gen) return;
      await this.loggedIn(reply);
    } catch (e) {
      if (gen !== this.gen || !(e instanceof RequestError)) return;
      this.forget();
      if (e.code === "banned") this.app.login.show(`This account is banned. ${sentence(e.message)}`);
      else this.app.login.show("Your session has ended. Log in again.");
      this.app.conn.healthy();
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
    }
    if (app.view !== "app") app.showView("app");
    app.renderChrome();
    try {
      await this.catchUp(gen);
    } catch (e) {
      if (!(e instanceof ConnectionLost)) console.error("chinwag: catching up failed", e);
      return;
    }
    if (gen !== this.gen) return;
    app.ready = true;
    app.conn.healthy();
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
    const [rooms, users] = await Promise.all([app.conn.request("rooms"), app.conn.request("users")]);
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
    // A room refused now (left or removed meanwhile) must not hold up the others.
    const refusedOnly = (e) => {
      if (!(e instanceof RequestError)) throw e;
    };
    await Promise.all([
      this.syncRooms(loaded, gen),
      ...fresh.map((id) => this.loadNewest(id, gen).catch(refusedOnly)),
    ]);
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
      // Edited or deleted while this page was away: as if the events had come.
      for (const msg of reply.changed || []) {
        if (msg.deleted) state.deleteMessage(msg.room, msg.seq);
        else state.editMessage(msg);
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
      .catch(() => {})
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
      const reply = await app.conn.request("history", { room: roomId, before: tl.first, limit: PAGE });
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
        const reply = await this.app.conn.request("users");
        this.app.state.setUsers(reply.users);
      } catch {
        // the next reconnection refreshes them
      }
    }, 300);
  }

  onClose({ code, reason }) {
    const app = this.app;
    app.ready = false;
    this.gen += 1;
    app.hello = null;
    for (const p of app.state.pending) if (p.status === "sending") app.state.setPending(p, "queued");
    const kicked = this.kickedBy;
    this.kickedBy = null;
    const by = kicked && kicked.by ? ` by ${app.state.displayName(kicked.by)}` : "";
    const why = kicked && kicked.reason ? `: ${kicked.reason}` : "";
    if (code === 4001) {
      this.forget();
      app.login.show(`You were removed from the server${by}${why}. You may log in again.`);
    } else if (code === 4002) {
      this.forget();
      app.login.show(`This account was banned${by}${why || (reason ? `: ${reason}` : "")}.`);
    } else if (code === 4005) {
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
