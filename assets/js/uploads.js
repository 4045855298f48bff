// uploads.js owns the files being sent (state.uploads): each is a pending
// message in its room (render.js draws it, media.js its bar) with a
// progress bar and Cancel, and once it failed, why, with Retry (the File
// is kept) and Discard. A file goes as the request's body, the File or Blob
// itself, so the page never reads it into memory whatever its size, with
// XMLHttpRequest: fetch reports no upload progress. Cancel aborts the
// request, and the server deletes what it received. At most MAX_AT_ONCE go
// at once, as the server allows one person; the others wait their turn.
// Uploads live as long as the page (a File cannot be kept across reloads).
import { state } from "./state.js";
import { config } from "./config.js";
import { fileSize } from "./dom.js";
import { renderMessages } from "./render.js";
import { newClientID } from "./outbox.js";
import { uploadSize } from "./media.js";

const MAX_AT_ONCE = 2;   // the server's maxUploadsAtOnce
const SENT_KEEP = 20000; // ms a sent upload's row waits for its message, at most

let seq = 0;

// uploadFiles sends files to the room on screen, or to opts.room; a voice
// message says so with opts.voice and its length in opts.durationMs.
export function uploadFiles(files, opts = {}) {
  const roomName = opts.room || state.current;
  if (!state.rooms.has(roomName)) return;
  for (const file of files) {
    const u = {
      id: ++seq, cid: newClientID(), room: roomName, file, name: file.name || "pasted image",
      voice: !!opts.voice, durationMs: opts.durationMs || 0,
      total: file.size, loaded: 0, started: false, done: false, msgId: 0,
      failed: null, fatal: false, xhr: null,
    };
    state.uploads.set(u.id, u);
    // Refused here what the server would refuse before reading a byte.
    if (!file.size) fail(u, "the file is empty", true);
    else if (config.maxUpload && file.size > config.maxUpload) fail(u, `files can be at most ${fileSize(config.maxUpload)}`, true);
  }
  pump();
  renderMessages(true);
}

// uploadsUnderway reports whether leaving the page would stop an upload.
export function uploadsUnderway() {
  for (const u of state.uploads.values()) if (!u.done && !u.failed) return true;
  return false;
}

// pump starts waiting uploads while fewer than MAX_AT_ONCE are going.
function pump() {
  let going = 0;
  for (const u of state.uploads.values()) if (u.xhr) going++;
  for (const u of state.uploads.values()) {
    if (going >= MAX_AT_ONCE) break;
    if (u.xhr || u.done || u.failed) continue;
    send(u);
    going++;
  }
}

function send(u) {
  const q = new URLSearchParams({ name: u.name, client_id: u.cid });
  if (u.voice) { q.set("voice", "1"); q.set("duration_ms", String(Math.round(u.durationMs))); }
  const xhr = new XMLHttpRequest();
  u.xhr = xhr;
  u.started = true;
  u.loaded = 0;
  xhr.open("POST", `/api/rooms/${encodeURIComponent(u.room)}/files?${q}`);
  xhr.upload.onprogress = (e) => {
    u.loaded = e.loaded;
    if (e.lengthComputable) u.total = e.total;
    showProgress(u);
  };
  xhr.onload = () => {
    u.xhr = null;
    if (xhr.status >= 200 && xhr.status < 300) {
      let msg = null;
      try { msg = JSON.parse(xhr.responseText); } catch { /* the socket brings it anyway */ }
      u.done = true;
      u.loaded = u.total;
      u.msgId = (msg && msg.id) || 0;
      // Its row gives way to the message as soon as that is here
      // (render.js); if the socket is down, it goes after a while.
      setTimeout(() => { state.uploads.delete(u.id); renderMessages(); }, SENT_KEEP);
    } else {
      let why = xhr.statusText || `error ${xhr.status}`;
      try { why = JSON.parse(xhr.responseText).error || why; } catch { /* not JSON */ }
      u.failed = why;
    }
    pump();
    renderMessages();
  };
  xhr.onerror = () => {
    u.xhr = null;
    u.failed = navigator.onLine === false ? "you're offline" : "the connection to Hearth was lost";
    pump();
    renderMessages();
  };
  xhr.send(u.file);
  renderMessages();
}

function fail(u, why, fatal) {
  u.failed = why;
  u.fatal = !!fatal;
}

// showProgress moves an upload's bar where it is drawn, without a redraw.
function showProgress(u) {
  const bar = document.getElementById("upload-" + u.id);
  if (bar) { bar.max = Math.max(1, u.total); bar.value = u.loaded; }
  const size = document.querySelector(`[data-upload-size="${u.id}"]`);
  if (size) size.textContent = uploadSize(u);
}

// cancelUpload stops an upload and forgets it; the server deletes what it
// had received.
export function cancelUpload(id) {
  const u = state.uploads.get(id);
  if (!u || u.done) return;
  state.uploads.delete(id);
  if (u.xhr) {
    u.xhr.onload = u.xhr.onerror = null;
    u.xhr.abort();
  }
  pump();
  renderMessages();
}

// retryUpload sends a failed upload again, with the same client_id: if the
// first try was stored after all, the server answers with that message.
export function retryUpload(id) {
  const u = state.uploads.get(id);
  if (!u || !u.failed || u.fatal) return;
  u.failed = null;
  u.started = false;
  u.loaded = 0;
  pump();
  renderMessages();
}

export function discardUpload(id) {
  if (!state.uploads.delete(id)) return;
  renderMessages();
}
