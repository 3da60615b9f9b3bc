// The cards that open from a name: a user's card, and a room's options (edit, add
// someone, moderate, leave).

import { h } from "./dom.js";
import { plural, readableColor } from "./format.js";
import { key } from "./state.js";
import { avatar, richText } from "./timeline.js";
import { presenceDot, presenceWord } from "./sidebar.js";
import { busy, closeTo, field, formError, formStatus, modal, sentence, uid } from "./dialogs.js";
import { moderationDialog, moderationTargets, sanctionsDialog } from "./moderation.js";

const sentenceCase = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// -- a user's card --------------------------------------------------------------------

export function userDialog(app, username) {
  const state = app.state;
  const u = state.user(username) || { username, display_name: username, color: "#6b7280", admin: false, online: false };
  const room = state.rooms.get(app.active);
  const theme = app.effectiveTheme();
  const actions = [];
  const isMe = state.isMe(username);
  if (!isMe) {
    actions.push(
      h(
        "button",
        {
          type: "button",
          class: "btn primary",
          onclick: async () => {
            closeTo(dialog, app.composer);
            try {
              await app.openDm(u.username);
            } catch (err) {
              app.toast(sentence(err.message), "error");
            }
          },
        },
        "Send a direct message",
      ),
    );
  }
  const mod = moderationTargets(app, u, room);
  const modButtons = [];
  for (const action of ["kick", "ban", "mute"]) {
    if (mod.room || mod.server) {
      modButtons.push(
        h(
          "button",
          {
            type: "button",
            class: action === "mute" ? "btn" : "btn danger",
            onclick: () => {
              dialog.close();
              moderationDialog(app, { user: u.username, action });
            },
          },
          `${action[0].toUpperCase()}${action.slice(1)}…`,
        ),
      );
    }
  }
  const dialog = modal({
    title: u.display_name,
    className: "small",
    content: [
      h(
        "div",
        { class: "user-card" },
        h("span", { class: "member-avatar big" }, avatar(u, theme, "large"), presenceDot(app.presence(u.username))),
        h(
          "div",
          null,
          h("p", { class: "user-card-name", css: { color: readableColor(u.color, theme) } }, u.display_name),
          h("p", { class: "pick-sub" }, `@${u.username}`),
          h("p", { class: "pick-sub" }, `${sentenceCase(presenceWord(app.presence(u.username)))}${u.admin ? " · server admin" : ""}${isMe ? " · you" : ""}`),
        ),
      ),
      actions.length ? h("div", { class: "actions start" }, actions) : null,
      modButtons.length
        ? h("section", { class: "stack", "aria-labelledby": "mod-title" }, h("h3", { id: "mod-title" }, "Moderation"), h("div", { class: "actions start" }, modButtons))
        : null,
    ],
  });
}

// -- room options -------------------------------------------------------------------

export function roomDialog(app, room) {
  const state = app.state;
  const sections = [];
  const label = app.roomTitle(room);
  const facts = [];
  if (room.kind === "dm") facts.push("Direct message");
  else facts.push(room.kind === "private" ? "Private room" : "Public room");
  if (room.kind !== "dm") facts.push(plural(room.member_count, "member", "members"));
  if (room.owner) facts.push(`created by ${state.displayName(room.owner)}`);
  sections.push(h("p", { class: "hint" }, facts.join(" · ")));
  if (room.topic) sections.push(h("p", { class: "topic-full" }, richText(room.topic, null)));

  if (room.kind !== "dm" && state.canModerate(room)) {
    const name = field("Name", { value: room.name, maxlength: 48, required: true, autocomplete: "off" });
    const topic = field("Topic", { value: room.topic, maxlength: 300, autocomplete: "off" });
    const err = formError();
    const form = h(
      "form",
      { class: "stack", "aria-labelledby": "edit-room-title" },
      h("h3", { id: "edit-room-title" }, "Edit room"),
      name.wrap,
      topic.wrap,
      err,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, "Save")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const fields = { room: room.id };
      if (name.input.value.trim() !== room.name) fields.name = name.input.value;
      if (topic.input.value.trim() !== room.topic) fields.topic = topic.input.value;
      busy(form, err, async () => {
        if (fields.name !== undefined || fields.topic !== undefined) {
          const reply = await app.request("update_room", fields);
          state.upsertRoom(reply.room);
        }
        dialog.close();
      });
    });
    sections.push(form);
  }

  if (room.kind !== "dm") {
    const listId = uid("invitees");
    const who = field("Username", { required: true, list: listId, autocomplete: "off" });
    const members = state.members.get(room.id);
    const datalist = h(
      "datalist",
      { id: listId },
      [...state.users.values()]
        .filter((u) => !(members && members.has(key(u.username))))
        .map((u) => h("option", { value: u.username }, u.display_name)),
    );
    const err = formError();
    const ok = formStatus();
    const form = h(
      "form",
      { class: "stack", "aria-labelledby": "invite-title" },
      h("h3", { id: "invite-title" }, "Add someone"),
      who.wrap,
      datalist,
      err,
      ok,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "btn" }, "Add to room")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      ok.textContent = "";
      busy(form, err, async () => {
        await app.request("invite", { room: room.id, user: who.input.value.trim() });
        ok.textContent = `Added ${who.input.value.trim()}.`;
        who.input.value = "";
      });
    });
    sections.push(form);
  }

  const buttons = [];
  if (state.canModerate(room) || (state.me && state.me.admin)) {
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "btn",
          onclick: () => {
            dialog.close();
            moderationDialog(app, {});
          },
        },
        "Moderate someone…",
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn",
          onclick: () => {
            dialog.close();
            sanctionsDialog(app, { roomId: state.canModerate(room) ? room.id : null });
          },
        },
        "Mutes and bans…",
      ),
    );
  }
  if (room.kind !== "dm" && room.id !== "general") {
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "btn danger",
          onclick: async () => {
            dialog.close();
            await app.leaveRoom(room);
          },
        },
        "Leave room",
      ),
    );
  }
  if (buttons.length) sections.push(h("div", { class: "actions start" }, buttons));
  const dialog = modal({ title: label, content: sections });
}
