// Modal dialogs on the native <dialog> element: focus moves in and comes back to the
// opener, Escape and the backdrop close them, the page behind is inert.

import { h, icon } from "./dom.js";
import { formatDuration, readableColor } from "./format.js";
import { key } from "./state.js";
import { avatar, richText } from "./timeline.js";
import { presenceDot } from "./sidebar.js";

let ids = 0;
function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

const focusAfter = new WeakMap();

/** Close a dialog and move focus to `el` (instead of back to what opened it). */
export function closeTo(dialog, el) {
  focusAfter.set(dialog, el);
  dialog.close();
}

export function modal({ title, content, className = "", onClose, focus }) {
  const titleId = uid("dlg-title");
  const opener = document.activeElement;
  const closeBtn = h("button", { type: "button", class: "icon-btn dialog-close", "aria-label": "Close" }, icon("close"));
  const dialog = h(
    "dialog",
    { class: `modal ${className}`, "aria-labelledby": titleId, "aria-modal": "true" },
    h(
      "div",
      { class: "modal-inner" },
      h("div", { class: "modal-head" }, h("h2", { id: titleId }, title), closeBtn),
      h("div", { class: "modal-body" }, content),
    ),
  );
  closeBtn.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (onClose) onClose();
    const target = focusAfter.get(dialog) || opener;
    if (target && target.isConnected && typeof target.focus === "function") target.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  const target = typeof focus === "function" ? focus(dialog) : focus;
  const first = target || dialog.querySelector("input:not([type=hidden]), select, textarea, .modal-body button");
  if (first) first.focus();
  return dialog;
}

/** A labelled input: returns {wrap, input}. */
function field(label, props = {}, hint = "") {
  const id = uid("f");
  const hintId = hint ? `${id}-hint` : null;
  const input = h(props.multiline ? "textarea" : "input", { id, "aria-describedby": hintId, ...props, multiline: null });
  const wrap = h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    input,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
  );
  return { wrap, input };
}

function formError() {
  return h("p", { class: "form-error", role: "alert" });
}

function formStatus() {
  return h("p", { class: "form-status", role: "status" });
}

/** Run a form's action with its button busy; show the error in `errorEl`. */
async function busy(form, errorEl, action) {
  const buttons = form.querySelectorAll("button[type=submit]");
  for (const b of buttons) b.disabled = true;
  errorEl.textContent = "";
  try {
    return await action();
  } catch (err) {
    errorEl.textContent = err && err.message ? sentence(err.message) : "Something went wrong.";
    return undefined;
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

export function sentence(text) {
  const s = String(text);
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export function confirmDialog({ title, text, confirm = "OK", danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h("button", { type: "submit", class: danger ? "btn danger" : "btn primary" }, confirm);
    const form = h(
      "form",
      { class: "stack" },
      h("p", null, text),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, "Cancel"),
        yes,
      ),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      answer = true;
      dialog.close();
    });
    const dialog = modal({ title, content: form, className: "small", onClose: () => resolve(answer), focus: yes });
  });
}

// -- settings -----------------------------------------------------------------------

const SWATCHES = [
  "#e0245e", "#d4380d", "#d4a000", "#3f9142", "#0ea5a4",
  "#1d72d8", "#5b5bd6", "#9b4dca", "#c2410c", "#64748b",
];

