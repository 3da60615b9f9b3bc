// Files: uploads from the composer (attach button, drop, paste) with a progress bar and
// cancel, and the attachments of messages in the timeline. Every file request carries
// the session token as `Authorization: Bearer`, so an image is fetched by script and
// shown through a `blob:` URL; a thumbnail is laid out from the Attachment's width and
// height before its bytes arrive, and fetched only when it scrolls into view.

import { $, h, icon, setText } from "./dom.js";
import { modal, sentence } from "./dialogs.js";

const THUMB_SIDE = 320;
// Blob URLs of thumbnails kept while the page lives: rows are rebuilt often.
const MAX_CACHED = 300;

export function formatSize(bytes) {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["kB", "MB", "GB"];
  let n = bytes / 1000;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** An error the server sent for a file request, as people read it. */
function httpError(status, body) {
  const code = body && body.code;
  if (code === "too_large") return sentence(body.message || "the file is too large");
  if (code === "quota_exceeded") return sentence(body.message || "you have uploaded too much today");
  if (body && body.message) return sentence(body.message);
  if (status === 0) return "The upload failed: no connection to the server.";
  return `The upload failed (HTTP ${status}).`;
}

export class Files {
  constructor(app) {
    this.app = app;
    this.uploads = [];
    this.limits = null;
    this.blobs = new Map();
    this.loading = new Map();
    this.observer = null;
    this.seq = 0;
  }

  bind() {
    const input = $("attach-input");
    $("attach").addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      this.add([...input.files]);
      input.value = "";
    });
    const targets = [document.querySelector(".timeline-wrap"), $("composer")];
    for (const el of targets) {
      el.addEventListener("dragover", (e) => {
        if (!this.canAttach() || !e.dataTransfer || ![...e.dataTransfer.types].includes("Files")) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
        document.body.classList.add("dropping");
      });
      el.addEventListener("dragleave", () => document.body.classList.remove("dropping"));
      el.addEventListener("drop", (e) => {
        document.body.classList.remove("dropping");
        if (!this.canAttach() || !e.dataTransfer || !e.dataTransfer.files.length) return;
        e.preventDefault();
        this.add([...e.dataTransfer.files]);
      });
    }
    $("composer-input").addEventListener("paste", (e) => {
      const files = e.clipboardData ? [...e.clipboardData.files] : [];
      if (!files.length || !this.canAttach()) return;
      e.preventDefault();
      this.add(files.map((f, i) => (f.name && f.name !== "image.png" ? f : named(f, i))));
    });
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { rootMargin: "400px 0px" });
  }

  canAttach() {
    const app = this.app;
    return !!app.active && !!app.session.token && !app.muting.notice(app.active);
  }

  base() {
    return new URL("/api/files", window.location.href).href;
  }

  downloadUrl(id) {
    const origin = this.limits && this.limits.files_origin;
    return `${origin || window.location.origin}/api/files/${encodeURIComponent(id)}`;
  }

  async loadLimits() {
    if (this.limits) return this.limits;
    try {
      const r = await fetch(this.base() + "/limits", { cache: "no-store" });
      if (r.ok) this.limits = await r.json();
    } catch {
      // Without them the server still refuses what it must; it says why.
    }
    return this.limits;
  }

  // -- uploads -------------------------------------------------------------------------

  /** Uploads of the open room, in the order they were added. */
  here() {
    return this.uploads.filter((u) => u.room === this.app.active);
  }

  busy() {
    return this.here().some((u) => u.status === "uploading");
  }

  /** The ids of the open room's finished uploads, for a message. */
  ready() {
    return this.here().filter((u) => u.status === "done");
  }

  async add(files) {
    const room = this.app.active;
    if (!room) return;
    const limits = await this.loadLimits();
    for (const file of files) {
      this.seq += 1;
      const u = { key: this.seq, room, file, status: "uploading", loaded: 0, error: "", xhr: null, att: null };
      this.uploads.push(u);
      const max = limits ? limits.max_attachments : 10;
      if (this.uploads.filter((x) => x.room === room && x.status !== "failed").length > max) {
        this.fail(u, `A message may carry at most ${max} files.`);
      } else if (limits && file.size > limits.max_upload) {
        this.fail(u, `${file.name} is too large: a file may have at most ${formatSize(limits.max_upload)}.`);
      } else if (file.size === 0) {
        this.fail(u, `${file.name} is empty.`);
      } else {
        this.start(u);
      }
    }
    this.render();
  }

  fail(u, message) {
    u.status = "failed";
    u.error = message;
    u.xhr = null;
  }

  start(u) {
    const xhr = new XMLHttpRequest();
    u.xhr = xhr;
    xhr.open("POST", `${this.base()}?name=${encodeURIComponent(u.file.name || "file")}`);
    xhr.setRequestHeader("Authorization", `Bearer ${this.app.session.token}`);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      u.loaded = e.loaded;
      this.renderProgress(u);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 201 && xhr.response) {
        u.status = "done";
        u.att = xhr.response;
        u.xhr = null;
      } else {
        this.fail(u, httpError(xhr.status, xhr.response));
      }
      this.render();
      this.settled();
    });
    xhr.addEventListener("error", () => {
      this.fail(u, httpError(0, null));
      this.render();
      this.settled();
    });
    xhr.send(u.file);
  }

  /** The last upload is over: a message that waited for it goes, unless one failed. */
  settled() {
    const compose = this.app.compose;
    if (!compose.waiting || this.busy()) return;
    compose.waiting = false;
    if (this.here().some((u) => u.status === "failed")) compose.renderHint();
    else compose.send();
  }

  /** Cancel an upload in progress, or take a finished or failed one off the message. */
  remove(u) {
    if (u.xhr) u.xhr.abort();
    u.xhr = null;
    this.uploads = this.uploads.filter((x) => x !== u);
    this.render();
    $("composer-input").focus();
    this.settled();
  }

  /** The message took these: they leave the composer. */
  sent(list) {
    this.uploads = this.uploads.filter((u) => !list.includes(u));
    this.render();
  }

  /** Another user, or none: stop every upload. */
  forget() {
    for (const u of this.uploads) if (u.xhr) u.xhr.abort();
    this.uploads = [];
    for (const url of this.blobs.values()) URL.revokeObjectURL(url);
    this.blobs.clear();
    this.render();
  }

  render() {
    const list = $("uploads");
    const items = this.here();
    list.hidden = items.length === 0;
    list.replaceChildren(
      ...items.map((u) => {
        const name = u.file.name || "file";
        const label = u.status === "uploading" ? `Cancel the upload of ${name}` : `Remove ${name}`;
        const progress = h("progress", { max: u.file.size, value: u.loaded, "aria-label": `Uploading ${name}` });
        const what =
          u.status === "failed"
            ? h("span", { class: "upload-error", role: "alert" }, u.error)
            : u.status === "uploading"
              ? [progress, h("span", { class: "upload-pct", "aria-hidden": "true" }, percent(u))]
              : h("span", { class: "upload-size" }, formatSize(u.att.size));
        return h(
          "li",
          { class: `upload ${u.status}`, dataset: { key: u.key } },
          icon(u.status === "failed" ? "alert" : "file"),
          h("span", { class: "upload-name", title: name }, name),
          what,
          h(
            "button",
            { type: "button", class: "icon-btn small", "aria-label": label, title: label, onclick: () => this.remove(u) },
            icon("close"),
          ),
        );
      }),
    );
    this.app.compose.renderHint();
  }

  renderProgress(u) {
    const li = document.querySelector(`#uploads li[data-key="${u.key}"]`);
    if (!li) return;
    const bar = li.querySelector("progress");
    if (bar) bar.value = u.loaded;
    const pct = li.querySelector(".upload-pct");
    if (pct) setText(pct, percent(u));
  }

  // -- attachments in the timeline -----------------------------------------------------

  /** The files of a message, laid out before any byte arrives. */
  attachmentsEl(msg) {
    const list = msg.attachments;
    if (!list || !list.length || msg.deleted) return null;
    return h("div", { class: "attachments" }, list.map((a) => (a.thumbnail ? this.imageEl(a) : this.fileEl(a))));
  }

  imageEl(a) {
    const scale = Math.min(1, THUMB_SIDE / Math.max(a.width, a.height));
    const width = Math.max(1, Math.round(a.width * scale));
    const height = Math.max(1, Math.round(a.height * scale));
    const img = h("img", { alt: a.name, width, height, dataset: { file: a.thumbnail }, decoding: "async" });
    const cached = this.blobs.get(a.thumbnail);
    if (cached) img.src = cached;
    else if (this.observer) this.observer.observe(img);
    return h(
      "button",
      {
        type: "button",
        class: "thumb",
        "aria-label": `Open ${a.name} (${a.width} × ${a.height}, ${formatSize(a.size)})`,
        // Its box is the thumbnail's before the bytes come (narrower on a small screen).
        css: { width: `${width}px`, aspectRatio: `${width} / ${height}` },
        onclick: () => this.openImage(a),
      },
      img,
    );
  }

  fileEl(a) {
    return h(
      "button",
      {
        type: "button",
        class: "file-chip",
        "aria-label": `Download ${a.name}, ${formatSize(a.size)}`,
        title: `Download ${a.name}`,
        onclick: (e) => this.save(a, e.currentTarget),
      },
      icon("download"),
      h("span", { class: "file-name" }, a.name),
      " ",
      h("span", { class: "file-size" }, formatSize(a.size)),
    );
  }

  onVisible(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const img = entry.target;
      this.observer.unobserve(img);
      this.blobUrl(img.dataset.file).then(
        (url) => {
          img.src = url;
        },
        () => img.classList.add("broken"),
      );
    }
  }

  async fetchBlob(id) {
    const r = await fetch(this.downloadUrl(id), { headers: { Authorization: `Bearer ${this.app.session.token}` } });
    if (!r.ok) throw new Error(r.status === 404 ? "This file is no longer available." : `The download failed (HTTP ${r.status}).`);
    return r.blob();
  }

  /** A blob: URL for a thumbnail, fetched once (a row rebuilt meanwhile waits for it). */
  blobUrl(id) {
    const have = this.blobs.get(id);
    if (have) return Promise.resolve(have);
    let loading = this.loading.get(id);
    if (!loading) {
      loading = this.fetchThumb(id).finally(() => this.loading.delete(id));
      this.loading.set(id, loading);
    }
    return loading;
  }

  async fetchThumb(id) {
    const url = URL.createObjectURL(await this.fetchBlob(id));
    this.blobs.set(id, url);
    if (this.blobs.size > MAX_CACHED) {
      const [oldest, old] = this.blobs.entries().next().value;
      this.blobs.delete(oldest);
      URL.revokeObjectURL(old);
    }
    return url;
  }

  /** The image at full size (its 1280-pixel preview when it has one) in a dialog. */
  openImage(a) {
    const img = h("img", { alt: a.name, class: "viewer-img", width: a.width, height: a.height });
    const status = h("p", { class: "form-status", role: "status" }, "Loading…");
    const save = h("button", { type: "button", class: "btn", onclick: () => this.save(a, save) }, icon("download"), `Download (${formatSize(a.size)})`);
    let url = null;
    modal({
      title: a.name,
      className: "viewer",
      content: h("div", { class: "stack" }, h("div", { class: "viewer-frame" }, img), status, h("div", { class: "actions" }, save)),
      onClose: () => {
        if (url) URL.revokeObjectURL(url);
      },
      focus: save,
    });
    this.fetchBlob(a.preview || a.id).then(
      (blob) => {
        url = URL.createObjectURL(blob);
        img.src = url;
        setText(status, "");
      },
      (e) => setText(status, e.message),
    );
  }

  /** Download a file with the token, then hand it to the browser to save. */
  async save(a, button) {
    if (button) button.disabled = true;
    try {
      const blob = await this.fetchBlob(a.id);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: a.name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      this.app.toast(e.message);
    } finally {
      if (button) button.disabled = false;
    }
  }
}

function percent(u) {
  return `${Math.floor((100 * u.loaded) / Math.max(1, u.file.size))}%`;
}

/** A pasted image, named by when it was pasted (browsers call them all "image.png"). */
function named(file, i) {
  const ext = (file.type.split("/")[1] || "bin").replace(/[^a-z0-9]/g, "");
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new File([file], `pasted-${stamp}${i ? `-${i + 1}` : ""}.${ext}`, { type: file.type });
}
