// The client rules: what to do about each error code and close code, and the numbers.
//
// These are the rules of docs/protocol.md, "Client rules: retries, timeouts and
// reconnecting", written once for the browser client; the Python client has the same
// tables in chinwag/client/policy.py. Tests hold the three in step: change all of them
// together. Pure: no DOM, no WebSocket. Times are in seconds, as in the document.

// -- the numbers (seconds) -----------------------------------------------------------
/** Opening the WebSocket and receiving the server's `hello`. */
export const CONNECT_TIMEOUT = 10;
/** Waiting for the reply to one request; past it the connection is taken as dead. */
export const REQUEST_TIMEOUT = 15;
/** A connection that has been quiet this long is pinged... */
export const IDLE_PING = 20;
/** ...and taken as dead when the ping gets no answer within this. */
export const PING_TIMEOUT = 10;
/** Reconnecting: the pause before attempt n (0, 1, ...) is a uniform draw from
 * [0, min(cap, BACKOFF_BASE * 2**n)): "full jitter", where the cap is BACKOFF_EARLY_CAP
 * for the first BACKOFF_EARLY seconds since the connection was lost, BACKOFF_CAP after. */
export const BACKOFF_BASE = 0.25;
export const BACKOFF_EARLY_CAP = 1;
export const BACKOFF_EARLY = 60;
export const BACKOFF_CAP = 30;
/** After a `restarting` event, attempt 0 waits a uniform draw from
 * [0, min(back_in, RESTART_WAIT_CAP)). */
export const RESTART_WAIT_CAP = 1;
/** After a 4003 (flood) close: this long, plus the back-off draw. */
export const FLOOD_PAUSE = 15;
/** `retry_after` was null on a `wait` error: wait this long. */
export const DEFAULT_RETRY_AFTER = 1;
/** A send refused with `internal_error` is tried again this many times (with back-off
 * draws n = 1, 2, 3) before it is shown as failed. */
export const SEND_RETRIES = 3;

// -- what to do about an error reply ---------------------------------------------------
//   wait       wait retry_after (DEFAULT_RETRY_AFTER if null), then try again
//   reconnect  the connection is no good for requests: reconnect with back-off, resume,
//              catch up, then send again what was waiting
//   retry      a send: again with back-off, at most SEND_RETRIES times, then failed;
//              catching up: until it works
//   fail       not retried: fails with the server's message
//   sign_out   the session has ended: forget the token, ask for the password
//   banned     the account is banned: end the session, do not reconnect
export const ERRORS = Object.freeze({
  bad_request: "fail",
  unknown_type: "fail",
  not_authenticated: "reconnect",
  already_authenticated: "fail",
  auth_failed: "fail",
  invalid_token: "sign_out",
  username_taken: "fail",
  registration_closed: "fail",
  invalid: "fail",
  banned: "banned",
  muted: "fail",
  forbidden: "fail",
  not_found: "fail",
  not_member: "fail",
  conflict: "fail",
  no_change: "fail",
  rate_limited: "wait",
  throttled: "wait",
  unavailable: "reconnect",
  internal_error: "retry",
});

// -- what to do when a logged-in connection ends -----------------------------------------
//   backoff  reconnect with exponential back-off and full jitter
//   prompt   reconnect promptly: the first back-off step, however many attempts failed
//   pause    reconnect only after FLOOD_PAUSE plus the back-off, and send less
//   kicked, banned, revoked   the session has ended: do not reconnect
export const CLOSES = Object.freeze({
  1000: "backoff", // only ever unasked: a client's own close is not reconnected
  1001: "prompt",
  1003: "backoff",
  1006: "backoff",
  1007: "backoff",
  1008: "backoff",
  1009: "backoff",
  1011: "backoff",
  1012: "prompt",
  1013: "backoff",
  4001: "kicked",
  4002: "banned",
  4003: "pause",
  4004: "backoff",
  4005: "revoked",
});

const SESSION_ENDS = new Set(["kicked", "banned", "revoked"]);

/** What to do about an error reply with `code`; a code this client does not know is not
 * retried. */
export function errorAction(code) {
  return Object.hasOwn(ERRORS, code) ? ERRORS[code] : "fail";
}

/** What to do when a logged-in connection ends with close `code` (1006 when it dropped
 * without a close frame or was taken as dead). */
export function closeAction(code) {
  return Object.hasOwn(CLOSES, code) ? CLOSES[code] : "backoff";
}

/** "kicked", "banned" or "revoked" when close `code` ends the session, else null. */
export function sessionEnd(code) {
  const action = closeAction(code);
  return SESSION_ENDS.has(action) ? action : null;
}

/** Full jitter: a uniform draw from [0, min(cap, base * 2**attempt)), in seconds. */
export function backoffDelay(attempt, rng = Math.random, cap = BACKOFF_CAP) {
  return rng() * Math.min(cap, BACKOFF_BASE * 2 ** Math.min(attempt, 32));
}

/** The longest wait before an attempt, `lostFor` seconds after the connection was lost:
 * short at first (a server restarting is back in seconds), long after. */
export function backoffCap(lostFor) {
  return lostFor < BACKOFF_EARLY ? BACKOFF_EARLY_CAP : BACKOFF_CAP;
}

/** Seconds before reconnect attempt `attempt` (failed attempts since the last
 * successful catch-up), after a connection or an attempt that ended with `code`.
 * `lostFor`: seconds since the connection was lost; `backIn`: what the `restarting`
 * event that came before the close said (null: there was none). */
export function reconnectDelay(attempt, code, rng = Math.random, lostFor = 0, backIn = null) {
  const action = closeAction(code);
  if (typeof backIn === "number" && attempt === 0 && action !== "pause") {
    return rng() * Math.min(Math.max(backIn, 0), RESTART_WAIT_CAP);
  }
  const cap = backoffCap(lostFor);
  if (action === "prompt") return backoffDelay(0, rng, cap);
  const delay = backoffDelay(attempt, rng, cap);
  return action === "pause" ? FLOOD_PAUSE + delay : delay;
}

/** Seconds to wait on a `wait` error. */
export function retryAfterDelay(retryAfter) {
  return typeof retryAfter === "number" && retryAfter > 0 ? retryAfter : DEFAULT_RETRY_AFTER;
}
