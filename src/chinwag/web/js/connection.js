// One WebSocket to the server: requests matched to replies by id, events passed on,
// and reconnection when the socket drops, as the client rules say (policy.js): back-off
// with full jitter, capped at 1 s for the first minute since the connection was lost;
// as the server said after a `restarting` event (1012); promptly after 1001; after a
// pause after 4003; never after a close that ends the session. A request with no answer
// in time means the socket is dead: it is dropped and replaced.
//
// Events dispatched (CustomEvent, data in `detail`):
//   "hello"    {frame}            a (re)connection is open and the server said hello
//   "event"    {frame}            any event frame (message, presence, ...)
//   "refused"  {type, error}      a request got an error reply (before its caller hears)
//   "close"    {code, reason}     the socket closed (requests in flight were rejected)
//   "state"    {state, retryAt}   "connecting" | "open" | "waiting" | "stopped"

import { CONNECT_TIMEOUT, IDLE_PING, PING_TIMEOUT, REQUEST_TIMEOUT, reconnectDelay, sessionEnd } from "./policy.js";

export class RequestError extends Error {
  /** The server answered with an error frame. */
  constructor(frame) {
    super(frame.message || frame.code);
    this.code = frame.code;
    this.retryAfter = frame.retry_after;
    this.frame = frame;
  }
}

export class ConnectionLost extends Error {
  /** No answer: the socket closed, was not open, or the reply timed out. */
  constructor(message, { timeout = false } = {}) {
    super(message);
    this.timeout = timeout;
  }
}

