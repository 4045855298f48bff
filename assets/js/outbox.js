// outbox.js owns what we send and the server has not yet acknowledged:
// pending messages (kept across reloads, resent with the same client_id,
// which the server stores at most once), changes to messages (edits,
// deletes, reactions: kept and sent again the same way, with care, see
// changeMessage), their refusals, and the retry or discard of a refused one.
import { api } from "./api.js";
import { state } from "./state.js";
import { renderMessages, setStatus } from "./render.js";

// newClientID starts with the time, so the server's index of client_ids
// grows at its end; the random part keeps ids unique across devices.
// (crypto.randomUUID needs a secure context; plain HTTP on a LAN is not one.)
export function newClientID() {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return "c" + Date.now().toString(36) + "-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// sendMessage sends body to the room on screen; reply, if given, is the
// message it answers ({id, user, body}: the quote shown until it is sent).
export function sendMessage(body, reply) {
  const p = { cid: newClientID(), room: state.current, body, failed: null };
  if (reply) { p.replyTo = reply.id; p.reply = { user: reply.user, body: reply.body }; }
  state.pending.set(p.cid, p);
  savePending();
  transmit(p);
  renderMessages(true);
}

// transmit sends p if the socket is up; the next hello sends it otherwise.
export function transmit(p) {
  if (state.ws && state.connected) {
    state.ws.send(JSON.stringify({ type: "send", room: p.room, body: p.body, client_id: p.cid, reply_to: p.replyTo || undefined }));
  }
}

export function retryPending(cid) {
  const p = state.pending.get(cid);
  if (!p) return;
  p.failed = null;
  savePending();
  transmit(p);
  renderMessages();
}

export function discardPending(cid) {
  state.pending.delete(cid);
  savePending();
  renderMessages();
}

// Unacknowledged messages survive a reload: they are resent with the same
// client_id, which the server stores at most once. So do changes made
// offline (sent again only if the message still needs them).
const pendingKept = keptQueue("pending");
const changesKept = keptQueue("changes");

export function savePending() { pendingKept.save(state.pending); }

function saveChanges() {
  changesKept.save(state.changes, ({ key, room, id, type, body, emoji, on, failed }) => ({ key, room, id, type, body, emoji, on, failed }));
}

export function loadPending() {
  state.pending.clear();
  if (pendingKept.load((p) => p && p.cid && state.pending.set(p.cid, p))) savePending();
  state.changes.clear();
  if (changesKept.load((c) => c && c.key && state.changes.set(c.key, { ...c, out: 0, sentOn: 0 }))) saveChanges();
}

// keptQueue keeps one of the person's queues in localStorage, an entry per
// key, so that their tabs (which share the storage) never write over each
// other's: each writes its own entries and removes only those it holds
// that are settled, and a page that loads takes every entry left, such as
// those of a tab closed while offline. The person's name ends at a "/",
// which no name holds: one account's entries are never another's.
function keptQueue(what) {
  const held = new Set(); // keys of this page's entries in the storage
  const prefix = () => `hearth.${what}.${state.me.username}/`;
  return {
    save(map, pick = (v) => v) {
      const p = prefix();
      try {
        for (const [k, v] of map) { localStorage.setItem(p + k, JSON.stringify(pick(v))); held.add(k); }
        for (const k of held) if (!map.has(k)) { localStorage.removeItem(p + k); held.delete(k); }
      } catch { /* private mode, or full: the queue lives as long as the page */ }
    },
    // load hands put every entry kept, and reports whether it read the
    // one list an earlier release kept (hearth.WHAT.NAME), to be saved
    // anew as entries.
    load(put) {
      held.clear();
      const p = prefix();
      try {
        for (const k of Object.keys(localStorage)) {
          if (!k.startsWith(p)) continue;
          try { put(JSON.parse(localStorage.getItem(k))); held.add(k.slice(p.length)); } catch { /* a damaged entry */ }
        }
        const old = localStorage.getItem(p.slice(0, -1));
        if (old === null) return false;
        try { for (const v of JSON.parse(old)) put(v); } catch { /* damaged */ }
        localStorage.removeItem(p.slice(0, -1));
        return true;
      } catch { return false; /* no storage */ }
    },
  };
}

// refused handles an "error" frame: a pending message marked failed (or
// sent again later when only rate limited), anything else on the status line.
export function refused(f) {
  if (f.client_id && changeRefused(f)) return;
  if (!f.client_id && ["forbidden", "unknown_message", "bad_emoji", "too_many_reactions"].includes(f.code)) {
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
  if (p && p.replyTo && f.code === "unknown_message") {
    // What it answered was deleted meanwhile: Retry sends it as a plain message.
    p.replyTo = 0;
    p.reply = null;
    p.failed = text + "; Retry sends it without the quote";
    savePending();
    renderMessages();
  } else if (p) {
    p.failed = text;
    savePending();
    renderMessages();
  } else {
    setStatus(text, true);
    setTimeout(() => { if (state.connected) setStatus(""); }, 5000);
  }
}

// --- changes to messages ---
//
// An edit, a delete or a reaction waits in state.changes, keyed by what it
// changes (a message's text, its deletion, one of our reactions on it),
// until the message as the server sends it shows the change; the page
// draws it as done meanwhile, marked as waiting (render.js). It is sent at
// once when the socket is up, and again after a reconnect (flushChanges)
// unless the message, caught up, shows it by then. Edits and deletes are
// idempotent. A reaction toggles (PROTOCOL.md), so a change holds the state
// wanted, and a toggle goes only when the message, counting the toggles
// already on their way (out), would not end in it: a reaction made and
// taken back offline sends nothing, and one sent just before a drop is not
// undone by its resend. A change the server refuses stays on its message,
// saying why, with Retry and Discard. Changes are kept across reloads.

// changeMessage makes a change to the message id of the room: type is
// "edit" (arg: the new text), "delete" or "react" (arg: the emoji, whose
// state is turned over from what the page shows).
export function changeMessage(roomName, id, type, arg) {
  const key = [roomName, id, type, type === "react" ? arg : ""].join(" ");
  let c = state.changes.get(key);
  if (!c) c = { key, room: roomName, id, type, out: 0, sentOn: 0 };
  const r = state.rooms.get(roomName);
  const m = r && r.msgs.get(id);
  if (!m) return;
  if (type === "edit") c.body = arg;
  if (type === "react") {
    // Turned over from what the page shows: a refused change shows the
    // message as the server has it.
    c.emoji = arg;
    c.on = !(state.changes.has(key) && !c.failed ? c.on : reacted(m, arg));
  }
  c.failed = null;
  state.changes.set(key, c);
  push(c, m, type !== "delete" || c.sentOn !== state.conn);
  saveChanges();
  renderMessages();
}

// queuedEdit is the text of our edit to a message still on its way, if any.
export function queuedEdit(roomName, id) {
  const c = state.changes.get([roomName, id, "edit", ""].join(" "));
  return c && !c.failed ? c.body : undefined;
}

function reacted(m, emoji) {
  return ((m.reactions || {})[emoji] || []).includes(state.me.username);
}

// current forgets the frames of c counted on their way on an earlier
// socket: they arrived before it closed, or never will.
function current(c) {
  if (c.sentOn !== state.conn) c.out = 0;
}

// shown reports whether m, the message as the server last sent it (null:
// gone), shows c done, once the frames of c on their way have arrived. A
// deleted message ends every change to it.
function shown(c, m) {
  if (!m || m.deleted) return true;
  if (c.out) return false;
  return c.type === "edit" ? m.body === c.body : c.type === "react" ? reacted(m, c.emoji) === c.on : false;
}

// push sends what c still needs, given m: nothing if m shows it (c is then
// done), a toggle only if the toggles on their way would not end in c.on,
// and an edit or delete when again is set.
function push(c, m, again) {
  current(c);
  if (shown(c, m)) { state.changes.delete(c.key); return; }
  if (!state.ws || !state.connected || c.failed) return;
  if (c.type === "react" ? reacted(m, c.emoji) !== (c.out % 2 === 1) === c.on : !again) return;
  c.out++;
  c.sentOn = state.conn;
  c.cid = newClientID();
  state.ws.send(JSON.stringify({ type: c.type, room: c.room, id: c.id, body: c.body, emoji: c.emoji, client_id: c.cid }));
}

// settle follows an update of a message (old: as it was, if we had it):
// the frames of our changes it shows arrived (a reaction of ours turned
// over, an edited time that moved, a deletion), and a change now shown is
// done. One sent on this socket whose frames all arrived but is not shown
// lost to a later change (another of our devices, an admin's delete): the
// server's state stands.
export function settle(roomName, m, old) {
  let any = false;
  for (const c of [...state.changes.values()]) {
    if (c.room !== roomName || c.id !== m.id) continue;
    any = true;
    current(c);
    if (c.out && old) {
      if (c.type === "react" ? reacted(old, c.emoji) !== reacted(m, c.emoji) : c.type === "edit" ? old.edited !== m.edited : m.deleted) c.out--;
    } else if (c.out && !old) {
      c.out = 0;
    }
    if (shown(c, m) || (!c.out && c.sentOn === state.conn && !c.failed)) state.changes.delete(c.key);
  }
  if (any) saveChanges();
}

// flushChanges runs after a reconnect's catch-up: frames sent on an
// earlier socket either arrived (the caught-up message shows them) or are
// lost, so each change is compared with the message anew and sent if it
// still needs to be. A message not loaded (a room not open since a reload)
// is fetched alone.
export async function flushChanges() {
  const conn = state.conn;
  for (const c of [...state.changes.values()]) {
    if (state.conn !== conn || !state.connected) return;
    if (c.failed || c.sentOn === conn) continue; // failed: waits for Retry; sent: on its way
    const r = state.rooms.get(c.room);
    if (!r) { state.changes.delete(c.key); continue; } // the room is gone, or closed to us
    let m = r.loaded ? r.msgs.get(c.id) : undefined;
    if (!m) {
      try {
        const { messages } = await api("GET", `/api/rooms/${encodeURIComponent(c.room)}/messages?before=${c.id + 1}&limit=1`);
        m = messages.find((x) => x.id === c.id) || null;
      } catch (e) {
        if (e.status !== 404) continue; // the next reconnect tries again
        m = null;
      }
      if (state.conn !== conn || !state.connected) return;
    }
    push(c, m, true);
  }
  saveChanges();
  renderMessages();
}

// changeRefused handles an error frame answering one of our changes: a
// toggle that did not happen, the change kept with the reason (or sent
// again shortly when only rate limited). It reports whether f was one.
function changeRefused(f) {
  const c = [...state.changes.values()].find((x) => x.cid === f.client_id);
  if (!c) return false;
  if (c.out) c.out--;
  if (f.code === "rate_limited") {
    setTimeout(() => {
      const r = state.rooms.get(c.room);
      if (state.changes.get(c.key) === c && r && r.msgs.has(c.id)) push(c, r.msgs.get(c.id), true);
    }, 1000 + Math.random() * 1000);
    return true;
  }
  c.failed = f.message || f.code;
  saveChanges();
  renderMessages();
  return true;
}

export function retryChange(key) {
  const c = state.changes.get(key);
  if (!c) return;
  c.failed = null;
  const r = state.rooms.get(c.room);
  const m = r && r.msgs.get(c.id);
  if (m) push(c, m, true);
  saveChanges();
  renderMessages();
}

export function discardChange(key) {
  state.changes.delete(key);
  saveChanges();
  renderMessages();
}

// moveChanges follows a room's rename.
export function moveChanges(from, to) {
  for (const c of [...state.changes.values()]) {
    if (c.room !== from) continue;
    state.changes.delete(c.key);
    c.room = to;
    c.key = [to, c.id, c.type, c.type === "react" ? c.emoji : ""].join(" ");
    state.changes.set(c.key, c);
  }
  saveChanges();
}

