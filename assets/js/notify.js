// notify.js owns read markers and notifications: telling the server what
// has been read, as it comes into view (so every device of ours updates
// the badge), the desktop
// notification for a message that arrives while the tab is hidden, and the
// dialog that explains and turns notifications on.
import { $, el, openDialog } from "./dom.js";
import { api } from "./api.js";
import { state, notifyLevel, readUpTo } from "./state.js";
import { renderRooms, updateTitle, noteSeen } from "./render.js";

// markRead tells the server, soon, how far the reader has read the room on
// screen: up to the newest message that has been in view (render.js's
// observer says), never further, so that coming back opens the room where
// they stopped. Every device of ours then updates the room's badge.
export function markRead() {
  clearTimeout(state.readTimer);
  state.readTimer = setTimeout(() => {
    noteSeen();
    const r = state.rooms.get(state.current);
    if (!r || !r.loaded || document.hidden || !r.ids.length) return;
    const last = r.ids[r.ids.length - 1];
    const seen = Math.min(r.seen, last);
    if (seen > r.read) {
      readUpTo(r, seen);
      api("POST", `/api/rooms/${encodeURIComponent(r.name)}/read`, { id: seen }).catch(() => {});
    }
    if (!r.detached && seen === last) { r.unread = 0; r.mentions = 0; }
    renderRooms();
    updateTitle();
  }, 400);
}

// notify shows m as a desktop notification if the tab is hidden and the
// room's level asks for it; clicking it focuses the tab and calls open.
export function notify(r, m, open) {
  if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
  const level = notifyLevel(r);
  const mentioned = (m.mentions || []).includes(state.me.username);
  if (level === "none" || (level === "mentions" && !mentioned)) return;
  const n = new Notification(r.dm ? m.user : `${m.user} in #${r.name}`, { body: m.file ? `shared ${m.file.name}` : m.body, tag: r.name });
  n.onclick = () => { window.focus(); open(); n.close(); };
}

export function openNotify() {
  const text = $("notify-text");
  const button = $("notify-enable");
  button.hidden = true;
  if (!("Notification" in window)) {
    text.textContent = "This browser cannot show notifications.";
  } else if (!window.isSecureContext) {
    // Browsers only grant notifications to HTTPS pages (and localhost).
    text.replaceChildren("Browsers only allow notifications on a secure (HTTPS) page, and this one is plain HTTP. Whoever runs Hearth can turn HTTPS on: ",
      el("a", { href: "/help/https", target: "_blank" }, "how to set up HTTPS"), ".");
  } else if (Notification.permission === "granted") {
    text.textContent = "Notifications are on. Each room's menu at the top chooses what notifies you: every message, mentions only, or nothing.";
  } else if (Notification.permission === "denied") {
    text.textContent = "Notifications are blocked for this site in your browser's settings; allow them there to turn them on.";
  } else {
    text.textContent = "Get a notification for mentions and direct messages while Hearth is in the background.";
    button.hidden = false;
  }
  openDialog("dialog-notify");
}
