// sw.js is Hearth's service worker: it keeps the app's shell (the page,
// its modules, styles, icons and the emoji data set) so Hearth opens from a phone's home
// screen even while the server is away. It never caches chat data or
// anything behind a session: /api/, /ws and files always go to the network.
"use strict";

// A new name for CACHE drops the old copy when this worker takes over.
const CACHE = "hearth-shell-v2";
// SHELL is every file the page needs to start, every module of js/ among
// them: a page missing one would not run offline. (TestShellListsEveryModule
// checks the list against the directory.)
const SHELL = [
  "/", "/style.css", "/icon.svg", "/icon-192.png", "/manifest.webmanifest", "/emoji.json",
  "/js/main.js", "/js/api.js", "/js/config.js", "/js/state.js", "/js/dom.js", "/js/format.js", "/js/render.js",
  "/js/auth.js", "/js/socket.js", "/js/history.js", "/js/outbox.js", "/js/notify.js",
  "/js/composer.js", "/js/emoji.js", "/js/highlight.js", "/js/actions.js", "/js/replies.js", "/js/rooms.js", "/js/admin.js", "/js/account.js",
  "/js/disk.js",
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
