// app.js is Hearth's web client: the login, setup and join pages, and the
// chat itself. It asks /api/me who is logged in, opens /ws with the session
// cookie, and catches up from the history API after every (re)connect.
// User text only ever reaches the page through textContent.
"use strict";

const $ = (id) => document.getElementById(id);

const USERNAME_RE = /^[a-z0-9_.-]{1,32}$/;
const ROOM_RE = /^[a-z0-9-]{1,32}$/;
const PAGE = 50;        // history page when scrolling up
const CATCHUP_PAGE = 200;
const GROUP_GAP_MS = 5 * 60 * 1000; // consecutive messages closer than this share a header
const MAX_EVENTS = 30;  // presence lines kept per room

const state = {
  me: null,              // {username, admin}
  rooms: new Map(),      // name → room state (see newRoom)
  current: null,         // name of the room on screen
  online: [],            // user names online
  ws: null,
  connected: false,      // hello received on the current socket
  loggingOut: false,
  retry: 0,
  retryTimer: null,
  retryAt: 0,
  closeReason: "",       // why the server closed us by policy, if it did
  maxBody: 4096,
  pending: new Map(),    // client_id → {cid, room, body, failed}
  hiddenUnread: 0,       // messages in the current room while the tab was hidden
};

function newRoom(name) {
  return {
    name,
    msgs: new Map(),  // id → message
    ids: [],          // ascending
    events: [],       // {afterId, text}
    loaded: false,    // holds a contiguous run of history ending at the newest message
    loading: false,
    loadingOlder: false,
    hasMore: true,    // older pages may exist
    unread: 0,
  };
}

// --- HTTP ---

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    const err = new Error((data && data.error) || res.statusText || "request failed");
    err.status = res.status;
    throw err;
  }
  return data;
}

// --- views ---

function showView(id) {
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== id;
}

async function boot() {
  const params = new URLSearchParams(location.search);
  if (location.pathname === "/setup") return showSetup(params.get("token") || "");
  if (location.pathname === "/join") return showJoin(params.get("code") || "");
  try {
    state.me = await api("GET", "/api/me");
  } catch (e) {
    if (e.status === 401) return showLogin();
    showView("view-loading");
    setTimeout(boot, 3000); // server unreachable: try again
    return;
  }
  startChat();
}

// --- login, setup and join ---

let authMode = null; // {kind, token|code}

function configureAuth(kind, title, lead, button) {
  authMode = { kind };
  $("auth-title").textContent = title;
  $("auth-lead").textContent = lead;
  $("auth-submit").textContent = button;
  const creating = kind !== "login";
  $("auth-confirm-label").hidden = !creating;
  $("auth-hint").hidden = !creating;
  $("auth-password").autocomplete = creating ? "new-password" : "current-password";
  $("auth-error").textContent = "";
  $("auth-form").hidden = false;
  $("auth-dead").hidden = true;
  showView("view-auth");
  $("auth-username").focus();
}

function showLogin(message) {
  configureAuth("login", "Welcome back", "Log in to your family chat.", "Log in");
  if (message) $("auth-error").textContent = message;
}

function deadLink(text) {
  $("auth-form").hidden = true;
  const p = $("auth-dead");
  p.hidden = false;
  p.replaceChildren(text + " ");
  const a = document.createElement("a");
  a.href = "/";
  a.textContent = "Go to the login page";
  p.append(a);
}

async function showSetup(token) {
  configureAuth("setup", "Set up Hearth", "Create the first account. It will be the admin, who can invite everyone else.", "Create admin account");
  authMode.token = token;
  try {
    const st = await api("GET", "/api/setup?token=" + encodeURIComponent(token));
    if (!st.valid) deadLink("This setup link is no longer valid: the admin account exists already, or the server printed a newer link.");
  } catch {
    deadLink("The server could not be reached.");
  }
}