/** Resolves after `ms` milliseconds: the pause between two attempts. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Connection extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.state = "stopped";
    // Failed attempts since the last successful catch-up (see `healthy`).
    this.attempt = 0;
    // Milliseconds; a test may shorten them.
    this.connectTimeout = CONNECT_TIMEOUT * 1000;
    this.requestTimeout = REQUEST_TIMEOUT * 1000;
    this.retryAt = 0;
    // When the last working connection was lost (ms), and the `back_in` of a
    // `restarting` event heard on it (seconds), for the reconnect waits.
    this.lostAt = null;
    this.backIn = null;
    this.nextId = 1;
    this.waiting = new Map();
    this.retryTimer = 0;
    this.connectTimer = 0;
    this.lastHeard = 0;
    this.stopped = false;
    this.heartbeat = setInterval(() => this.checkAlive(), 5000);
    window.addEventListener("online", () => this.retryNow());
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  setState(state) {
    this.state = state;
    this.emit("state", { state, retryAt: this.retryAt, attempt: this.attempt });
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.retryTimer);
    if (this.ws) return;
    this.stopped = false;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      console.error("chinwag: cannot open a WebSocket", err);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.setState("connecting");
    this.greeted = false;
    // Open and greeted (`hello`) in time, or dropped and tried again.
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && !this.greeted) this.drop(ws, "connect timeout");
    }, this.connectTimeout);
    ws.onopen = () => {
      this.lastHeard = Date.now();
    };
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        console.warn("chinwag: ignored a frame that is not JSON");
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = (e) => {
      if (this.ws === ws) this.closed(e.code, e.reason);
    };
    ws.onerror = () => {
      // A close event always follows.
    };
  }

  onFrame(frame) {
    if ((frame.type === "ok" || frame.type === "error") && this.waiting.has(frame.id)) {
      const pending = this.waiting.get(frame.id);
      this.waiting.delete(frame.id);
      clearTimeout(pending.timer);
      if (frame.type === "ok") {
        pending.resolve(frame);
      } else {
        const error = new RequestError(frame);
        this.emit("refused", { type: pending.type, error });
        pending.reject(error);
      }
      return;
    }
    if (frame.type === "hello") {
      clearTimeout(this.connectTimer);
      this.greeted = true;
      this.setState("open");
      this.emit("hello", { frame });
      return;
    }
    if (frame.type === "ok" || frame.type === "error") {
      if (frame.type === "error") console.warn("chinwag: unmatched error", frame);
      return;
    }
    if (frame.type === "restarting") this.backIn = typeof frame.back_in === "number" ? frame.back_in : null;
    this.emit("event", { frame });
  }

  /**
   * Send a request; resolves with the `ok` frame, rejects with RequestError for an
   * `error` frame and ConnectionLost when no answer can come. No answer in time means
   * the connection is dead: it is dropped (and replaced), whatever the request was.
   */
  request(type, fields = {}, { timeout = this.requestTimeout } = {}) {
    if (!this.open) return Promise.reject(new ConnectionLost("not connected"));
    const id = String(this.nextId++);
    const ws = this.ws;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.waiting.has(id)) return;
        this.waiting.delete(id);
        reject(new ConnectionLost("no answer from the server", { timeout: true }));
        this.drop(ws, `no answer to ${type}`);
      }, timeout);
      this.waiting.set(id, { resolve, reject, timer, type });
      try {
        ws.send(JSON.stringify({ ...fields, type, id }));
      } catch (err) {
        this.waiting.delete(id);
        clearTimeout(timer);
        reject(new ConnectionLost(String(err)));
      }
    });
  }

  /**
   * Every page of a listing (`rooms`, `users`, `members`): asks again with the reply's
   * `next` as `cursor` until it is null, and resolves with the first reply whose `key`
   * list (and `read` object, if any) holds every page's. At most `maxPages` pages.
   */
  async requestAll(type, fields, key, { maxPages = 1000 } = {}) {
    let cursor = null;
    let whole = null;
    for (let page = 0; page < maxPages; page += 1) {
      const reply = await this.request(type, cursor === null ? fields : { ...fields, cursor });
      if (whole === null) {
        whole = { ...reply, [key]: [...reply[key]], read: { ...(reply.read || {}) } };
      } else {
        whole[key].push(...reply[key]);
        Object.assign(whole.read, reply.read || {});
      }
      cursor = reply.next ?? null;
      if (cursor === null) break;
    }
    whole.next = null;
    return whole;
  }

  /** The socket is gone: fail what was in flight, then plan the next attempt. */
  closed(code, reason) {
    clearTimeout(this.connectTimer);
    this.ws = null;
    for (const { reject, timer } of this.waiting.values()) {
      clearTimeout(timer);
      reject(new ConnectionLost("connection closed"));
    }
    this.waiting.clear();
    if (this.lostAt === null) this.lostAt = Date.now();
    this.emit("close", { code, reason });
    if (this.stopped || sessionEnd(code)) {
      // The session has ended (kicked, banned, revoked): no reconnecting. Logging in
      // again opens a new connection.
      this.stopped = true;
      this.setState("stopped");
      return;
    }
    this.scheduleReconnect(code);
  }

  /** Give up on a socket that stopped answering, without waiting for its close. */
  drop(ws, why) {
    if (this.ws !== ws) return;
    console.warn(`chinwag: dropping the connection (${why})`);
    ws.onclose = null;
    ws.onmessage = null;
    try {
      ws.close();
    } catch {
      // already closing
    }
    this.closed(1006, why);
  }

  /** Give up on the current socket (a failed catch-up, an `unavailable`): reconnect. */
  abandon(why) {
    if (this.ws) this.drop(this.ws, why);
  }

  scheduleReconnect(code = null) {
    clearTimeout(this.retryTimer);
    // Full jitter, so that the clients of a restarted server do not all come back at
    // the same instant; at most 1 s apart for the first minute, then longer; within
    // `back_in` after a `restarting`; after a pause after 4003 (policy.js).
    const lostFor = this.lostAt === null ? 0 : (Date.now() - this.lostAt) / 1000;
    const delay = reconnectDelay(this.attempt, code, Math.random, lostFor, this.backIn) * 1000;
    this.backIn = null; // for the first attempt only
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState("waiting");
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** The connection works (logged in): the next drop starts the back-off afresh. */
  healthy() {
    this.attempt = 0;
    this.lostAt = null;
  }

  retryNow() {
    if (this.state === "waiting") this.connect();
  }

  /** Close for good (until connect() is called again). */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) {
      const ws = this.ws;
      ws.onclose = null;
      ws.close(1000);
      this.closed(1000, "stopped");
    }
    this.setState("stopped");
  }

  /** Ping a quiet connection; drop it if the ping gets no answer. */
  checkAlive() {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.pinging) return;
    if (Date.now() - this.lastHeard < IDLE_PING * 1000) return;
    this.pinging = true;
    // No answer in time drops the connection (see `request`).
    this.request("ping", {}, { timeout: PING_TIMEOUT * 1000 })
      .catch(() => {})
      .finally(() => {
        this.pinging = false;
      });
  }
}
