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
const TYPING_EVERY = 3000;   // ms between our typing frames
const TYPING_SHOWN = 4500;   // ms a typing indicator stays without news
const INLINE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
const REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🎉"];

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
  users: [],             // every account's name, for pickers and @mentions
  typingSent: 0,         // when we last told the room we are typing
  editing: null,         // {room, id, draft, caret}: the message being edited
  renamed: new Map(),    // old room name → new, for frames committed before a rename
  readTimer: null,
};

function newRoom(name) {
  return {
    name,
    private: false, dm: false, members: [], canManage: false,
    msgs: new Map(),  // id → message
    ids: [],          // ascending
    events: [],       // {afterId, text}
    loaded: false,    // holds a contiguous run of history ending at the newest message
    loading: false,
    loadingOlder: false,
    hasMore: true,    // older pages may exist
    detached: false,  // showing a window of the past (a search result), not the newest
    rev: 0,           // every change up to this rev is reflected here
    unread: 0,
    mentions: 0,
    read: 0,          // the id read up to, on any of our devices
    typing: new Map(), // user → until when they show as typing
  };
}

// room returns the state of a room, creating it, and updates what the
// server says of it (a GET /api/rooms entry or a "room" frame).
function room(name, info) {
  let r = state.rooms.get(name);
  if (!r) { r = newRoom(name); state.rooms.set(name, r); }
  if (info) {
    r.private = !!info.private;
    r.dm = !!info.dm;
    r.members = info.members || [];
    r.archived = !!info.archived;
    if ("can_manage" in info) r.canManage = !!info.can_manage;
    if ("unread" in info) { r.unread = info.unread; r.mentions = info.mentions; r.read = info.read; }
  }
  return r;
}

