// media.js owns how a shared file looks in a message: a photo as the
// server's thumbnail (the original where there is none) at its known size,
// so nothing jumps as it loads, opening the viewer (viewer.js, through
// data-action="view"); a video that plays in place; a voice message's
// compact player (play/pause, position, duration), which other sounds get
// too, under their name; anything else as a download; and the bar of an upload under way (uploads.js). It draws and
// runs the players; it never changes state. A player drawn again while
// its message is redrawn (a reaction came) is the same element moved into
// the new row, so it keeps playing.
import { el, fileSize } from "./dom.js";
import { config } from "./config.js";

// VIDEO_TYPES play in place, as the server labels them from their bytes
// (a recording sent as a voice message is labelled audio/… instead).
const VIDEO_TYPES = ["video/mp4", "video/webm", "video/quicktime"];
const BOX = { w: 320, h: 240 }; // the largest a photo is drawn in the chat
const VIDEO_SIDE = 320;          // a video's box: its longer side at most

// players holds the player of each file drawn, by file id, so that a
// redrawn message gets the same one (see above). Entries no longer in the
// page are dropped as it grows.
const players = new Map();
// videoRatios remembers a video's shape once its metadata came, so that
// it is drawn at that shape from then on.
const videoRatios = new Map();

export function isPhoto(f) {
  return config.inlineTypes.includes(f.type);
}

// isVoice says whether f is a voice message: one recorded in the page
// and sent with voice=1, which the server keeps as "voice".
export function isVoice(f) {
  return f.voice === true;
}

export function isVideo(f) {
  return VIDEO_TYPES.includes(f.type) && !isVoice(f);
}

function isSound(f) {
  return f.type.startsWith("audio/");
}

// photoSources are the src and srcset of a photo drawn about 320 px wide:
// the server's thumbnails (f.thumbs: the sizes it made, such as [320, 640])
// at 1× and 2×, or the original where it made none.
export function photoSources(f) {
  const url = `/api/files/${f.id}`;
  const sizes = (f.thumbs || []).filter((s) => s >= 320).sort((a, b) => a - b);
  if (!sizes.length) return { src: url, srcset: undefined };
  const thumb = (s) => `${url}/thumb?size=${s}`;
  const two = sizes.find((s) => s >= 640);
  return { src: thumb(sizes[0]), srcset: two ? `${thumb(sizes[0])} 1x, ${thumb(two)} 2x` : undefined };
}

