// The settings dialog: profile (display name, colour), password, theme, notifications.

import { h } from "./dom.js";
import { readableColor } from "./format.js";
import { busy, field, formError, formStatus, modal, uid } from "./dialogs.js";

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
