// Moderation: who may be moderated where; the dialog that kicks, bans or mutes (in the
// open room or on the whole server) and lifts bans and mutes, always saying which; and
// the lists of the mutes and bans in force, per room and server-wide, to lift them from.
// A lift of something not in force is refused by the server (`no_change`): its message
// is shown as an error, never as a success.

import { h } from "./dom.js";
import { formatDuration, formatFull } from "./format.js";
import { key } from "./state.js";
import { busy, field, formError, formStatus, modal, sentence, uid } from "./dialogs.js";

/** Which kinds of moderation the user may apply to `target`: {room, server}. */
export function moderationTargets(app, target, room) {
  const state = app.state;
  const me = state.me;
  if (!me || state.isMe(target.username)) return { room: false, server: false };
  const server = me.admin;
  let inRoom = state.canModerate(room) && room.id !== "general";
  if (inRoom && target.admin && !me.admin) inRoom = false;
  if (inRoom && room.owner && key(room.owner) === key(target.username) && !me.admin) inRoom = false;
  return { room: inRoom, server };
}

const DURATIONS = [
  [300, "5 minutes"],
  [600, "10 minutes"],
  [3600, "1 hour"],
  [86400, "1 day"],
  [604800, "1 week"],
];

const ACTIONS = [
  ["kick", "Kick"],
  ["ban", "Ban"],
  ["unban", "Lift a ban"],
  ["mute", "Mute"],
  ["unmute", "Lift a mute"],
];

// Kick and ban (and so lifting a ban) in general are server-wide: everyone is in it.
const roomWide = (room, action) =>
  !(room && room.id === "general" && (action === "kick" || action === "ban" || action === "unban"));

export function moderationDialog(app, { user = "", action = "kick" } = {}) {
  const state = app.state;
  const room = state.rooms.get(app.active);
  const roomAllowed = state.canModerate(room);
  const serverAllowed = !!(state.me && state.me.admin);
  const roomName = room ? app.roomTitle(room) : "this room";

  const actionId = uid("action");
  const actionSel = h(
    "select",
    { id: actionId },
    ACTIONS.map(([v, l]) => h("option", { value: v, selected: v === action }, l)),
  );
  const listId = uid("users");
  const who = field("User", { value: user, required: true, list: listId, autocomplete: "off" });
  const datalist = h(
    "datalist",
    { id: listId },
    [...state.users.values()].filter((u) => !state.isMe(u.username)).map((u) => h("option", { value: u.username }, u.display_name)),
  );
  const scopeName = uid("scope");
  const roomRadio = h("input", { type: "radio", name: scopeName, value: "room", disabled: !roomAllowed });
  const serverRadio = h("input", { type: "radio", name: scopeName, value: "server", disabled: !serverAllowed });
  const scope = h(
    "fieldset",
    { class: "radios" },
    h("legend", null, "Where"),
    h("label", { class: "radio" }, roomRadio, `In ${roomName} only`),
    h("label", { class: "radio" }, serverRadio, "On the whole server"),
  );
  const durId = uid("dur");
  const duration = h(
    "div",
    { class: "field" },
    h("label", { for: durId }, "For how long"),
    h(
      "select",
      { id: durId },
      DURATIONS.map(([s, l]) => h("option", { value: String(s), selected: s === 600 }, l)),
    ),
  );
  const reason = field("Reason (shown to everyone)", { maxlength: 300, autocomplete: "off" });
  const err = formError();
  const submit = h("button", { type: "submit", class: "btn danger" });
  // The scope follows the action (the room it was opened from, where the action can be
  // done there) until the user picks one.
  let scopePicked = false;
  for (const radio of [roomRadio, serverRadio]) radio.addEventListener("change", () => (scopePicked = true));
  const sync = () => {
    const a = actionSel.value;
    roomRadio.disabled = !roomAllowed || !roomWide(room, a);
    if (!scopePicked || (roomRadio.disabled && roomRadio.checked)) {
      roomRadio.checked = !roomRadio.disabled;
      serverRadio.checked = roomRadio.disabled && serverAllowed;
    }
    duration.hidden = a !== "mute";
    reason.wrap.hidden = a === "unban" || a === "unmute";
    const verb = { kick: "Kick", ban: "Ban", unban: "Lift ban", mute: "Mute", unmute: "Lift mute" }[a];
    submit.textContent = `${verb} ${roomRadio.checked ? `in ${roomName}` : "on the whole server"}`;
  };
  actionSel.addEventListener("change", sync);
  scope.addEventListener("change", sync);
  sync();

  const form = h(
    "form",
    { class: "stack" },
    h("div", { class: "field" }, h("label", { for: actionId }, "Action"), actionSel),
    who.wrap,
    datalist,
    scope,
    duration,
    reason.wrap,
    err,
    h("div", { class: "actions" }, h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, "Cancel"), submit),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const a = actionSel.value;
    const fields = { user: who.input.value.trim() };
    if (roomRadio.checked && room) fields.room = room.id;
    if (a === "kick" || a === "ban" || a === "mute") fields.reason = reason.input.value;
    let type = a;
    if (a === "mute") fields.seconds = Number(duration.querySelector("select").value);
    if (a === "unmute") {
      type = "mute";
      fields.seconds = 0;
    }
    busy(form, err, async () => {
      await app.request(type, fields);
      dialog.close();
      const where = fields.room ? `in ${roomName}` : "on the whole server";
      const what = {
        kick: "kicked",
        ban: "banned",
        unban: "unbanned",
        mute: `muted for ${formatDuration(fields.seconds || 0)}`,
        unmute: "unmuted",
      }[a];
      app.toast(`${state.displayName(fields.user)} ${what} ${where}.`);
    });
  });
  const dialog = modal({ title: "Moderation", content: form, focus: user ? actionSel : who.input });
}