// clock writes seconds as 0:07, 1:05 or 1:02:03.
export function clock(seconds) {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const m = Math.floor(s / 60), h = Math.floor(m / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m % 60).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

// renderFile draws the file f of a message into node.
export function renderFile(node, f) {
  const url = `/api/files/${f.id}`;
  if (isPhoto(f)) {
    const { src, srcset } = photoSources(f);
    const img = el("img", { class: "thumb", src, srcset, alt: f.name, loading: "lazy", decoding: "async" });
    if (f.width && f.height) {
      const scale = Math.min(1, BOX.w / f.width, BOX.h / f.height);
      img.width = Math.max(1, Math.round(f.width * scale));
      img.height = Math.max(1, Math.round(f.height * scale));
    }
    // A link, so that a middle click or "open in a new tab" still works;
    // a plain click or Enter opens the viewer (actions.js).
    node.append(el("a", { href: url, class: "thumb-link", "data-action": "view", "data-file": f.id, "aria-haspopup": "dialog" }, img));
  } else if (isVoice(f)) {
    node.append(reuse(f, voicePlayer));
  } else if (isVideo(f)) {
    node.append(reuse(f, videoPlayer));
  } else if (isSound(f)) {
    node.append(reuse(f, soundPlayer));
  } else {
    node.append(el("a", { href: url, class: "file-link", download: f.name }, `⬇ ${f.name} · ${fileSize(f.size)}`));
  }
}

// reuse returns the player of f in the page, if there is one, or a new one.
function reuse(f, make) {
  const old = players.get(f.id);
  if (old && old.isConnected) return old;
  if (players.size > 200) for (const [id, p] of players) if (!p.isConnected) players.delete(id);
  const p = make(f);
  players.set(f.id, p);
  return p;
}

// onlyOne pauses every other player as one starts.
function onlyOne(e) {
  for (const m of document.querySelectorAll("#message-list audio, #message-list video")) {
    if (m !== e.target && !m.paused) m.pause();
  }
}

// keepBottom runs change (which makes node taller or shorter) and keeps
// the list at its newest message if it was there.
function keepBottom(node, change) {
  const box = node.closest(".messages");
  const atBottom = box && box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  change();
  if (atBottom) box.scrollTop = box.scrollHeight;
}

// videoBox sizes a video's box: its own shape once known (w, h), else 16:9.
function sizeVideoBox(box, w, h) {
  const scale = VIDEO_SIDE / Math.max(w, h);
  box.style.width = Math.round(w * scale) + "px";
  box.style.aspectRatio = `${w} / ${h}`;
}

// videoPlayer plays f in place with the browser's controls, seeking
// through Range requests; a 16:9 box holds its place until its metadata
// says its shape.
function videoPlayer(f) {
  const video = el("video", {
    class: "video", controls: true, preload: "metadata", playsInline: true, src: `/api/files/${f.id}`,
    "aria-label": `Video: ${f.name}`,
  });
  const box = el("div", { class: "video-box" }, video);
  const shape = (f.width && f.height && [f.width, f.height]) || videoRatios.get(f.id) || [16, 9];
  sizeVideoBox(box, ...shape);
  video.addEventListener("loadedmetadata", () => {
    const w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return;
    videoRatios.set(f.id, [w, h]);
    if (Math.abs(w / h - shape[0] / shape[1]) > 0.01) keepBottom(box, () => sizeVideoBox(box, w, h));
  });
  video.addEventListener("play", onlyOne);
  const fallback = el("a", { href: `/api/files/${f.id}`, class: "file-link", download: f.name }, `⬇ ${f.name} · ${fileSize(f.size)}`);
  video.addEventListener("error", () => box.replaceWith(el("div", { class: "media-error" }, "This device cannot play this video. ", fallback)));
  return box;
}

// soundPlayer is a sound file's player: a voice message's, under the
// file's name.
function soundPlayer(f) {
  return el("div", { class: "sound" }, el("div", { class: "sound-name" }, f.name), voicePlayer(f, `Sound: ${f.name}`));
}

// voicePlayer is a voice message's player: a play/pause button, the
// position (a slider, which seeks) and the time, the recording's length
// until it plays. The length is f.duration_ms where the server keeps it
// (a WebM from MediaRecorder says none), else what the audio element
// finds.
function voicePlayer(f, label = "Voice message") {
  const audio = el("audio", { preload: "metadata", src: `/api/files/${f.id}` });
  let length = f.duration_ms > 0 ? f.duration_ms / 1000 : NaN;
  const play = el("button", { type: "button", class: "voice-play", "aria-label": "Play voice message" });
  const seek = el("input", {
    type: "range", class: "voice-seek", min: 0, max: 1000, step: 1, value: 0,
    "aria-label": "Position in the voice message",
  });
  const time = el("span", { class: "voice-time" }, Number.isFinite(length) ? clock(length) : "–:––");
  const root = el("div", { class: "voice", role: "group", "aria-label": label }, play, seek, time, audio);
  const show = () => {
    const at = audio.currentTime || 0;
    const playing = !audio.paused && !audio.ended;
    play.classList.toggle("playing", playing);
    play.setAttribute("aria-label", playing ? "Pause voice message" : "Play voice message");
    time.textContent = Number.isFinite(length) ? clock(playing || at > 0 ? at : length) : clock(at);
    if (Number.isFinite(length) && length > 0 && !seeking) seek.value = String(Math.round(Math.min(1, at / length) * 1000));
    seek.setAttribute("aria-valuetext", `${clock(at)} of ${Number.isFinite(length) ? clock(length) : "unknown"}`);
  };
  // A WebM without a duration makes the element say Infinity; reading past
  // its end makes the browser find the real one.
  let probing = false;
  const learnLength = () => {
    if (Number.isFinite(length)) return;
    if (Number.isFinite(audio.duration) && audio.duration > 0) { length = audio.duration; show(); return; }
    if (audio.duration === Infinity && !probing && audio.paused) {
      probing = true;
      audio.currentTime = 1e9;
    }
  };
  audio.addEventListener("loadedmetadata", learnLength);
  audio.addEventListener("durationchange", () => {
    if (probing && Number.isFinite(audio.duration)) {
      probing = false;
      length = audio.duration;
      audio.currentTime = 0;
      show();
    } else learnLength();
  });
  let seeking = false;
  seek.addEventListener("input", () => {
    if (!Number.isFinite(length)) return;
    seeking = true;
    audio.currentTime = (Number(seek.value) / 1000) * length;
    time.textContent = clock(audio.currentTime);
  });
  seek.addEventListener("change", () => { seeking = false; show(); });
  play.addEventListener("click", () => {
    if (audio.paused || audio.ended) {
      if (probing) { probing = false; audio.currentTime = 0; }
      audio.play().catch(() => {}); // an error event says what went wrong
    } else audio.pause();
  });
  audio.addEventListener("play", onlyOne);
  for (const ev of ["play", "pause", "ended", "timeupdate", "seeked"]) audio.addEventListener(ev, show);
  audio.addEventListener("ended", () => { audio.currentTime = 0; });
  audio.addEventListener("error", () => {
    root.classList.add("broken");
    root.replaceChildren(el("span", { class: "media-error" }, `This device cannot play this ${f.voice ? "voice message" : "sound"}. `),
      el("a", { href: `/api/files/${f.id}`, download: f.name }, "Download it"));
  });
  return root;
}

// uploadSize says how much of an upload has gone: "12.0 MB of 30.0 MB".
export function uploadSize(u) {
  return u.started ? `${fileSize(u.loaded)} of ${fileSize(u.total)}` : fileSize(u.total);
}

// uploadBar is what an upload's pending message shows (u: uploads.js's
// record): the file's name over a progress bar, with Cancel; once it
// failed, why, with Retry (unless it cannot succeed) and Discard. Its
// buttons carry data-action and data-upload, for actions.js.
export function uploadBar(u) {
  const id = "upload-" + u.id;
  const what = u.voice ? `Voice message (${clock(u.durationMs / 1000)})` : u.name;
  const act = (action, text, label) => el("button", { type: "button", class: "text-button", "data-action": action, "data-upload": u.id, "aria-label": label }, text);
  if (u.failed) {
    return el("div", { class: "upload" },
      el("div", { class: "upload-name" }, what),
      el("div", { class: "msg-failed" }, `Not sent: ${u.failed} `,
        !u.fatal && act("retry-upload", "Retry", `Retry sending ${what}`),
        act("discard-upload", "Discard", `Discard ${what}`)));
  }
  const state = u.done ? "Sent: " : u.started ? "Sending " : "Waiting to send ";
  return el("div", { class: "upload" },
    el("label", { for: id, class: "upload-name" }, state + what),
    el("div", { class: "upload-row" },
      el("progress", { id, class: "upload-progress", max: Math.max(1, u.total), value: u.started ? u.loaded : undefined }),
      el("span", { class: "upload-size", "data-upload-size": u.id }, uploadSize(u)),
      !u.done && act("cancel-upload", "Cancel", `Cancel sending ${what}`)));
}
