// The emoji picker: a dialog with a search box and a grid of emoji, the popular ones
// first. The focus stays in the search box; the arrow keys move through the grid (its
// options are announced as the active descendant), Enter picks, Escape closes; a click
// picks too. Used by the composer's emoji button and by a message's "Add reaction".

import { h } from "./dom.js";
import { closeTo, modal, uid } from "./dialogs.js";
import { loadEmoji, searchEmoji, spoken } from "./emoji.js";

export const COLUMNS = 8;
// The most options drawn at once: all for an empty search (about 1,900), fewer after.
const MAX_SHOWN = 2000;

/**
 * Open the picker. `onPick(emoji)` is called with the chosen emoji, after which the
 * dialog closes and the focus goes to `returnTo` (else back to what opened it).
 */
export function emojiPicker(app, { title = "Emoji", onPick, returnTo = null }) {
  const listId = uid("emoji-list");
  const search = h("input", {
    type: "text",
    class: "emoji-search",
    role: "combobox",
    "aria-label": "Search emoji",
    "aria-controls": listId,
    "aria-expanded": "true",
    "aria-autocomplete": "list",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "Search emoji, e.g. thumbs",
  });
  const grid = h("div", { id: listId, class: "emoji-grid", role: "listbox", "aria-label": "Emoji" });
  const status = h("p", { class: "emoji-status", "aria-live": "polite" });
  const preview = h("p", { class: "emoji-preview", "aria-hidden": "true" });
  let shown = [];
  let active = 0;

  function render() {
    shown = searchEmoji(search.value).slice(0, MAX_SHOWN);
    active = 0;
    grid.replaceChildren(
      ...shown.map((e, i) =>
        h(
          "div",
          {
            id: `${listId}-${i}`,
            class: "emoji-option",
            role: "option",
            "aria-selected": "false",
            "aria-label": spoken(e.names[0]),
            title: `:${e.names[0]}:`,
            dataset: { index: i },
          },
          e.emoji,
        ),
      ),
    );
    status.textContent = search.value.trim() && !shown.length ? "No emoji found." : "";
    mark();
  }

  function mark() {
    const old = grid.querySelector('[aria-selected="true"]');
    if (old) old.setAttribute("aria-selected", "false");
    const el = shown.length ? grid.children[active] : null;
    if (el) {
      el.setAttribute("aria-selected", "true");
      search.setAttribute("aria-activedescendant", el.id);
      el.scrollIntoView({ block: "nearest" });
      preview.replaceChildren(h("span", { class: "emoji-big" }, shown[active].emoji), ` :${shown[active].names.join(": :")}:`);
    } else {
      search.removeAttribute("aria-activedescendant");
      preview.replaceChildren();
    }
  }

  function move(by) {
    if (!shown.length) return;
    active = Math.max(0, Math.min(shown.length - 1, active + by));
    mark();
  }

  function pick(i) {
    const e = shown[i];
    if (!e) return;
    closeTo(dialog, returnTo || null);
    onPick(e.emoji);
  }

  search.addEventListener("input", render);
  search.addEventListener("keydown", (e) => {
    const steps = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    if (e.key in steps) {
      e.preventDefault();
      move(steps[e.key]);
    } else if (e.key === "Enter") {
      e.preventDefault();
      pick(active);
    }
  });
  grid.addEventListener("click", (e) => {
    const el = e.target.closest(".emoji-option");
    if (el) pick(Number(el.dataset.index));
  });
  // A pointer over an option shows its names, as the keys do.
  grid.addEventListener("mousemove", (e) => {
    const el = e.target.closest(".emoji-option");
    if (el && Number(el.dataset.index) !== active) {
      active = Number(el.dataset.index);
      mark();
    }
  });
  const dialog = modal({ title, className: "emoji-dialog", content: [search, grid, status, preview], focus: search });
  status.textContent = "Loading emoji…";
  loadEmoji().then(
    () => {
      if (dialog.open) render();
    },
    (err) => {
      status.textContent = err.message;
    },
  );
  return dialog;
}
