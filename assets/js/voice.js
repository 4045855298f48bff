// voice.js owns recording a voice message: the composer's microphone
// button and the bar above the composer while one records (the time so
// far, Cancel, Send). A tap or a click starts and a second one sends; on a
// touch screen, holding the button records until it is let go, and
// sliding left cancels; Escape cancels. It records with MediaRecorder in
// the browser's own format (Opus in WebM or Ogg, AAC in MP4 on Safari),
// times the recording itself (MediaRecorder's WebM says no duration), and
// sends it through uploads.js as voice-DATE-TIME.ext with voice=1 and
// duration_ms. The microphone needs a secure context and the person's
// permission: without them the bar says why, and what to do.
import { $, el } from "./dom.js";
import { state } from "./state.js";
import { uploadFiles } from "./uploads.js";
import { clock } from "./media.js";

const HOLD_MS = 400;            // a touch held longer records until it is let go
const SLIDE_CANCEL = 80;        // px slid left while holding that cancel
const MIN_MS = 500;             // shorter is a slip of the finger: not sent
const MAX_MS = 15 * 60 * 1000;  // a recording this long stops and is sent
const TICK_MS = 250;            // how often the time on the bar moves
// The formats asked for, best first; the browser's default if none fits.
const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];

let rec = null;        // the recording under way: {recorder, stream, chunks, room, started, ended}
let starting = false;  // waiting for the microphone (the permission prompt)
let hold = null;       // a touch on the button under way: {x, at, wasRecording}
let swallowClick = false; // the click that ends a touch the pointer events handled
let ticker = null;

// cannotRecord says why this page cannot record, or "" if it can.
function cannotRecord() {
  if (!window.isSecureContext) return "insecure";
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) return "unsupported";
  return "";
}

// onMic handles the microphone button's clicks, touches and long press.
export function onMic(e) {
  switch (e.type) {
    case "click":
      if (swallowClick) { swallowClick = false; return; }
      if (rec) finish(true);
      else if (!starting) start();
      break;
    case "pointerdown":
      swallowClick = e.pointerType === "touch" || e.pointerType === "pen";
      if (!swallowClick || e.button !== 0) return;
      e.currentTarget.setPointerCapture(e.pointerId);
      hold = { x: e.clientX, at: performance.now(), wasRecording: !!rec || starting };
      if (!rec && !starting) start();
      break;
    case "pointermove":
      if (hold && !hold.wasRecording && e.clientX - hold.x < -SLIDE_CANCEL) {
        hold = null;
        finish(false);
      }
      break;
    case "pointerup": {
      const h = hold;
      hold = null;
      if (!h) return;
      // A tap on a recording sends it; a hold sends on letting go; a
      // quick tap that started one leaves it recording until the next.
      if (h.wasRecording || (rec && performance.now() - h.at >= HOLD_MS)) finish(true);
      break;
    }
    case "pointercancel":
      hold = null; // the browser took the touch (a scroll): it records on, until a tap
      break;
    case "contextmenu":
      e.preventDefault(); // a long press records; it opens no menu
      break;
  }
}

// onRecordBar handles the bar's buttons.
export function onRecordBar(e) {
  const b = e.target.closest("[data-rec]");
  if (!b) return;
  if (b.dataset.rec === "send") finish(true);
  else if (b.dataset.rec === "cancel") finish(false);
  else hideBar();
}

// onKey cancels a recording, or closes the bar's note, on Escape; it
// listens while the bar is up, before anything else hears the key.
function onKey(e) {
  if (e.key !== "Escape") return;
  e.preventDefault();
  e.stopPropagation();
  if (rec || starting) finish(false);
  else hideBar();
}

async function start() {
  const why = cannotRecord();
  if (why) { explain(why); return; }
  starting = true;
  const roomName = state.current;
  drawBar("starting");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) {
    if (!starting) return; // cancelled meanwhile
    starting = false;
    explain(err.name === "NotAllowedError" || err.name === "SecurityError" ? "denied"
      : err.name === "NotFoundError" || err.name === "OverconstrainedError" ? "no-mic" : "failed");
    return;
  }
  if (!starting) { stopTracks(stream); return; } // cancelled while the browser asked
  starting = false;
  const type = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
  let recorder;
  try {
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  } catch {
    stopTracks(stream);
    explain("failed");
    return;
  }
  const r = { recorder, stream, chunks: [], room: roomName, started: performance.now(), ended: 0 };
  recorder.ondataavailable = (ev) => { if (ev.data.size) r.chunks.push(ev.data); };
  recorder.onstart = () => { r.started = performance.now(); };
  rec = r;
  recorder.start(1000);
  ticker = setInterval(tick, TICK_MS);
  drawBar("recording");
}

