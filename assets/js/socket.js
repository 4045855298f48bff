// socket.js owns the WebSocket: connecting (the URL from location, the
// session cookie), reconnecting soon after a drop, saying so on the status
// line, and dispatching every frame the server sends: hello,
// messages and their updates, reads, typing, presence, rooms added,
// renamed or removed, someone's profile changed, the person's
// notification settings changed on another device, and the server's
// notices to admins; and telling the
// server whether this page is on screen (it pushes to phones only while
// none is). PROTOCOL.md describes the frames.
import { $, el } from "./dom.js";
import { api } from "./api.js";
import { state, room, moveNotifyLevel, moveDraft, saveDraft, readUpTo, newestHeld } from "./state.js";
import {
  renderOnline, renderRooms, renderHeader, renderMessages, renderTyping, followsNewest,
  updateTitle, addEvent, setStatus, renderPeople,
} from "./render.js";
import { catchUp, selectRoom, insert, jumpToLatest } from "./history.js";
import { transmit, savePending, refused, settle, flushChanges, moveChanges } from "./outbox.js";
import { markRead, notify, tidyNotifications, recount } from "./notify.js";
import { applySettings } from "./push.js";
import { sessionEnded } from "./auth.js";
import { showNotice } from "./disk.js";
import { applyProfile, loadPeople, isolated } from "./people.js";

const TYPING_SHOWN = 4500;   // ms a typing indicator stays without news

// A drop is an outage until shown otherwise, and a household's server
// comes back from a restart in a second or two: the page tries again after
// RETRY_FIRST, doubling up to RETRY_CAP, each delay ± RETRY_JITTER so that
// the family's devices do not knock all at once. It tries at once when the
// browser says the network is back or the page is shown again (main.js).
// A refusal by policy (1008: too many tabs, too slow) is no outage: it
// waits POLICY_FIRST, doubling up to POLICY_CAP.
const RETRY_FIRST = 500;
const RETRY_CAP = 2500;
const RETRY_JITTER = 0.2;
const POLICY_FIRST = 10000;
const POLICY_CAP = 60000;
const LONG_OUTAGE = 10000;  // ms offline after which the line says Hearth cannot be reached

// retryDelay is how long to wait before attempt n (from 0) after a drop, or
// after a refusal by policy.
export function retryDelay(n, policy) {
  const base = Math.min(policy ? POLICY_CAP : RETRY_CAP, (policy ? POLICY_FIRST : RETRY_FIRST) * 2 ** Math.min(n, 10));
  return Math.round(base * (1 - RETRY_JITTER + Math.random() * 2 * RETRY_JITTER));
}

export function connect() {
  clearTimeout(state.retryTimer);
  if (state.ws) return;
  const url = (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws";
  const ws = new WebSocket(url);
  state.ws = ws;
  // While offline the line keeps saying so (and its Retry button stays
  // put) through every attempt.
  if (!state.offlineSince) setStatus("Connecting…");
  ws.onmessage = (ev) => {
    let f;
    try { f = JSON.parse(ev.data); } catch { return; }
    handleFrame(f);
  };
  ws.onclose = (ev) => closed(ws, ev.code, ev.reason);
}

function closed(ws, code, reason) {
  if (state.ws !== ws) return;
  state.ws = null;
  const wasConnected = state.connected;
  state.connected = false;
  state.online = []; // unknown until we are back
  renderOnline();
  // Changes waiting on screen now say they wait for the connection.
  if (wasConnected && state.changes.size) renderMessages();
  socketClosed(code, reason);
}

// wentOffline follows the browser's "offline": the socket, if we have one,
// is dead even if it does not know yet, so it is given up at once.
export function wentOffline() {
  const ws = state.ws;
  if (!ws || state.loggingOut) return;
  ws.onclose = null;
  ws.close();
  closed(ws, 1006, "");
}

async function socketClosed(code, reason) {
  if (state.loggingOut) return;
  if (code === 4001) return sessionEnded(reason === "account disabled" ? "An admin disabled your account. Ask them to enable it again." : "You were logged out on this device.");
  // Our rights changed: the next hello says what they are now.
  if (code === 4002) { state.retry = 0; return connect(); }
  state.offlineSince ||= Date.now();
  // Refused or dropped by policy (too many tabs, too slow): say why, and
  // do not retry fast.
  state.closeReason = code === 1008 && reason ? reason : "";
  // A refused handshake looks like any other failure (1006): ask who we are.
  try {
    await api("GET", "/api/me");
  } catch (e) {
    if (e.status === 401) return sessionEnded("Your session ended. Please log in again.");
  }
  scheduleReconnect();
}

function scheduleReconnect() {
  if (state.ws || state.loggingOut) return; // connected again meanwhile (online, shown)
  const delay = retryDelay(state.retry, !!state.closeReason);
  state.retry++;
  state.retryAt = Date.now() + delay;
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(connect, delay);
  showOffline();
}

// showOffline keeps the status line saying what is happening while the
// socket is down, redrawn each second: why (the network, the server, a
// refusal by policy with its countdown) and a Retry button. Only the
// words change, so the button stays under the pointer and keeps its focus.
export function showOffline() {
  clearTimeout(state.statusTimer);
  if (state.connected || !state.offlineSince || state.loggingOut) return;
  const secs = Math.max(1, Math.ceil((state.retryAt - Date.now()) / 1000));
  let text;
  if (state.closeReason) {
    const why = state.closeReason.startsWith("too many connections")
      ? "Hearth is open in too many tabs or devices" : `Disconnected: ${state.closeReason}`;
    text = `${why}. Trying again in ${secs} s.`;
  } else if (navigator.onLine === false) {
    text = "Offline: no network. Hearth reconnects when it is back.";
  } else if (Date.now() - state.offlineSince > LONG_OUTAGE) {
    text = "Offline: can't reach Hearth. Still trying…";
  } else {
    text = "Offline. Reconnecting…";
  }
  const line = $("conn-status");
  const words = line.querySelector(".offline-words");
  if (words && line.querySelector(".offline-retry")) {
    if (words.textContent !== text) words.textContent = text;
  } else {
    line.className = "conn-status bad";
    line.replaceChildren(el("span", { class: "offline-words" }, text), " ",
      el("button", { type: "button", class: "text-button offline-retry", onclick: retryNow }, "Retry now"));
  }
  state.statusTimer = setTimeout(showOffline, 1000);
}

// sendVisibility tells the server whether this page is on screen: it
// pushes a new message to our phones only while none of our pages is.
export function sendVisibility() {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ type: "visibility", visible: document.visibilityState === "visible" }));
  }
}

