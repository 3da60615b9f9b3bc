// Completion while typing in a message box: `:sm` (a colon and two letters) offers the
// emoji whose names match, `@an` the room's members by display name or username. The
// list shows above the box; Up/Down choose, Tab or Enter picks, Escape closes. The box
// keeps the focus and names the chosen option as its active descendant.

import { h } from "./dom.js";
import { uid } from "./dialogs.js";
import { complete, emojiReady, loadEmoji } from "./emoji.js";
import { key } from "./state.js";

const LIMIT = 8;
const EMOJI_RE = /(?:^|[\s([{"'])(:([^\s:]{2,60}))$/;
const MENTION_RE = /(?:^|[^\w@.-])(@([\w.-]{0,32}))$/;

export class Completion {
  /** `input`: the textarea; `members()`: [{username, display_name}] of the room, or null;
   * `me`: the username not to offer. */
  constructor(app, input, members) {
    this.app = app;
    this.input = input;
    this.members = members;
    this.id = uid("complete");
    this.list = h("ul", { id: this.id, class: "completions", role: "listbox", "aria-label": "Suggestions", hidden: true });
    this.items = [];
    this.active = 0;
    this.from = 0;
    input.setAttribute("aria-autocomplete", "list");
    input.after(this.list);
    input.addEventListener("keydown", (e) => this.onKey(e));
    input.addEventListener("input", () => this.update());
    input.addEventListener("click", () => this.update());
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    this.list.addEventListener("mousedown", (e) => e.preventDefault()); // keep the focus
    this.list.addEventListener("click", (e) => {
      const li = e.target.closest("li[data-index]");
      if (li) this.pick(Number(li.dataset.index));
    });
  }

  get open() {
    return !this.list.hidden;
  }

  /** Look at what is typed before the caret and offer what fits. */
  update() {
    const input = this.input;
    if (input.selectionStart !== input.selectionEnd) return this.close();
    const before = input.value.slice(0, input.selectionStart);
    let m = EMOJI_RE.exec(before);
    if (m) {
      if (!emojiReady()) {
        loadEmoji().then(() => this.update(), () => {});
        return this.close();
      }
      this.from = before.length - m[1].length;
      return this.show(
        complete(m[2], LIMIT).map((c) => ({
          insert: c.emoji,
          label: [h("span", { class: "completion-emoji", "aria-hidden": "true" }, c.emoji), ` :${c.name}:`],
          name: `${c.emoji} :${c.name}:`,
        })),
      );
    }
    m = MENTION_RE.exec(before);
    if (m) {
      this.from = before.length - m[1].length;
      return this.show(this.people(m[2]));
    }
    return this.close();
  }

  people(prefix) {
    const q = prefix.toLowerCase();
    const list = this.members() || [];
    const scored = [];
    for (const u of list) {
      if (this.app.state.isMe(u.username)) continue;
      const name = (u.display_name || u.username).toLowerCase();
      const user = key(u.username);
      let rank;
      if (user.startsWith(q)) rank = 0;
      else if (name.startsWith(q)) rank = 1;
      else if (name.split(/\s+/).some((w) => w.startsWith(q))) rank = 2;
      else continue;
      scored.push({ rank, u });
    }
    scored.sort((a, b) => a.rank - b.rank || a.u.username.localeCompare(b.u.username));
    return scored.slice(0, LIMIT).map(({ u }) => ({
      insert: `@${u.username} `,
      label: [h("span", { class: "completion-name" }, u.display_name || u.username), h("span", { class: "completion-sub" }, ` @${u.username}`)],
      name: `${u.display_name || u.username}, @${u.username}`,
    }));
  }

  show(items) {
    if (!items.length) return this.close();
    this.items = items;
    this.active = 0;
    this.list.replaceChildren(
      ...items.map((it, i) =>
        h("li", { id: `${this.id}-${i}`, role: "option", "aria-selected": "false", "aria-label": it.name, dataset: { index: i } }, it.label),
      ),
    );
    this.list.hidden = false;
    this.input.setAttribute("aria-controls", this.id);
    this.mark();
  }

  mark() {
    for (const li of this.list.children) li.setAttribute("aria-selected", String(Number(li.dataset.index) === this.active));
    this.input.setAttribute("aria-activedescendant", `${this.id}-${this.active}`);
  }

  close() {
    if (this.list.hidden) return;
    this.list.hidden = true;
    this.items = [];
    this.list.replaceChildren();
    this.input.removeAttribute("aria-activedescendant");
    this.input.removeAttribute("aria-controls");
  }

  onKey(e) {
    if (!this.open || e.isComposing) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      this.active = (this.active + (e.key === "ArrowDown" ? 1 : -1) + this.items.length) % this.items.length;
      this.mark();
    } else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
      this.pick(this.active);
    } else if (e.key === "Escape") {
      this.close();
    } else {
      return;
    }
    // Handled here: not a send, not a focus move, not closing what the box is in.
    e.preventDefault();
    e.stopImmediatePropagation();
  }

  pick(i) {
    const it = this.items[i];
    if (!it) return;
    const input = this.input;
    const end = input.selectionStart;
    input.setRangeText(it.insert, this.from, end, "end");
    this.close();
    input.focus();
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