export function settingsDialog(app) {
  const me = app.state.me;
  // Profile
  const name = field("Display name", { value: me.display_name, maxlength: 64, required: true, autocomplete: "nickname" });
  const colorId = uid("color");
  const colorInput = h("input", { type: "color", id: colorId, value: me.color, class: "color-input" });
  const preview = h("span", { class: "name-preview" });
  const updatePreview = () => {
    preview.textContent = name.input.value.trim() || me.username;
    preview.style.color = readableColor(colorInput.value, app.effectiveTheme());
  };
  colorInput.addEventListener("input", updatePreview);
  name.input.addEventListener("input", updatePreview);
  updatePreview();
  const swatches = h(
    "div",
    { class: "swatches", role: "group", "aria-label": "Suggested colours" },
    SWATCHES.map((c) =>
      h("button", {
        type: "button",
        class: "swatch",
        "aria-label": `Colour ${c}`,
        css: { backgroundColor: c },
        onclick: () => {
          colorInput.value = c;
          updatePreview();
        },
      }),
    ),
  );
  const profileErr = formError();
  const profileOk = formStatus();
  const profile = h(
    "form",
    { class: "stack", "aria-labelledby": "settings-profile" },
    h("h3", { id: "settings-profile" }, "Profile"),
    name.wrap,
    h("div", { class: "field" }, h("label", { for: colorId }, "Name colour"), h("div", { class: "color-row" }, colorInput, swatches)),
    h("p", { class: "hint" }, "Preview: ", preview),
    profileErr,
    profileOk,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, "Save profile")),
  );
  profile.addEventListener("submit", (e) => {
    e.preventDefault();
    profileOk.textContent = "";
    busy(profile, profileErr, async () => {
      await app.request("update_profile", { display_name: name.input.value, color: colorInput.value });
      profileOk.textContent = "Saved.";
    });
  });

  // Password
  const oldPw = field("Current password", { type: "password", autocomplete: "current-password", required: true });
  const newPw = field("New password", { type: "password", autocomplete: "new-password", required: true, minlength: 8 }, "At least 8 characters.");
  const againPw = field("New password again", { type: "password", autocomplete: "new-password", required: true });
  const pwErr = formError();
  const pwOk = formStatus();
  const password = h(
    "form",
    { class: "stack", "aria-labelledby": "settings-password" },
    h("h3", { id: "settings-password" }, "Password"),
    oldPw.wrap,
    newPw.wrap,
    againPw.wrap,
    pwErr,
    pwOk,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn" }, "Change password")),
  );
  password.addEventListener("submit", (e) => {
    e.preventDefault();
    pwOk.textContent = "";
    if (newPw.input.value !== againPw.input.value) {
      pwErr.textContent = "The new passwords do not match.";
      return;
    }
    busy(password, pwErr, async () => {
      await app.request("change_password", { old: oldPw.input.value, new: newPw.input.value });
      for (const f of [oldPw, newPw, againPw]) f.input.value = "";
      pwOk.textContent = "Password changed. Your other devices have been logged out.";
    });
  });

  // Appearance
  const themeName = uid("theme");
  const current = app.themeChoice();
  const themes = h(
    "fieldset",
    { class: "radios" },
    h("legend", null, "Theme"),
    [
      ["system", "Follow the system"],
      ["light", "Light"],
      ["dark", "Dark"],
    ].map(([value, label]) =>
      h(
        "label",
        { class: "radio" },
        h("input", {
          type: "radio",
          name: themeName,
          value,
          checked: current === value,
          onchange: () => app.setTheme(value),
        }),
        label,
      ),
    ),
  );
  const appearance = h("section", { class: "stack", "aria-labelledby": "settings-appearance" }, h("h3", { id: "settings-appearance" }, "Appearance"), themes);

  // Notifications
  const notifyStatus = formStatus();
  const notifyName = uid("notify");
  const notifyChoice = app.notifier.mode;
  const modes = h(
    "fieldset",
    { class: "radios" },
    h("legend", null, "Desktop notifications"),
    [
      ["off", "Off"],
      ["mentions", "Direct messages and mentions of @" + me.username],
      ["all", "Every new message"],
    ].map(([value, label]) =>
      h(
        "label",
        { class: "radio" },
        h("input", {
          type: "radio",
          name: notifyName,
          value,
          checked: notifyChoice === value,
          disabled: !app.notifier.supported() && value !== "off",
          onchange: async (e) => {
            const result = await app.notifier.choose(value);
            notifyStatus.textContent = result;
            for (const r of modes.querySelectorAll("input")) r.checked = r.value === app.notifier.mode;
            app.renderChrome();
            if (e.target.value !== app.notifier.mode) e.target.checked = false;
          },
        }),
        label,
      ),
    ),
  );
  const notifyNote = app.notifier.supported()
    ? "Your browser asks for permission the first time you turn them on."
    : app.notifier.unsupportedReason();
  const notifications = h(
    "section",
    { class: "stack", "aria-labelledby": "settings-notifications" },
    h("h3", { id: "settings-notifications" }, "Notifications"),
    modes,
    h("p", { class: "hint" }, notifyNote),
    notifyStatus,
  );

  modal({
    title: "Settings",
    className: "wide",
    content: [
      h("p", { class: "hint" }, `Logged in as @${me.username}${me.admin ? " (server admin)" : ""}.`),
      profile,
      password,
      appearance,
      notifications,
    ],
  });
}

// -- rooms: browse, join, create ----------------------------------------------------

