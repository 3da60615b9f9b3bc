// The chat view's controls that belong to no one panel: the header's buttons, the
// keyboard shortcuts, taps on messages, and what the page's focus and the other tabs say.

import { $ } from "./dom.js";
import { roomDialog } from "./cards.js";
import { dmDialog, roomsDialog } from "./newchat.js";
import { settingsDialog } from "./settings.js";

/** Binds them once, for `app` (the App). */
export function bindChat(app) {
  document.querySelector(".skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    app.composer.focus();
  });
  app.panels.bind();
  app.compose.bind();
  app.files.bind();
  app.conv.bind();
  app.thread.bind();
  $("add-room").addEventListener("click", () => roomsDialog(app));
  $("add-dm").addEventListener("click", () => dmDialog(app));
  $("open-settings").addEventListener("click", () => settingsDialog(app));
  $("me").addEventListener("click", () => settingsDialog(app));
  $("logout").addEventListener("click", () => app.session.logout());
  $("open-search").addEventListener("click", () => app.openSearch());
  $("room-options").addEventListener("click", () => {
    const room = app.state.rooms.get(app.active);
    if (room) roomDialog(app, room);
  });
  $("notify-toggle").addEventListener("click", async () => {
    const result = await app.notifier.toggle();
    app.toast(result);
    app.renderChrome();
  });
  $("status-retry").addEventListener("click", () => {
    if (app.conn.state === "stopped") app.conn.connect();
    else app.conn.retryNow();
  });
  document.addEventListener("keydown", (e) => {
    if (document.querySelector("dialog[open]")) return;
    if (e.key === "Escape" && app.panels.closeDrawers()) e.preventDefault();
    if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown") && app.view === "app") {
      e.preventDefault();
      app.rooms.step(e.key === "ArrowUp" ? -1 : 1);
    }
    // "/" searches, unless it is being typed into a text field.
    const t = e.target;
    const typing = t instanceof Element && t.closest("input, textarea, select, [contenteditable]");
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey && app.view === "app") {
      e.preventDefault();
      app.openSearch();
    }
  });
  // On touch screens there is no hover: a tap on a message shows its actions.
  $("messages").addEventListener("click", (e) => {
    if (e.target.closest("a, button")) return;
    const row = e.target.closest(".msg");
    for (const el of $("messages").querySelectorAll(".msg.selected")) if (el !== row) el.classList.remove("selected");
    if (row) row.classList.toggle("selected");
  });
  app.darkQuery.addEventListener("change", () => app.themeChanged());

  const seen = () => {
    app.maybeMarkRead();
    app.renderChrome();
  };
  document.addEventListener("visibilitychange", seen);
  window.addEventListener("focus", seen);
  window.addEventListener("blur", seen);
  window.addEventListener("storage", (e) => {
    if (app.state.me && e.key === app.state.readKey(app.state.me.username) && e.newValue) {
      try {
        app.state.mergeRead(JSON.parse(e.newValue));
      } catch {
        // ignore a malformed value
      }
    }
  });
}
