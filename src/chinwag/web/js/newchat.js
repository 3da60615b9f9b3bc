// Starting a conversation: browse, join or create a room; open a direct message.

import { h, icon } from "./dom.js";
import { plural, readableColor } from "./format.js";
import { avatar } from "./timeline.js";
import { presenceDot, presenceWord } from "./sidebar.js";
import { busy, closeTo, field, formError, modal, sentence, uid } from "./dialogs.js";

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
            h("span", { class: "pick-sub" }, `${plural(r.member_count, "member", "members")}${r.topic ? " · " : ""}`, r.topic),
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
              "aria-label": `Message ${u.display_name}, @${u.username}, ${presenceWord(app.presence(u.username))}`,
              onclick: (e) => open(u, e.currentTarget),
            },
            h("span", { class: "member-avatar" }, avatar(u, theme, "small"), presenceDot(app.presence(u.username))),
            h("span", { class: "member-name", css: { color: readableColor(u.color, theme) } }, u.display_name),
            " ",
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