export function roomsDialog(app) {
  const listEl = h("ul", { class: "pick-list", "aria-label": "Public rooms you can join" });
  const filter = field("Find a public room", { type: "search", autocomplete: "off", placeholder: "Name or topic" });
  const browseErr = formError();
  const render = () => {
    const q = filter.input.value.trim().toLowerCase();
    const rooms = [...app.state.rooms.values()]
      .filter((r) => !r.member && r.kind === "public")
      .filter((r) => !q || r.name.toLowerCase().includes(q) || r.topic.toLowerCase().includes(q))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (!rooms.length) {
      listEl.replaceChildren(h("li", { class: "empty-note" }, q ? "No public room matches." : "You are in every public room."));
      return;
    }
    listEl.replaceChildren(
      ...rooms.map((r) =>
        h(
          "li",
          { class: "pick" },
          h(
            "div",
            { class: "pick-text" },
            h("span", { class: "pick-title" }, icon("hash"), r.name),
            h("span", { class: "pick-sub" }, `${r.member_count} ${r.member_count === 1 ? "member" : "members"}${r.topic ? " · " : ""}`, r.topic),
          ),
          h(
            "button",
            {
              type: "button",
              class: "btn",
              "aria-label": `Join ${r.name}`,
              onclick: async (e) => {
                e.currentTarget.disabled = true;
                browseErr.textContent = "";
                try {
                  await app.joinRoom(r.id);
                  closeTo(dialog, app.composer);
                } catch (err) {
                  browseErr.textContent = sentence(err.message);
                  e.currentTarget.disabled = false;
                }
              },
            },
            "Join",
          ),
        ),
      ),
    );
  };
  filter.input.addEventListener("input", render);
  render();
  app.refreshRooms().then(render, () => {});

  const name = field("Name", { required: true, maxlength: 48, autocomplete: "off", placeholder: "e.g. LAN Party" });
  const topic = field("Topic (optional)", { maxlength: 300, autocomplete: "off" });
  const privId = uid("private");
  const priv = h("input", { type: "checkbox", id: privId });
  const createErr = formError();
  const create = h(
    "form",
    { class: "stack", "aria-labelledby": "create-room-title" },
    h("h3", { id: "create-room-title" }, "Create a room"),
    name.wrap,
    topic.wrap,
    h("label", { class: "check", for: privId }, priv, "Private: only people you add can see and join it"),
    createErr,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, "Create room")),
  );
  create.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(create, createErr, async () => {
      await app.createRoom(name.input.value, topic.input.value, priv.checked);
      closeTo(dialog, app.composer);
    });
  });
  const dialog = modal({
    title: "Rooms",
    className: "wide",
    content: [
      h("section", { class: "stack", "aria-labelledby": "browse-title" }, h("h3", { id: "browse-title" }, "Join a room"), filter.wrap, browseErr, listEl),
      create,
    ],
  });
}

// -- direct messages ----------------------------------------------------------------

export function dmDialog(app) {
  const filter = field("Find someone", { type: "search", autocomplete: "off", placeholder: "Name or username" });
  const listEl = h("ul", { class: "pick-list", "aria-label": "People" });
  const err = formError();
  const people = () => {
    const q = filter.input.value.trim().toLowerCase();
    return [...app.state.users.values()]
      .filter((u) => !app.state.isMe(u.username))
      .filter((u) => !q || u.username.toLowerCase().includes(q) || u.display_name.toLowerCase().includes(q))
      .sort((a, b) => Number(b.online) - Number(a.online) || a.display_name.localeCompare(b.display_name));
  };
  const open = async (u, button) => {
    if (button) button.disabled = true;
    err.textContent = "";
    try {
      await app.openDm(u.username);
      closeTo(dialog, app.composer);
    } catch (e) {
      err.textContent = sentence(e.message);
      if (button) button.disabled = false;
    }
  };
  const render = () => {
    const list = people();
    if (!list.length) {
      listEl.replaceChildren(h("li", { class: "empty-note" }, "Nobody matches."));
      return;
    }
    const theme = app.effectiveTheme();
    listEl.replaceChildren(
      ...list.map((u) =>
        h(
          "li",
          null,
          h(
            "button",
            {
              type: "button",
              class: "pick-person",
              "aria-label": `Message ${u.display_name} (@${u.username}), ${u.online ? "online" : "offline"}`,
              onclick: (e) => open(u, e.currentTarget),
            },
            h("span", { class: "member-avatar" }, avatar(u, theme, "small"), presenceDot(u.online)),
            h("span", { class: "member-name", css: { color: readableColor(u.color, theme) } }, u.display_name),
            h("span", { class: "pick-sub" }, `@${u.username}`),
          ),
        ),
      ),
    );
  };
  filter.input.addEventListener("input", render);
  filter.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      const list = people();
      if (list.length === 1) open(list[0], null);
    }
  });
  render();
  const dialog = modal({ title: "New direct message", content: [filter.wrap, err, listEl] });
}

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
        h("span", { class: "member-avatar big" }, avatar(u, theme, "large"), presenceDot(u.online)),
        h(
          "div",
          null,
          h("p", { class: "user-card-name", css: { color: readableColor(u.color, theme) } }, u.display_name),
          h("p", { class: "pick-sub" }, `@${u.username}`),
          h("p", { class: "pick-sub" }, `${u.online ? "Online" : "Offline"}${u.admin ? " · server admin" : ""}${isMe ? " · you" : ""}`),
        ),
      ),
      actions.length ? h("div", { class: "actions start" }, actions) : null,
      modButtons.length
        ? h("section", { class: "stack", "aria-labelledby": "mod-title" }, h("h3", { id: "mod-title" }, "Moderation"), h("div", { class: "actions start" }, modButtons))
        : null,
    ],
  });
}

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

// -- room options -------------------------------------------------------------------

export function roomDialog(app, room) {
  const state = app.state;
  const sections = [];
  const label = app.roomTitle(room);
  const facts = [];
  if (room.kind === "dm") facts.push("Direct message");
  else facts.push(room.kind === "private" ? "Private room" : "Public room");
  if (room.kind !== "dm") facts.push(`${room.member_count} ${room.member_count === 1 ? "member" : "members"}`);
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