async function showJoin(code) {
  configureAuth("join", "You're invited", "Pick a username and password to join the chat.", "Join");
  authMode.code = code;
  try {
    const inv = await api("GET", "/api/join/" + encodeURIComponent(code));
    $("auth-lead").textContent = `${inv.created_by} invited you. Pick a username and password to join the chat.`;
  } catch (e) {
    deadLink(e.status === 404 ? "This invite link is invalid, expired or used up. Ask for a new one." : "The server could not be reached.");
  }
}

async function submitAuth(ev) {
  ev.preventDefault();
  const username = $("auth-username").value.trim().toLowerCase();
  const password = $("auth-password").value;
  const err = $("auth-error");
  err.textContent = "";
  if (authMode.kind !== "login") {
    if (!USERNAME_RE.test(username)) { err.textContent = "Usernames are 1-32 lowercase letters, digits, “.”, “_” or “-”."; return; }
    if ([...password].length < 8) { err.textContent = "The password needs at least 8 characters."; return; }
    if (password !== $("auth-confirm").value) { err.textContent = "The two passwords differ."; return; }
  } else if (!username || !password) {
    err.textContent = "Enter your username and password.";
    return;
  }
  const button = $("auth-submit");
  button.disabled = true;
  try {
    if (authMode.kind === "login") state.me = await api("POST", "/api/login", { username, password });
    if (authMode.kind === "setup") state.me = await api("POST", "/api/setup", { token: authMode.token, username, password });
    if (authMode.kind === "join") state.me = await api("POST", "/api/join", { code: authMode.code, username, password });
  } catch (e) {
    err.textContent = e.message;
    return;
  } finally {
    button.disabled = false;
  }
  $("auth-password").value = "";
  $("auth-confirm").value = "";
  history.replaceState(null, "", "/");
  startChat();
}

// --- chat start and socket ---

async function startChat() {
  showView("view-chat");
  state.loggingOut = false;
  $("me-name").textContent = state.me.username;
  paintAvatar($("me-avatar"), state.me.username);
  $("open-invites").hidden = !state.me.admin;
  loadPending();
  try {
    const { rooms } = await api("GET", "/api/rooms");
    for (const r of rooms) if (!state.rooms.has(r.name)) state.rooms.set(r.name, newRoom(r.name));
  } catch (e) {
    if (e.status === 401) return sessionEnded();
  }
  const wanted = hashRoom() || localStorage.getItem("hearth.room") || "general";
  selectRoom(state.rooms.has(wanted) ? wanted : "general");
  connect();
}

