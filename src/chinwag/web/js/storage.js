// What the client remembers in localStorage: the session token, the last username, the
// theme, the member panel, the last room, messages not sent yet (unsent.js). A browser
// with storage disabled remembers nothing and works all the same.

export const TOKEN = "chinwag.token";
export const LAST_USER = "chinwag.lastUser";
export const THEME = "chinwag.theme";
export const MEMBERS_PANEL = "chinwag.membersPanel";

/** The stored value of `keyName`, or null. */
export function load(keyName) {
  try {
    return localStorage.getItem(keyName);
  } catch {
    return null;
  }
}

/** Store `value` under `keyName`; null removes it. */
export function save(keyName, value) {
  try {
    if (value === null) localStorage.removeItem(keyName);
    else localStorage.setItem(keyName, value);
  } catch {
    // storage disabled: nothing is remembered
  }
}
