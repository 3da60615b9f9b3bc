// Modal dialogs on the native <dialog> element: focus moves in and comes back to the
// opener, Escape and the backdrop close them, the page behind is inert. The parts every
// dialog is built from are here; the dialogs themselves are in settings.js, newchat.js,
// cards.js and moderation.js.

import { h, icon } from "./dom.js";

let ids = 0;
export function uid(prefix) {
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
export function field(label, props = {}, hint = "") {
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

export function formError() {
  return h("p", { class: "form-error", role: "alert" });
}

export function formStatus() {
  return h("p", { class: "form-status", role: "status" });
}

/** Run a form's action with its button busy; show the error in `errorEl`. */
export async function busy(form, errorEl, action) {
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
