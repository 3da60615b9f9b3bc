// The side panels: the room list and the member list are docked on wide screens and
// drawers over the chat on narrow ones (with a scrim, and the rest made inert).

import { $ } from "./dom.js";
import { MEMBERS_PANEL, load, save } from "./storage.js";

export class Panels {
  constructor() {
    this.navOpen = false;
    this.membersOpen = false;
    this.membersDocked = load(MEMBERS_PANEL) !== "hidden";
    this.wideNav = matchMedia("(min-width: 761px)");
    this.wideMembers = matchMedia("(min-width: 1101px)");
  }

  bind() {
    $("open-sidebar").addEventListener("click", () => this.setNav(!this.navOpen));
    $("close-sidebar").addEventListener("click", () => this.setNav(false));
    $("scrim").addEventListener("click", () => this.closeDrawers());
    $("toggle-members").addEventListener("click", () => this.toggleMembers());
    $("close-members").addEventListener("click", () => {
      if (this.wideMembers.matches) this.toggleMembers();
      else this.closeDrawers();
    });
    for (const q of [this.wideNav, this.wideMembers]) q.addEventListener("change", () => this.render());
  }

  render() {
    const app = $("app");
    const navDrawer = !this.wideNav.matches;
    const membersDrawer = !this.wideMembers.matches;
    if (!navDrawer) this.navOpen = false;
    if (!membersDrawer) this.membersOpen = false;
    app.classList.toggle("nav-open", this.navOpen);
    app.classList.toggle("members-open", this.membersOpen);
    app.classList.toggle("members-hidden", !this.membersDocked);
    $("scrim").hidden = !(this.navOpen || this.membersOpen);
    $("open-sidebar").setAttribute("aria-expanded", String(this.navOpen));
    const membersShown = membersDrawer ? this.membersOpen : this.membersDocked;
    const toggle = $("toggle-members");
    toggle.setAttribute("aria-expanded", String(membersShown));
    // The count shown on the button is in its label too.
    const count = $("member-count-head").textContent;
    toggle.setAttribute("aria-label", `${membersShown ? "Hide members" : "Show members"}${count ? `, ${count}` : ""}`);
    $("sidebar").inert = navDrawer && !this.navOpen;
    $("members").inert = membersDrawer ? !this.membersOpen : !this.membersDocked;
    $("chat").inert = (navDrawer && this.navOpen) || (membersDrawer && this.membersOpen);
  }

  /** Close the room drawer once a room is picked in it (phones). */
  roomPicked() {
    if (!this.wideNav.matches && this.navOpen) this.navOpen = false;
  }

  setNav(open, { focus = true } = {}) {
    this.navOpen = open;
    if (open) this.membersOpen = false;
    this.render();
    if (focus) {
      if (open) {
        const current = $("sidebar").querySelector("[aria-current=page]") || $("close-sidebar");
        current.focus();
      } else {
        $("open-sidebar").focus();
      }
    }
  }

  toggleMembers() {
    if (this.wideMembers.matches) {
      this.membersDocked = !this.membersDocked;
      save(MEMBERS_PANEL, this.membersDocked ? null : "hidden");
      this.render();
      if (this.membersDocked) this.focusMembers();
      return;
    }
    this.membersOpen = !this.membersOpen;
    if (this.membersOpen) this.navOpen = false;
    this.render();
    if (this.membersOpen) this.focusMembers();
    else $("toggle-members").focus();
  }

  focusMembers() {
    const first = $("member-list").querySelector("button") || $("close-members");
    first.focus();
  }

  /** Close an open drawer; whether there was one (Escape). */
  closeDrawers() {
    if (this.navOpen) {
      this.setNav(false);
      return true;
    }
    if (this.membersOpen) {
      this.membersOpen = false;
      this.render();
      $("toggle-members").focus();
      return true;
    }
    return false;
  }
}
