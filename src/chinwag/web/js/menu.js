// A message's menu of actions (react, reply, reply in thread, pin): built when its
// button is pressed, not with every row, so that big rooms stay light. A menu of
// buttons: Up and Down move, Enter picks, Escape or a click elsewhere closes it and
// gives the focus back to its button.

import { h, icon } from "./dom.js";

let open = null; // {menu, button, close}

/** `items`: [{label, icon, run}] */
export function openMenu(button, label, items) {
  if (open && open.button === button) {
    open.close(true);
    return;
  }
  if (open) open.close(false);
  const buttons = items.map((it) =>
    h(
      "button",
      {
        type: "button",
        role: "menuitem",
        tabindex: "-1",
        class: "menu-item",
        onclick: () => {
          close(false);
          it.run(button);
        },
      },
      icon(it.icon),
      it.label,
    ),
  );
  const menu = h("div", { class: "msg-menu", role: "menu", "aria-label": label }, buttons);
  const onDoc = (e) => {
    if (!menu.contains(e.target) && e.target !== button && !button.contains(e.target)) close(false);
  };
  function close(focus) {
    if (!open || open.menu !== menu) return;
    open = null;
    menu.remove();
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", onDoc, true);
    if (focus && button.isConnected) button.focus();
  }
  menu.addEventListener("keydown", (e) => {
    const at = buttons.indexOf(document.activeElement);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      buttons[(at + step + buttons.length) % buttons.length].focus();
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      buttons[e.key === "Home" ? 0 : buttons.length - 1].focus();
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if (e.key === "Tab") {
      close(false);
    }
  });
  button.after(menu);
  button.setAttribute("aria-expanded", "true");
  document.addEventListener("pointerdown", onDoc, true);
  open = { menu, button, close };
  buttons[0].focus();
}
