// The login and registration form, shown before a session exists or after it ends.

import { RequestError, sleep } from "./connection.js";
import { $, setText } from "./dom.js";
import { codePoints, formatDuration } from "./format.js";
import { sentence } from "./dialogs.js";
import { LAST_USER, load, save } from "./storage.js";

export class LoginView {
  constructor(app) {
    this.app = app;
    this.registerMode = false;
    this.notice = null;
  }

  bind() {
    $("login-switch").addEventListener("click", () => {
      this.registerMode = !this.registerMode;
      $("login-error").textContent = "";
      this.render();
      $("login-username").focus();
    });
    $("login-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    $("boot-retry").addEventListener("click", () => this.app.conn.retryNow());
  }

  show(notice = null) {
    const app = this.app;
    app.ready = false;
    if (notice !== null) {
      // Back from a session (ended, or logged out): logging in again is what comes next.
      this.notice = notice;
      this.registerMode = false;
    }
    const wasLogin = app.view === "login";
    app.showView("login");
    this.render();
    document.title = "Log in · chinwag";
    if (!wasLogin) {
      const user = $("login-username");
      const remembered = load(LAST_USER);
      if (remembered && !user.value) user.value = remembered;
      (user.value ? $("login-password") : user).focus();
    }
  }

  render() {
    const hello = this.app.hello;
    const reg = this.registerMode;
    const open = !hello || hello.registration;
    if (reg && !open) this.registerMode = false;
    setText($("login-title"), this.registerMode ? "Create an account" : "Log in");
    setText($("login-sub"), `to chinwag on ${location.host}`);
    $("login-confirm-field").hidden = !this.registerMode;
    $("login-password").autocomplete = this.registerMode ? "new-password" : "current-password";
    setText($("login-submit"), this.registerMode ? "Create account" : "Log in");
    $("login-switch-line").hidden = !open && !this.registerMode;
    setText($("login-switch-text"), this.registerMode ? "Already have an account?" : "New here?");
    setText($("login-switch"), this.registerMode ? "Log in instead" : "Create an account");
    const notice = $("login-notice");
    notice.hidden = !this.notice;
    setText(notice, this.notice || "");
    if (!open) setText($("login-sub"), `to chinwag on ${location.host}. Accounts are made by the server's admin.`);
  }

  async submit() {
    const err = $("login-error");
    const username = $("login-username").value.trim();
    const password = $("login-password").value;
    err.textContent = "";
    if (!username) {
      err.textContent = "Enter your username.";
      $("login-username").focus();
      return;
    }
    if (!password) {
      err.textContent = "Enter your password.";
      $("login-password").focus();
      return;
    }
    if (this.registerMode) {
      if (!/^[A-Za-z0-9_.-]{1,32}$/.test(username)) {
        err.textContent = "A username is 1 to 32 letters, digits, “_”, “.” or “-”.";
        $("login-username").focus();
        return;
      }
      if (codePoints(password) < 8) {
        err.textContent = "The password needs at least 8 characters.";
        $("login-password").focus();
        return;
      }
      if (password !== $("login-confirm").value) {
        err.textContent = "The two passwords do not match.";
        $("login-confirm").focus();
        return;
      }
    }
    const button = $("login-submit");
    button.disabled = true;
    try {
      if (!(await this.waitConnected(10000))) {
        err.textContent = "Cannot reach the server. Check your connection and try again.";
        return;
      }
      const reply = await this.app.conn.request(this.registerMode ? "register" : "login", { username, password });
      save(LAST_USER, reply.user.username);
      $("login-password").value = "";
      $("login-confirm").value = "";
      this.notice = null;
      await this.app.session.loggedIn(reply);
    } catch (e) {
      err.textContent = loginError(e);
    } finally {
      button.disabled = false;
    }
  }

  async waitConnected(ms) {
    const app = this.app;
    if (app.conn.open && app.hello) return true;
    if (app.conn.state === "waiting" || app.conn.state === "stopped") app.conn.connect();
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (app.conn.open && app.hello) return true;
      await sleep(100);
    }
    return false;
  }
}

function loginError(e) {
  if (!(e instanceof RequestError)) return "The connection to the server was lost. Try again.";
  switch (e.code) {
    case "auth_failed":
      return "Wrong username or password.";
    case "throttled":
      return `Too many failed attempts. Try again in ${formatDuration(e.retryAfter || 1)}.`;
    case "username_taken":
      return "That username is taken. Choose another.";
    case "registration_closed":
      return "This server does not take new accounts: ask its admin for one.";
    case "banned":
      return sentence(e.message); // "this account is banned: <reason>", as the server says it
    case "already_authenticated":
      return "Already logged in: reload the page.";
    default:
      return sentence(e.message);
  }
}