function connect() {
  clearTimeout(state.retryTimer);
  if (state.ws) return;
  const url = (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws";
  const ws = new WebSocket(url);
  state.ws = ws;
  setStatus(state.retry ? "Reconnecting…" : "Connecting…");
  ws.onmessage = (ev) => {
    let f;
    try { f = JSON.parse(ev.data); } catch { return; }
    handleFrame(f);
  };
  ws.onclose = (ev) => {
    if (state.ws !== ws) return;
    state.ws = null;
    state.connected = false;
    state.online = []; // unknown until we are back
    renderOnline();
    socketClosed(ev.code, ev.reason);
  };
}

async function socketClosed(code, reason) {
  if (state.loggingOut) return;
  if (code === 4001) return sessionEnded("You were logged out on this device.");
  // Refused or dropped by policy (too many tabs, too slow): say why, and
  // do not retry fast.
  state.closeReason = code === 1008 && reason ? reason : "";
  if (state.closeReason) state.retry = Math.max(state.retry, 4);
  // A refused handshake looks like any other failure (1006): ask who we are.
  try {
    await api("GET", "/api/me");
  } catch (e) {
    if (e.status === 401) return sessionEnded("Your session ended. Please log in again.");
  }
  scheduleReconnect();
}

function scheduleReconnect() {
  const base = Math.min(30000, 1000 * 2 ** state.retry);
  const delay = Math.round(base / 2 + Math.random() * base / 2);
  state.retry++;
  state.retryAt = Date.now() + delay;
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(connect, delay);
  showRetryStatus();
}

function showRetryStatus() {
  if (state.ws || state.connected || !state.retryAt) return;
  const secs = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
  const el = $("conn-status");
  el.className = "conn-status bad";
  el.replaceChildren(state.closeReason ? `${state.closeReason}; retrying in ${secs}s` : `Offline, reconnecting in ${secs}s`);
  const b = document.createElement("button");
  b.className = "text-button";
  b.textContent = "Retry now";
  b.onclick = () => { clearTimeout(state.retryTimer); connect(); };
  el.append(b);
  setTimeout(showRetryStatus, 1000);
}

function setStatus(text, bad) {
  const el = $("conn-status");
  el.className = "conn-status" + (bad ? " bad" : "");
  el.replaceChildren(text);
}

function sessionEnded(message) {
  state.loggingOut = true;
  if (state.ws) { const ws = state.ws; state.ws = null; ws.close(); }
  state.connected = false;
  state.me = null;
  state.rooms.clear();
  state.current = null;
  $("message-list").replaceChildren();
  showLogin(message);
}

function handleFrame(f) {
  switch (f.type) {
    case "hello":
      state.connected = true;
      state.retry = 0;
      state.retryAt = 0;
      state.maxBody = f.max_body || state.maxBody;
      setStatus("");
      for (const name of f.rooms || []) if (!state.rooms.has(name)) state.rooms.set(name, newRoom(name));
      state.online = f.online || [];
      renderRooms();
      renderOnline();
      catchUp();
      for (const p of state.pending.values()) if (!p.failed) transmit(p);
      break;
    case "message":
      receive(f);
      break;
    case "presence":
      state.online = f.online || [];
      renderOnline();
      if (f.user !== state.me.username || f.event !== "back") {
        addEvent(f.room, presenceText(f));
      }
      break;
    case "room":
      if (!state.rooms.has(f.room)) state.rooms.set(f.room, newRoom(f.room));
      renderRooms();
      break;
    case "error":
      refused(f);
      break;
  }
}

function presenceText(f) {
  switch (f.event) {
    case "joined": return `${f.user} joined for the first time 🎉`;
    case "back": return `${f.user} is back`;
    case "left": return `${f.user} left`;
  }
  return `${f.user}: ${f.event}`;
}

// catchUp fetches, for every room already on screen, what was said while
// the socket was down, and loads the current room if it is new to us. Each
// room's starting point is taken before any request is made: live messages
// arriving meanwhile must not move it past the gap.
async function catchUp() {
  const from = new Map();
  for (const r of state.rooms.values()) {
    if (r.loaded) from.set(r, r.ids.length ? r.ids[r.ids.length - 1] : 0);
  }
  for (const [r, start] of from) {
    let after = start;
    try {
      for (;;) {
        const { messages } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?after=${after}&limit=${CATCHUP_PAGE}`);
        for (const m of messages) insert(r, m);
        if (messages.length) after = messages[messages.length - 1].id;
        if (messages.length < CATCHUP_PAGE) break;
      }
    } catch {
      // A gap we could not fill: forget the room's messages, so it is
      // loaded afresh (the newest page) rather than shown with a hole.
      resetRoom(r);
      if (r.name === state.current && state.connected) loadLatest(r);
    }
    if (r.name === state.current) renderMessages();
  }
  const cur = state.rooms.get(state.current);
  if (cur && !cur.loaded) loadLatest(cur);
}

function resetRoom(r) {
  r.msgs.clear();
  r.ids = [];
  r.events = [];
  r.loaded = false;
  r.hasMore = true;
}

async function loadLatest(r) {
  if (r.loading) return;
  r.loading = true;
  renderHistoryState();
  try {
    const { messages } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    r.hasMore = messages.length === PAGE;
    r.loaded = true;
  } catch (e) {
    if (e.status === 401) return sessionEnded();
  } finally {
    r.loading = false;
  }
  if (r.name === state.current) renderMessages(true);
}

async function loadOlder(r) {
  if (!r.loaded || r.loadingOlder || !r.hasMore || !r.ids.length) return;
  r.loadingOlder = true;
  renderHistoryState();
  const box = $("messages");
  try {
    const { messages } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?before=${r.ids[0]}&limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    r.hasMore = messages.length === PAGE;
  } catch { /* try again on the next scroll */ }
  r.loadingOlder = false;
  if (r.name !== state.current) return;
  const fromBottom = box.scrollHeight - box.scrollTop;
  renderMessages();
  box.scrollTop = box.scrollHeight - fromBottom; // keep what the reader sees in place
}

function insert(r, m) {
  if (r.msgs.has(m.id)) return false;
  r.msgs.set(m.id, m);
  if (!r.ids.length || m.id > r.ids[r.ids.length - 1]) {
    r.ids.push(m.id);
  } else {
    r.ids.push(m.id);
    r.ids.sort((a, b) => a - b);
  }
  return true;
}

function receive(m) {
  const mine = m.user === state.me.username;
  if (mine && m.client_id && state.pending.delete(m.client_id)) savePending();
  let r = state.rooms.get(m.room);
  if (!r) { r = newRoom(m.room); state.rooms.set(m.room, r); }
  // Rooms not on screen keep only a count: their history is fetched whole
  // when opened, which cannot leave a gap.
  const fresh = (r.loaded || r.loading) ? insert(r, m) : !mine;
  if (fresh && !mine) {
    if (m.room !== state.current) {
      r.unread++;
      renderRooms();
    } else if (document.hidden) {
      state.hiddenUnread++;
    }
    updateTitle();
  }
  if (m.room === state.current && r.loaded) renderMessages();
}

function refused(f) {
  const p = f.client_id && state.pending.get(f.client_id);
  const text = f.message || f.code;
  if (p && f.code === "rate_limited") {
    // Sent faster than the server allows (say, a backlog flushed after a
    // reconnect): it stays pending and goes again shortly.
    setTimeout(() => { if (state.pending.has(p.cid)) transmit(p); }, 1000 + Math.random() * 1000);
    return;
  }
  if (p) {
    p.failed = text;
    savePending();
    renderMessages();
  } else {
    setStatus(text, true);
    setTimeout(() => { if (state.connected) setStatus(""); }, 5000);
  }
}

// --- sending ---

// newClientID starts with the time, so the server's index of client_ids
// grows at its end; the random part keeps ids unique across devices.
// (crypto.randomUUID needs a secure context; plain HTTP on a LAN is not one.)
function newClientID() {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return "c" + Date.now().toString(36) + "-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function sendMessage(body) {
  const p = { cid: newClientID(), room: state.current, body, failed: null };
  state.pending.set(p.cid, p);
  savePending();
  transmit(p);
  renderMessages(true);
}

function transmit(p) {
  if (state.ws && state.connected) {
    state.ws.send(JSON.stringify({ type: "send", room: p.room, body: p.body, client_id: p.cid }));
  }
}

function retryPending(cid) {
  const p = state.pending.get(cid);
  if (!p) return;
  p.failed = null;
  savePending();
  transmit(p);
  renderMessages();
}

function discardPending(cid) {
  state.pending.delete(cid);
  savePending();
  renderMessages();
}

// Unacknowledged messages survive a reload: they are resent with the same
// client_id, which the server stores at most once.
function pendingKey() { return "hearth.pending." + state.me.username; }
function savePending() {
  try { localStorage.setItem(pendingKey(), JSON.stringify([...state.pending.values()])); } catch { /* private mode */ }
}
function loadPending() {
  state.pending.clear();
  try {
    for (const p of JSON.parse(localStorage.getItem(pendingKey()) || "[]")) state.pending.set(p.cid, p);
  } catch { /* ignore a damaged entry */ }
}

function utf8Length(s) { return new TextEncoder().encode(s).length; }

function updateComposer() {
  const ta = $("composer-input");
  ta.style.height = "auto";
  ta.style.height = Math.min(ta.scrollHeight + 2, 192) + "px";
  const n = utf8Length(ta.value);
  const count = $("composer-count");
  const near = n > state.maxBody * 0.85;
  count.textContent = near ? `${n} / ${state.maxBody}` : "";
  count.classList.toggle("over", n > state.maxBody);
  $("send").disabled = n > state.maxBody;
}

function submitComposer(ev) {
  ev.preventDefault();
  const ta = $("composer-input");
  // Blank lines at either end are never meant; indentation may be.
  const body = ta.value.replace(/^(\s*\n)+/, "").replace(/\s+$/, "");
  if (!body.trim() || utf8Length(body) > state.maxBody || !state.current) return;
  ta.value = "";
  updateComposer();
  sendMessage(body);
}

// --- rendering ---

function paintAvatar(el, name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360;
  el.style.setProperty("--hue", h);
  el.textContent = [...name][0] || "?";
}

// hashRoom is the room named in the URL's #fragment, or "".
function hashRoom() {
  try { return decodeURIComponent(location.hash.slice(1)); } catch { return ""; }
}

function selectRoom(name) {
  state.current = name;
  localStorage.setItem("hearth.room", name);
  if (location.hash.slice(1) !== name) history.replaceState(null, "", "#" + encodeURIComponent(name));
  const r = state.rooms.get(name);
  r.unread = 0;
  $("room-title").textContent = name;
  $("composer-input").placeholder = `Message #${name}`;
  renderRooms();
  updateTitle();
  renderMessages(true);
  if (!r.loaded && state.connected) loadLatest(r);
  closeSidebar();
  if (matchMedia("(pointer: fine)").matches) $("composer-input").focus();
}

function renderRooms() {
  const list = $("room-list");
  const names = [...state.rooms.keys()].sort();
  list.replaceChildren(...names.map((name) => {
    const r = state.rooms.get(name);
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.room = name;
    if (name === state.current) b.setAttribute("aria-current", "true");
    if (r.unread) b.classList.add("unread");
    const label = document.createElement("span");
    label.className = "room-name";
    label.textContent = name;
    b.append(label);
    if (r.unread) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = r.unread > 99 ? "99+" : String(r.unread);
      badge.setAttribute("aria-label", `${r.unread} unread`);
      b.append(badge);
    }
    b.onclick = () => selectRoom(name);
    li.append(b);
    return li;
  }));
}

function renderOnline() {
  $("online-count").textContent = state.online.length ? String(state.online.length) : "";
  $("online-list").replaceChildren(...state.online.map((name) => {
    const li = document.createElement("li");
    const av = document.createElement("span");
    av.className = "avatar small";
    paintAvatar(av, name);
    const n = document.createElement("span");
    n.textContent = name;
    li.append(av, n);
    return li;
  }));
}

function updateTitle() {
  let total = state.hiddenUnread;
  for (const r of state.rooms.values()) total += r.unread;
  document.title = total ? `(${total}) Hearth` : "Hearth";
}

function addEvent(roomName, text) {
  const r = state.rooms.get(roomName);
  if (!r) return;
  r.events.push({ afterId: r.ids.length ? r.ids[r.ids.length - 1] : 0, text });
  if (r.events.length > MAX_EVENTS) r.events.shift();
  if (roomName === state.current) renderMessages();
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });

function dayLabel(d) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (d.toDateString() === today.toDateString()) return "Today";
  if (d.toDateString() === yesterday.toDateString()) return "Yesterday";
  return dayFmt.format(d);
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

// renderBody writes text into el, turning http(s) URLs into links. Nothing
// from the message is ever parsed as HTML.
function renderBody(el, text) {
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    let href = m[0].replace(/[.,;:!?)\]}]+$/, "");
    let ok = false;
    try { ok = ["http:", "https:"].includes(new URL(href).protocol); } catch { ok = false; }
    if (!ok) continue;
    el.append(text.slice(last, m.index));
    const a = document.createElement("a");
    a.href = href;
    a.textContent = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    el.append(a);
    last = m.index + href.length;
  }
  el.append(text.slice(last));
}