// roomLabel is how a room is named on screen: a DM by the other person.
function roomLabel(r) {
  if (!r.dm) return r.name;
  return r.members.find((m) => m !== state.me.username) || r.name;
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
  if (location.pathname === "/reset") return showReset(params.get("token") || "");
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
  $("auth-username-label").hidden = kind === "reset";
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

async function showReset(token) {
  configureAuth("reset", "Choose a new password", "", "Set password and log in");
  authMode.token = token;
  $("auth-password").focus();
  try {
    const { user } = await api("GET", "/api/reset?token=" + encodeURIComponent(token));
    $("auth-lead").textContent = `For ${user}. Every device logged in as ${user} will be logged out.`;
  } catch (e) {
    deadLink(e.status === 404 ? "This reset link is invalid, used or expired. Ask an admin for a new one." : "The server could not be reached.");
  }
}

async function submitAuth(ev) {
  ev.preventDefault();
  const username = $("auth-username").value.trim().toLowerCase();
  const password = $("auth-password").value;
  const err = $("auth-error");
  err.textContent = "";
  if (authMode.kind !== "login") {
    if (authMode.kind !== "reset" && !USERNAME_RE.test(username)) { err.textContent = "Usernames are 1-32 lowercase letters, digits, “.”, “_” or “-”."; return; }
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
    if (authMode.kind === "reset") state.me = await api("POST", "/api/reset", { token: authMode.token, password });
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
  $("open-bots").hidden = !state.me.admin;
  $("open-admin").hidden = !state.me.admin;
  try {
    const { rooms } = await api("GET", "/api/rooms");
    for (const r of rooms) room(r.name, r);
    state.users = (await api("GET", "/api/users")).users.map((u) => u.name);
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
  if (code === 4001) return sessionEnded(reason === "account disabled" ? "An admin disabled your account. Ask them to enable it again." : "You were logged out on this device.");
  // Our rights changed: the next hello says what they are now.
  if (code === 4002) { state.retry = 0; return connect(); }
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
      if (typeof f.admin === "boolean" && f.admin !== state.me.admin) {
        state.me.admin = f.admin;
        for (const id of ["open-invites", "open-bots", "open-admin"]) $(id).hidden = !f.admin;
        if (!f.admin) $("dialog-admin").close?.();
        setStatus(f.admin ? "An admin made you an admin." : "Your admin rights were removed.");
        if (state.current) renderMessages();
      }
      // Rooms deleted, renamed or closed to us while we were away go.
      for (const name of [...state.rooms.keys()]) if (!(f.rooms || []).includes(name)) state.rooms.delete(name);
      state.renamed.clear();
      for (const name of f.rooms || []) room(name);
      if (state.current && !state.rooms.has(state.current)) selectRoom("general");
      state.online = f.online || [];
      renderRooms();
      renderOnline();
      catchUp();
      for (const p of state.pending.values()) if (!p.failed) transmit(p);
      break;
    case "message":
      receive(f);
      break;
    case "update":
      changed(f);
      break;
    case "read": {
      const r = state.rooms.get(f.room);
      if (r) {
        r.read = Math.max(r.read, f.id);
        const last = r.ids.length ? r.ids[r.ids.length - 1] : 0;
        if (f.id >= last || !r.loaded) { r.unread = 0; r.mentions = 0; }
        renderRooms();
        updateTitle();
      }
      break;
    }
    case "typing": {
      const r = state.rooms.get(f.room);
      if (r) { r.typing.set(f.user, Date.now() + TYPING_SHOWN); renderTyping(); }
      break;
    }
    case "room_removed":
      state.rooms.delete(f.room);
      if (state.current === f.room) selectRoom("general");
      renderRooms();
      break;
    case "room_renamed":
      renameRoom(f.from, f.room);
      break;
    case "presence":
      state.online = f.online || [];
      renderOnline();
      if (f.user !== state.me.username || f.event !== "back") {
        addEvent(f.room, presenceText(f));
      }
      break;
    case "room":
      state.renamed.delete(f.room); // a new room took an old name
      room(f.room, f);
      renderRooms();
      if (f.room === state.current) renderHeader();
      break;
    case "error":
      refused(f);
      break;
  }
}

// renameRoom follows an admin's rename: the room keeps what is loaded, the
// view stays on it, and messages still on their way go to the new name.
function renameRoom(from, to) {
  state.renamed.set(from, to);
  const r = state.rooms.get(from);
  if (!r) { room(to); renderRooms(); return; }
  state.rooms.delete(from);
  r.name = to;
  for (const m of r.msgs.values()) m.room = to;
  // A message posted under the new name may have come first.
  const early = state.rooms.get(to);
  if (early) for (const m of early.msgs.values()) insert(r, m);
  state.rooms.set(to, r);
  if (state.editing && state.editing.room === from) state.editing.room = to;
  try {
    const level = localStorage.getItem("hearth.notify." + from);
    if (level) { localStorage.setItem("hearth.notify." + to, level); localStorage.removeItem("hearth.notify." + from); }
  } catch { /* private mode */ }
  for (const p of state.pending.values()) {
    if (p.room !== from) continue;
    p.room = to;
    p.failed = null; // refused as unknown_room in the moment of the rename
    transmit(p);
  }
  savePending();
  addEvent(to, `#${from} is now called #${to}`);
  if (state.current === from) {
    state.current = to;
    localStorage.setItem("hearth.room", to);
    history.replaceState(null, "", "#" + encodeURIComponent(to));
    renderHeader();
    renderMessages();
    updateTitle();
  }
  renderRooms();
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
    if (r.loaded) from.set(r, r.rev);
  }
  for (const [r, start] of from) {
    let since = start;
    try {
      for (;;) {
        // Everything that changed since: new messages, and edits, deletes
        // and reactions to old ones.
        const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?since=${since}&limit=${CATCHUP_PAGE}`);
        for (const m of messages) apply(r, m);
        since = rev;
        r.rev = Math.max(r.rev, rev);
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
  r.detached = false;
  r.target = 0;
}

async function loadLatest(r) {
  if (r.loading) return;
  r.loading = true;
  renderHistoryState();
  try {
    const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    r.hasMore = messages.length === PAGE;
    r.rev = Math.max(r.rev, rev);
    r.loaded = true;
    r.detached = false;
  } catch (e) {
    if (e.status === 401) return sessionEnded();
  } finally {
    r.loading = false;
  }
  if (r.name === state.current) { renderMessages(true); markRead(); }
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

// apply takes a message's current state (from catch-up or an update):
// replaced if shown, added if new and the room is at its newest.
function apply(r, m) {
  if (r.msgs.has(m.id)) { r.msgs.set(m.id, m); return; }
  const last = r.ids.length ? r.ids[r.ids.length - 1] : 0;
  if (m.id > last && !r.detached) insert(r, m);
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
  if (state.renamed.has(m.room)) m.room = state.renamed.get(m.room); // committed just before a rename
  const mine = m.user === state.me.username && !m.bot;
  if (mine && m.client_id && state.pending.delete(m.client_id)) savePending();
  const r = room(m.room);
  r.rev = Math.max(r.rev, m.rev || 0);
  r.typing.delete(m.user);
  // Rooms not on screen keep only a count: their history is fetched whole
  // when opened, which cannot leave a gap. A room showing the past does too.
  const fresh = (r.loaded || r.loading) && !r.detached ? insert(r, m) : !mine;
  if (fresh && !mine) {
    const seen = m.room === state.current && !document.hidden && !r.detached;
    if (!seen) {
      r.unread++;
      if ((m.mentions || []).includes(state.me.username)) r.mentions++;
      if (m.room === state.current && document.hidden) state.hiddenUnread++;
      renderRooms();
    }
    updateTitle();
    notify(r, m);
  }
  if (m.room === state.current && r.loaded) { renderMessages(); renderTyping(); markRead(); }
}

// changed shows an edit, a delete or a reaction.
function changed(m) {
  const r = state.rooms.get(m.room);
  if (!r) return;
  r.rev = Math.max(r.rev, m.rev || 0);
  if (r.msgs.has(m.id)) {
    r.msgs.set(m.id, m);
    if (m.room === state.current) renderMessages();
  }
}

function refused(f) {
  if (!f.client_id && ["forbidden", "unknown_message", "bad_emoji"].includes(f.code)) {
    setStatus(f.message || f.code, true);
    setTimeout(() => { if (state.connected) setStatus(""); }, 5000);
    return;
  }
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
  if (!state.rooms.has(name)) name = "general";
  state.current = name;
  localStorage.setItem("hearth.room", name);
  if (location.hash.slice(1) !== name) history.replaceState(null, "", "#" + encodeURIComponent(name));
  const r = room(name);
  renderHeader();
  renderRooms();
  updateTitle();
  renderMessages(true);
  renderTyping();
  if (!r.loaded && state.connected) loadLatest(r);
  else markRead();
  closeSidebar();
  if (matchMedia("(pointer: fine)").matches) $("composer-input").focus();
}

function renderHeader() {
  const r = state.rooms.get(state.current);
  if (!r) return;
  const title = $("room-title");
  title.textContent = roomLabel(r);
  title.classList.toggle("dm-title", r.dm);
  $("composer-input").placeholder = r.dm ? `Message ${roomLabel(r)}` : `Message #${r.name}`;
  $("open-members").hidden = !r.private || r.dm;
  $("composer-input").disabled = r.archived;
  $("send").disabled = r.archived;
  if (r.archived) $("composer-input").placeholder = "This room is archived: its history stays, nothing new is said here.";
  $("notify-level").value = notifyLevel(r);
}

// --- read markers ---

// markRead tells the server, soon, that the newest message on screen has
// been read; every device of ours then clears the room's badge.
function markRead() {
  clearTimeout(state.readTimer);
  state.readTimer = setTimeout(() => {
    const r = state.rooms.get(state.current);
    if (!r || !r.loaded || r.detached || document.hidden || !r.ids.length) return;
    const last = r.ids[r.ids.length - 1];
    if (!isAtBottom($("messages"))) return;
    r.unread = 0;
    r.mentions = 0;
    renderRooms();
    updateTitle();
    if (last > r.read) {
      r.read = last;
      api("POST", `/api/rooms/${encodeURIComponent(r.name)}/read`, { id: last }).catch(() => {});
    }
  }, 400);
}

// --- typing ---

function sendTyping() {
  if (!state.ws || !state.connected || Date.now() - state.typingSent < TYPING_EVERY) return;
  state.typingSent = Date.now();
  state.ws.send(JSON.stringify({ type: "typing", room: state.current }));
}

function renderTyping() {
  const r = state.rooms.get(state.current);
  const now = Date.now();
  const who = r ? [...r.typing].filter(([, until]) => until > now).map(([u]) => u) : [];
  $("typing").textContent = who.length === 0 ? "" : who.length === 1 ? `${who[0]} is typing…`
    : who.length === 2 ? `${who[0]} and ${who[1]} are typing…` : "Several people are typing…";
}

// --- notifications ---

// notifyLevel is this device's choice for a room: DMs notify for every
// message by default, rooms for mentions.
function notifyLevel(r) {
  return localStorage.getItem("hearth.notify." + r.name) || (r.dm ? "all" : "mentions");
}

function notify(r, m) {
  if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
  const level = notifyLevel(r);
  const mentioned = (m.mentions || []).includes(state.me.username);
  if (level === "none" || (level === "mentions" && !mentioned)) return;
  const n = new Notification(r.dm ? m.user : `${m.user} in #${r.name}`, { body: m.file ? `shared ${m.file.name}` : m.body, tag: r.name });
  n.onclick = () => { window.focus(); selectRoom(r.name); n.close(); };
}

function openNotify() {
  const text = $("notify-text");
  const button = $("notify-enable");
  button.hidden = true;
  if (!("Notification" in window)) {
    text.textContent = "This browser cannot show notifications.";
  } else if (!window.isSecureContext) {
    // Browsers only grant notifications to HTTPS pages (and localhost).
    text.replaceChildren("Browsers only allow notifications on a secure (HTTPS) page, and this one is plain HTTP. Whoever runs Hearth can turn HTTPS on: ");
    const a = document.createElement("a");
    a.href = "/help/https";
    a.target = "_blank";
    a.textContent = "how to set up HTTPS";
    text.append(a, ".");
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

function renderRooms() {
  const item = (r) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.room = r.name;
    if (r.private && !r.dm) b.classList.add("private");
    if (r.dm) b.classList.add("dm");
    if (r.name === state.current) b.setAttribute("aria-current", "true");
    if (r.unread) b.classList.add("unread");
    const label = document.createElement("span");
    label.className = "room-name";
    label.textContent = roomLabel(r);
    b.append(label);
    if (r.mentions) {
      const badge = document.createElement("span");
      badge.className = "badge mention";
      badge.textContent = r.mentions > 99 ? "99+" : String(r.mentions);
      badge.setAttribute("aria-label", `${r.mentions} mentions`);
      b.append(badge);
    } else if (r.unread) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = r.unread > 99 ? "99+" : String(r.unread);
      badge.setAttribute("aria-label", `${r.unread} unread`);
      b.append(badge);
    }
    b.onclick = () => selectRoom(r.name);
    li.append(b);
    return li;
  };
  const all = [...state.rooms.values()];
  $("room-list").replaceChildren(...all.filter((r) => !r.dm).sort((a, b) => a.name.localeCompare(b.name)).map(item));
  $("dm-list").replaceChildren(...all.filter((r) => r.dm).sort((a, b) => roomLabel(a).localeCompare(roomLabel(b))).map(item));
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
  let total = 0;
  for (const r of state.rooms.values()) total += r.unread;
  document.title = total ? `(${total > 999 ? "999+" : total}) Hearth` : "Hearth";
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

// INLINE_RE finds, in order: `code`, *emphasis*, http(s) links, @mentions.
const INLINE_RE = /`([^`\n]+)`|\*([^*\n]+)\*|(\bhttps?:\/\/[^\s<>"']+)|(^|[^a-z0-9_.-])@([a-z0-9_.-]{1,32})/gi;

// renderBody writes text into el with light formatting: ```blocks```,
// `code`, *emphasis*, links and @mentions, line breaks kept. Everything is
// built as elements and text nodes: nothing from a message is ever parsed
// as HTML.
function renderBody(el, text) {
  text.split("```").forEach((part, i) => {
    if (i % 2 === 1) {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      code.textContent = part.replace(/^\n/, "").replace(/\n$/, "");
      pre.append(code);
      el.append(pre);
    } else {
      renderInline(el, part);
    }
  });
}

