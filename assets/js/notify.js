// notify.js owns read markers and notifications on this device: telling
// the server what has been read, as it comes into view (so every device of
// ours updates the badge); the notification the page itself shows for a
// message that arrives while it is hidden (where no push does: push.js);
// closing, when the page is opened or shown, the notifications of rooms
// read since and setting the app's badge to what is unread; and the
// Notifications dialog, which says what this device can do and what
// blocks it, turns push on and off, lists the devices that get
// notifications, sends a test, and edits the settings that follow the
// person (hidden text, quiet hours, who breaks through them).
import { $, el, item, openDialog } from "./dom.js";
import { api } from "./api.js";
import { state, notifyLevel, readUpTo } from "./state.js";
import { renderRooms, updateTitle, noteSeen } from "./render.js";
import {
  registration, pushSupported, pushActive, loadPush, subscribe, unsubscribe, removeDevice, sendTest, saveSettings,
} from "./push.js";
import { displayName, person, avatarURL, nameEl } from "./people.js";

const BODY_MAX = 160; // characters of a message in a notification, as the server's push

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
    tidyNotifications();
  }, 400);
}

// recount asks the server again, after every hello, how much is unread in
// each room: what was said while this device was away, or between the
// page's first fetch and its socket, reached no badge (catch-up fetches
// only the rooms that are loaded, and counts nothing). The server counts
// up to each room's newest id; the unread messages heard live meanwhile
// with a later id are added, and later frames count only past both
// (r.counted, socket.js), so none is missed or counted twice. A room read
// here or on another device since the server counted keeps its own count
// (a marker the server never got is sent again), as does one being
// loaded: its history sets it.
export async function recount() {
  const conn = state.conn;
  // By the names the server will answer with, whatever is renamed meanwhile.
  const asked = new Map(state.rooms);
  for (const r of asked.values()) r.heard = [];
  let rooms = [];
  try {
    ({ rooms } = await api("GET", "/api/rooms"));
  } catch { /* the next hello asks again */ }
  if (conn !== state.conn) return; // a newer socket's recount is under way
  for (const info of rooms) {
    const r = asked.get(info.name);
    if (!r || state.rooms.get(r.name) !== r || !r.heard || r.loading) continue;
    if (info.created !== r.created) {
      // Deleted and made anew under its name while we were away (or new
      // to us): its ids start again at 1, and nothing in it is read.
      r.created = info.created;
      r.read = r.counted = 0;
    }
    if (info.read < r.read) {
      api("POST", `/api/rooms/${encodeURIComponent(r.name)}/read`, { id: r.read }).catch(() => {});
      continue;
    }
    let unread = info.unread, mentions = info.mentions;
    for (const h of r.heard) {
      if (h.id <= info.newest || h.id <= info.read) continue;
      unread++;
      if (h.mention) mentions++;
    }
    r.read = info.read;
    r.unread = unread;
    r.mentions = mentions;
    r.counted = Math.max(r.counted, info.newest);
  }
  for (const r of asked.values()) r.heard = null;
  renderRooms();
  updateTitle();
  tidyNotifications();
  markRead(); // the room on screen: what is in view is read, not counted
}

// --- the page's own notifications ---

// notify shows m as a notification if the page is hidden, no push will
// (push.js), and the person's settings ask for it: the room's level, quiet
// hours. It has the push's tag, so one room's notifications never stack.
export function notify(r, m, open) {
  if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
  if (pushActive() || !wanted(r, m)) return;
  const mentioned = (m.mentions || []).includes(state.me.username);
  const hide = state.notify && state.notify.hide_text;
  const text = m.file ? `shared ${m.file.name}` : m.body;
  // Named as the server's pushes name them: by display name, with the
  // sender's picture where they have one.
  const who = m.bot ? m.user : displayName(m.user);
  const pic = !m.bot && person(m.user).avatar;
  const body = hide ? `New message from ${who}` : text.length > BODY_MAX ? text.slice(0, BODY_MAX - 1) + "…" : text;
  const title = r.dm ? who : `${who} in #${r.name}`;
  show(title, {
    body, tag: "room:" + r.name, renotify: r.dm || mentioned, icon: pic ? avatarURL(m.user, pic) : "/icon-192.png", badge: "/badge-96.png",
    data: { room: r.name, id: m.id },
  }, open);
  setBadge(totalUnread());
}