function messageItem(m, first, extraClass) {
  const li = document.createElement("li");
  li.className = "msg" + (first ? " first" : "") + (extraClass ? " " + extraClass : "");
  if (m.id) li.dataset.id = m.id;
  const av = document.createElement("span");
  av.className = "avatar";
  paintAvatar(av, m.user);
  av.setAttribute("aria-hidden", "true");
  const meta = document.createElement("div");
  meta.className = "msg-meta";
  const who = document.createElement("span");
  who.className = "msg-user";
  who.textContent = m.user;
  const when = document.createElement("time");
  when.className = "msg-time";
  if (m.ts) {
    const d = new Date(m.ts);
    when.dateTime = m.ts;
    when.textContent = timeFmt.format(d);
    when.title = fullFmt.format(d);
  } else {
    when.textContent = "sending…";
  }
  meta.append(who, when);
  const body = document.createElement("div");
  body.className = "msg-body";
  renderBody(body, m.body);
  li.append(av, meta, body);
  return li;
}

function isAtBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

// renderMessages redraws the current room; it keeps the view pinned to the
// newest message when it was there (or when stick is set).
function renderMessages(stick) {
  const r = state.rooms.get(state.current);
  const box = $("messages");
  const list = $("message-list");
  if (!r) { list.replaceChildren(); return; }
  const wasAtBottom = stick || isAtBottom(box);
  const items = [];
  let prev = null;
  let prevDay = "";
  const eventsAfter = new Map();
  for (const e of r.events) {
    if (!eventsAfter.has(e.afterId)) eventsAfter.set(e.afterId, []);
    eventsAfter.get(e.afterId).push(e.text);
  }
  const pushEvents = (id) => {
    for (const text of eventsAfter.get(id) || []) {
      const li = document.createElement("li");
      li.className = "event";
      li.textContent = text;
      items.push(li);
      prev = null;
    }
  };
  if (r.loaded && !r.hasMore) pushEvents(0);
  for (const id of r.ids) {
    const m = r.msgs.get(id);
    const d = new Date(m.ts);
    const day = d.toDateString();
    if (day !== prevDay) {
      const li = document.createElement("li");
      li.className = "day";
      li.textContent = dayLabel(d);
      items.push(li);
      prevDay = day;
      prev = null;
    }
    const first = !prev || prev.user !== m.user || d - new Date(prev.ts) > GROUP_GAP_MS;
    items.push(messageItem(m, first));
    prev = m;
    pushEvents(id);
  }
  for (const p of state.pending.values()) {
    if (p.room !== r.name) continue;
    const first = !prev || prev.user !== state.me.username || prev.ts;
    const li = messageItem({ user: state.me.username, body: p.body }, first, p.failed ? "failed" : "pending");
    if (p.failed) {
      const note = document.createElement("div");
      note.className = "msg-failed";
      note.append(`Not sent: ${p.failed} `);
      const retry = document.createElement("button");
      retry.className = "text-button";
      retry.textContent = "Retry";
      retry.onclick = () => retryPending(p.cid);
      const drop = document.createElement("button");
      drop.className = "text-button";
      drop.textContent = "Discard";
      drop.onclick = () => discardPending(p.cid);
      note.append(retry, drop);
      li.append(note);
    }
    items.push(li);
    prev = { user: state.me.username };
  }
  list.replaceChildren(...items);
  renderHistoryState();
  if (wasAtBottom) {
    box.scrollTop = box.scrollHeight;
    $("jump-latest").hidden = true;
  } else if (items.length) {
    $("jump-latest").hidden = false;
  }
}