function renderInline(el, text) {
  let last = 0;
  for (const m of text.matchAll(INLINE_RE)) {
    let start = m.index, end = m.index + m[0].length, node = null;
    if (m[1] !== undefined) {
      node = document.createElement("code");
      node.textContent = m[1];
    } else if (m[2] !== undefined) {
      node = document.createElement("em");
      node.textContent = m[2];
    } else if (m[3] !== undefined) {
      const href = m[3].replace(/[.,;:!?)\]}]+$/, "");
      let ok = false;
      try { ok = ["http:", "https:"].includes(new URL(href).protocol); } catch { ok = false; }
      if (!ok) continue;
      node = document.createElement("a");
      node.href = href;
      node.textContent = href;
      node.target = "_blank";
      node.rel = "noopener noreferrer nofollow";
      end = start + href.length;
    } else {
      start += m[4].length; // the character before the @
      node = document.createElement("span");
      node.className = "mention";
      node.textContent = "@" + m[5];
    }
    el.append(text.slice(last, start), node);
    last = end;
  }
  el.append(text.slice(last));
}

function fileSize(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1 << 20) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

// renderFile shows an attachment: an image as a thumbnail of known size (no
// jump when it loads) that opens full size, anything else as a download.
function renderFile(el, f) {
  const url = `/api/files/${f.id}`;
  if (INLINE_TYPES.includes(f.type)) {
    const a = document.createElement("a");
    a.href = url;
    a.target = "_blank";
    a.className = "thumb-link";
    const img = document.createElement("img");
    img.className = "thumb";
    img.src = url;
    img.alt = f.name;
    img.loading = "lazy";
    if (f.width && f.height) {
      const scale = Math.min(1, 320 / f.width, 240 / f.height);
      img.width = Math.max(1, Math.round(f.width * scale));
      img.height = Math.max(1, Math.round(f.height * scale));
    }
    a.append(img);
    el.append(a);
  } else {
    const a = document.createElement("a");
    a.href = url;
    a.className = "file-link";
    a.download = f.name;
    a.textContent = `⬇ ${f.name} · ${fileSize(f.size)}`;
    el.append(a);
  }
}

