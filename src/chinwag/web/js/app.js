// The controller that ties the connection, the state and the views together. The views
// and dialogs call the methods of `App` only; the work is done by the parts it owns:
// the session (connection lifecycle and catching up), the login form, the rooms, the
// composer and its outbox, the side panels.

import { Connection, ConnectionLost } from "./connection.js";
import { $, fillIcons, h, icon, setText } from "./dom.js";
import { readableColor } from "./format.js";
import { ChatState } from "./state.js";
import { bindChat } from "./controls.js";
import { TimelineView, avatar, richText } from "./timeline.js";
import { MemberList, RoomList, presenceDot, presenceWord } from "./sidebar.js";
import { Notifier } from "./notify.js";
import { userDialog } from "./cards.js";
import { handleEvent } from "./events.js";
import { LoginView } from "./login.js";
import { Session } from "./session.js";
import { Rooms } from "./rooms.js";
import { Composer } from "./composer.js";
import { Panels } from "./panels.js";
import { THEME, load, save } from "./storage.js";
import { UnsentStore } from "./unsent.js";
import { ReadSync } from "./reads.js";
import { Editing } from "./edit.js";
import { searchDialog } from "./search.js";
import { Muting } from "./muting.js";
import { Files } from "./files.js";
import { Conversations } from "./conv.js";
import { ThreadPanel } from "./thread.js";

function wsUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}

export class App {
  constructor() {
    this.unsent = new UnsentStore();
    this.state = new ChatState((kind, detail) => this.onStateChange(kind, detail));
    this.conn = new Connection(wsUrl());
    this.notifier = new Notifier(this);
    this.session = new Session(this);
    this.reads = new ReadSync(this);
    this.login = new LoginView(this);
    this.rooms = new Rooms(this);
    this.edit = new Editing(this);
    this.panels = new Panels();
    this.muting = new Muting(this);
    this.conv = new Conversations(this);
    this.thread = new ThreadPanel(this);
    // When a `restarting` event came (ms): the status says so until the page is back.
    this.restarting = 0;
    this.hello = null;
    this.view = "boot";
    this.ready = false;
    this.active = null;
    this.dirty = new Set();
    this.changedSeqs = [];
    this.flushQueued = false;
    this.typingTimer = 0;
    this.statusTimer = 0;
    this.syncLimit = 500;
    this.darkQuery = matchMedia("(prefers-color-scheme: dark)");
  }

  // -- start-up ----------------------------------------------------------------------

  start() {
    fillIcons();
    this.timeline = new TimelineView(this);
    this.roomList = new RoomList(this);
    this.memberList = new MemberList(this);
    this.composer = $("composer-input");
    this.compose = new Composer(this);
    this.files = new Files(this);
    this.login.bind();
    bindChat(this);
    const conn = this.conn;
    conn.addEventListener("hello", (e) => this.session.onHello(e.detail.frame));
    conn.addEventListener("event", (e) => handleEvent(this, e.detail.frame));
    conn.addEventListener("refused", (e) => this.session.onRefused(e.detail));
    conn.addEventListener("close", (e) => this.session.onClose(e.detail));
    conn.addEventListener("state", () => this.renderStatus());
    conn.connect();
    this.renderStatus();
  }

  showView(view) {
    this.view = view;
    $("boot").hidden = view !== "boot";
    $("login").hidden = view !== "login";
    $("app").hidden = view !== "app";
    this.renderStatus();
  }

  // -- what the views and dialogs ask for ------------------------------------------------

  selectRoom(roomId, options) {
    this.rooms.select(roomId, options);
  }

  joinRoom(roomId) {
    return this.rooms.join(roomId);
  }

  createRoom(name, topic, isPrivate) {
    return this.rooms.create(name, topic, isPrivate);
  }

  openDm(username) {
    return this.rooms.openDm(username);
  }

  leaveRoom(room) {
    return this.rooms.leave(room);
  }

  refreshRooms() {
    return this.rooms.refresh();
  }

  confirmDelete(msg) {
    return this.rooms.confirmDelete(msg);
  }

  editMessage(msg) {
    this.edit.start(msg);
  }

  openSearch() {
    if (this.view === "app" && !document.querySelector("dialog[open]")) searchDialog(this);
  }

  loadOlder(roomId) {
    const far = this.timeline.away;
    if (far && far.room === roomId) return far.loadOlder();
    return this.session.loadOlder(roomId);
  }

  retry(p) {
    this.compose.retry(p);
  }

  discard(p) {
    this.compose.discard(p);
  }

  showUser(username) {
    userDialog(this, username);
  }

  /** A request whose failure is a readable Error. */
  async request(type, fields = {}) {
    try {
      return await this.conn.request(type, fields);
    } catch (e) {
      if (e instanceof ConnectionLost) throw new Error("Not connected to the server. Try again in a moment.");
      throw e;
    }
  }