function renderHistoryState() {
  const r = state.rooms.get(state.current);
  const el = $("history-state");
  if (!r) { el.textContent = ""; return; }
  if (r.loading || r.loadingOlder) el.textContent = "Loading…";
  else if (r.loaded && !r.hasMore) el.textContent = r.ids.length ? `This is the beginning of #${r.name}.` : `This is the start of #${r.name}. Say hello!`;
  else el.textContent = "";
}

// --- sidebar on phones ---

function openSidebar() {
  $("sidebar").classList.add("open");
  $("scrim").hidden = false;
  $("scrim").classList.add("show");
}
function closeSidebar() {
  $("sidebar").classList.remove("open");
  $("scrim").classList.remove("show");
  $("scrim").hidden = true;
}

// --- dialogs ---

function openDialog(id) {
  const d = $(id);
  if (!d.open) d.showModal();
}

async function createRoom(ev) {
  ev.preventDefault();
  const name = $("room-name").value.trim().toLowerCase();
  const err = $("room-error");
  err.textContent = "";
  if (!ROOM_RE.test(name)) { err.textContent = "Use 1-32 lowercase letters, digits or “-”."; return; }
  try {
    await api("POST", "/api/rooms", { name });
  } catch (e) {
    err.textContent = e.message;
    return;
  }
  if (!state.rooms.has(name)) state.rooms.set(name, newRoom(name));
  $("dialog-room").close();
  $("room-name").value = "";
  selectRoom(name);
}