function messageItem(m, first, extraClass) {
  const li = document.createElement("li");
  li.className = "msg" + (first ? " first" : "") + (extraClass ? " " + extraClass : "");
  if (m.id) { li.dataset.id = m.id; li.tabIndex = -1; } // reached with the arrow keys
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
  meta.append(who);
  if (m.bot) {
    const tag = document.createElement("span");
    tag.className = "bot-tag";
    tag.textContent = "BOT";
    meta.append(tag);
  }
  meta.append(when);
  const body = document.createElement("div");
  body.className = "msg-body";
  if (m.deleted) {
    body.classList.add("msg-deleted");
    body.textContent = "This message was deleted.";
  } else if (m.file) {
    if (m.body && m.body !== m.file.name) renderBody(body, m.body);
    renderFile(body, m.file);
  } else {
    renderBody(body, m.body);
  }
  if (m.edited && !m.deleted) {
    const e = document.createElement("span");
    e.className = "msg-edited";
    e.textContent = "(edited)";
    e.title = fullFmt.format(new Date(m.edited));
    body.append(e);
  }
  li.append(av, meta, body);
  if (!m.id || m.deleted) return li;
  const me = state.me.username;
  if ((m.mentions || []).includes(me)) li.classList.add("mentions-me");
  const reactions = Object.entries(m.reactions || {});
  if (reactions.length) {
    const row = document.createElement("div");
    row.className = "reactions";
    for (const [emoji, users] of reactions) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "reaction" + (users.includes(me) ? " mine" : "");
      b.dataset.action = "react";
      b.dataset.emoji = emoji;
      b.textContent = `${emoji} ${users.length}`;
      b.title = users.join(", ");
      row.append(b);
    }
    li.append(row);
  }
  const actions = document.createElement("div");
  actions.className = "msg-actions";
  const action = (name, label, text) => {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.action = name;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.textContent = text;
    actions.append(b);
  };
  action("pick", "Add a reaction", "☺");
  const mine = m.user === me && !m.bot;
  if (mine && !m.file) action("edit", "Edit", "✎");
  if (mine || state.me.admin) action("delete", "Delete", "✕");
  li.append(actions);
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
  // A redraw keeps the keyboard's place and an open editor.
  const focused = document.activeElement;
  const focusMsg = list.contains(focused) ? focused.closest(".msg[data-id]") : null;
  const focusAction = focusMsg && focused !== focusMsg ? focused.dataset.action : null;
  list.replaceChildren(...items);
  const ed = state.editing;
  if (ed && ed.room === r.name && (!r.msgs.get(ed.id) || r.msgs.get(ed.id).deleted)) state.editing = null; // deleted meanwhile
  const editing = state.editing && ed.room === r.name && list.querySelector(`.msg[data-id="${ed.id}"]`);
  const inEditor = editing && (focused === document.body || (focusMsg && focusMsg.dataset.id === String(ed.id)));
  if (editing) openEditor(editing, inEditor);
  if (focusMsg && !inEditor) {
    const el = list.querySelector(`.msg[data-id="${focusMsg.dataset.id}"]`);
    const target = el && (focusAction ? el.querySelector(`[data-action="${focusAction}"]`) || el : el);
    if (target) target.focus({ preventScroll: true });
  }
  renderHistoryState();
  if (r.target) {
    const el = list.querySelector(`[data-id="${r.target}"]`);
    r.target = 0;
    if (el) { el.classList.add("target"); el.scrollIntoView({ block: "center" }); return; }
  }
  if (wasAtBottom && !r.detached) {
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
  $("jump-latest").textContent = r.detached ? "Back to the newest messages ↓" : "New messages ↓";
  if (r.detached) $("jump-latest").hidden = false;
  if (r.loading || r.loadingOlder) el.textContent = "Loading…";
  else if (r.loaded && !r.hasMore) {
    const where = r.dm ? `your conversation with ${roomLabel(r)}` : `#${r.name}`;
    el.textContent = r.ids.length ? `This is the beginning of ${where}.` : `This is the start of ${where}. Say hello!`;
  }
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

// peopleChecks fills el with a checkbox per user (but us), checked for
// those in chosen, and returns a function reading the checked names.
function peopleChecks(el, chosen, disabled) {
  el.replaceChildren(...state.users.filter((u) => u !== state.me.username).map((u) => {
    const label = document.createElement("label");
    label.className = "check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = u;
    box.checked = chosen.includes(u);
    box.disabled = !!disabled;
    label.append(box, " ", u);
    return label;
  }));
  return () => [...el.querySelectorAll("input:checked")].map((b) => b.value);
}

let readRoomMembers = () => [];

function openNewRoom() {
  $("room-error").textContent = "";
  $("room-private").checked = false;
  $("room-members").hidden = true;
  readRoomMembers = peopleChecks($("room-member-list"), []);
  openDialog("dialog-room");
  $("room-name").focus();
}

async function createRoom(ev) {
  ev.preventDefault();
  const name = $("room-name").value.trim().toLowerCase();
  const err = $("room-error");
  err.textContent = "";
  if (!ROOM_RE.test(name)) { err.textContent = "Use 1-32 lowercase letters, digits or “-”."; return; }
  const priv = $("room-private").checked;
  let r;
  try {
    r = await api("POST", "/api/rooms", { name, private: priv, members: priv ? readRoomMembers() : [] });
  } catch (e) {
    err.textContent = e.message;
    return;
  }
  room(name, r);
  $("dialog-room").close();
  $("room-name").value = "";
  selectRoom(name);
}

async function openMembers() {
  const r = state.rooms.get(state.current);
  if (!r || !r.private) return;
  $("members-title").textContent = `Members of #${r.name}`;
  $("members-lead").textContent = r.canManage ? "Only members see this room. Changes take effect at once."
    : "Only members see this room. Its creator or an admin can change who is in it.";
  $("members-error").textContent = "";
  $("members-save").hidden = !r.canManage;
  const read = peopleChecks($("members-list"), r.members, !r.canManage);
  $("members-form").onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      const updated = await api("PUT", `/api/rooms/${encodeURIComponent(r.name)}/members`, { members: [state.me.username, ...read()] });
      room(r.name, updated);
      $("dialog-members").close();
    } catch (e) {
      $("members-error").textContent = e.message;
    }
  };
  openDialog("dialog-members");
}

function openNewDM() {
  $("dm-error").textContent = "";
  $("dm-people").replaceChildren(...state.users.filter((u) => u !== state.me.username).map((u) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "person";
    const av = document.createElement("span");
    av.className = "avatar small";
    paintAvatar(av, u);
    b.append(av, u);
    b.onclick = async () => {
      try {
        const r = await api("POST", "/api/dms", { user: u });
        room(r.name, r);
        $("dialog-dm").close();
        renderRooms();
        selectRoom(r.name);
      } catch (e) {
        $("dm-error").textContent = e.message;
      }
    };
    li.append(b);
    return li;
  }));
  openDialog("dialog-dm");
}

// --- search and jumping to a message ---

async function runSearch(ev) {
  ev.preventDefault();
  const q = $("search-input").value.trim();
  const st = $("search-state");
  if (!q) return;
  st.textContent = "Searching…";
  let results;
  try {
    ({ results } = await api("GET", "/api/search?q=" + encodeURIComponent(q)));
  } catch (e) {
    st.textContent = e.message;
    return;
  }
  st.textContent = results.length ? "" : "Nothing found.";
  $("search-results").replaceChildren(...results.map((m) => {
    const li = document.createElement("li");
    li.className = "result";
    li.tabIndex = 0;
    const main = document.createElement("div");
    main.className = "item-main";
    const title = document.createElement("div");
    title.className = "item-title";
    const r = state.rooms.get(m.room);
    title.textContent = `${m.user} in ${r && r.dm ? roomLabel(r) : "#" + m.room}`;
    const sub = document.createElement("div");
    sub.className = "item-sub";
    sub.textContent = `${fullFmt.format(new Date(m.ts))}: ${m.body.length > 160 ? m.body.slice(0, 160) + "…" : m.body}`;
    main.append(title, sub);
    li.append(main);
    li.onclick = li.onkeydown = (e) => {
      if (e.type === "keydown" && e.key !== "Enter") return;
      $("dialog-search").close();
      jumpTo(m.room, m.id);
    };
    return li;
  }));
}