  /** Every page of a listing (see Connection.requestAll), failing as `request` does. */
  async requestAll(type, fields, key) {
    try {
      return await this.conn.requestAll(type, fields, key);
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

  /** Whether who is online is known now: only while connected and caught up. */
  presenceKnown() {
    return this.ready;
  }

  /** A user's presence: true, false, or null while it is not known (not connected). */
  presence(username) {
    if (!this.presenceKnown()) return null;
    const u = this.state.user(username);
    return !!(u && u.online);
  }

  roomTitle(room) {
    if (!room) return "";
    return room.kind === "dm" ? this.state.roomLabel(room) : `#${room.name}`;
  }

  // -- rendering: state changes are collected and drawn once per microtask -------------

  onStateChange(kind, detail) {
    switch (kind) {
      case "timeline":
        if (this.thread.isOpen) this.dirty.add("thread");
        if (detail.room === this.active) {
          this.dirty.add(detail.reset ? "timelineFull" : "timeline");
          if (detail.changed) this.changedSeqs.push(...detail.changed);
        }
        this.dirty.add("sidebar");
        break;
      case "pending":
        this.unsent.sync(this.state.me?.username, this.state.pending);
        if (detail.room === this.active) this.dirty.add("pending");
        if (this.thread.isOpen && detail.room === this.thread.room) this.dirty.add("threadPending");
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
      this.rooms.gone(this.active);
      return;
    }
    if (this.active) {
      if (dirty.has("timelineFull") || dirty.has("timeline")) this.edit.checkGone();
      if (dirty.has("timelineFull")) this.timeline.render();
      else if (dirty.has("timeline")) this.timeline.update(changed);
      if (dirty.has("pending")) this.timeline.renderPending();
      if (dirty.has("members")) {
        this.memberList.render();
        this.renderHeader();
      }
      if (dirty.has("typing")) this.renderTyping();
      if (dirty.has("header")) this.renderHeader();
      if (dirty.has("thread")) this.thread.update(this.thread.room);
      else if (dirty.has("threadPending")) this.thread.renderPending();
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
        h("span", { class: "member-avatar" }, avatar(me, theme, "small"), presenceDot(this.ready ? true : null)),
        h(
          "span",
          { class: "me-text" },
          h("span", { class: "me-name", css: { color: readableColor(me.color, theme) } }, me.display_name),
          " ",
          h("span", { class: "me-sub" }, `@${me.username}`),
        ),
      );
      $("me").setAttribute("aria-label", `Your profile: ${me.display_name}, @${me.username}`);
    }
    const bell = $("notify-toggle");
    bell.replaceChildren(icon(this.notifier.enabled ? "bell" : "bellOff"));
    bell.setAttribute("aria-pressed", String(this.notifier.enabled));
    bell.title = this.notifier.enabled ? "Desktop notifications are on" : "Turn on desktop notifications";
    this.panels.render();
  }

  renderRoom() {
    this.renderHeader();
    this.timeline.open(this.active);
    this.memberList.render();
    this.renderTyping();
    this.compose.render();
    this.files.render();
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
      const online = this.presence(this.state.dmPeer(room));
      title.replaceChildren(
        h("span", { class: "member-avatar" }, avatar(peer, this.effectiveTheme(), "small"), presenceDot(online)),
        h("span", { class: "title-text" }, this.state.roomLabel(room)),
      );
      topic.replaceChildren(`@${this.state.dmPeer(room)} · ${presenceWord(online)}`);
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
    // Said for as long as a restart takes, not for a server that stays away.
    if (this.restarting && conn.state !== "open" && Date.now() - this.restarting < 10000) {
      text = "The server is restarting. Reconnecting in a moment…";
      this.statusTimer = setTimeout(() => this.renderStatus(), 1000);
    } else if (conn.state === "waiting") {
      const secs = Math.max(1, Math.ceil((conn.retryAt - Date.now()) / 1000));
      text = `No connection to the server. Retrying in ${secs} s…`;
      retry = true;
      this.statusTimer = setTimeout(() => this.renderStatus(), 500);
    } else if (conn.state === "connecting") {
      text = this.view === "app" ? "Reconnecting…" : "Connecting…";
    } else if (conn.state === "stopped") {
      // On the login page after the session ended: logging in connects again.
      text = this.view === "login" ? "" : "Disconnected from the server.";
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
    if (this.view === "app") {
      this.timeline.renderPending();
      this.thread.renderPending();
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
    if (this.state.markRead(this.active)) this.reads.readHere(this.active);
  }

  // -- theme -----------------------------------------------------------------------------

  themeChoice() {
    const t = load(THEME);
    return t === "light" || t === "dark" ? t : "system";
  }

  setTheme(choice) {
    if (choice === "light" || choice === "dark") {
      document.documentElement.dataset.theme = choice;
      save(THEME, choice);
    } else {
      delete document.documentElement.dataset.theme;
      save(THEME, null);
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
