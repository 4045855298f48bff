// outbox.js owns what we send and the server has not yet acknowledged:
// pending messages (kept across reloads, resent with the same client_id,
// which the server stores at most once), their refusals, and the retry or
// discard of a refused one.
import { state } from "./state.js";
import { renderMessages, setStatus } from "./render.js";

// newClientID starts with the time, so the server's index of client_ids
// grows at its end; the random part keeps ids unique across devices.
// (crypto.randomUUID needs a secure context; plain HTTP on a LAN is not one.)
export function newClientID() {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return "c" + Date.now().toString(36) + "-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function sendMessage(body) {
  const p = { cid: newClientID(), room: state.current, body, failed: null };
  state.pending.set(p.cid, p);
  savePending();
  transmit(p);
  renderMessages(true);
}

// transmit sends p if the socket is up; the next hello sends it otherwise.
export function transmit(p) {
  if (state.ws && state.connected) {
    state.ws.send(JSON.stringify({ type: "send", room: p.room, body: p.body, client_id: p.cid }));
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
// client_id, which the server stores at most once.
function pendingKey() { return "hearth.pending." + state.me.username; }

export function savePending() {
  try { localStorage.setItem(pendingKey(), JSON.stringify([...state.pending.values()])); } catch { /* private mode */ }
}

export function loadPending() {
  state.pending.clear();
  try {
    for (const p of JSON.parse(localStorage.getItem(pendingKey()) || "[]")) state.pending.set(p.cid, p);
  } catch { /* ignore a damaged entry */ }
}

// refused handles an "error" frame: a pending message marked failed (or
// sent again later when only rate limited), anything else on the status line.
export function refused(f) {
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
  if (p) {
    p.failed = text;
    savePending();
    renderMessages();
  } else {
    setStatus(text, true);
    setTimeout(() => { if (state.connected) setStatus(""); }, 5000);
  }
}
