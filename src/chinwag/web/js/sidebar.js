// The room and DM lists (left) and the member list of the open room (right).
// Both are redrawn from the state; focus stays on the same item across redraws.

import { $, h, icon } from "./dom.js";
import { readableColor } from "./format.js";
import { key } from "./state.js";
import { avatar } from "./timeline.js";

/** Redraw `container` with `build()`, keeping focus on the element with the same data-key. */
function redrawKeepingFocus(container, build) {
  const focused = document.activeElement;
  const focusKey = focused && container.contains(focused) ? focused.dataset.key : null;
  container.replaceChildren(...build());
  if (focusKey) {
    const again = [...container.querySelectorAll("[data-key]")].find((el) => el.dataset.key === focusKey);
    if (again) again.focus();
  }
}

function unreadBadge(unread) {
  if (!unread.count) return null;
  const text = unread.count > 99 ? "99+" : `${unread.count}${unread.more ? "+" : ""}`;
  return h("span", { class: "badge", "aria-hidden": "true" }, text);
}

function unreadText(unread) {
  if (!unread.count) return "";
  return `, ${unread.count}${unread.more ? " or more" : ""} unread`;
}

/** The dot on an avatar: `online` true or false, or null while presence is unknown. */
export function presenceDot(online) {
  const kind = online === null ? "unknown" : online ? "online" : "offline";
  return h("span", { class: `presence ${kind}`, "aria-hidden": "true" });
}

/** What a presence reads as: "online", "offline", or "presence unknown". */
export function presenceWord(online) {
  return online === null ? "presence unknown" : online ? "online" : "offline";
}

export class RoomList {
  constructor(app) {
    this.app = app;
    this.state = app.state;
    this.rooms = $("room-list");
    this.dms = $("dm-list");
  }

  render() {
    const state = this.state;
    const active = this.app.active;
    const rooms = state
      .memberRooms()
      .filter((r) => r.kind !== "dm")
      .sort((a, b) => (a.id === "general" ? -1 : b.id === "general" ? 1 : a.name.localeCompare(b.name)));
    const dms = state
      .memberRooms()
      .filter((r) => r.kind === "dm")
      .sort((a, b) => this.activity(b) - this.activity(a));
    redrawKeepingFocus(this.rooms, () => rooms.map((room) => this.item(room, active)));
    redrawKeepingFocus(this.dms, () =>
      dms.length ? dms.map((room) => this.item(room, active)) : [h("li", { class: "empty-note" }, "No conversations yet")],
    );
  }

  activity(room) {
    const tl = this.state.timelines.get(room.id);
    return Math.max(tl ? tl.newestTs() : 0, room.created_ts);
  }

  item(room, active) {
    const state = this.state;
    const unread = room.id === active && this.app.readingNow() ? { count: 0, more: false } : state.unread(room.id);
    const label = state.roomLabel(room);
    let lead;
    let extra = "";
    if (room.kind === "dm") {
      const online = this.app.presence(state.dmPeer(room));
      const peer = state.user(state.dmPeer(room));
      lead = h("span", { class: "dm-lead" }, avatar(peer, this.app.effectiveTheme(), "small"), presenceDot(online));
      extra = `, ${presenceWord(online)}`;
    } else {
      lead = icon(room.kind === "private" ? "lock" : "hash");
      if (room.kind === "private") extra = ", private";
    }
    const button = h(
      "button",
      {
        type: "button",
        class: `room-item${unread.count ? " unread" : ""}`,
        "aria-current": room.id === active ? "page" : null,
        // The label starts with what is shown (the name, the count), in that order.
        "aria-label": label + unreadText(unread) + extra,
        dataset: { key: room.id, room: room.id },
        onclick: () => this.app.selectRoom(room.id, { focus: true }),
      },
      lead,
      h("span", { class: "room-name" }, label),
      " ",
      unreadBadge(unread),
    );
    return h("li", null, button);
  }
}

export class MemberList {
  constructor(app) {
    this.app = app;
    this.state = app.state;
    this.list = $("member-list");
    this.count = $("member-count");
  }

  /** The open room's members as [{username, role}]. */
  members(room) {
    if (!room) return [];
    if (room.kind === "dm") return room.members.map((u) => ({ user: u, role: "member" }));
    // Every account is in general; a registration adds one without a member_joined.
    if (room.id === "general") return [...this.state.users.values()].map((u) => ({ user: u.username, role: "member" }));
    const map = this.state.members.get(room.id);
    return map ? [...map.values()] : null;
  }

  render() {
    const state = this.state;
    const room = state.rooms.get(this.app.active);
    const members = this.members(room);
    if (members === null) {
      this.list.replaceChildren(h("p", { class: "empty-note" }, "Loading members…"));
      this.count.textContent = "";
      return;
    }
    const rows = members.map((m) => ({ ...m, info: state.user(m.user) }));
    const byName = (a, b) =>
      (a.info ? a.info.display_name : a.user).localeCompare(b.info ? b.info.display_name : b.user);
    this.count.textContent = String(rows.length);
    if (!this.app.presenceKnown()) {
      // Not connected: who is online now is not known, so nobody is shown as online.
      redrawKeepingFocus(this.list, () => [
        h("p", { class: "empty-note presence-note" }, "Presence unknown while offline."),
        this.section("Members", rows.sort(byName), room),
      ]);
      return;
    }
    const online = rows.filter((r) => r.info && r.info.online).sort(byName);
    const offline = rows.filter((r) => !(r.info && r.info.online)).sort(byName);
    redrawKeepingFocus(this.list, () => [
      this.section("Online", online, room),
      this.section("Offline", offline, room),
    ]);
  }

  section(title, rows, room) {
    const id = `members-${title.toLowerCase()}`;
    return h(
      "section",
      { class: "member-section", "aria-labelledby": id },
      h("h3", { id }, `${title} — ${rows.length}`),
      h(
        "ul",
        null,
        rows.map((r) => this.item(r, room)),
      ),
    );
  }

  item(row, room) {
    const state = this.state;
    const info = row.info || { username: row.user, display_name: row.user, color: "#6b7280", admin: false, online: false };
    const theme = this.app.effectiveTheme();
    const badges = [];
    if (row.role === "owner" || (room && room.owner && key(room.owner) === key(row.user))) badges.push("owner");
    if (info.admin) badges.push("admin");
    const isMe = state.isMe(row.user);
    const online = this.app.presence(row.user);
    const notes = [isMe ? "you" : null, ...badges].filter(Boolean);
    // What is shown (the name, then "you · admin"), then the presence.
    const label = [info.display_name, ...notes, presenceWord(online)].join(", ");
    return h(
      "li",
      null,
      h(
        "button",
        {
          type: "button",
          class: `member${online ? "" : " away"}`,
          "aria-label": label,
          "aria-haspopup": "dialog",
          dataset: { key: key(row.user), user: row.user },
          onclick: () => this.app.showUser(row.user),
        },
        h("span", { class: "member-avatar" }, avatar(info, theme, "small"), presenceDot(online)),
        h(
          "span",
          { class: "member-text" },
          h("span", { class: "member-name", css: online ? { color: readableColor(info.color, theme) } : null }, info.display_name),
          notes.length ? " " : null,
          notes.length ? h("span", { class: "member-sub" }, notes.join(" · ")) : null,
        ),
      ),
    );
  }
}
