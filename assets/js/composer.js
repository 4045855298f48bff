// composer.js owns the message box: its size and byte count, each room's
// draft (kept per room, never carried to another), sending on Enter, the
// message a reply answers (the "Replying to" bar), the
// "is typing" frames, completing @mentions from a menu, emoji from the
// picker (emoji.js) at the caret. It sends through outbox.js and the
// socket in state; it draws only the composer and its menu. Files picked,
// pasted or dropped go to uploads.js (main.js wires them), voice messages
// to voice.js.
import { $, el, utf8Length } from "./dom.js";
import { state, loadDraft, saveDraft } from "./state.js";
import { config } from "./config.js";
import { setStatus, renderReplyBar } from "./render.js";
import { sendMessage } from "./outbox.js";
import { openEmojiPicker } from "./emoji.js";
import { avatarEl, nameEl, displayName, matchesPerson } from "./people.js";

const TYPING_EVERY = 3000;   // ms between our typing frames

export function updateComposer() {
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

export function submitComposer(ev) {
  ev.preventDefault();
  const ta = $("composer-input");
  // Blank lines at either end are never meant; indentation may be.
  const body = ta.value.replace(/^(\s*\n)+/, "").replace(/\s+$/, "");
  if (!body.trim() || utf8Length(body) > state.maxBody || !state.current) return;
  ta.value = "";
  saveDraft(state.current, "");
  updateComposer();
  // The reply bar says which message this answers, if any.
  const rp = state.replying && state.replying.room === state.current ? state.replying : null;
  sendMessage(body, rp);
  if (rp) cancelReply();
}

// startReply makes the composer answer message id of the room: the bar
// above it says so until the message is sent or the reply cancelled.
export function startReply(roomName, id) {
  const r = state.rooms.get(roomName);
  const m = r && r.msgs.get(id);
  if (!m || m.deleted) return;
  state.replying = { room: roomName, id, user: m.user, body: m.body };
  renderReplyBar();
  $("composer-input").focus();
}

// cancelReply drops the reply being written, if any; it reports whether
// there was one.
export function cancelReply() {
  if (!state.replying) return false;
  state.replying = null;
  renderReplyBar();
  return true;
}

// showDraft puts the room on screen's own draft in the composer, replacing
// whatever was typed for the room before it (kept as that room's draft).
export function showDraft() {
  const ta = $("composer-input");
  ta.value = state.current ? loadDraft(state.current) : "";
  $("mention-menu").hidden = true;
  updateComposer();
}

function sendTyping() {
  if (!state.ws || !state.connected || Date.now() - state.typingSent < TYPING_EVERY) return;
  state.typingSent = Date.now();
  state.ws.send(JSON.stringify({ type: "typing", room: state.current }));
}

// onComposerInput follows each keystroke: size, count, mention menu, typing.
export function onComposerInput() {
  if (state.current) saveDraft(state.current, $("composer-input").value);
  updateComposer();
  renderMentionMenu();
  if ($("composer-input").value.trim()) sendTyping();
}

// onComposerKey moves in the mention menu and picks from it; Enter sends,
// Shift+Enter starts a new line; Escape closes the menu, or else cancels
// the reply being written.
export function onComposerKey(e) {
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
  if (e.key === "Escape") {
    if (menuOpen) $("mention-menu").hidden = true;
    else if (cancelReply()) e.preventDefault();
  }
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $("composer").requestSubmit();
  }
}

// --- @mentions while typing ---

let mentionPick = 0;

// mentionQuery is the part of a name typed after an @ just before the
// caret ("" right after the @), or null. The server's pattern needs a
// character of the name, so a bare @ is tried with one added: "a" is in
// every name's alphabet. A display name may be typed too ("@Gr" finds
// Grandad, "@أ" أمي), in any script, up to a space: the menu then puts
// the login name in its place, which is what mentions are made of.
function mentionQuery() {
  const ta = $("composer-input");
  const before = ta.value.slice(0, ta.selectionStart);
  const m = before.match(config.mentionEndRE) || before.match(/(?:^|[\s(])@([^\s@]{1,32})$/u);
  if (m) return m[1];
  return before.endsWith("@") && config.mentionEndRE.test(before + "a") ? "" : null;
}

function mentionCandidates() {
  const q = mentionQuery();
  if (q === null) return [];
  const r = state.rooms.get(state.current);
  const pool = r && r.private ? r.members : state.users;
  return pool.filter((u) => u !== state.me.username && matchesPerson(u, q)).slice(0, 8);
}

function renderMentionMenu() {
  const menu = $("mention-menu");
  const names = mentionCandidates();
  menu.hidden = names.length === 0;
  mentionPick = Math.min(mentionPick, Math.max(0, names.length - 1));
  menu.replaceChildren(...names.map((u, i) => el("li", {
    role: "option",
    "aria-selected": String(i === mentionPick),
    onmousedown: (e) => { e.preventDefault(); completeMention(u); },
  }, avatarEl(u, "small"), nameEl(u, { class: "mention-name" }), displayName(u) !== u && el("span", { class: "mention-login" }, "@" + u))));
}

function completeMention(name) {
  const ta = $("composer-input");
  const q = mentionQuery();
  let before = ta.value.slice(0, ta.selectionStart);
  if (q !== null) before = before.slice(0, before.length - q.length) + name + " ";
  ta.value = before + ta.value.slice(ta.selectionStart);
  ta.selectionStart = ta.selectionEnd = before.length;
  $("mention-menu").hidden = true;
  saveDraft(state.current, ta.value);
  updateComposer();
}

// --- emoji ---

// openComposerEmoji opens the emoji picker from the button by the
// paperclip; the emoji picked goes in at the caret (in place of a
// selection), and the focus comes back to the composer, after it.
export function openComposerEmoji() {
  const ta = $("composer-input");
  if (ta.disabled) return;
  const start = ta.selectionStart, end = ta.selectionEnd;
  openEmojiPicker({
    anchor: $("emoji-button"),
    onPick: (e) => {
      ta.setRangeText(e, start, end, "end");
      onComposerInput();
    },
    returnFocus: () => ta.focus(),
  }).catch(() => {
    setStatus("The emoji could not be loaded; try again", true);
    setTimeout(() => { if (state.connected) setStatus(""); }, 5000);
  });
}