function describeAgent(ua) {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome"
    : /Safari\//.test(ua) ? "Safari" : null;
  const os = /Android/.test(ua) ? "Android" : /iPhone/.test(ua) ? "iPhone" : /iPad/.test(ua) ? "iPad"
    : /Windows/.test(ua) ? "Windows" : /Mac OS X/.test(ua) ? "Mac" : /CrOS/.test(ua) ? "ChromeOS" : /Linux/.test(ua) ? "Linux" : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || ua.slice(0, 60);
}

function ago(ts) {
  const s = Math.max(0, (Date.now() - new Date(ts)) / 1000);
  if (s < 90) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 86400 * 1.5) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}

async function openSessions() {
  openDialog("dialog-sessions");
  const err = $("sessions-error");
  err.textContent = "";
  let sessions;
  try {
    ({ sessions } = await api("GET", "/api/sessions"));
  } catch (e) {
    if (e.status === 401) return sessionEnded();
    err.textContent = e.message;
    return;
  }
  sessions.sort((a, b) => Number(b.current) - Number(a.current)); // this device first
  $("session-list").replaceChildren(...sessions.map((s) => {
    const li = document.createElement("li");
    const main = document.createElement("div");
    main.className = "item-main";
    const title = document.createElement("div");
    title.className = "item-title";
    title.textContent = describeAgent(s.user_agent);
    if (s.current) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = "THIS DEVICE";
      title.append(tag);
    }
    const sub = document.createElement("div");
    sub.className = "item-sub";
    sub.textContent = `${s.remote_addr} · active ${ago(s.last_seen)} · since ${new Date(s.created).toLocaleDateString()}`;
    main.append(title, sub);
    const b = document.createElement("button");
    b.className = "button danger";
    b.textContent = s.current ? "Log out" : "Log out device";
    b.onclick = async () => {
      b.disabled = true;
      try {
        await api("DELETE", "/api/sessions/" + encodeURIComponent(s.id));
      } catch (e) {
        err.textContent = e.message;
        b.disabled = false;
        return;
      }
      if (s.current) { $("dialog-sessions").close(); return sessionEnded("You logged out this device."); }
      li.remove();
    };
    li.append(main, b);
    return li;
  }));
}

