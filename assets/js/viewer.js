// viewer.js owns the photo viewer (#dialog-viewer in index.html): one of
// the room's loaded photos at full size over the whole screen, its name,
// who shared it and when, a Download link, and the way to the room's other
// photos (← and →, the buttons beside it, a swipe on touch). Escape or ✕
// closes it, and the focus goes to the photo in the chat last shown, or
// else the one it was opened from. It reads state and draws only the
// dialog.
import { $, el, fullFmt } from "./dom.js";
import { state } from "./state.js";
import { isPhoto, photoSources } from "./media.js";
import { nameEl } from "./people.js";

const SWIPE = 50; // px a touch moves sideways (more than down) to change photo

let at = null;    // {room, id, from}: the message whose photo is shown, and the one it opened from
let touch = null; // {x, y}: where a touch on the photo began

// photos lists the ids of the room's loaded messages that carry a photo,
// oldest first.
function photos(roomName) {
  const r = state.rooms.get(roomName);
  if (!r) return [];
  return r.ids.filter((id) => {
    const m = r.msgs.get(id);
    return m && !m.deleted && m.file && isPhoto(m.file);
  });
}

// openViewer shows the photo of message id of the room.
export function openViewer(roomName, id) {
  const d = $("dialog-viewer");
  at = { room: roomName, id, from: id };
  if (!d.open) d.showModal();
  show();
  $("viewer-close").focus();
}

// show draws the photo at.id, or closes the viewer if it is gone.
function show() {
  const r = state.rooms.get(at.room);
  const m = r && r.msgs.get(at.id);
  if (!m || !m.file || m.deleted) { $("dialog-viewer").close(); return; }
  const f = m.file;
  const url = `/api/files/${f.id}`;
  const list = photos(at.room);
  const i = list.indexOf(at.id);
  // A new element, so that the last photo never shows under this one's
  // name while the original loads; meanwhile its thumbnail (which the
  // chat had loaded) fills the same box.
  const img = el("img", { id: "viewer-img", class: "viewer-img", src: url, alt: f.name, decoding: "async" });
  const thumb = photoSources(f).src;
  if (thumb !== url) img.style.backgroundImage = `url("${thumb}")`;
  if (f.width && f.height) { img.dataset.ratio = String(f.width / f.height); img.dataset.width = String(f.width); }
  $("viewer-img").replaceWith(img);
  fit();
  $("viewer-name").textContent = f.name;
  $("viewer-who").replaceChildren("Shared by ", nameEl(m.user), m.ts ? ` · ${fullFmt.format(new Date(m.ts))}` : "");
  $("viewer-count").textContent = list.length > 1 && i >= 0 ? `${i + 1} of ${list.length}` : "";
  const dl = $("viewer-download");
  dl.href = url;
  dl.download = f.name;
  $("viewer-prev").hidden = i <= 0;
  $("viewer-next").hidden = i < 0 || i >= list.length - 1;
  // Whichever button had the focus may be hidden now.
  if (document.activeElement === document.body || document.activeElement.hidden) $("viewer-close").focus();
}

// fit sizes the photo to the largest it can be on the stage, in its own
// shape and never past its own size, before it loads (so its thumbnail
// fills the same box); a photo whose size the server does not know takes
// its own once loaded.
function fit() {
  const img = $("viewer-img");
  const ratio = Number(img.dataset.ratio);
  if (!ratio) { img.style.width = img.style.height = ""; return; }
  const stage = $("viewer-stage");
  const w = Math.min(stage.clientWidth, stage.clientHeight * ratio, Number(img.dataset.width));
  img.style.width = Math.floor(w) + "px";
  img.style.height = Math.floor(w / ratio) + "px";
}

// step shows the next (1) or previous (-1) photo of the room, if any.
function step(by) {
  if (!at) return;
  const list = photos(at.room);
  const i = list.indexOf(at.id);
  const next = list[i + by];
  if (i < 0 || next === undefined) return;
  at.id = next;
  show();
}

// onViewer handles what happens in the viewer: its buttons, ← and →, a
// swipe, and closing (the focus back in the chat).
export function onViewer(e) {
  switch (e.type) {
    case "click":
      if (e.target.closest("#viewer-prev")) step(-1);
      else if (e.target.closest("#viewer-next")) step(1);
      // ✕, or the space around the photo.
      else if (e.target.closest("#viewer-close") || e.target === e.currentTarget || e.target.id === "viewer-stage") e.currentTarget.close();
      break;
    case "keydown":
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        e.preventDefault();
        step(e.key === "ArrowRight" ? 1 : -1);
      }
      break;
    case "touchstart":
      touch = e.touches.length === 1 ? { x: e.touches[0].clientX, y: e.touches[0].clientY } : null;
      break;
    case "touchend": {
      if (!touch || !e.changedTouches.length) return;
      const dx = e.changedTouches[0].clientX - touch.x, dy = e.changedTouches[0].clientY - touch.y;
      touch = null;
      if (Math.abs(dx) > SWIPE && Math.abs(dx) > Math.abs(dy) * 1.5) step(dx < 0 ? 1 : -1);
      break;
    }
    case "close":
      closed();
      break;
  }
}

// onViewerResize keeps the photo fitted while the screen turns or resizes.
export function onViewerResize() {
  if ($("dialog-viewer").open) fit();
}

// closed gives the focus to the photo last shown, in the chat, or the one
// the viewer opened from.
function closed() {
  if (!at) return;
  const list = $("message-list");
  const link = (id) => list.querySelector(`.msg[data-id="${id}"] .thumb-link`);
  const back = (at.room === state.current && (link(at.id) || link(at.from))) || null;
  at = null;
  $("viewer-img").removeAttribute("src"); // stop loading an original no one waits for
  if (back) {
    back.focus({ preventScroll: true });
    back.scrollIntoView({ block: "nearest" });
  } else {
    $("messages").focus();
  }
}