// retryNow tries at once: the Retry button, the network back, the page shown.
export function retryNow() {
  if (state.me && !state.ws && !state.loggingOut) connect();
}

function handleFrame(f) {
  switch (f.type) {
    case "hello":
      state.connected = true;
      state.conn++;
      state.retry = 0;
      state.retryAt = 0;
      state.offlineSince = 0;
      state.closeReason = "";
      clearTimeout(state.statusTimer);
      state.maxBody = f.max_body || state.maxBody;
      setStatus("");
      sendVisibility(); // a socket that never says counts as on screen
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
      showNotice(f.notice); // an admin's: absent, it is over
      // Profiles changed while we were away: fetched again (the first
      // hello follows startChat's own fetch).
      if (state.conn > 1) loadPeople().then(renderPeople, () => {});
      // Changes made offline go once the messages they change are caught up.
      catchUp().then(flushChanges);
      recount(); // the badges: what was said while we were away
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
        readUpTo(r, f.id);
        const last = newestHeld(r);
        if (f.id >= last || !r.loaded) { r.unread = 0; r.mentions = 0; }
        renderRooms();
        updateTitle();
        tidyNotifications(); // read on another device: its notifications go here too
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
    case "notice":
      showNotice(f);
      break;
    case "profile":
      // Someone's display name, picture or time zone changed.
      applyProfile(f);
      renderPeople();
      break;
    case "notifications":
      // Changed on another device (or migrated): the room's bell follows.
      applySettings(f.settings || {});
      renderHeader();
      break;
  }
}

// receive takes a new message: ours acknowledges a pending send; others'
// count as unread (and may notify) unless read on screen.
function receive(m) {
  const mine = m.user === state.me.username && !m.bot;
  const sentHere = mine && !!m.client_id && (state.pending.has(m.client_id) || [...state.uploads.values()].some((u) => u.cid === m.client_id));
  if (mine && m.client_id && state.pending.delete(m.client_id)) savePending();
  const r = room(m.room);
  // Sent from a window of the past (a search result, a quoted reply): back
  // to the newest, where it is, rather than gone with its pending row.
  if (sentHere && r.detached && m.room === state.current) jumpToLatest();
  r.rev = Math.max(r.rev, m.rev || 0);
  r.typing.delete(m.user);
  // Rooms not on screen keep only a count: their history is fetched whole
  // when opened, which cannot leave a gap. A room showing the past does too.
  if ((r.loaded || r.loading) && !r.detached) insert(r, m);
  // Frames come in commit order: one past r.counted is in no count yet
  // (not the server's, nor the socket's), even if catch-up brought the
  // message first; one before it is counted already.
  const fresh = m.id > r.counted;
  r.counted = Math.max(r.counted, m.id);
  if (fresh && !mine) {
    // Seen at once only by a reader at the newest; one scrolled up reads
    // it when it comes into view.
    const seen = m.room === state.current && !document.hidden && followsNewest();
    if (!seen) {
      const mention = (m.mentions || []).includes(state.me.username);
      r.unread++;
      if (mention) r.mentions++;
      if (r.heard) r.heard.push({ id: m.id, mention });
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
  settle(m.room, m, r.msgs.get(m.id));
  if (r.msgs.has(m.id)) {
    r.msgs.set(m.id, m);
    if (m.room === state.current) renderMessages();
  } else if (r.loading || r.loadingOlder || r.loadingNewer) {
    // Perhaps of a page on its way, read before this change: the page is
    // caught up once in (history.js settleLoad).
    r.missedRev = Math.max(r.missedRev || 0, m.rev || 0);
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
  moveChanges(from, to);
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
  const who = isolated(f.user);
  switch (f.event) {
    case "joined": return `${who} joined for the first time 🎉`;
    case "back": return `${who} is back`;
    case "left": return `${who} left`;
  }
  return `${who}: ${f.event}`;
}
