// socket.js owns the WebSocket: connecting (the URL from location, the
// session cookie), reconnecting with backoff after a drop, saying so on
// the status line, and dispatching every frame the server sends: hello,
// messages and their updates, reads, typing, presence, and rooms added,
// renamed or removed. PROTOCOL.md describes the frames.
import { $, el } from "./dom.js";
import { api } from "./api.js";
import { state, room, moveNotifyLevel, moveDraft, saveDraft } from "./state.js";
import {
  renderOnline, renderRooms, renderHeader, renderMessages, renderTyping,
  updateTitle, addEvent, setStatus,
} from "./render.js";
import { catchUp, selectRoom, insert } from "./history.js";
import { transmit, savePending, refused } from "./outbox.js";
import { markRead, notify } from "./notify.js";
import { sessionEnded } from "./auth.js";

const TYPING_SHOWN = 4500;   // ms a typing indicator stays without news

export function connect() {
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
  const line = $("conn-status");
  line.className = "conn-status bad";
  line.replaceChildren(state.closeReason ? `${state.closeReason}; retrying in ${secs}s` : `Offline, reconnecting in ${secs}s`,
    el("button", { class: "text-button", onclick: () => { clearTimeout(state.retryTimer); connect(); } }, "Retry now"));
  setTimeout(showRetryStatus, 1000);
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
      saveDraft(f.room, "");
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
      room(f.room, f);
      renderRooms();
      if (f.room === state.current) renderHeader();
      break;
    case "error":
      refused(f);
      break;
  }
}

// receive takes a new message: ours acknowledges a pending send; others'
// count as unread (and may notify) unless read on screen.
function receive(m) {
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
    notify(r, m, () => selectRoom(r.name));
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

// renameRoom follows an admin's rename: the room keeps what is loaded, the
// view stays on it, and sends still pending go to the new name. Frames come
// in commit order, so everything before this one named the old room and
// everything after names the new one.
function renameRoom(from, to) {
  const r = state.rooms.get(from);
  if (!r) { room(to); renderRooms(); return; }
  state.rooms.delete(from);
  r.name = to;
  for (const m of r.msgs.values()) m.room = to;
  state.rooms.set(to, r);
  if (state.editing && state.editing.room === from) state.editing.room = to;
  moveNotifyLevel(from, to);
  moveDraft(from, to);
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
