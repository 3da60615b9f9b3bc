// Rooms from the user's side: which one is open, moving between them, joining,
// creating, opening a direct message, leaving, and a room that is gone.

import { confirmDialog, sentence } from "./dialogs.js";
import { load, save } from "./storage.js";

export class Rooms {
  constructor(app) {
    this.app = app;
  }

  /** Where the last open room of the logged-in user is remembered. */
  prefKey() {
    const me = this.app.state.me;
    return `chinwag.room.${me ? me.username.toLowerCase() : ""}`;
  }

  /** The last room this user had open, if any. */
  remembered() {
    return load(this.prefKey());
  }

  select(roomId, { focus = false } = {}) {
    const app = this.app;
    const room = app.state.rooms.get(roomId);
    if (!room || !room.member) return;
    if (app.active && app.active !== roomId) app.timeline.clearMarker();
    app.active = roomId;
    save(this.prefKey(), roomId);
    app.panels.roomPicked();
    if (app.thread.isOpen && app.thread.room !== roomId) app.thread.close();
    app.renderRoom();
    this.loadMembers(roomId);
    if (app.conn.open && app.state.me) app.conv.loadThreads(roomId);
    if (!app.state.timeline(roomId).loaded && app.conn.open) app.session.loadNewest(roomId).catch(() => {});
    if (focus) app.composer.focus();
  }

  /** The room above or below the open one in the list (Alt+Up, Alt+Down). */
  step(delta) {
    const order = [...document.querySelectorAll("#sidebar button[data-room]")].map((b) => b.dataset.room);
    if (!order.length) return;
    const at = order.indexOf(this.app.active);
    const next = order[(at + delta + order.length) % order.length];
    this.select(next, { focus: true });
  }

  loadMembers(roomId) {
    const app = this.app;
    const room = app.state.rooms.get(roomId);
    if (!room || room.kind === "dm" || !app.conn.open || !app.state.me) return;
    app.conn.requestAll("members", { room: roomId }, "members").then(
      (reply) => app.state.setMembers(reply.room, reply.members),
      () => {},
    );
  }

  async refresh() {
    const app = this.app;
    const reply = await app.requestAll("rooms", {}, "rooms");
    app.reads.fromRooms(reply.read);
    app.state.setRooms(reply.rooms);
    for (const r of app.state.memberRooms()) {
      if (!app.state.timeline(r.id).loaded) app.session.loadNewest(r.id).catch(() => {});
    }
  }

  /** A room the user just joined, created or opened: hold it and open it. */
  async adopt(room) {
    this.app.state.upsertRoom(room);
    await this.app.session.loadNewest(room.id).catch(() => {});
    this.select(room.id, { focus: true });
  }

  async join(roomId) {
    const reply = await this.app.request("join", { room: roomId });
    await this.adopt(reply.room);
  }

  async create(name, topic, isPrivate) {
    const reply = await this.app.request("create_room", { name, topic, private: isPrivate });
    await this.adopt(reply.room);
  }

  async openDm(username) {
    const reply = await this.app.request("open_dm", { user: username });
    await this.adopt(reply.room);
  }

  async leave(room) {
    const app = this.app;
    const ok = await confirmDialog({
      title: `Leave ${app.roomTitle(room)}?`,
      text: room.kind === "private" ? "You will need to be added again to come back." : "You can join it again later.",
      confirm: "Leave",
      danger: true,
    });
    if (!ok) return;
    try {
      await app.request("leave", { room: room.id });
      this.gone(room.id);
    } catch (e) {
      app.toast(sentence(e.message), "error");
    }
  }

  /** The user left or was removed: drop the room, and open another if it was open. */
  gone(roomId) {
    const app = this.app;
    app.state.leftRoom(roomId);
    app.compose.dropDraft(roomId);
    if (app.active === roomId) {
      const next = app.state.rooms.get("general") ? "general" : app.state.memberRooms()[0]?.id;
      app.active = null;
      if (next) this.select(next);
    }
  }

  async confirmDelete(msg) {
    const app = this.app;
    const ok = await confirmDialog({
      title: "Delete this message?",
      text: "Everyone in the room will see that a message was deleted.",
      confirm: "Delete",
      danger: true,
    });
    if (!ok) return;
    try {
      await app.request("delete_message", { room: msg.room, seq: msg.seq });
      app.state.deleteMessage(msg.room, msg.seq);
    } catch (e) {
      app.toast(sentence(e.message), "error");
    }
  }
}