// jumpTo shows a message in its context: the room then holds a window of
// its past ("detached") until the reader goes back to the newest.
async function jumpTo(name, id) {
  const r = room(name);
  if (r.msgs.has(id)) {
    r.target = id;
    selectRoom(name); // draws it, highlighted; another redraw would drop that
    return;
  }
  resetRoom(r);
  r.loading = true;
  selectRoom(name);
  try {
    const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(name)}/messages?before=${id + 25}&limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    r.rev = Math.max(r.rev, rev);
    r.hasMore = messages.length === PAGE;
    r.loaded = true;
    r.detached = true;
    r.target = id;
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    r.loading = false;
  }
  if (state.current === name) renderMessages();
}

// loadNewer continues a detached window towards the newest messages.
async function loadNewer(r) {
  if (!r.detached || r.loadingNewer || !r.ids.length) return;
  r.loadingNewer = true;
  try {
    const { messages } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?after=${r.ids[r.ids.length - 1]}&limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    if (messages.length < PAGE) r.detached = false; // caught up: live again
  } catch { /* the next scroll tries again */ }
  r.loadingNewer = false;
  if (r.name === state.current) renderMessages();
}

// --- bots (admins) ---

async function openBots() {
  $("bots-error").textContent = "";
  $("bot-created").hidden = true;
  $("bot-room").replaceChildren(...[...state.rooms.values()].filter((r) => !r.dm).map((r) => {
    const o = document.createElement("option");
    o.value = o.textContent = r.name;
    return o;
  }));
  openDialog("dialog-bots");
  await refreshBots();
}

async function refreshBots() {
  let bots;
  try {
    ({ bots } = await api("GET", "/api/bots"));
  } catch (e) {
    $("bots-error").textContent = e.message;
    return;
  }
  $("bot-list").replaceChildren(...bots.map((b) => botItem(b, $("bots-error"))));
}

// botItem is one bot with its Revoke button; errors go to errEl.
function botItem(b, errEl) {
  const li = document.createElement("li");
  const main = document.createElement("div");
  main.className = "item-main";
  const title = document.createElement("div");
  title.className = "item-title";
  title.textContent = `${b.name} → #${b.room}`;
  const sub = document.createElement("div");
  sub.className = "item-sub";
  sub.textContent = `made by ${b.created_by} ${ago(b.created)}`;
  main.append(title, sub);
  const del = document.createElement("button");
  del.className = "button danger";
  del.textContent = "Revoke";
  del.onclick = async () => {
    try { await api("DELETE", "/api/bots/" + encodeURIComponent(b.id)); li.remove(); } catch (e) { errEl.textContent = e.message; }
  };
  li.append(main, del);
  return li;
}

async function createBot(ev) {
  ev.preventDefault();
  $("bots-error").textContent = "";
  let b;
  try {
    b = await api("POST", "/api/bots", { name: $("bot-name").value.trim().toLowerCase(), room: $("bot-room").value });
  } catch (e) {
    $("bots-error").textContent = e.message;
    return;
  }
  $("bot-created").hidden = false;
  $("bot-curl").value = `curl -d 'The washing machine is done' -H 'Authorization: Bearer ${b.token}' ${b.hook_url}`;
  $("bot-curl").focus();
  $("bot-name").value = "";
  await refreshBots();
}

// --- admin console ---

let adminTab = "people";

function openAdmin() {
  openDialog("dialog-admin");
  showAdminTab(adminTab);
}

function adminItem(title, sub, buttons) {
  const li = document.createElement("li");
  const main = document.createElement("div");
  main.className = "item-main";
  const t = document.createElement("div");
  t.className = "item-title";
  t.append(...title);
  const st = document.createElement("div");
  st.className = "item-sub";
  st.textContent = sub;
  main.append(t, st);
  const actions = document.createElement("div");
  actions.className = "item-actions";
  for (const [label, fn, danger] of buttons) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button" + (danger ? " danger" : "");
    b.textContent = label;
    b.onclick = async () => {
      $("admin-error").textContent = "";
      b.disabled = true;
      try { await fn(li); } catch (e) { $("admin-error").textContent = e.message; }
      b.disabled = false;
    };
    actions.append(b);
  }
  li.append(main, actions);
  return li;
}

function retentionText(r) {
  const parts = [];
  if (r.keep_days) parts.push(`${r.keep_days} days`);
  if (r.keep_messages) parts.push(`${r.keep_messages} messages`);
  return parts.length ? parts.join(", at most ") : "everything";
}

function pill(text, on) {
  const p = document.createElement("span");
  p.className = "pill" + (on ? " on" : "");
  p.textContent = text;
  return p;
}

// editInline swaps an admin row's buttons for a small form of fields: Enter
// or Save calls save with their values, Escape or Cancel brings the buttons
// back.
function editInline(li, fields, save) {
  const actions = li.querySelector(".item-actions");
  const form = document.createElement("form");
  form.className = "inline-form";
  const inputs = fields.map(({ label, value, ...attrs }) => {
    const l = document.createElement("label");
    l.textContent = label;
    const input = document.createElement("input");
    Object.assign(input, attrs);
    input.value = String(value);
    l.append(input);
    form.append(l);
    return input;
  });
  const ok = document.createElement("button");
  ok.type = "submit";
  ok.className = "button primary";
  ok.textContent = "Save";
  const cancel = adminButton("Cancel", () => form.replaceWith(actions));
  form.append(ok, cancel);
  form.onkeydown = (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault(); // the row's form, not the whole dialog
    form.replaceWith(actions);
  };
  form.onsubmit = async (e) => {
    e.preventDefault();
    $("admin-error").textContent = "";
    ok.disabled = true;
    try { await save(inputs.map((i) => i.value)); } catch (err) { $("admin-error").textContent = err.message; }
    ok.disabled = false;
  };
  actions.replaceWith(form);
  inputs[0].focus();
  inputs[0].select();
}

function adminButton(label, fn) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "button";
  b.textContent = label;
  b.onclick = fn;
  return b;
}