function stopTracks(stream) {
  for (const t of stream.getTracks()) t.stop();
}

// finish ends the recording, sending it (send) or not.
function finish(send) {
  if (starting) { starting = false; hideBar(); return; }
  const r = rec;
  if (!r) return;
  rec = null;
  r.ended = performance.now();
  hideBar();
  r.recorder.onstop = () => {
    stopTracks(r.stream);
    if (!send) return;
    const ms = Math.round(r.ended - r.started);
    if (ms < MIN_MS || !r.chunks.length) { explain("short"); return; }
    const type = r.recorder.mimeType || r.chunks[0].type || "audio/webm";
    const file = new File(r.chunks, voiceName(type, new Date()), { type });
    uploadFiles([file], { room: r.room, voice: true, durationMs: ms });
  };
  if (r.recorder.state === "inactive") r.recorder.onstop();
  else r.recorder.stop();
}

// voiceName names a recording by when it was made, in local time:
// voice-2026-12-01-1830.webm.
function voiceName(type, d) {
  const p = (n) => String(n).padStart(2, "0");
  const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
  return `voice-${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}.${ext}`;
}

function tick() {
  if (!rec) return;
  const ms = performance.now() - rec.started;
  const t = $("record-time");
  if (t) t.textContent = clock(ms / 1000);
  if (ms >= MAX_MS) finish(true);
}

// drawBar shows the bar above the composer: waiting for the microphone,
// or recording.
function drawBar(kind) {
  const bar = $("record-bar");
  const button = (what, text, cls) => el("button", { type: "button", class: cls || "text-button", "data-rec": what }, text);
  const touch = matchMedia("(pointer: coarse)").matches;
  if (kind === "starting") {
    bar.replaceChildren(el("span", { class: "record-note" }, "Waiting for the microphone…"), button("cancel", "Cancel"));
  } else {
    bar.replaceChildren(
      el("span", { class: "record-dot", "aria-hidden": "true" }),
      el("span", { id: "record-time", class: "record-time" }, "0:00"),
      el("span", { class: "record-note" }, touch ? "Recording · slide left to cancel" : "Recording · Esc cancels"),
      button("cancel", "Cancel"),
      button("send", "Send", "button primary record-send"));
  }
  bar.hidden = false;
  const mic = $("record");
  mic.classList.add("recording");
  mic.setAttribute("aria-label", "Stop recording and send");
  mic.title = "Stop recording and send";
  document.addEventListener("keydown", onKey, true);
}

// explain shows, in the bar, why nothing is recorded and what to do.
function explain(why) {
  const bar = $("record-bar");
  const says = {
    insecure: ["Recording needs a secure (HTTPS) page, and this one is plain HTTP. Whoever runs Hearth can turn HTTPS on: ",
      el("a", { href: "/help/https", target: "_blank" }, "how to set up HTTPS"), "."],
    unsupported: ["This browser cannot record audio."],
    denied: ["Hearth may not use the microphone. To allow it, open this site’s settings (the icon left of the address), set Microphone to Allow, and try again. On iPhone and iPad: Settings → Apps → Safari → Microphone."],
    "no-mic": ["No microphone was found on this device."],
    failed: ["The microphone could not be started. Is another app using it?"],
    short: ["Too short to send: hold the microphone while you speak, or tap it, speak, and tap it again."],
  }[why];
  resetMic();
  bar.replaceChildren(el("p", { class: "record-note", role: "alert" }, says),
    el("button", { type: "button", class: "text-button", "data-rec": "close" }, "OK"));
  bar.hidden = false;
  document.addEventListener("keydown", onKey, true);
}

function resetMic() {
  clearInterval(ticker);
  ticker = null;
  const mic = $("record");
  mic.classList.remove("recording");
  mic.setAttribute("aria-label", "Record a voice message");
  mic.title = "Record a voice message (tap, or hold)";
}

function hideBar() {
  resetMic();
  const bar = $("record-bar");
  const hadFocus = bar.contains(document.activeElement);
  bar.hidden = true;
  bar.replaceChildren();
  document.removeEventListener("keydown", onKey, true);
  if (hadFocus) $("record").focus();
}
