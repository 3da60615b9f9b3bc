// The chinwag browser client: the controller that ties the connection, the state and
// the views together. Plain ES modules, no build step, nothing fetched from elsewhere.

import { Connection, ConnectionLost, RequestError } from "./connection.js";
import { $, fillIcons, h, icon, setText } from "./dom.js";
import { formatDuration, readableColor } from "./format.js";
import { ChatState } from "./state.js";
import { TimelineView, avatar, richText } from "./timeline.js";
import { MemberList, RoomList, presenceDot } from "./sidebar.js";
import {
  confirmDialog,
  dmDialog,
  roomDialog,
  roomsDialog,
  sentence,
  settingsDialog,
  userDialog,
} from "./dialogs.js";
import { Notifier } from "./notify.js";

const TOKEN = "chinwag.token";
const LAST_USER = "chinwag.lastUser";
const THEME = "chinwag.theme";
const MEMBERS_PANEL = "chinwag.membersPanel";
const TYPING_EVERY = 3000;
const PAGE = 50;

function storage(get, keyName, value) {
  try {
    if (get) return localStorage.getItem(keyName);
    if (value === null) localStorage.removeItem(keyName);
    else localStorage.setItem(keyName, value);
  } catch {
    // storage disabled: nothing is remembered
  }
  return null;
}

function wsUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function codePoints(s) {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

class App {
  constructor() {
    this.state = new ChatState((kind, detail) => this.onStateChange(kind, detail));
    this.conn = new Connection(wsUrl());
    this.notifier = new Notifier(this);
    this.token = storage(true, TOKEN);
    this.hello = null;
    this.view = "boot";
    this.ready = false;
    this.gen = 0;
    this.active = null;
    this.outbox = [];
    this.pumping = false;
    this.loading = new Map();
    this.syncing = new Set();
    this.resync = new Set();
    this.lastTyping = new Map();
    this.drafts = new Map();
    this.notice = null;
    this.registerMode = false;
    this.navOpen = false;
    this.membersOpen = false;
    this.membersDocked = storage(true, MEMBERS_PANEL) !== "hidden";
    this.dirty = new Set();
    this.changedSeqs = [];
    this.flushQueued = false;
    this.typingTimer = 0;
    this.statusTimer = 0;
    this.syncLimit = 500;
    this.wideNav = matchMedia("(min-width: 761px)");
    this.wideMembers = matchMedia("(min-width: 1101px)");
    this.darkQuery = matchMedia("(prefers-color-scheme: dark)");
  }

  // -- start-up ----------------------------------------------------------------------

  start() {
    fillIcons();
    this.timeline = new TimelineView(this);
    this.roomList = new RoomList(this);
    this.memberList = new MemberList(this);
    this.composer = $("composer-input");
    this.bindLogin();
    this.bindChat();
    this.conn.addEventListener("hello", (e) => this.onHello(e.detail.frame));
    this.conn.addEventListener("event", (e) => this.onEvent(e.detail.frame));
    this.conn.addEventListener("close", (e) => this.onClose(e.detail));
    this.conn.addEventListener("state", () => this.renderStatus());
    this.conn.connect();
    this.renderStatus();
  }

  // -- views: boot, login, chat ------------------------------------------------------

  showView(view) {
    this.view = view;
    $("boot").hidden = view !== "boot";
    $("login").hidden = view !== "login";
    $("app").hidden = view !== "app";
    this.renderStatus();
  }

  showLogin(notice = null) {
    this.ready = false;
    if (notice !== null) this.notice = notice;
    const wasLogin = this.view === "login";
    this.showView("login");
    this.renderLogin();
    document.title = "Log in · chinwag";
    if (!wasLogin) {
      const user = $("login-username");
      const remembered = storage(true, LAST_USER);
      if (remembered && !user.value) user.value = remembered;
      (user.value ? $("login-password") : user).focus();
    }
  }

  renderLogin() {
    const reg = this.registerMode;
    const open = !this.hello || this.hello.registration;
    if (reg && !open) this.registerMode = false;
    setText($("login-title"), this.registerMode ? "Create an account" : "Log in");
    setText($("login-sub"), `to chinwag on ${location.host}`);
    $("login-confirm-field").hidden = !this.registerMode;
    $("login-password").autocomplete = this.registerMode ? "new-password" : "current-password";
    setText($("login-submit"), this.registerMode ? "Create account" : "Log in");
    $("login-switch-line").hidden = !open && !this.registerMode;
    setText($("login-switch-text"), this.registerMode ? "Already have an account?" : "New here?");
    setText($("login-switch"), this.registerMode ? "Log in instead" : "Create an account");
    const notice = $("login-notice");
    notice.hidden = !this.notice;
    setText(notice, this.notice || "");
    if (!open) setText($("login-sub"), `to chinwag on ${location.host}. Accounts are made by the server's admin.`);
  }

  bindLogin() {
    $("login-switch").addEventListener("click", () => {
      this.registerMode = !this.registerMode;
      $("login-error").textContent = "";
      this.renderLogin();
      $("login-username").focus();
    });
    $("login-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.submitLogin();
    });
    $("boot-retry").addEventListener("click", () => this.conn.retryNow());
  }

  async submitLogin() {
    const err = $("login-error");
    const username = $("login-username").value.trim();
    const password = $("login-password").value;
    err.textContent = "";
    if (!username) {
      err.textContent = "Enter your username.";
      $("login-username").focus();
      return;
    }
    if (!password) {
      err.textContent = "Enter your password.";
      $("login-password").focus();
      return;
    }
    if (this.registerMode) {
      if (!/^[A-Za-z0-9_.-]{1,32}$/.test(username)) {
        err.textContent = "A username is 1 to 32 letters, digits, “_”, “.” or “-”.";
        $("login-username").focus();
        return;
      }
      if (codePoints(password) < 8) {
        err.textContent = "The password needs at least 8 characters.";
        $("login-password").focus();
        return;
      }
      if (password !== $("login-confirm").value) {
        err.textContent = "The two passwords do not match.";
        $("login-confirm").focus();
        return;
      }
    }
    const button = $("login-submit");
    button.disabled = true;
    try {
      if (!(await this.waitConnected(10000))) {
        err.textContent = "Cannot reach the server. Check your connection and try again.";
        return;
      }
      const reply = await this.conn.request(this.registerMode ? "register" : "login", { username, password });
      storage(false, LAST_USER, reply.user.username);
      $("login-password").value = "";
      $("login-confirm").value = "";
      this.notice = null;
      await this.loggedIn(reply);
    } catch (e) {
      err.textContent = this.loginError(e);
    } finally {
      button.disabled = false;
    }
  }

  loginError(e) {
    if (!(e instanceof RequestError)) return "The connection to the server was lost. Try again.";
    switch (e.code) {
      case "auth_failed":
        return "Wrong username or password.";
      case "throttled":
        return `Too many failed attempts. Try again in ${formatDuration(e.retryAfter || 1)}.`;
      case "username_taken":
        return "That username is taken. Choose another.";
      case "registration_closed":
        return "This server does not take new accounts: ask its admin for one.";
      case "banned":
        return `This account is banned. ${sentence(e.message)}`;
      case "already_authenticated":
        return "Already logged in: reload the page.";
      default:
        return sentence(e.message);
    }
  }

  async waitConnected(ms) {
    if (this.conn.open && this.hello) return true;
    if (this.conn.state === "waiting" || this.conn.state === "stopped") this.conn.connect();
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.conn.open && this.hello) return true;
      await sleep(100);
    }
    return false;
  }

  // -- connection lifecycle -----------------------------------------------------------

  onHello(frame) {
    this.gen += 1;
    this.ready = false;
    this.hello = frame;
    if (frame.protocol !== 1) {
      this.conn.stop();
      this.showView("boot");
      setText($("boot-text"), `This server speaks protocol ${frame.protocol}; this page speaks protocol 1. Reload the page.`);
      return;
    }
    if (this.token) {
      this.resume();
    } else {
      this.conn.healthy();
      this.showLogin();
    }
  }

  async resume() {
    const gen = this.gen;
    try {
      const reply = await this.conn.request("resume", { token: this.token });
      if (gen !== this.gen) return;
      await this.loggedIn(reply);
    } catch (e) {
      if (gen !== this.gen || !(e instanceof RequestError)) return;
      this.forgetSession();
      if (e.code === "banned") this.showLogin(`This account is banned. ${sentence(e.message)}`);
      else this.showLogin("Your session has ended. Log in again.");
      this.conn.healthy();
    }
  }

  async loggedIn(reply) {
    const gen = this.gen;
    this.token = reply.token;
    storage(false, TOKEN, reply.token);
    const switched = this.state.setMe(reply.user);
    if (switched) {
      this.active = null;
      this.outbox = [];
      this.drafts.clear();
    }
    if (this.view !== "app") this.showView("app");
    this.renderChrome();
    try {
      await this.catchUp(gen);
    } catch (e) {
      if (!(e instanceof ConnectionLost)) console.error("chinwag: catching up failed", e);
      return;
    }
    if (gen !== this.gen) return;
    this.ready = true;
    this.conn.healthy();
    this.renderStatus();
    this.schedule("pending", "sidebar");
    this.pump();
  }

  /** After every (re)connection: rooms, users, then everything missed, with no gap. */
  async catchUp(gen) {
    const [rooms, users] = await Promise.all([this.conn.request("rooms"), this.conn.request("users")]);
    if (gen !== this.gen) return;
    this.state.setUsers(users.users);
    this.state.setRooms(rooms.rooms);
    const mine = this.state.memberRooms();
    if (!this.active || !this.state.rooms.get(this.active)?.member) {
      const saved = storage(true, this.roomPref());
      const pick = mine.find((r) => r.id === saved) || mine.find((r) => r.id === "general") || mine[0];
      if (pick) this.selectRoom(pick.id);
    } else {
      this.renderHeader();
      this.memberList.render();
    }
    const loaded = mine.filter((r) => this.state.timeline(r.id).loaded).map((r) => r.id);
    const fresh = mine.filter((r) => !this.state.timeline(r.id).loaded).map((r) => r.id);
    // A room refused now (left or removed meanwhile) must not hold up the others.
    const refusedOnly = (e) => {
      if (!(e instanceof RequestError)) throw e;
    };
    await Promise.all([
      this.syncRooms(loaded, gen),
      ...fresh.map((id) => this.loadNewest(id, gen).catch(refusedOnly)),
    ]);
    if (gen !== this.gen) return;
    this.state.readKnown = true;
    if (this.active) this.loadMembers(this.active);
  }

  /** The newest page of a room we hold nothing of. */
  loadNewest(roomId, gen = this.gen) {
    const tl = this.state.timeline(roomId);
    if (tl.loaded) return Promise.resolve();
    const running = this.loading.get(roomId);
    if (running) return running;
    const job = (async () => {
      try {
        const reply = await this.conn.request("history", { room: roomId, limit: PAGE });
        if (gen !== this.gen || !this.state.timelines.has(roomId)) return;
        tl.setNewest(reply.messages, reply.more);
        this.state.initRead(roomId, tl.last);
        this.state.changed("timeline", { room: roomId, changed: [], reset: true });
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
    let since = {};
    for (const id of ids) {
      const tl = this.state.timeline(id);
      if (tl.loaded) since[id] = tl.last;
    }
    for (let round = 0; round < 10000 && Object.keys(since).length; round += 1) {
      const reply = await this.conn.request("sync", { since, limit: this.syncLimit });
      if (gen !== this.gen) return;
      const gaps = this.state.addMessages(reply.messages);
      const next = {};
      for (const id of reply.more) next[id] = this.state.timeline(id).last;
      for (const id of gaps) {
        const last = this.state.timeline(id).last;
        if (id in since && last > since[id]) next[id] = last;
      }
      since = next;
    }
  }

  fillGap(roomId) {
    if (!this.state.timeline(roomId).loaded) return;
    if (this.syncing.has(roomId)) {
      this.resync.add(roomId);
      return;
    }
    this.syncing.add(roomId);
    this.syncRooms([roomId])
      .catch(() => {})
      .finally(() => {
        this.syncing.delete(roomId);
        if (this.resync.delete(roomId) && this.state.timeline(roomId).gap) this.fillGap(roomId);
      });
  }

  onClose({ code, reason }) {
    this.ready = false;
    this.gen += 1;
    this.hello = null;
    for (const p of this.state.pending) if (p.status === "sending") this.state.setPending(p, "queued");
    const kicked = this.kickedBy;
    this.kickedBy = null;
    const by = kicked && kicked.by ? ` by ${this.state.displayName(kicked.by)}` : "";
    const why = kicked && kicked.reason ? `: ${kicked.reason}` : "";
    if (code === 4001) {
      this.forgetSession();
      this.showLogin(`You were removed from the server${by}${why}. You may log in again.`);
    } else if (code === 4002) {
      this.forgetSession();
      this.showLogin(`This account was banned${by}${why || (reason ? `: ${reason}` : "")}.`);
    } else if (code === 4005) {
      this.forgetSession();
      this.showLogin("Your password was changed on another device. Log in again.");
    }
    this.renderStatus();
  }

  forgetSession() {
    this.token = null;
    storage(false, TOKEN, null);
    this.ready = false;
    this.outbox = [];
    this.state.reset();
    this.active = null;
    this.drafts.clear();
    this.composer.value = "";
  }

  async logout() {
    try {
      await this.conn.request("logout");
    } catch {
      // The session ends on the server with the token; forget it here anyway.
    }
    this.forgetSession();
    this.gen += 1;
    this.showLogin("You have logged out.");
  }

  // -- events -------------------------------------------------------------------------

  onEvent(frame) {
    const state = this.state;
    switch (frame.type) {
      case "message": {
        const msg = frame.message;
        const tl = state.timelines.get(msg.room);
        const known = tl ? tl.msgs.has(msg.seq) : false;
        if (
          msg.room === this.active &&
          msg.kind === "text" &&
          !state.isMe(msg.sender) &&
          !(this.pageVisible() && this.timeline.atBottom)
        ) {
          this.timeline.ensureMarker();
        }
        for (const room of state.addMessages([msg])) this.fillGap(room);
        if (!known && this.ready) this.notifier.maybeNotify(msg);
        break;
      }
      case "message_deleted":
        state.deleteMessage(frame.room, frame.seq);
        break;
      case "presence":
        if (!state.user(frame.user)) this.refreshUsersSoon();
        state.setPresence(frame.user, frame.online);
        break;
      case "typing":
        state.startTyping(frame.room, frame.user);
        break;
      case "room_updated": {
        const added = state.upsertRoom(frame.room);
        if (added) this.loadNewest(frame.room.id).catch(() => {});
        break;
      }
      case "member_joined":
        state.memberJoined(frame.room, frame.user, frame.role);
        break;
      case "member_left":
        if (state.isMe(frame.user)) this.roomGone(frame.room);
        else state.memberLeft(frame.room, frame.user);
        break;
      case "user_updated":
        state.updateUser(frame.user);
        break;
      case "kicked":
        if (frame.room) {
          const room = state.rooms.get(frame.room);
          const name = room ? this.roomTitle(room) : frame.room;
          const by = frame.by ? ` by ${state.displayName(frame.by)}` : "";
          this.toast(`You were removed from ${name}${by}${frame.reason ? `: ${frame.reason}` : ""}.`, "error");
          this.roomGone(frame.room);
        } else {
          this.kickedBy = { by: frame.by, reason: frame.reason };
        }
        break;
      case "server_notice":
        this.toast(frame.text, "notice", 20000);
        break;
      default:
        break;
    }
  }

  roomGone(roomId) {
    this.state.leftRoom(roomId);
    this.drafts.delete(roomId);
    if (this.active === roomId) {
      const next = this.state.rooms.get("general") ? "general" : this.state.memberRooms()[0]?.id;
      this.active = null;
      if (next) this.selectRoom(next);
    }
  }

  refreshUsersSoon() {
    if (this.usersTimer) return;
    this.usersTimer = setTimeout(async () => {
      this.usersTimer = 0;
      try {
        const reply = await this.conn.request("users");
        this.state.setUsers(reply.users);
      } catch {
        // the next reconnection refreshes them
      }
    }, 300);
  }

  // -- rendering --------------------------------------------------------------------

  onStateChange(kind, detail) {
    switch (kind) {
      case "timeline":
        if (detail.room === this.active) {
          this.dirty.add(detail.reset ? "timelineFull" : "timeline");
          if (detail.changed) this.changedSeqs.push(...detail.changed);
        }
        this.dirty.add("sidebar");
        break;
      case "pending":
        if (detail.room === this.active) this.dirty.add("pending");
        break;
      case "rooms":
        this.dirty.add("sidebar");
        this.dirty.add("header");
        if (this.active && !this.state.rooms.get(this.active)?.member) this.dirty.add("activeGone");
        break;
      case "users":
        this.dirty.add("sidebar");
        this.dirty.add("members");
        this.dirty.add("header");
        if (detail.renamed) this.dirty.add("timelineFull");
        break;
      case "presence":
        this.dirty.add("sidebar");
        this.dirty.add("members");
        this.dirty.add("header");
        break;
      case "members":
        if (detail.room === this.active) this.dirty.add("members");
        break;
      case "typing":
        if (detail.room === this.active) this.dirty.add("typing");
        break;
      case "unread":
      case "me":
        this.dirty.add("sidebar");
        break;
      default:
        break;
    }
    this.schedule();
  }

  schedule(...parts) {
    for (const p of parts) this.dirty.add(p);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  flush() {
    this.flushQueued = false;
    const dirty = this.dirty;
    this.dirty = new Set();
    const changed = this.changedSeqs;
    this.changedSeqs = [];
    if (this.view !== "app") return;
    if (dirty.has("activeGone") && this.active && !this.state.rooms.get(this.active)?.member) {
      this.roomGone(this.active);
      return;
    }
    if (this.active) {
      if (dirty.has("timelineFull")) this.timeline.render({ keepScroll: !this.timeline.atBottom });
      else if (dirty.has("timeline")) this.timeline.update(changed);
      if (dirty.has("pending")) this.timeline.renderPending();
      if (dirty.has("members")) {
        this.memberList.render();
        this.renderHeader();
      }
      if (dirty.has("typing")) this.renderTyping();
      if (dirty.has("header")) this.renderHeader();
    }
    this.renderChrome();
  }

  /** The parts that are cheap to redraw every time: lists, title, status, me. */
  renderChrome() {
    if (this.view !== "app") return;
    this.roomList.render();
    const total = this.state.totalUnread() - (this.readingNow() && this.active ? this.state.unread(this.active).count : 0);
    const room = this.state.rooms.get(this.active);
    document.title = `${total > 0 ? `(${total}) ` : ""}${room ? this.roomTitle(room) : "chinwag"} · chinwag`;
    $("nav-badge").hidden = total === 0;
    const me = this.state.me;
    if (me) {
      const theme = this.effectiveTheme();
      $("me").replaceChildren(
        h("span", { class: "member-avatar" }, avatar(me, theme, "small"), presenceDot(this.ready)),
        h(
          "span",
          { class: "me-text" },
          h("span", { class: "me-name", css: { color: readableColor(me.color, theme) } }, me.display_name),
          h("span", { class: "me-sub" }, `@${me.username}`),
        ),
      );
      $("me").setAttribute("aria-label", `Your profile: ${me.display_name} (@${me.username})`);
    }
    const bell = $("notify-toggle");
    bell.replaceChildren(icon(this.notifier.enabled ? "bell" : "bellOff"));
    bell.setAttribute("aria-pressed", String(this.notifier.enabled));
    bell.title = this.notifier.enabled ? "Desktop notifications are on" : "Turn on desktop notifications";
    this.renderPanels();
  }

  roomTitle(room) {
    if (!room) return "";
    return room.kind === "dm" ? this.state.roomLabel(room) : `#${room.name}`;
  }

  renderRoom() {
    this.renderHeader();
    this.timeline.open(this.active);
    this.memberList.render();
    this.renderTyping();
    this.renderComposer();
    this.renderChrome();
  }

  renderHeader() {
    const room = this.state.rooms.get(this.active);
    const title = $("room-title");
    const topic = $("room-topic");
    if (!room) {
      title.replaceChildren();
      topic.replaceChildren();
      return;
    }
    if (room.kind === "dm") {
      const peer = this.state.user(this.state.dmPeer(room));
      title.replaceChildren(
        h("span", { class: "member-avatar" }, avatar(peer, this.effectiveTheme(), "small"), presenceDot(peer && peer.online)),
        h("span", { class: "title-text" }, this.state.roomLabel(room)),
      );
      topic.replaceChildren(
        `@${this.state.dmPeer(room)} · ${peer && peer.online ? "online" : "offline"}`,
      );
    } else {
      title.replaceChildren(icon(room.kind === "private" ? "lock" : "hash"), h("span", { class: "title-text" }, room.name));
      topic.replaceChildren(...(room.topic ? richText(room.topic, null) : []));
    }
    topic.hidden = !topic.textContent;
    const loaded = this.state.members.get(room.id);
    let count = room.kind === "dm" ? 2 : loaded ? loaded.size : room.member_count;
    if (room.id === "general") count = this.state.users.size;
    setText($("member-count-head"), String(count));
  }

  renderComposer() {
    const room = this.state.rooms.get(this.active);
    const label = room ? `Message ${this.roomTitle(room)}` : "Message";
    this.composer.setAttribute("aria-label", label);
    this.composer.placeholder = label;
    this.composer.value = this.drafts.get(this.active) || "";
    this.autosize();
    this.renderHint();
  }

  renderTyping() {
    clearTimeout(this.typingTimer);
    const who = this.state.typists(this.active).map((u) => this.state.displayName(u));
    const el = $("typing");
    let text = "";
    if (who.length === 1) text = `${who[0]} is typing…`;
    else if (who.length === 2) text = `${who[0]} and ${who[1]} are typing…`;
    else if (who.length > 2) text = "Several people are typing…";
    setText(el, text);
    const next = this.state.nextTypingExpiry();
    if (Number.isFinite(next)) this.typingTimer = setTimeout(() => this.renderTyping(), Math.max(50, next - Date.now() + 20));
  }

  renderStatus() {
    clearTimeout(this.statusTimer);
    const conn = this.conn;
    let text = "";
    let retry = false;
    if (conn.state === "waiting") {
      const secs = Math.max(1, Math.ceil((conn.retryAt - Date.now()) / 1000));
      text = `No connection to the server. Retrying in ${secs} s…`;
      retry = true;
      this.statusTimer = setTimeout(() => this.renderStatus(), 500);
    } else if (conn.state === "connecting") {
      text = this.view === "app" ? "Reconnecting…" : "Connecting…";
    } else if (conn.state === "stopped") {
      text = "Disconnected from the server.";
      retry = this.view !== "login";
    } else if (this.view === "app" && !this.ready && this.state.me) {
      text = "Catching up…";
    }
    const bar = $("status-bar");
    bar.hidden = !text || this.view !== "app";
    setText($("status-text"), text);
    $("status-retry").hidden = !retry;
    setText($("boot-text"), text || "Connecting…");
    $("boot-retry").hidden = !retry;
    setText($("login-status"), conn.state === "open" ? "" : text);
    if (this.view === "app") this.timeline.renderPending();
  }

  // -- panels (phone drawers, the member list) ----------------------------------------

  renderPanels() {
    const app = $("app");
    const navDrawer = !this.wideNav.matches;
    const membersDrawer = !this.wideMembers.matches;
    if (!navDrawer) this.navOpen = false;
    if (!membersDrawer) this.membersOpen = false;
    app.classList.toggle("nav-open", this.navOpen);
    app.classList.toggle("members-open", this.membersOpen);
    app.classList.toggle("members-hidden", !this.membersDocked);
    $("scrim").hidden = !(this.navOpen || this.membersOpen);
    $("open-sidebar").setAttribute("aria-expanded", String(this.navOpen));
    const membersShown = membersDrawer ? this.membersOpen : this.membersDocked;
    const toggle = $("toggle-members");
    toggle.setAttribute("aria-expanded", String(membersShown));
    toggle.setAttribute("aria-label", membersShown ? "Hide members" : "Show members");
    $("sidebar").inert = navDrawer && !this.navOpen;
    $("members").inert = membersDrawer ? !this.membersOpen : !this.membersDocked;
    $("chat").inert = (navDrawer && this.navOpen) || (membersDrawer && this.membersOpen);
  }

  setNav(open, { focus = true } = {}) {
    this.navOpen = open;
    if (open) this.membersOpen = false;
    this.renderPanels();
    if (focus) {
      if (open) {
        const current = $("sidebar").querySelector("[aria-current=page]") || $("close-sidebar");
        current.focus();
      } else {
        $("open-sidebar").focus();
      }
    }
  }

  toggleMembers() {
    if (this.wideMembers.matches) {
      this.membersDocked = !this.membersDocked;
      storage(false, MEMBERS_PANEL, this.membersDocked ? null : "hidden");
      this.renderPanels();
      if (this.membersDocked) this.focusMembers();
      return;
    }
    this.membersOpen = !this.membersOpen;
    if (this.membersOpen) this.navOpen = false;
    this.renderPanels();
    if (this.membersOpen) this.focusMembers();
    else $("toggle-members").focus();
  }

  focusMembers() {
    const first = $("member-list").querySelector("button") || $("close-members");
    first.focus();
  }

  closeDrawers() {
    if (this.navOpen) {
      this.setNav(false);
      return true;
    }
    if (this.membersOpen) {
      this.membersOpen = false;
      this.renderPanels();
      $("toggle-members").focus();
      return true;
    }
    return false;
  }

  // -- the chat view's controls -------------------------------------------------------

  bindChat() {
    document.querySelector(".skip-link").addEventListener("click", (e) => {
      e.preventDefault();
      this.composer.focus();
    });
    $("open-sidebar").addEventListener("click", () => this.setNav(!this.navOpen));
    $("close-sidebar").addEventListener("click", () => this.setNav(false));
    $("scrim").addEventListener("click", () => this.closeDrawers());
    $("toggle-members").addEventListener("click", () => this.toggleMembers());
    $("close-members").addEventListener("click", () => {
      if (this.wideMembers.matches) this.toggleMembers();
      else this.closeDrawers();
    });
    $("add-room").addEventListener("click", () => roomsDialog(this));
    $("add-dm").addEventListener("click", () => dmDialog(this));
    $("open-settings").addEventListener("click", () => settingsDialog(this));
    $("me").addEventListener("click", () => settingsDialog(this));
    $("logout").addEventListener("click", () => this.logout());
    $("room-options").addEventListener("click", () => {
      const room = this.state.rooms.get(this.active);
      if (room) roomDialog(this, room);
    });
    $("notify-toggle").addEventListener("click", async () => {
      const result = await this.notifier.toggle();
      this.toast(result);
      this.renderChrome();
    });
    $("status-retry").addEventListener("click", () => {
      if (this.conn.state === "stopped") this.conn.connect();
      else this.conn.retryNow();
    });
    document.addEventListener("keydown", (e) => {
      if (document.querySelector("dialog[open]")) return;
      if (e.key === "Escape" && this.closeDrawers()) e.preventDefault();
      if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown") && this.view === "app") {
        e.preventDefault();
        this.stepRoom(e.key === "ArrowUp" ? -1 : 1);
      }
    });
    // On touch screens there is no hover: a tap on a message shows its actions.
    $("messages").addEventListener("click", (e) => {
      if (e.target.closest("a, button")) return;
      const row = e.target.closest(".msg");
      for (const el of $("messages").querySelectorAll(".msg.selected")) if (el !== row) el.classList.remove("selected");
      if (row) row.classList.toggle("selected");
    });
    for (const q of [this.wideNav, this.wideMembers]) q.addEventListener("change", () => this.renderPanels());
    this.darkQuery.addEventListener("change", () => this.themeChanged());

    const composer = $("composer");
    composer.addEventListener("submit", (e) => {
      e.preventDefault();
      this.sendFromComposer();
    });
    this.composer.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        this.sendFromComposer();
      }
    });
    this.composer.addEventListener("input", () => {
      this.autosize();
      if (this.active) this.drafts.set(this.active, this.composer.value);
      this.renderHint();
      if (this.composer.value.trim()) this.sendTyping();
    });

    const seen = () => {
      this.maybeMarkRead();
      this.renderChrome();
    };
    document.addEventListener("visibilitychange", seen);
    window.addEventListener("focus", seen);
    window.addEventListener("blur", seen);
    window.addEventListener("storage", (e) => {
      if (this.state.me && e.key === this.state.readKey(this.state.me.username) && e.newValue) {
        try {
          this.state.mergeRead(JSON.parse(e.newValue));
        } catch {
          // ignore a malformed value
        }
      }
    });
  }

  autosize() {
    const c = this.composer;
    c.style.height = "auto";
    c.style.height = `${Math.min(c.scrollHeight, 200)}px`;
  }

  renderHint() {
    const max = this.hello ? this.hello.max_body : 4000;
    const n = codePoints(this.composer.value.trim());
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

  // -- rooms ----------------------------------------------------------------------------

  roomPref() {
    return `chinwag.room.${this.state.me ? this.state.me.username.toLowerCase() : ""}`;
  }

  selectRoom(roomId, { focus = false } = {}) {
    const room = this.state.rooms.get(roomId);
    if (!room || !room.member) return;
    if (this.active && this.active !== roomId) this.timeline.clearMarker();
    this.active = roomId;
    storage(false, this.roomPref(), roomId);
    if (!this.wideNav.matches && this.navOpen) this.navOpen = false;
    this.renderRoom();
    this.loadMembers(roomId);
    if (!this.state.timeline(roomId).loaded && this.conn.open) this.loadNewest(roomId).catch(() => {});
    if (focus) this.composer.focus();
  }

  /** The room above or below the open one in the list (Alt+Up, Alt+Down). */
  stepRoom(delta) {
    const order = [...document.querySelectorAll("#sidebar button[data-room]")].map((b) => b.dataset.room);
    if (!order.length) return;
    const at = order.indexOf(this.active);
    const next = order[(at + delta + order.length) % order.length];
    this.selectRoom(next, { focus: true });
  }

  loadMembers(roomId) {
    const room = this.state.rooms.get(roomId);
    if (!room || room.kind === "dm" || !this.conn.open || !this.state.me) return;
    this.conn.request("members", { room: roomId }).then(
      (reply) => this.state.setMembers(reply.room, reply.members),
      () => {},
    );
  }

  async refreshRooms() {
    const reply = await this.request("rooms");
    this.state.setRooms(reply.rooms);
    for (const r of this.state.memberRooms()) if (!this.state.timeline(r.id).loaded) this.loadNewest(r.id).catch(() => {});
  }

  async adopt(room) {
    this.state.upsertRoom(room);
    await this.loadNewest(room.id).catch(() => {});
    this.selectRoom(room.id, { focus: true });
  }

  async joinRoom(roomId) {
    const reply = await this.request("join", { room: roomId });
    await this.adopt(reply.room);
  }

  async createRoom(name, topic, isPrivate) {
    const reply = await this.request("create_room", { name, topic, private: isPrivate });
    await this.adopt(reply.room);
  }

  async openDm(username) {
    const reply = await this.request("open_dm", { user: username });
    await this.adopt(reply.room);
  }

  async leaveRoom(room) {
    const ok = await confirmDialog({
      title: `Leave ${this.roomTitle(room)}?`,
      text: room.kind === "private" ? "You will need to be added again to come back." : "You can join it again later.",
      confirm: "Leave",
      danger: true,
    });
    if (!ok) return;
    try {
      await this.request("leave", { room: room.id });
      this.roomGone(room.id);
    } catch (e) {
      this.toast(sentence(e.message), "error");
    }
  }

  async loadOlder(roomId) {
    const tl = this.state.timelines.get(roomId);
    if (!tl || !tl.loaded || !tl.hasOlder || tl.loadingOlder || !this.conn.open || !this.state.me) return;
    tl.loadingOlder = true;
    if (roomId === this.active) this.timeline.renderTop();
    try {
      const reply = await this.conn.request("history", { room: roomId, before: tl.first, limit: PAGE });
      if (this.state.timelines.get(roomId) === tl) tl.addOlder(reply.messages, reply.more);
    } catch {
      // retried on the next scroll
    } finally {
      tl.loadingOlder = false;
    }
    this.state.changed("timeline", { room: roomId, changed: [] });
  }

  showUser(username) {
    userDialog(this, username);
  }

  async confirmDelete(msg) {
    const ok = await confirmDialog({
      title: "Delete this message?",
      text: "Everyone in the room will see that a message was deleted.",
      confirm: "Delete",
      danger: true,
    });
    if (!ok) return;
    try {
      await this.request("delete_message", { room: msg.room, seq: msg.seq });
      this.state.deleteMessage(msg.room, msg.seq);
    } catch (e) {
      this.toast(sentence(e.message), "error");
    }
  }

  // -- reading ---------------------------------------------------------------------------

  pageVisible() {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  /** Whether the user is looking at the newest messages of the open room right now. */
  readingNow() {
    return this.view === "app" && this.pageVisible() && this.timeline.atBottom;
  }

  maybeMarkRead() {
    if (!this.active || !this.readingNow()) return;
    this.state.markRead(this.active);
  }

  // -- sending ---------------------------------------------------------------------------

  sendFromComposer() {
    const body = this.composer.value;
    const text = body.trim();
    if (!text || !this.active) return;
    const max = this.hello ? this.hello.max_body : 4000;
    if (codePoints(text) > max) {
      this.renderHint();
      return;
    }
    const p = this.state.addPending(this.active, body);
    this.composer.value = "";
    this.drafts.delete(this.active);
    this.autosize();
    this.renderHint();
    this.timeline.clearMarker();
    this.timeline.scrollToBottom();
    this.lastTyping.delete(this.active);
    this.outbox.push(p);
    this.pump();
  }

  sendTyping() {
    const room = this.active;
    if (!room || !this.ready) return;
    const now = Date.now();
    if (now - (this.lastTyping.get(room) || 0) < TYPING_EVERY) return;
    this.lastTyping.set(room, now);
    this.conn.request("typing", { room }).catch(() => {});
  }

  /** Send what waits in the outbox, one at a time and in order. */
  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.outbox.length && this.ready) {
        const p = this.outbox[0];
        if (!this.state.pending.includes(p) || p.status === "failed") {
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

  async trySend(p) {
    const state = this.state;
    state.setPending(p, "sending");
    try {
      const reply = await this.conn.request("send", { room: p.room, body: p.body, client_msg_id: p.cid });
      for (const room of state.addMessages([reply.message])) this.fillGap(room);
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
    if (!this.state.pending.includes(p)) return;
    this.state.setPending(p, "queued");
    if (!this.outbox.includes(p)) this.outbox.push(p);
    this.pump();
  }

  discard(p) {
    this.state.discard(p);
    this.outbox = this.outbox.filter((x) => x !== p);
  }

  // -- helpers ----------------------------------------------------------------------------

  /** A request whose failure is a readable Error. */
  async request(type, fields = {}) {
    try {
      return await this.conn.request(type, fields);
    } catch (e) {
      if (e instanceof ConnectionLost) throw new Error("Not connected to the server. Try again in a moment.");
      throw e;
    }
  }

  toast(text, kind = "info", ms = 6000) {
    const el = h("div", { class: `toast ${kind}` }, h("span", null, text));
    const close = h("button", { type: "button", class: "icon-btn small", "aria-label": "Dismiss" }, icon("close"));
    close.addEventListener("click", () => el.remove());
    el.append(close);
    $("toasts").append(el);
    setTimeout(() => el.remove(), ms);
  }

  themeChoice() {
    const t = storage(true, THEME);
    return t === "light" || t === "dark" ? t : "system";
  }

  setTheme(choice) {
    if (choice === "light" || choice === "dark") {
      document.documentElement.dataset.theme = choice;
      storage(false, THEME, choice);
    } else {
      delete document.documentElement.dataset.theme;
      storage(false, THEME, null);
    }
    this.themeChanged();
  }

  effectiveTheme() {
    const t = document.documentElement.dataset.theme;
    if (t === "light" || t === "dark") return t;
    return this.darkQuery.matches ? "dark" : "light";
  }

  themeChanged() {
    if (this.view !== "app" || !this.active) return;
    this.schedule("timelineFull", "members", "header");
  }
}

const app = new App();
window.chinwag = app;
app.start();