// showJoinCard makes an invite for the household (a week, 10 people) and
// shows it as a QR code, for phones to scan off the admin's screen.
async function showJoinCard() {
  $("admin-error").textContent = "";
  let inv;
  try {
    inv = await api("POST", "/api/invites", { hours: 168, max_uses: 10 });
  } catch (e) {
    $("admin-error").textContent = e.message;
    return;
  }
  const card = document.createElement("figure");
  card.className = "join-card-big";
  const img = document.createElement("img");
  img.src = `/api/invites/${encodeURIComponent(inv.code)}/qr.png`;
  img.alt = "QR code of an invite link to join Hearth";
  img.width = img.height = 280;
  const caption = document.createElement("figcaption");
  const strong = document.createElement("strong");
  strong.textContent = "Point a phone's camera here to join.";
  caption.append(strong, " Works for a week, for up to 10 people.", linkInput(inv.url, "Invite link"));
  card.append(img, caption);
  adminNotice(card);
  try {
    const { invites } = await api("GET", "/api/invites");
    if (adminTab === "invites") $("admin-list").replaceChildren(...invites.map(inviteItem));
  } catch { /* the card stands; the list refreshes on the next visit */ }
}

function adminNotice(...content) {
  const n = $("admin-notice");
  n.hidden = content.length === 0;
  n.replaceChildren(...content);
}

async function showAdminTab(tab) {
  adminTab = tab;
  for (const b of document.querySelectorAll("#dialog-admin .tab")) b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  $("admin-error").textContent = "";
  adminNotice();
  const list = $("admin-list");
  list.replaceChildren();
  try {
    if (tab === "people") {
      const { users } = await api("GET", "/api/admin/users");
      list.replaceChildren(...users.map((u) => adminItem(
        [u.name, ...(u.admin ? [pill("admin", true)] : []), ...(u.disabled ? [pill("disabled")] : []), ...(u.online ? [pill("online", true)] : []), ...(u.login_limited ? [pill("login limited")] : [])],
        `${u.sessions} device${u.sessions === 1 ? "" : "s"} · joined ${new Date(u.created).toLocaleDateString()}`,
        u.name === state.me.username ? [] : [
          [u.admin ? "Remove admin" : "Make admin", async () => { await api("PUT", `/api/admin/users/${u.name}`, { admin: !u.admin, disabled: u.disabled }); showAdminTab("people"); }],
          [u.disabled ? "Enable" : "Disable", async () => { await api("PUT", `/api/admin/users/${u.name}`, { admin: u.admin, disabled: !u.disabled }); showAdminTab("people"); }, !u.disabled],
          // Failed guesses at this name stop new devices logging in as it.
          ...(u.login_limited ? [["Clear login limit", async () => { await api("DELETE", `/api/admin/users/${u.name}/login-limit`); showAdminTab("people"); }]] : []),
          ["Reset password", async () => {
            const { url } = await api("POST", `/api/admin/users/${u.name}/reset`);
            const input = linkInput(url, "Password reset link");
            adminNotice(`Send ${u.name} this link (it works once, for a day; any earlier link of theirs no longer works): `, input);
            input.focus();
            input.select();
          }],
          ["Devices", async () => {
            const { sessions } = await api("GET", `/api/admin/users/${u.name}/sessions`);
            list.replaceChildren(...sessions.map((x) => adminItem([describeAgent(x.user_agent)], `${u.name} · ${x.remote_addr} · active ${ago(x.last_seen)}`,
              [["Log out", async () => { await api("DELETE", `/api/admin/sessions/${encodeURIComponent(x.id)}`); showAdminTab("people"); }, true]])));
            if (!sessions.length) adminNotice(`${u.name} is not logged in anywhere.`);
          }],
        ])));
    } else if (tab === "invites") {
      const { invites } = await api("GET", "/api/invites");
      list.replaceChildren(...invites.map(inviteItem));
      adminNotice(adminButton("Show a join card", showJoinCard), " ", adminButton("New invite link…", openInvites));
      if (!invites.length) list.append(adminItem(["No invite links yet."], "A join card makes one: anyone who scans it can create an account.", []));
    } else if (tab === "bots") {
      const { bots } = await api("GET", "/api/bots");
      list.replaceChildren(...bots.map((b) => botItem(b, $("admin-error"))));
      adminNotice(adminButton("New bot…", openBots));
      if (!bots.length) list.append(adminItem(["No bots yet."], "A bot lets a script or a gadget post into one room.", []));
    } else if (tab === "rooms") {
      const { rooms } = await api("GET", "/api/rooms");
      list.replaceChildren(...rooms.filter((r) => !r.dm).map((r) => adminItem(
        ["#" + r.name, ...(r.private ? [pill("private")] : []), ...(r.archived ? [pill("archived")] : [])],
        `made by ${r.created_by || "Hearth"} · ${new Date(r.created).toLocaleDateString()} · keeps ${retentionText(r)}`,
        [["Download history", async () => { location.href = `/api/admin/rooms/${encodeURIComponent(r.name)}/export`; }],
          ["Retention", (li) => editInline(li, [
            { label: "Keep days (0: forever)", value: r.keep_days || 0, type: "number", min: 0, max: 1000000 },
            { label: "At most messages (0: no limit)", value: r.keep_messages || 0, type: "number", min: 0, max: 1000000 },
          ], async ([days, count]) => {
            await api("PUT", `/api/admin/rooms/${r.name}`, { keep_days: Number(days) || 0, keep_messages: Number(count) || 0 });
            showAdminTab("rooms");
          })]].concat(r.name === "general" ? [] : [
          ["Rename", (li) => editInline(li, [
            { label: "New name (a-z, 0-9 and -)", value: r.name, maxLength: 32, autocapitalize: "none", spellcheck: false, required: true },
          ], async ([name]) => {
            if (name.trim() !== r.name) await api("POST", `/api/admin/rooms/${r.name}/rename`, { name: name.trim() });
            showAdminTab("rooms");
          })],
          [r.archived ? "Unarchive" : "Archive", async () => { await api("PUT", `/api/admin/rooms/${r.name}`, { archived: !r.archived }); showAdminTab("rooms"); }],
          ["Delete", async () => {
            if (!confirm(`Delete #${r.name} and everything said in it? This cannot be undone.`)) return;
            await api("DELETE", `/api/admin/rooms/${r.name}`);
            showAdminTab("rooms");
          }, true],
        ]))));
    } else if (tab === "server") {
      const f = await api("GET", "/api/admin/facts");
      const dl = document.createElement("dl");
      dl.className = "facts";
      const row = (k, v) => { const dt = document.createElement("dt"); dt.textContent = k; const dd = document.createElement("dd"); dd.textContent = v; dl.append(dt, dd); };
      row("Version", `${f.version} (${f.commit}, ${f.go})`);
      row("Up since", `${fullFmt.format(new Date(f.started))} (${ago(f.started).replace(" ago", "")})`);
      row("Database", `${f.database}, ${fileSize(f.database_bytes)}`);
      row("Connected", `${f.connections} socket${f.connections === 1 ? "" : "s"}: ${f.online.join(", ") || "nobody"}`);
      row("People, rooms", `${f.users}, ${f.rooms}`);
      const backup = document.createElement("a");
      backup.href = "/api/admin/backup";
      backup.className = "button";
      backup.textContent = "Download a backup";
      const li = document.createElement("li");
      li.append(dl);
      const li2 = document.createElement("li");
      li2.append(backup);
      list.replaceChildren(li, li2);
    } else {
      const { entries } = await api("GET", "/api/admin/audit");
      list.replaceChildren(...entries.map((e) => adminItem([`${e.admin}: ${e.action}${e.target ? " " + e.target : ""}`],
        `${fullFmt.format(new Date(e.ts))}${e.detail ? " · " + e.detail : ""}`, [])));
      if (!entries.length) adminNotice("Nothing yet: what admins do is written here.");
    }
  } catch (e) {
    $("admin-error").textContent = e.message;
  }
}