async function openInvites() {
  openDialog("dialog-invites");
  await refreshInvites();
}

async function refreshInvites() {
  const err = $("invites-error");
  let invites;
  try {
    ({ invites } = await api("GET", "/api/invites"));
  } catch (e) {
    err.textContent = e.message;
    return;
  }
  $("invite-list").replaceChildren(...invites.map(inviteItem));
}

function inviteItem(inv) {
  const li = document.createElement("li");
  const main = document.createElement("div");
  main.className = "item-main";
  const link = document.createElement("input");
  link.className = "invite-link";
  link.readOnly = true;
  link.value = inv.url;
  link.setAttribute("aria-label", "Invite link");
  link.onfocus = () => link.select();
  const sub = document.createElement("div");
  sub.className = "item-sub";
  const left = new Date(inv.expires) - Date.now();
  const status = !inv.usable ? (inv.uses >= inv.max_uses ? "used up" : "expired")
    : `expires in ${left > 86400000 ? Math.round(left / 86400000) + " days" : Math.max(1, Math.round(left / 3600000)) + " hours"}`;
  sub.textContent = `${status} · used ${inv.uses} of ${inv.max_uses}`;
  main.append(link, sub);
  const copy = document.createElement("button");
  copy.className = "button";
  copy.textContent = "Copy";
  copy.disabled = !inv.usable;
  copy.onclick = async () => {
    try {
      await navigator.clipboard.writeText(inv.url);
    } catch {
      link.select();
      document.execCommand("copy"); // clipboard API needs HTTPS; this works on a LAN
    }
    copy.textContent = "Copied";
    setTimeout(() => { copy.textContent = "Copy"; }, 1500);
  };
  const del = document.createElement("button");
  del.className = "button danger";
  del.textContent = "Delete";
  del.onclick = async () => {
    try { await api("DELETE", "/api/invites/" + encodeURIComponent(inv.code)); } catch (e) { $("invites-error").textContent = e.message; return; }
    li.remove();
  };
  li.append(main, copy, del);
  return li;
}

