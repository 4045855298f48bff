// sw.js is Hearth's service worker: it keeps the app's shell (the page,
// its modules, styles, icons and the emoji data set) so Hearth opens from a phone's home
// screen even while the server is away. It never caches chat data or
// anything behind a session: /api/, /ws and files always go to the network.
// It also shows what the server pushes (Web Push: a new message while no
// Hearth page of ours is on screen), with the unread total on the app's
// badge, and a click on a notification opens its room in a Hearth window.
"use strict";

// A new name for CACHE drops the old copy when this worker takes over.
const CACHE = "hearth-shell-v7";
// SHELL is every file the page needs to start, every module of js/ among
// them: a page missing one would not run offline. (TestShellListsEveryModule
// checks the list against the directory.)
const SHELL = [
  "/", "/style.css", "/icon.svg", "/icon-192.png", "/manifest.webmanifest", "/emoji.json",
  "/js/main.js", "/js/api.js", "/js/config.js", "/js/state.js", "/js/dom.js", "/js/format.js", "/js/render.js",
  "/js/auth.js", "/js/socket.js", "/js/history.js", "/js/outbox.js", "/js/notify.js",
  "/js/composer.js", "/js/emoji.js", "/js/highlight.js", "/js/actions.js", "/js/replies.js", "/js/rooms.js", "/js/admin.js", "/js/account.js",
  "/js/disk.js", "/js/push.js", "/js/media.js", "/js/uploads.js", "/js/viewer.js", "/js/voice.js",
  "/js/people.js", "/js/profile.js",
];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  const shell = e.request.method === "GET" && url.origin === location.origin && SHELL.includes(url.pathname);
  if (!shell) return; // the network, untouched: the API, the socket, files
  // Network first, so an updated Hearth shows at once; the cache when the
  // server cannot be reached.
  e.respondWith(fetch(e.request).then((res) => {
    if (res.ok) {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(e.request, copy));
    }
    return res;
  }).catch(() => caches.match(e.request)));
});

// --- Web Push (PROTOCOL.md: the payload) ---

// A push always shows a notification (browsers require it of a push).
// One per room: its tag replaces the room's older one, and renotify makes
// a DM or a mention ring again rather than update silently.
self.addEventListener("push", (e) => {
  e.waitUntil(showPush(e.data));
});

async function showPush(data) {
  let p;
  try { p = data ? data.json() : {}; } catch { p = { body: data.text() }; }
  const tag = p.tag || (p.room ? "room:" + p.room : "hearth");
  await self.registration.showNotification(p.title || "Hearth", {
    body: p.body || "",
    icon: p.icon || "/icon-192.png", // the sender's picture, when they have one
    badge: "/badge-96.png", // Android's status bar: the flame, white on nothing
    tag,
    renotify: !!p.renotify,
    data: { room: p.room || "", id: p.id || 0 },
  });
  if (typeof p.unread === "number") await setBadge(p.unread);
}

// setBadge puts the unread total on the installed app's icon where the
// system has such badges; 0 clears it.
async function setBadge(n) {
  if (!("setAppBadge" in self.navigator)) return;
  try {
    if (n > 0) await self.navigator.setAppBadge(n);
    else await self.navigator.clearAppBadge();
  } catch { /* not installed, or not allowed: the notification says it */ }
}

self.addEventListener("notificationclick", (e) => {
  e.waitUntil(clicked(e.notification));
});

// clicked closes the notification and opens its room and message: in a
// Hearth window already open (which is told to switch there), or a new one.
async function clicked(notification) {
  notification.close();
  const { room = "", id = 0 } = notification.data || {};
  const wins = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const win = wins.find((c) => c.focused) || wins.find((c) => c.visibilityState === "visible") || wins[0];
  if (win) {
    if (room) win.postMessage({ type: "open", room, id });
    try { await win.focus(); } catch { /* focusing needs the click's permission */ }
    return;
  }
  await self.clients.openWindow(room ? "/#" + encodeURIComponent(room) : "/");
}

// The push service may renew the subscription (it expired, or its keys
// were rotated): subscribe again with the same key and tell Hearth, so
// pushes keep coming. Best effort: without it, the dialog offers Turn on.
self.addEventListener("pushsubscriptionchange", (e) => {
  e.waitUntil(resubscribe(e.oldSubscription, e.newSubscription));
});

async function resubscribe(old, fresh) {
  try {
    let sub = fresh;
    if (!sub) {
      const key = old && old.options && old.options.applicationServerKey;
      if (!key) return;
      sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    }
    await fetch("/api/push", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(sub.toJSON()),
    });
    if (old) {
      await fetch("/api/push", {
        method: "DELETE",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ endpoint: old.endpoint }),
      });
    }
  } catch { /* the next open of the dialog shows the device as off */ }
}
