// One WebSocket to the server: requests matched to replies by id, events passed on,
// and reconnection with exponential back-off and jitter when the socket drops.
//
// Events dispatched (CustomEvent, data in `detail`):
//   "hello"  {frame}           a (re)connection is open and the server said hello
//   "event"  {frame}           any event frame (message, presence, ...)
//   "close"  {code, reason}    the socket closed (requests in flight were rejected)
//   "state"  {state, retryAt}  "connecting" | "open" | "waiting" | "stopped"

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

// Close codes after which reconnecting with the same token is pointless or harmful.
const NO_RECONNECT = new Set([1003, 1007, 1009, 4002]);
const BASE_DELAY = 500;
const MAX_DELAY = 30000;
const FLOOD_PAUSE = 15000;
const CONNECT_TIMEOUT = 10000;
const IDLE_PING = 25000;
const PING_TIMEOUT = 10000;

export class Connection extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.state = "stopped";
    this.attempt = 0;
    this.retryAt = 0;
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
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && ws.readyState !== WebSocket.OPEN) this.drop(ws, "connect timeout");
    }, CONNECT_TIMEOUT);
    ws.onopen = () => {
      clearTimeout(this.connectTimer);
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
      if (frame.type === "ok") pending.resolve(frame);
      else pending.reject(new RequestError(frame));
      return;
    }
    if (frame.type === "hello") {
      this.setState("open");
      this.emit("hello", { frame });
      return;
    }
    if (frame.type === "ok" || frame.type === "error") {
      if (frame.type === "error") console.warn("chinwag: unmatched error", frame);
      return;
    }
    this.emit("event", { frame });
  }

  /**
   * Send a request; resolves with the `ok` frame, rejects with RequestError for an
   * `error` frame and ConnectionLost when no answer can come.
   */
  request(type, fields = {}, { timeout = 15000 } = {}) {
    if (!this.open) return Promise.reject(new ConnectionLost("not connected"));
    const id = String(this.nextId++);
    const ws = this.ws;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.waiting.has(id)) return;
        this.waiting.delete(id);
        reject(new ConnectionLost("no answer from the server", { timeout: true }));
      }, timeout);
      this.waiting.set(id, { resolve, reject, timer });
      try {
        ws.send(JSON.stringify({ ...fields, type, id }));
      } catch (err) {
        this.waiting.delete(id);
        clearTimeout(timer);
        reject(new ConnectionLost(String(err)));
      }
    });
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
    this.emit("close", { code, reason });
    if (this.stopped || NO_RECONNECT.has(code)) {
      this.stopped = true;
      this.setState("stopped");
      return;
    }
    this.scheduleReconnect(code === 4003 ? FLOOD_PAUSE : 0);
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

  scheduleReconnect(minimum = 0) {
    clearTimeout(this.retryTimer);
    this.attempt += 1;
    // Exponential back-off with "equal jitter": half fixed, half random, so that the
    // clients of a restarted server do not all come back at the same instant.
    const base = Math.min(MAX_DELAY, BASE_DELAY * 2 ** (this.attempt - 1));
    const delay = Math.max(minimum, base / 2 + Math.random() * (base / 2));
    this.retryAt = Date.now() + delay;
    this.setState("waiting");
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** The connection works (logged in): the next drop starts the back-off afresh. */
  healthy() {
    this.attempt = 0;
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
    if (Date.now() - this.lastHeard < IDLE_PING) return;
    this.pinging = true;
    this.request("ping", {}, { timeout: PING_TIMEOUT })
      .catch((err) => {
        if (err instanceof ConnectionLost && err.timeout) this.drop(ws, "ping timeout");
      })
      .finally(() => {
        this.pinging = false;
      });
  }
}
