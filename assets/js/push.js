// push.js owns this device's Web Push and the person's notification
// settings, which live on the server so they follow the person: the
// service worker's registration, subscribing this device to push (with the
// server's VAPID key) and unsubscribing it, what the server knows of the
// person's devices and of the push services (GET /api/push), loading and
// saving the settings (room levels, hidden text, quiet hours), and moving
// the choice each device kept before (localStorage) to the server, once.
// It draws nothing: notify.js shows what it finds.
import { api } from "./api.js";
import { state, setNotifyLevel } from "./state.js";

const OLD_LEVEL = "hearth.notify."; // the per-device level of a room, before the server kept it
const LEVELS = ["all", "mentions", "none"];

let worker = null; // a promise of the service worker's registration, or of null

// registerWorker starts the service worker (the offline shell, and what
// shows a push). It needs a secure context: HTTPS, or localhost.
export function registerWorker() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  worker = navigator.serviceWorker.register("/sw.js")
    .then(() => navigator.serviceWorker.ready)
    .catch(() => null); // the app works without it
}

// registration is the service worker's registration once it is active,
// or null where there is none.
export function registration() {
  return worker || Promise.resolve(null);
}

// pushSupported says whether this browser can receive a push at all.
export function pushSupported() {
  return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

// pushActive says whether a push, not the page, tells this device of a new
// message: it has a subscription and the server can reach the push
// services (false: it could not, the last time it tried).
export function pushActive() {
  return state.push.subscribed && state.push.reachable !== false && Notification.permission === "granted";
}

// loadPush asks the server about our push subscriptions and its push
// services; this device counts as subscribed when the server holds one of
// its subscriptions and the browser still has it.
//
// A device that was subscribed and that the server no longer knows (a new
// login is a new session, a restored backup, an admin's reset of the push
// keys) subscribes again by itself, without asking: its person allowed
// notifications here and never turned them off. (Turning them off here
// drops the browser's subscription too; removing this device from another
// one makes the server refuse this resume, with 409.)
export async function loadPush() {
  const info = await api("GET", "/api/push");
  const mine = (info.subscriptions || []).some((s) => s.this_device);
  const local = await localSubscription();
  state.push = {
    subscribed: mine && !!local,
    reachable: info.reachable ?? null,
    publicKey: info.public_key || "",
    devices: info.subscriptions || [],
  };
  if (!mine && local && Notification.permission === "granted" && !resuming) {
    resuming = true;
    try { await subscribe(true); } catch { /* the Notifications dialog says why when opened */ } finally { resuming = false; }
  }
  return state.push;
}

let resuming = false; // loadPush is subscribing this device again

async function localSubscription() {
  if (!pushSupported()) return null;
  const reg = await registration();
  if (!reg) return null;
  try { return await reg.pushManager.getSubscription(); } catch { return null; }
}

// PushError says which step of turning push on failed, and why, in words
// for the person: step is "permission", "browser" or "server".
export class PushError extends Error {
  constructor(step, message) {
    super(message);
    this.step = step;
  }
}

// subscribe turns push on for this device: the browser's permission, a
// subscription from its push service for the server's key, and the server
// told of it.
//
// resume says the device does it by itself (see loadPush), not its person.
export async function subscribe(resume = false) {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new PushError("permission", permission);
  const reg = await registration();
  if (!reg) throw new PushError("browser", "the service worker is not running (reload the page and try again)");
  const key = state.push.publicKey || (await loadPush()).publicKey;
  if (!key) throw new PushError("server", "the server gave no push key");
  let sub;
  try {
    sub = await reg.pushManager.getSubscription();
    // One made for another key (the server's key changed) cannot be used.
    if (sub && !sameKey(sub.options.applicationServerKey, key)) {
      await sub.unsubscribe();
      sub = null;
    }
    sub ||= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64url(key) });
  } catch (e) {
    throw new PushError("browser", e.message || String(e));
  }
  try {
    await api("POST", "/api/push", resume ? { ...sub.toJSON(), resume: true } : sub.toJSON());
  } catch (e) {
    throw new PushError("server", e.message);
  }
  await loadPush();
}

// unsubscribe turns push off for this device: the server forgets the
// subscription, and the browser drops it.
export async function unsubscribe() {
  const sub = await localSubscription();
  await api("DELETE", "/api/push", sub ? { endpoint: sub.endpoint } : undefined);
  if (sub) await sub.unsubscribe().catch(() => {});
  await loadPush();
}

// removeDevice stops pushes to one of our devices; this one also drops its
// subscription in the browser.
export async function removeDevice(d) {
  await api("DELETE", "/api/push/" + encodeURIComponent(d.id));
  if (d.this_device) {
    const sub = await localSubscription();
    if (sub) await sub.unsubscribe().catch(() => {});
  }
  await loadPush();
}

// sendTest asks the server to push a test notification to this device.
export function sendTest() {
  return api("POST", "/api/push/test");
}

// fromBase64url decodes the server's key (base64url, no padding).
export function fromBase64url(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function sameKey(buf, key) {
  if (!buf) return false;
  const a = new Uint8Array(buf), b = fromBase64url(key);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// --- settings ---

// Frames come in the order the server changed the settings, but an
// answer to our own request may come after a frame of a later change (on
// another device): heard counts frames, and an answer is kept only if none
// came while it was on its way. (Our own change's frame comes too.)
let heard = 0;

// fetchSettings asks for, or changes, the settings, and keeps the answer
// unless a frame overtook it.
async function fetchSettings(method, path, body) {
  const before = heard;
  const s = await api(method, path, body);
  if (heard === before) keep(s);
}

function keep(s) {
  state.notify = { rooms: {}, breakthrough: [], ...s };
}

// loadSettings fetches the person's notification settings, then moves
// this device's old room choices to the server.
export async function loadSettings() {
  await fetchSettings("GET", "/api/notifications");
  await migrateLevels();
}

// applySettings takes the settings of the "notifications" frame, which
// every change (on any of the person's devices) sends.
export function applySettings(s) {
  heard++;
  keep(s);
}

// saveSettings changes some of hide_text, quiet and breakthrough.
export function saveSettings(part) {
  return fetchSettings("PUT", "/api/notifications", part);
}

// saveLevel sets what notifies the person in a room, on every device.
export function saveLevel(name, level) {
  setNotifyLevel(name, level);
  return fetchSettings("PUT", `/api/notifications/rooms/${encodeURIComponent(name)}`, { level });
}

// migrateLevels moves the level each room had on this device (before the
// server kept levels) to the server, unless the person has chosen one
// there since; then the device forgets it. A failure other than a room
// gone or hidden leaves it for the next start.
async function migrateLevels() {
  let keys;
  try { keys = Object.keys(localStorage).filter((k) => k.startsWith(OLD_LEVEL)); } catch { return; }
  for (const k of keys) {
    const name = k.slice(OLD_LEVEL.length);
    const level = localStorage.getItem(k);
    try {
      if (LEVELS.includes(level) && !(name in state.notify.rooms)) await saveLevel(name, level);
    } catch (e) {
      if (e.status !== 404) continue;
    }
    localStorage.removeItem(k);
  }
}