/** "until 14:05 (in 59 minutes)", or "until lifted". */
function untilText(until, now = Date.now()) {
  if (until === null || until === undefined) return "until lifted";
  return `until ${formatFull(until)} (in ${formatDuration(Math.max(1, (until - now) / 1000))})`;
}

/**
 * The mutes and bans in force, in a room (`roomId`) or server-wide (null): who, by whom,
 * since and until when, why; each with its Unmute or Unban button. Admins may switch
 * between the open room's lists and the server's.
 */
export function sanctionsDialog(app, { roomId = null } = {}) {
  const state = app.state;
  const room = roomId ? state.rooms.get(roomId) : null;
  const admin = !!(state.me && state.me.admin);
  let scope = room ? "room" : "server";
  const status = formStatus();
  const err = formError();
  const lists = h("div", { class: "sanctions", "aria-live": "polite" }, h("p", { class: "empty-note" }, "Loading…"));
  const content = [];
  if (room && admin) {
    const name = uid("where");
    const pick = (value, label) => {
      const input = h("input", { type: "radio", name, value, checked: scope === value });
      input.addEventListener("change", () => {
        scope = value;
        load();
      });
      return h("label", { class: "radio" }, input, label);
    };
    content.push(
      h("fieldset", { class: "radios inline" }, h("legend", null, "Show"), pick("room", `In ${app.roomTitle(room)}`), pick("server", "On the whole server")),
    );
  }
  content.push(lists, err, status);

  const where = () => (scope === "room" ? `in ${app.roomTitle(room)}` : "on the whole server");

  function entry(s, kind) {
    const by = s.by ? `by ${s.by_display_name || state.displayName(s.by)}` : "by the server's administrator";
    const since = s.since ? `, ${formatFull(s.since)}` : "";
    const when = kind === "mute" ? untilText(s.until) : "until lifted";
    const label = kind === "mute" ? "Unmute" : "Unban";
    const lift = h(
      "button",
      { type: "button", class: "btn small", "aria-label": `${label} ${s.display_name}` },
      label,
    );
    lift.addEventListener("click", async () => {
      lift.disabled = true;
      err.textContent = "";
      status.textContent = "";
      const fields = { user: s.user };
      if (scope === "room") fields.room = room.id;
      try {
        if (kind === "mute") await app.request("mute", { ...fields, seconds: 0 });
        else await app.request("unban", fields);
        status.textContent = `${s.display_name} ${kind === "mute" ? "unmuted" : "unbanned"} ${where()}.`;
        await load();
      } catch (e) {
        err.textContent = sentence(e.message);
        lift.disabled = false;
      }
    });
    return h(
      "li",
      { class: "sanction" },
      h(
        "div",
        { class: "sanction-text" },
        h("p", { class: "sanction-who" }, h("strong", null, s.display_name), ` @${s.user}`),
        h("p", { class: "pick-sub" }, `${by}${since}; ${when}`),
        h("p", { class: "pick-sub" }, s.reason ? `Reason: ${s.reason}` : "No reason given"),
      ),
      lift,
    );
  }

  function section(title, items, kind, none) {
    const id = uid("sanctions");
    return h(
      "section",
      { "aria-labelledby": id },
      h("h3", { id, class: "sanctions-title" }, `${title} (${items.length})`),
      items.length ? h("ul", { class: "sanction-list" }, items.map((s) => entry(s, kind))) : h("p", { class: "empty-note" }, none),
    );
  }

  async function load() {
    err.textContent = "";
    try {
      const reply = await app.request("moderation", { room: scope === "room" ? room.id : null });
      lists.replaceChildren(
        section("Muted", reply.mutes, "mute", `Nobody is muted ${where()}.`),
        section("Banned", reply.bans, "ban", `Nobody is banned ${where()}.`),
      );
    } catch (e) {
      lists.replaceChildren();
      err.textContent = sentence(e.message);
    }
  }

  const title = room ? `Mutes and bans: ${app.roomTitle(room)}` : "Mutes and bans on this server";
  modal({ title, className: "wide", content });
  load();
}