// --- message actions ---

function onMessageAction(ev) {
  const b = ev.target.closest("[data-action]");
  if (!b) return;
  const li = b.closest(".msg");
  const r = state.rooms.get(state.current);
  const id = li && Number(li.dataset.id);
  if (!r || !id) return;
  const m = r.msgs.get(id);
  const frame = (f) => {
    if (state.ws && state.connected) state.ws.send(JSON.stringify({ room: r.name, id, ...f }));
    else setStatus("Offline: try again once reconnected", true);
  };
  switch (b.dataset.action) {
    case "react":
      frame({ type: "react", emoji: b.dataset.emoji });
      break;
    case "pick": {
      document.querySelectorAll(".emoji-picker").forEach((p) => p.remove());
      const picker = document.createElement("div");
      picker.className = "emoji-picker";
      for (const e of REACTIONS) {
        const eb = document.createElement("button");
        eb.type = "button";
        eb.textContent = e;
        eb.setAttribute("aria-label", "React " + e);
        eb.onclick = (x) => { x.stopPropagation(); picker.remove(); frame({ type: "react", emoji: e }); };
        picker.append(eb);
      }
      li.append(picker);
      picker.querySelector("button").focus();
      break;
    }
    case "delete":
      if (confirm(m.user === state.me.username ? "Delete this message?" : `Delete ${m.user}'s message?`)) frame({ type: "delete" });
      break;
    case "edit":
      state.editing = { room: r.name, id, draft: m.body };
      renderMessages(); // opens it, and closes any other
      break;
  }
}

// openEditor puts the edit box in place of li's body, holding the draft in
// state.editing, so a redraw (a message arriving) keeps it open as it was.
function openEditor(li, focus = true) {
  const ed = state.editing;
  const body = li.querySelector(".msg-body");
  if (!body) return;
  const box = document.createElement("div");
  box.className = "edit-box";
  const ta = document.createElement("textarea");
  ta.value = ed.draft;
  ta.rows = Math.min(8, ed.draft.split("\n").length + 1);
  ta.setAttribute("aria-label", "Edit message");
  const hint = document.createElement("p");
  hint.className = "hint";
  hint.textContent = "Enter to save, Esc to cancel";
  box.append(ta, hint);
  body.replaceWith(box);
  if (focus) {
    ta.focus();
    ta.setSelectionRange(ed.caret ?? ta.value.length, ed.caret ?? ta.value.length);
  }
  ta.oninput = () => { ed.draft = ta.value; ed.caret = ta.selectionStart; };
  ta.onkeydown = (k) => {
    const close = () => {
      state.editing = null;
      renderMessages();
      const again = $("message-list").querySelector(`.msg[data-id="${ed.id}"]`);
      if (again) again.focus();
    };
    if (k.key === "Escape") close();
    if (k.key === "Enter" && !k.shiftKey && !k.isComposing) {
      k.preventDefault();
      const text = ta.value.trim();
      const r = state.rooms.get(ed.room);
      const m = r && r.msgs.get(ed.id);
      if (text && m && text !== m.body) {
        if (state.ws && state.connected) state.ws.send(JSON.stringify({ type: "edit", room: ed.room, id: ed.id, body: text }));
        else setStatus("Offline: try again once reconnected", true);
      }
      close();
    }
  };
}

// onMessagesKey moves between messages with the arrow keys, so their
// actions (shown while a message has focus) are reachable by keyboard;
// Escape goes back to the composer.
function onMessagesKey(e) {
  if (e.target.closest("textarea, input") || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === "Escape") { e.preventDefault(); $("composer-input").focus(); return; }
  if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
  const msgs = [...$("message-list").querySelectorAll(".msg[data-id]")];
  const cur = e.target.closest(".msg[data-id]");
  if (!msgs.length || (!cur && e.key === "ArrowDown")) return; // the container scrolls
  const i = cur ? msgs.indexOf(cur) + (e.key === "ArrowUp" ? -1 : 1) : msgs.length - 1;
  if (i < 0 || i >= msgs.length) return;
  e.preventDefault();
  msgs[i].focus();
}

// --- @mentions while typing ---

let mentionPick = 0;

function mentionQuery() {
  const ta = $("composer-input");
  const before = ta.value.slice(0, ta.selectionStart);
  const m = before.match(/(^|[^a-z0-9_.-])@([a-z0-9_.-]{0,32})$/);
  return m ? m[2] : null;
}

function mentionCandidates() {
  const q = mentionQuery();
  if (q === null) return [];
  const r = state.rooms.get(state.current);
  const pool = r && r.private ? r.members : state.users;
  return pool.filter((u) => u !== state.me.username && u.startsWith(q)).slice(0, 8);
}

function renderMentionMenu() {
  const menu = $("mention-menu");
  const names = mentionCandidates();
  menu.hidden = names.length === 0;
  mentionPick = Math.min(mentionPick, Math.max(0, names.length - 1));
  menu.replaceChildren(...names.map((u, i) => {
    const li = document.createElement("li");
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === mentionPick));
    li.textContent = "@" + u;
    li.onmousedown = (e) => { e.preventDefault(); completeMention(u); };
    return li;
  }));
}