// wanted says whether the person's settings ask to be told of m: the
// room's level (in a DM, "mentions" is every message: a DM is addressed
// to them), and quiet hours, which a DM from someone they chose breaks.
function wanted(r, m) {
  const level = notifyLevel(r);
  const mentioned = (m.mentions || []).includes(state.me.username);
  if (level === "none" || (level === "mentions" && !mentioned && !r.dm)) return false;
  const s = state.notify || {};
  if (!inQuietHours(s.quiet)) return true;
  return r.dm && (s.breakthrough || []).includes(m.user);
}

// inQuietHours says whether now is within quiet hours q, on the clock of
// q's time zone; from after to spans midnight.
export function inQuietHours(q, now = new Date()) {
  if (!q || !q.enabled || !q.from || !q.to || q.from === q.to) return false;
  let t;
  try {
    t = new Intl.DateTimeFormat("en-GB", { timeZone: q.zone || undefined, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(now);
  } catch {
    return false; // a zone this browser does not know
  }
  return q.from < q.to ? t >= q.from && t < q.to : t >= q.from || t < q.to;
}

// show uses the service worker where there is one (Android allows nothing
// else, and a click then goes where a push's does); the page's own
// Notification otherwise.
async function show(title, opts, open) {
  const reg = await registration();
  if (reg) {
    try { await reg.showNotification(title, opts); return; } catch { /* below */ }
  }
  const n = new Notification(title, opts);
  n.onclick = () => { window.focus(); open(); n.close(); };
}

function totalUnread() {
  let n = 0;
  for (const r of state.rooms.values()) n += r.unread;
  return n;
}

// setBadge puts the unread total on the installed app's icon, where the
// system has such badges; 0 clears it.
function setBadge(n) {
  if (!("setAppBadge" in navigator)) return;
  (n ? navigator.setAppBadge(n) : navigator.clearAppBadge()).catch(() => {});
}

let tidyTimer = null;

// tidyNotifications, once the page is open and shown, closes the
// notifications of rooms with nothing unread any more (read here or on
// another device) and sets the badge to the unread total: a push of a
// message read elsewhere since goes on this device's next look.
export function tidyNotifications() {
  clearTimeout(tidyTimer);
  tidyTimer = setTimeout(tidy, 300);
}

async function tidy() {
  if (document.hidden || !state.me) return;
  setBadge(totalUnread());
  const reg = await registration();
  if (!reg) return;
  const shown = await reg.getNotifications().catch(() => []);
  for (const n of shown) {
    const name = n.data && n.data.room;
    if (!name) continue; // a test
    const r = state.rooms.get(name);
    if (!r || !r.unread) n.close();
  }
}

// --- the dialog ---

const DENIED_HELP = [
  ["Chrome or Edge", "click the lock or settings icon left of the address, then Site settings → Notifications → Allow."],
  ["Firefox", "click the lock icon left of the address, then Connection secure or Permissions, and clear “Send notifications”."],
  ["Safari on a Mac", "Safari → Settings → Websites → Notifications, then Allow for this site."],
  ["iPhone or iPad", "Settings → Notifications → Hearth, then Allow Notifications."],
];

let pushTrouble = ""; // why GET /api/push failed, if it did

export async function openNotify() {
  $("notify-error").textContent = "";
  sayTest("");
  $("notify-saved").textContent = "";
  drawDevice();
  drawSettings();
  openDialog("dialog-notify");
  $("dialog-notify").scrollTop = 0; // a dialog opened again keeps where it was scrolled to
  await refreshPush();
}

// refreshPush asks the server what it knows of our devices and its push
// services, and draws it.
async function refreshPush() {
  pushTrouble = "";
  if (pushSupported()) {
    try { await loadPush(); } catch (e) { pushTrouble = e.message; }
  }
  drawDevice();
  drawDevices();
}

function isIOS() {
  return /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
}

// deviceState names what this device can do now, in the order of what
// blocks it first.
function deviceState() {
  if (!window.isSecureContext) return "insecure";
  if (isIOS() && (!("PushManager" in window) || navigator.standalone === false)) return "ios-install";
  if (!("Notification" in window)) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  if (!pushSupported()) return "page-only";
  return state.push.subscribed ? "on" : "off";
}

// drawDevice says what this device does and what to do, and shows the
// buttons that apply.
function drawDevice() {
  const st = deviceState();
  const text = $("notify-text");
  const granted = "Notification" in window && Notification.permission === "granted";
  switch (st) {
    case "insecure":
      // Browsers only grant notifications to HTTPS pages (and localhost).
      text.replaceChildren("Browsers only allow notifications on a secure (HTTPS) page, and this one is plain HTTP. Whoever runs Hearth can turn HTTPS on: ",
        el("a", { href: "/help/https", target: "_blank" }, "how to set up HTTPS"), ".");
      break;
    case "ios-install":
      text.textContent = "On iPhone and iPad, notifications need Hearth on the Home Screen: add Hearth to your Home Screen first (in Safari, Share → Add to Home Screen), then open it from there. It needs iOS 16.4 or later.";
      break;
    case "unsupported":
      text.textContent = "This browser cannot show notifications.";
      break;
    case "denied":
      text.replaceChildren("Notifications are blocked for Hearth in this browser’s settings. To allow them again:",
        el("ul", { class: "notify-help" }, DENIED_HELP.map(([who, how]) => el("li", null, el("strong", null, who + ": "), how))),
        "Then reload Hearth.");
      break;
    case "page-only":
      text.textContent = granted
        ? "This browser shows notifications while Hearth is open, also in the background, but cannot get them while Hearth is closed."
        : "This browser can show notifications while Hearth is open, also in the background, but not while it is closed. Turn them on for mentions and direct messages.";
      break;
    case "on":
      text.textContent = "This device gets notifications, also while Hearth is closed.";
      break;
    case "off":
      text.textContent = granted
        ? "This device shows notifications only while Hearth is open. Turn them on to get them also while it is closed."
        : "Get a notification on this device for mentions and direct messages, also while Hearth is closed.";
      break;
  }
  const reach = $("notify-reach");
  reach.hidden = !(pushSupported() && state.push.reachable === false && st !== "denied");
  reach.textContent = "Phone notifications need the Hearth server to reach the internet (the push services of Google, Apple and Mozilla are on the internet). Until it can, you get notifications while Hearth is open.";
  $("notify-trouble").hidden = !pushTrouble;
  $("notify-trouble").textContent = pushTrouble && `Hearth could not say which devices get notifications: ${pushTrouble}`;
  $("notify-enable").hidden = !(st === "off" || (st === "page-only" && !granted));
  $("notify-disable").hidden = st !== "on";
  $("notify-test").hidden = st !== "on";
}

// busy disables button b while work runs (a second press would repeat
// it) and then gives the focus back, if it had it: to b, or where b went
// (Turn on, once on), to the button beside it.
async function busy(b, work) {
  const had = document.activeElement === b;
  b.disabled = true;
  try {
    await work();
  } finally {
    b.disabled = false;
    if (had) {
      const next = b.hidden ? $("dialog-notify").querySelector(".notify-buttons button:not([hidden])") : b;
      (next || $("notify-devices-heading")).focus();
    }
  }
}

// drawDevices lists the devices that get pushes, each with Remove.
function drawDevices() {
  const list = $("notify-devices");
  $("notify-devices-section").hidden = !pushSupported();
  const devices = state.push.devices || [];
  if (!devices.length) {
    list.replaceChildren(el("li", { class: "muted" }, "None yet."));
    return;
  }
  list.replaceChildren(...devices.map((d) => {
    const name = d.device || "A device";
    const b = el("button", { type: "button", class: "button danger", "aria-label": `Remove ${name}${d.this_device ? " (this device)" : ""}` }, "Remove");
    b.onclick = async () => {
      b.disabled = true;
      try {
        await removeDevice(d);
      } catch (e) {
        $("notify-error").textContent = `Could not remove ${name}: ${e.message}`;
        b.disabled = false;
        return;
      }
      drawDevice();
      drawDevices();
      $("notify-devices-heading").focus();
    };
    const since = d.created ? `since ${new Date(d.created).toLocaleDateString()}` : "";
    return item([name, d.this_device && el("span", { class: "tag" }, "THIS DEVICE")], [since, d.service].filter(Boolean).join(" · "), b);
  }));
}

// turnOn asks for the permission and subscribes this device (where it can
// get pushes; elsewhere the permission is all).
export async function turnOn() {
  const err = $("notify-error");
  err.textContent = "";
  await busy($("notify-enable"), async () => {
    try {
      if (pushSupported()) await subscribe();
      else await Notification.requestPermission();
    } catch (e) {
      err.textContent = failure(e);
    }
    drawDevice();
    drawDevices();
  });
}

// failure says in words why turning on failed.
function failure(e) {
  switch (e.step) {
    case "permission":
      return e.message === "denied" ? "" : "Notifications were not allowed: choose Allow when the browser asks.";
    case "browser":
      return `Notifications could not be turned on: this browser could not subscribe to its push service (${e.message}).`;
    case "server":
      return `Notifications could not be turned on: Hearth refused this device’s subscription (${e.message}).`;
  }
  return `Notifications could not be turned on: ${e.message}`;
}

// turnOff stops pushes to this device; the page's own notifications
// (while it is open) go on.
export async function turnOff() {
  $("notify-error").textContent = "";
  await busy($("notify-disable"), async () => {
    try {
      await unsubscribe();
    } catch (e) {
      $("notify-error").textContent = `Could not turn notifications off: ${e.message}`;
    }
    drawDevice();
    drawDevices();
  });
}

// testPush has the server push a test to this device; its error, if any,
// says why (not subscribed, refused, no internet).
export async function testPush() {
  sayTest("Sending…");
  await busy($("notify-test"), async () => {
    try {
      await sendTest();
      sayTest("Sent. It shows on this device in a few seconds.");
    } catch (e) {
      sayTest(`The test failed: ${e.message}`, true);
      // The server may have learnt something: the push services are out
      // of reach (503), or the push service forgot this device (410).
      if (e.status === 503 || e.status === 410) await refreshPush();
    }
  });
}

function sayTest(text, bad) {
  const p = $("notify-test-result");
  p.textContent = text;
  p.classList.toggle("form-error", !!bad);
}

// --- settings ---

function deviceZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { return ""; }
}

// drawSettings fills the settings form from the server's settings.
function drawSettings() {
  const s = state.notify || {};
  const q = s.quiet || {};
  $("notify-hide").checked = !!s.hide_text;
  $("quiet-on").checked = !!q.enabled;
  $("quiet-from").value = q.from || "22:00";
  $("quiet-to").value = q.to || "07:00";
  const zone = deviceZone();
  $("quiet-zone").textContent = q.enabled && q.zone && q.zone !== zone
    ? `Times are in ${q.zone}; saving uses this device’s time zone, ${zone}.`
    : `Times are in this device’s time zone${zone ? ", " + zone : ""}.`;
  const others = state.users.filter((u) => u !== state.me.username);
  const chosen = new Set(s.breakthrough || []);
  $("notify-breakthrough").hidden = !others.length;
  $("notify-people").replaceChildren(...others.map((u) =>
    el("label", { class: "check" }, el("input", { type: "checkbox", value: u, checked: chosen.has(u) }), nameEl(u))));
}

// saveNotifySettings sends the form; the server's answer is drawn back.
export async function saveNotifySettings(ev) {
  ev.preventDefault();
  const said = $("notify-saved");
  said.classList.remove("form-error");
  said.textContent = "Saving…";
  const part = {
    hide_text: $("notify-hide").checked,
    quiet: { enabled: $("quiet-on").checked, from: $("quiet-from").value || "22:00", to: $("quiet-to").value || "07:00", zone: deviceZone() },
    breakthrough: [...$("notify-people").querySelectorAll("input:checked")].map((i) => i.value),
  };
  try {
    await saveSettings(part);
  } catch (e) {
    said.classList.add("form-error");
    said.textContent = `Not saved: ${e.message}`;
    return;
  }
  drawSettings();
  said.textContent = "Saved.";
}
