// Moderation: who may be moderated where, and the dialog that kicks, bans or mutes
// (in the open room or on the whole server) and lifts bans and mutes.

import { h } from "./dom.js";
import { formatDuration } from "./format.js";
import { key } from "./state.js";
import { busy, field, formError, modal, uid } from "./dialogs.js";

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

export function moderationDialog(app, { user = "", action = "kick" } = {}) {
  const state = app.state;
  const room = state.rooms.get(app.active);
  const roomAllowed = state.canModerate(room);
  const serverAllowed = !!(state.me && state.me.admin);

  const actionId = uid("action");
  const actionSel = h(
    "select",
    { id: actionId },
    [
      ["kick", "Kick"],
      ["ban", "Ban"],
      ["unban", "Lift a ban"],
      ["mute", "Mute"],
      ["unmute", "Lift a mute"],
    ].map(([v, l]) => h("option", { value: v, selected: v === action }, l)),
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
  const roomName = room ? app.roomTitle(room) : "this room";
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
  const submit = h("button", { type: "submit", class: "btn danger" }, "Apply");
  const sync = () => {
    const a = actionSel.value;
    const inGeneral = room && room.id === "general";
    // Everyone is in general: kick and ban there are server-wide.
    roomRadio.disabled = !roomAllowed || (inGeneral && (a === "kick" || a === "ban"));
    if (roomRadio.disabled && roomRadio.checked) serverRadio.checked = true;
    if (!roomRadio.checked && !serverRadio.checked) (roomRadio.disabled ? serverRadio : roomRadio).checked = true;
    if (serverRadio.disabled && serverRadio.checked) roomRadio.checked = true;
    duration.hidden = a !== "mute";
    reason.wrap.hidden = a === "unban" || a === "unmute";
    submit.textContent = { kick: "Kick", ban: "Ban", unban: "Lift ban", mute: "Mute", unmute: "Lift mute" }[a];
  };
  actionSel.addEventListener("change", sync);
  roomRadio.checked = roomAllowed && !(room && room.id === "general" && (action === "kick" || action === "ban"));
  serverRadio.checked = !roomRadio.checked && serverAllowed;
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
      const where = fields.room ? `in ${roomName}` : "on the server";
      const what = {
        kick: "kicked",
        ban: "banned",
        unban: "unbanned",
        mute: `muted for ${formatDuration(fields.seconds || 0)}`,
        unmute: "unmuted",
      }[a];
      app.toast(`${fields.user} ${what} ${where}.`);
    });
  });
  const dialog = modal({ title: "Moderation", content: form, focus: user ? actionSel : who.input });
}