function completeMention(name) {
  const ta = $("composer-input");
  const before = ta.value.slice(0, ta.selectionStart).replace(/@([a-z0-9_.-]{0,32})$/, "@" + name + " ");
  ta.value = before + ta.value.slice(ta.selectionStart);
  ta.selectionStart = ta.selectionEnd = before.length;
  $("mention-menu").hidden = true;
  updateComposer();
}

// --- files ---

async function uploadFiles(files) {
  const r = state.rooms.get(state.current);
  if (!r) return;
  for (const file of files) {
    setStatus(`Sharing ${file.name}…`);
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(r.name)}/files?name=${encodeURIComponent(file.name || "pasted image")}&client_id=${newClientID()}`,
        { method: "POST", body: file, credentials: "same-origin" });
      if (!res.ok) {
        let msg = res.statusText;
        try { msg = (await res.json()).error || msg; } catch { /* not JSON */ }
        throw new Error(msg);
      }
      setStatus("");
    } catch (e) {
      setStatus(`${file.name}: ${e.message}`, true);
      setTimeout(() => { if (state.connected) setStatus(""); }, 6000);
    }
  }
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

// linkInput shows a link to copy: read-only, selected when focused.
function linkInput(url, label) {
  const input = document.createElement("input");
  input.className = "invite-link";
  input.readOnly = true;
  input.value = url;
  input.setAttribute("aria-label", label);
  input.onfocus = () => input.select();
  return input;
}

function inviteItem(inv) {
  const li = document.createElement("li");
  const main = document.createElement("div");
  main.className = "item-main";
  const link = linkInput(inv.url, "Invite link");
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
  // The join card: a QR code of the link, for a phone to scan off a screen.
  const card = document.createElement("button");
  card.className = "button";
  card.textContent = "QR";
  card.title = "Show a QR code to scan with a phone";
  card.disabled = !inv.usable;
  card.onclick = () => {
    const existing = li.querySelector(".join-card");
    if (existing) { existing.remove(); return; }
    const img = document.createElement("img");
    img.className = "join-card";
    img.src = `/api/invites/${encodeURIComponent(inv.code)}/qr.png`;
    img.alt = "QR code of the invite link";
    img.width = img.height = 240;
    li.append(img);
  };
  li.append(main, card, copy, del);
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
  ta.addEventListener("input", () => {
    updateComposer();
    renderMentionMenu();
    if (ta.value.trim()) sendTyping();
  });
  ta.addEventListener("keydown", (e) => {
    const menuOpen = !$("mention-menu").hidden;
    if (menuOpen && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      mentionPick += e.key === "ArrowDown" ? 1 : -1;
      mentionPick = Math.max(0, mentionPick);
      renderMentionMenu();
      return;
    }
    if (menuOpen && (e.key === "Tab" || (e.key === "Enter" && !e.shiftKey))) {
      const names = mentionCandidates();
      if (names.length) { e.preventDefault(); completeMention(names[mentionPick]); return; }
    }
    if (e.key === "Escape") $("mention-menu").hidden = true;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  ta.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (files.length) { e.preventDefault(); uploadFiles(files); }
  });
  $("attach").onclick = () => $("file-input").click();
  $("file-input").onchange = () => { uploadFiles([...$("file-input").files]); $("file-input").value = ""; };
  const main = document.querySelector(".chat-main");
  main.addEventListener("dragover", (e) => {
    if ([...e.dataTransfer.types].includes("Files")) { e.preventDefault(); $("drop-hint").hidden = false; }
  });
  main.addEventListener("dragleave", (e) => { if (e.target === $("drop-hint")) $("drop-hint").hidden = true; });
  main.addEventListener("drop", (e) => {
    $("drop-hint").hidden = true;
    if (e.dataTransfer.files.length) { e.preventDefault(); uploadFiles([...e.dataTransfer.files]); }
  });
  $("message-list").addEventListener("click", onMessageAction);
  $("messages").addEventListener("keydown", onMessagesKey);
  document.addEventListener("click", (e) => {
    if (!e.target.closest(".emoji-picker, [data-action=pick]")) document.querySelectorAll(".emoji-picker").forEach((p) => p.remove());
  });
  setInterval(renderTyping, 1000);
  const box = $("messages");
  box.addEventListener("scroll", () => {
    const r = state.rooms.get(state.current);
    if (r && box.scrollTop < 200) loadOlder(r);
    if (r && r.detached && box.scrollHeight - box.scrollTop - box.clientHeight < 200) loadNewer(r);
    if (isAtBottom(box) && !(r && r.detached)) { $("jump-latest").hidden = true; markRead(); }
  });
  $("jump-latest").onclick = () => {
    const r = state.rooms.get(state.current);
    if (r && r.detached) { resetRoom(r); loadLatest(r); }
    box.scrollTop = box.scrollHeight;
    $("jump-latest").hidden = true;
  };
  $("open-sidebar").onclick = openSidebar;
  $("close-sidebar").onclick = closeSidebar;
  $("scrim").onclick = closeSidebar;
  $("new-room").onclick = openNewRoom;
  $("room-private").onchange = () => { $("room-members").hidden = !$("room-private").checked; };
  $("room-form").addEventListener("submit", createRoom);
  $("new-dm").onclick = openNewDM;
  $("open-members").onclick = openMembers;
  $("open-search").onclick = () => { openDialog("dialog-search"); $("search-input").focus(); };
  $("search-form").addEventListener("submit", runSearch);
  $("open-notify").onclick = openNotify;
  $("notify-enable").onclick = async () => { await Notification.requestPermission(); openNotify(); };
  $("notify-level").onchange = () => {
    localStorage.setItem("hearth.notify." + state.current, $("notify-level").value);
  };
  $("open-bots").onclick = openBots;
  $("open-admin").onclick = openAdmin;
  for (const b of document.querySelectorAll("#dialog-admin .tab")) b.onclick = () => showAdminTab(b.dataset.tab);
  $("bot-form").addEventListener("submit", createBot);
  $("open-sessions").onclick = openSessions;
  $("open-invites").onclick = openInvites;
  $("invite-form").addEventListener("submit", createInvite);
  $("logout").onclick = logout;
  for (const b of document.querySelectorAll("[data-close]")) b.onclick = () => b.closest("dialog").close();
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      state.hiddenUnread = 0;
      markRead();
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
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "k" && state.me) {
      e.preventDefault();
      openDialog("dialog-search");
      $("search-input").focus();
    }
  });
}

// The service worker (the installable app's offline shell) needs a secure
// context: HTTPS, or localhost.
if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("/sw.js").catch(() => { /* the app works without it */ });
}

wire();
boot();
