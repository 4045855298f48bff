// replies.js owns the gestures of answering a message: the "Replying to"
// bar's ✕ and quote, a swipe right on a phone, a long press that shows a
// message's actions and time as hover does, and showing the original of a
// quote, with history loaded around it when it is not on screen. The reply
// being written is the composer's (startReply, cancelReply in
// composer.js); render.js draws the quotes and the bar.
import { $ } from "./dom.js";
import { state } from "./state.js";
import { renderMessages } from "./render.js";
import { jumpTo } from "./history.js";
import { startReply, cancelReply } from "./composer.js";

const SWIPE_REPLY = 64;  // px a message is swiped right to answer it
const SWIPE_MAX = 88;    // px it follows the finger at most
const LONG_PRESS = 450;  // ms a finger rests on a message to show its actions
const SLOP = 10;         // px a finger may wander before it means a move

// onReplyBarClick handles the bar's ✕ and its quote.
export function onReplyBarClick(e) {
  const b = e.target.closest("[data-action]");
  if (!b) return;
  if (b.dataset.action === "cancel-reply") { cancelReply(); $("composer-input").focus(); }
  if (b.dataset.action === "quote") showOriginal(state.current, Number(b.dataset.replyTo));
}

// showOriginal scrolls to message id of the room and highlights it,
// loading the history around it first when it is not on screen.
export function showOriginal(roomName, id) {
  const r = state.rooms.get(roomName);
  if (!r || !id) return;
  if (r.msgs.has(id) && roomName === state.current) {
    r.target = id;
    renderMessages();
    return;
  }
  jumpTo(roomName, id);
}

// --- touch: swipe right to reply, long press for the actions ---

// touch is the finger on a message: where it started, how far it went
// right, its long-press timer, and whether it became a swipe.
let touch = null;

export function onMessagesTouchStart(e) {
  endTouch();
  const li = e.touches.length === 1 && e.target.closest("#message-list .msg[data-id]");
  // Links, buttons and fields keep their own gestures.
  if (!li || e.target.closest("a, button, textarea, input")) return;
  const t = e.touches[0];
  touch = { li, x: t.clientX, y: t.clientY, dx: 0, swiping: false, pressed: false };
  touch.timer = setTimeout(() => {
    if (!touch || touch.li !== li) return;
    touch.pressed = true;
    li.focus({ preventScroll: true }); // shows its actions and time, as hover does
  }, LONG_PRESS);
}

export function onMessagesTouchMove(e) {
  if (!touch) return;
  const t = e.touches[0];
  const dx = t.clientX - touch.x, dy = t.clientY - touch.y;
  if (!touch.swiping) {
    if (Math.abs(dx) < SLOP && Math.abs(dy) < SLOP) return;
    clearTimeout(touch.timer);
    // Up, down or left is the page's (a scroll); so is anything after a long press.
    if (touch.pressed || dx <= 0 || Math.abs(dy) >= dx) { endTouch(); return; }
    touch.swiping = true;
    touch.li.classList.add("swiping");
  }
  touch.dx = Math.max(0, Math.min(SWIPE_MAX, dx));
  touch.li.style.transform = `translateX(${touch.dx}px)`;
  touch.li.classList.toggle("swipe-armed", touch.dx >= SWIPE_REPLY);
}

export function onMessagesTouchEnd() {
  if (!touch) return;
  const { li, swiping, dx } = touch;
  endTouch();
  if (swiping && dx >= SWIPE_REPLY) startReply(state.current, Number(li.dataset.id));
}

// endTouch forgets the finger and puts its message back in place.
export function endTouch() {
  if (!touch) return;
  clearTimeout(touch.timer);
  touch.li.classList.remove("swiping", "swipe-armed");
  touch.li.style.transform = "";
  touch = null;
}
