// The rows of messages the server has not stored yet (the outbox: composer.js), under
// the timeline or in a thread panel (a thread reply also sent to the room, in both):
// what they say, and whether they are on their way, waiting for the connection, or not
// sent (why, with Retry and Discard).

import { h, icon } from "./dom.js";
import { formatted } from "./markdown.js";
import { avatar } from "./rows.js";
import { inThreadEl } from "./convrows.js";

/** The rows of the pending messages `items`, drawn by `rows` (rows.js) under `prev`,
 * the message shown above them (they go on under one's own without a name line). */
export function pendingRows(app, rows, items, prev) {
  const me = app.state.me;
  let prevMine = !!prev && prev.kind === "text" && app.state.isMe(prev.sender);
  const out = [];
  for (const p of items) {
    const status =
      p.status === "failed"
        ? h(
            "div",
            { class: "pending-status failed", role: "alert" },
            icon("alert"),
            h("span", null, `Not sent: ${p.error || "failed"}`),
            h("button", { type: "button", class: "link-btn", onclick: () => app.retry(p) }, "Retry"),
            h("button", { type: "button", class: "link-btn", onclick: () => app.discard(p) }, "Discard"),
          )
        : h(
            "div",
            { class: "pending-status" },
            icon("clock"),
            h("span", null, p.status === "sending" || app.ready ? "Sending…" : "Waiting for the connection…"),
          );
    const main = h("div", { class: "msg-main" });
    if (!prevMine && me) {
      main.append(h("div", { class: "msg-head" }, rows.nameEl(me.username, me, me.display_name)));
    }
    main.append(formatted(p.body, null));
    if (p.files) main.append(app.files.attachmentsEl({ attachments: p.files }) || "");
    // A thread reply also sent to the room waits under the room too, marked as such.
    if (p.thread != null && !rows.inThread) main.append(inThreadEl(app, { room: p.room, thread: p.thread }));
    main.append(status);
    const gutter = h("div", { class: "msg-gutter" }, !prevMine && me ? avatar(me, rows.view.theme) : null);
    out.push(
      h("div", { class: `msg mine pending ${p.status}${prevMine ? " continued" : ""}`, dataset: { cid: p.cid } }, gutter, main),
    );
    prevMine = true;
  }
  return out;
}