async function createInvite(ev) {
  ev.preventDefault();
  $("invites-error").textContent = "";
  try {
    await api("POST", "/api/invites", { hours: Number($("invite-hours").value), max_uses: Number($("invite-uses").value) });
  } catch (e) {
    $("invites-error").textContent = e.message;
    return;
  }
  await refreshInvites();
  const first = $("invite-list").querySelector("input");
  if (first) first.focus();
}

async function logout() {
  state.loggingOut = true;
  try { await api("POST", "/api/logout"); } catch { /* the cookie is cleared either way below */ }
  sessionEnded();
}

// --- wiring ---

function wire() {
  $("auth-form").addEventListener("submit", submitAuth);
  $("composer").addEventListener("submit", submitComposer);
  const ta = $("composer-input");
  ta.addEventListener("input", updateComposer);
  ta.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  const box = $("messages");
  box.addEventListener("scroll", () => {
    const r = state.rooms.get(state.current);
    if (r && box.scrollTop < 200) loadOlder(r);
    if (isAtBottom(box)) $("jump-latest").hidden = true;
  });
  $("jump-latest").onclick = () => { box.scrollTop = box.scrollHeight; $("jump-latest").hidden = true; };
  $("open-sidebar").onclick = openSidebar;
  $("close-sidebar").onclick = closeSidebar;
  $("scrim").onclick = closeSidebar;
  $("new-room").onclick = () => { $("room-error").textContent = ""; openDialog("dialog-room"); $("room-name").focus(); };
  $("room-form").addEventListener("submit", createRoom);
  $("open-sessions").onclick = openSessions;
  $("open-invites").onclick = openInvites;
  $("invite-form").addEventListener("submit", createInvite);
  $("logout").onclick = logout;
  for (const b of document.querySelectorAll("[data-close]")) b.onclick = () => b.closest("dialog").close();
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      state.hiddenUnread = 0;
      updateTitle();
      if (state.me && !state.ws && !state.loggingOut) connect();
    }
  });
  // An open socket keeps the session alive on the server; this keeps the
  // browser's cookie as fresh for a tab that stays open for weeks.
  setInterval(() => {
    if (state.me && state.connected) api("GET", "/api/me").catch((e) => { if (e.status === 401) sessionEnded(); });
  }, 6 * 3600 * 1000);
  window.addEventListener("online", () => { if (state.me && !state.ws && !state.loggingOut) connect(); });
  window.addEventListener("hashchange", () => {
    const name = hashRoom();
    if (state.me && state.rooms.has(name) && name !== state.current) selectRoom(name);
  });
}

wire();
boot();
