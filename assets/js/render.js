// render.js owns drawing the chat from state: the room and DM lists, who
// is online, the header, the typing line, the status line, the page title,
// the "Replying to" bar, and the messages of the room on screen (their text
// formatted by format.js, reply quotes, long ones folded, day dividers,
// files (media.js draws them), uploads on their way, reactions and the open
// editor). It reads state and never changes what the server said; it sends
// nothing. Clicks on what it draws are handled by delegation elsewhere
// (data-room, data-action, data-user), so it imports no feature. People
// appear as people.js draws them: display names and pictures.
// Of a room's messages it draws a bounded window around what the reader
// sees, and it follows which rows are in view: what the reader has seen.
import { $, el, keyed, timeFmt, fullFmt, dayLabel, shortTime } from "./dom.js";
import { state, roomLabel, notifyLevel, lowerIndex, newestHeld } from "./state.js";
import { markWords } from "./highlight.js";
import { renderBody, quoteLine } from "./format.js";
import { displayName, nameEl, avatarEl, personSig } from "./people.js";
import { renderFile, uploadBar } from "./media.js";

const GROUP_GAP_MS = 5 * 60 * 1000; // consecutive messages closer than this share a header
const MAX_EVENTS = 30;  // presence lines kept per room
// A body longer than this many lines (or characters, which wrap) may be
// folded to CLAMP_LINES with "Show more" (the CSS's max-height agrees).
const CLAMP_LINES = 20;
const CLAMP_CHARS = 1200;

// setStatus writes the line above the composer; bad marks a problem.
export function setStatus(text, bad) {
  const line = $("conn-status");
  line.className = "conn-status" + (bad ? " bad" : "");
  line.replaceChildren(text);
}

// renderRooms updates the room and DM lists; a button's data-room names
// its room.
export function renderRooms() {
  const badge = (n, cls, what) => el("span", { class: cls, "aria-label": `${n} ${what}` }, n > 99 ? "99+" : String(n));
  const spec = (r) => {
    const label = roomLabel(r);
    const cls = [r.private && !r.dm && "private", r.dm && "dm", r.unread && "unread"].filter(Boolean).join(" ");
    const current = r.name === state.current;
    const other = r.dm ? dmPartner(r) : null; // a DM shows who it is with, their picture first
    return {
      key: r.name,
      sig: [label, cls, current, r.mentions, r.unread, other && personSig(other)].join("\0"),
      make: () => el("li", null,
        el("button", { type: "button", "data-room": r.name, class: cls, "aria-current": current && "true", title: other ? "@" + other : null },
          other && avatarEl(other, "small"),
          el("span", { class: "room-name" }, el("bdi", null, label)),
          r.mentions ? badge(r.mentions, "badge mention", "mentions") : r.unread ? badge(r.unread, "badge", "unread") : null)),
    };
  };
  const all = [...state.rooms.values()];
  keyed($("room-list"), all.filter((r) => !r.dm).sort((a, b) => a.name.localeCompare(b.name)).map(spec));
  keyed($("dm-list"), all.filter((r) => r.dm).sort((a, b) => roomLabel(a).localeCompare(roomLabel(b))).map(spec));
  // On a phone the lists are behind the menu button: a dot on it says
  // another room has something unread (red when it names us).
  let unread = 0, mentions = 0;
  for (const r of all) if (r.name !== state.current) { unread += r.unread; mentions += r.mentions; }
  const menu = $("open-sidebar");
  menu.classList.toggle("unread", unread > 0);
  menu.classList.toggle("mention", mentions > 0);
  menu.setAttribute("aria-label", mentions ? `Open menu: ${unread} unread in other rooms, ${mentions} mentioning you`
    : unread ? `Open menu: ${unread} unread in other rooms` : "Open menu");
}

// dmPartner is the other person of a DM (ourselves in a DM with
// ourselves).
function dmPartner(r) {
  return r.members.find((m) => m !== state.me.username) || state.me.username;
}

// renderOnline lists who is online; each opens their profile card
// (data-user, profile.js).
export function renderOnline() {
  $("online-count").textContent = state.online.length ? String(state.online.length) : "";
  keyed($("online-list"), state.online.map((name) => ({
    key: name, sig: personSig(name), make: () => el("li", null,
      el("button", { type: "button", class: "person-button", "data-user": name, "aria-haspopup": "dialog", title: "@" + name },
        avatarEl(name, "small"), nameEl(name, { class: "person-name" }))),
  })));
}

// renderMe shows who is logged in at the foot of the sidebar.
export function renderMe() {
  const me = state.me.username;
  $("me-name").replaceChildren(nameEl(me));
  $("me-avatar").replaceWith(avatarEl(me, "small", { id: "me-avatar", "aria-hidden": "true" }));
}

// renderPeople draws anew whatever shows a name or a picture, after a
// profile changed or everyone's were fetched again.
export function renderPeople() {
  renderMe();
  renderRooms();
  renderOnline();
  renderHeader();
  renderTyping();
  if (state.current) renderMessages();
}

export function updateTitle() {
  let total = 0;
  for (const r of state.rooms.values()) total += r.unread;
  document.title = total ? `(${total > 999 ? "999+" : total}) Hearth` : "Hearth";
}

// addEvent puts a line such as "kid is back" after the room's newest message.
export function addEvent(roomName, text) {
  const r = state.rooms.get(roomName);
  if (!r) return;
  r.events.push({ afterId: newestHeld(r), text });
  if (r.events.length > MAX_EVENTS) r.events.shift();
  if (roomName === state.current) renderMessages();
}

export function renderHeader() {
  const r = state.rooms.get(state.current);
  if (!r) return;
  const title = $("room-title");
  title.replaceChildren(el("bdi", null, roomLabel(r)));
  title.classList.toggle("dm-title", r.dm);
  $("composer-input").placeholder = r.dm ? `Message ${roomLabel(r)}` : `Message #${r.name}`;
  $("open-members").hidden = !r.private || r.dm;
  $("composer-input").disabled = r.archived;
  $("send").disabled = r.archived;
  $("record").disabled = r.archived;
  if (r.archived) $("composer-input").placeholder = "This room is archived: its history stays, nothing new is said here.";
  $("notify-level").value = notifyLevel(r);
  renderReplyBar();
}

// renderTyping says who is typing, by their display names. It is redrawn
// every second, but changed only when the line does, so that a screen
// reader says it once.
export function renderTyping() {
  const r = state.rooms.get(state.current);
  const now = Date.now();
  const who = r ? [...r.typing].filter(([, until]) => until > now).map(([u]) => u) : [];
  const line = $("typing");
  const key = who.map((u) => u + "\u0001" + personSig(u)).join("\0");
  if (line.dataset.key === key) return;
  line.dataset.key = key;
  const name = (u) => nameEl(u);
  line.replaceChildren(...(who.length === 0 ? [] : who.length === 1 ? [name(who[0]), " is typing…"]
    : who.length === 2 ? [name(who[0]), " and ", name(who[1]), " are typing…"] : ["Several people are typing…"]));
}

// --- sidebar on phones ---

export function openSidebar() {
  $("sidebar").classList.add("open");
  $("scrim").hidden = false;
  $("scrim").classList.add("show");
}

export function closeSidebar() {
  $("sidebar").classList.remove("open");
  $("scrim").classList.remove("show");
  $("scrim").hidden = true;
}

// --- messages ---

// withQueued is the message as our changes still on their way will leave
// it (queued: its entries of state.changes): edited, being deleted, our
// reactions turned over. A refused change leaves it as the server has it.
function withQueued(m, queued) {
  if (!queued.length) return m;
  const me = state.me.username;
  const s = { ...m, reactions: { ...(m.reactions || {}) }, queuedEmoji: [] };
  for (const c of queued) {
    if (c.failed) continue;
    if (c.type === "edit") { s.body = c.body; s.queuedEdit = true; }
    if (c.type === "delete") s.deleting = true;
    if (c.type === "react") {
      const users = (s.reactions[c.emoji] || []).filter((u) => u !== me);
      if (c.on) users.push(me);
      if (users.length) s.reactions[c.emoji] = users;
      else delete s.reactions[c.emoji];
      s.queuedEmoji.push(c.emoji);
    }
  }
  return s;
}

// queuedNote says what became of our changes to a message that are not
// through: waiting for the connection, or refused (with Retry and Discard,
// data-action with data-key).
function queuedNote(li, queued) {
  const waiting = queued.filter((c) => !c.failed);
  if (waiting.length && !state.connected) {
    const kinds = new Set(waiting.map((c) => c.type));
    const what = kinds.size > 1 ? "changes" : kinds.has("edit") ? "edit"
      : kinds.has("delete") ? "deletion" : waiting.length > 1 ? "reactions" : "reaction";
    li.append(el("div", { class: "msg-queued" }, `You're offline: your ${what} will be sent when Hearth is back.`));
  }
  for (const c of queued.filter((x) => x.failed)) {
    const what = c.type === "edit" ? "Edit not saved" : c.type === "delete" ? "Not deleted" : `Reaction ${c.emoji} not sent`;
    li.append(el("div", { class: "msg-failed" }, `${what}: ${c.failed} `,
      el("button", { type: "button", class: "text-button", "data-action": "retry-change", "data-key": c.key }, "Retry"),
      el("button", { type: "button", class: "text-button", "data-action": "discard-change", "data-key": c.key }, "Discard")));
  }
}

function messageItem(server, first, extraClass, queued = []) {
  const m = withQueued(server, queued);
  let when;
  if (m.ts) {
    const d = new Date(m.ts);
    when = el("time", { class: "msg-time", dateTime: m.ts, title: fullFmt.format(d) }, timeFmt.format(d));
  } else {
    when = el("time", { class: "msg-time" }, "sending…");
  }
  const body = el("div", { class: "msg-body" });
  if (m.deleted) {
    body.classList.add("msg-deleted");
    body.textContent = "This message was deleted.";
  } else if (m.file) {
    if (m.body && m.body !== m.file.name) renderBody(body, m.body);
    renderFile(body, m.file);
  } else {
    renderBody(body, m.body);
  }
  if (m.queuedEdit) body.append(el("span", { class: "msg-edited" }, "(not sent yet)"));
  else if (m.edited && !m.deleted) body.append(el("span", { class: "msg-edited", title: fullFmt.format(new Date(m.edited)) }, "(edited)"));
  if (m.deleting) body.classList.add("msg-deleting");
  // A long body is folded (CLAMP_LINES) until opened; renderMessages
  // unfolds at once one that turns out to fit.
  const key = `${m.room} ${m.id}`;
  let more = null;
  if (m.id && !m.deleted && isLong(m.body || "")) {
    const open = state.expanded.has(key);
    if (!open) body.classList.add("clamped");
    more = el("button", { type: "button", class: "text-button show-more", "data-action": "more", "aria-expanded": String(open) }, open ? "Show less" : "Show more");
  }
  // A grouped message shows no header; its time appears beside it on
  // hover, on focus and on a long press (the CSS).
  const sideTime = !first && m.ts ? el("time", { class: "msg-side-time", dateTime: m.ts, title: fullFmt.format(new Date(m.ts)) }, shortTime(new Date(m.ts))) : null;
  const li = el("li", {
    class: "msg" + (first ? " first" : "") + (extraClass ? " " + extraClass : ""),
    "data-id": m.id || null,
    tabIndex: m.id ? -1 : undefined, // reached with the arrow keys
  },
  // A person's picture and name open their profile card (profile.js):
  // the name from the keyboard too, once its message has the focus (it
  // is out of the Tab order until then, as the message's actions are);
  // a bot has none.
  m.bot ? avatarEl(m.user) : avatarEl(m.user, "", { "data-user": m.user, "aria-hidden": "true" }),
  el("div", { class: "msg-meta" },
    m.bot ? el("span", { class: "msg-user" }, el("bdi", null, m.user))
      : el("button", { type: "button", class: "msg-user", "data-user": m.user, "aria-haspopup": "dialog", title: "@" + m.user, tabIndex: -1 }, el("bdi", null, displayName(m.user))),
    m.bot && el("span", { class: "bot-tag" }, "BOT"), when),
  sideTime, replyQuote(m), body, more);
  if (!m.id || m.deleted) return li;
  const me = state.me.username;
  if ((m.mentions || []).includes(me)) li.classList.add("mentions-me");
  const reactions = Object.entries(m.reactions || {});
  if (reactions.length) {
    li.append(el("div", { class: "reactions" }, reactions.map(([emoji, users]) => {
      const waiting = (m.queuedEmoji || []).includes(emoji);
      return el("button", {
        type: "button", class: "reaction" + (users.includes(me) ? " mine" : "") + (waiting ? " queued" : ""),
        "data-action": "react", "data-emoji": emoji, title: users.map(displayName).join(", ") + (waiting ? " (not sent yet)" : ""),
      }, `${emoji} ${users.length}`);
    })));
  }
  const action = (name, label, text) => el("button", { type: "button", "data-action": name, "aria-label": label, title: label }, text);
  const mine = m.user === me && !m.bot;
  if (!m.deleting) {
    li.append(el("div", { class: "msg-actions" },
      action("pick", "Add a reaction", "☺"),
      action("reply", "Reply", "↩"),
      mine && !m.file && action("edit", "Edit", "✎"),
      (mine || state.me.admin) && action("delete", "Delete", "✕")));
  }
  queuedNote(li, queued);
  return li;
}

// --- replies and long messages ---

// quoted is what a reply shows of its original: the original itself when
// it is loaded (so an edit or a delete shows at once), else the server's
// quote of it; null when it is gone from history.
function quoted(m) {
  const r = state.rooms.get(m.room || state.current);
  const orig = r && r.msgs.get(m.reply_to);
  return orig ? { user: orig.user, body: orig.body, deleted: orig.deleted } : m.reply || null;
}

// peopleSig is how the people a message names look (its writer, whom it
// quotes, who reacted), for keyed()'s signature: a new display name or
// picture draws it anew.
function peopleSig(m) {
  const q = m.reply_to && quoted(m);
  const who = [m.user, q && q.user, ...Object.values(m.reactions || {}).flat()];
  return who.filter(Boolean).map(personSig).join("\0");
}

// quoteSig is what of the original a reply draws, for keyed()'s signature.
function quoteSig(m) {
  if (!m.reply_to) return "";
  const q = quoted(m);
  return q ? [q.user, q.deleted, quoteLine(q.body || "")].join("\0") : "gone";
}

// replyQuote is the line above a reply: who wrote the original and its
// first line, or that it was deleted. A button: it shows the original
// (data-action="quote", actions.js).
function replyQuote(m) {
  if (!m.reply_to) return null;
  const q = quoted(m);
  if (!q) return el("div", { class: "reply-quote gone" }, "↩ The original message is no longer here");
  const text = q.deleted ? "deleted message" : quoteLine(q.body || "");
  return el("button", {
    type: "button", class: "reply-quote" + (q.deleted ? " deleted" : ""), "data-action": "quote", "data-reply-to": m.reply_to,
    "aria-label": `Reply to ${displayName(q.user)}: ${text}. Show the original.`,
  }, nameEl(q.user, { class: "reply-user" }), el("span", { class: "reply-text" }, text));
}

function isLong(text) {
  return text.length > CLAMP_CHARS || text.split("\n").length > CLAMP_LINES;
}

// unfoldShort opens the folded bodies among nodes (just drawn, not yet
// painted) that fit anyway, such as a long line on a wide screen, so that
// "Show more" is only ever offered where there is more. Bodies not laid
// out (a hidden view) stay folded, with their button.
function unfoldShort(nodes) {
  for (const li of nodes) {
    const body = li.querySelector(".msg-body.clamped");
    if (!body || !body.clientHeight || body.scrollHeight > body.clientHeight + 2) continue;
    body.classList.remove("clamped");
    li.querySelector(".show-more")?.remove();
  }
}

// renderReplyBar shows, above the composer, which message it answers:
// "Replying to ann: …" with ✕ (data-action, handled by replies.js).
export function renderReplyBar() {
  const bar = $("reply-bar");
  const rp = state.replying;
  if (!rp || rp.room !== state.current) { bar.hidden = true; bar.replaceChildren(); return; }
  const q = quoted({ room: rp.room, reply_to: rp.id, reply: rp });
  bar.hidden = false;
  bar.replaceChildren(
    el("button", { type: "button", class: "reply-bar-quote", "data-action": "quote", "data-reply-to": rp.id, title: "Show the message" },
      el("span", { class: "reply-bar-label" }, "Replying to ", el("strong", null, nameEl(q.user))),
      el("span", { class: "reply-text" }, q.deleted ? "deleted message" : quoteLine(q.body || ""))),
    el("button", { type: "button", class: "icon-button reply-cancel", "data-action": "cancel-reply", "aria-label": "Cancel reply (Esc)", title: "Cancel reply (Esc)" }, "✕"));
}

// pendingItem is one of our messages not yet acknowledged; a refused one
// says why, with Retry and Discard (data-action, with data-cid).
function pendingItem(p, first) {
  const li = messageItem({ user: state.me.username, room: p.room, body: p.body, reply_to: p.replyTo, reply: p.reply }, first, p.failed ? "failed" : "pending");
  if (p.failed) {
    li.append(el("div", { class: "msg-failed" }, `Not sent: ${p.failed} `,
      el("button", { class: "text-button", "data-action": "retry", "data-cid": p.cid }, "Retry"),
      el("button", { class: "text-button", "data-action": "discard", "data-cid": p.cid }, "Discard")));
  }
  return li;
}

// uploadItem is a file of ours on its way (uploads.js): its progress,
// Cancel, or why it failed with Retry and Discard (media.js's uploadBar).
function uploadItem(u, first) {
  const li = messageItem({ user: state.me.username, room: u.room, body: "" }, first, "pending upload" + (u.failed ? " failed" : ""));
  li.querySelector(".msg-body").append(uploadBar(u));
  return li;
}

export function isAtBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 40;
}

// --- the window of messages drawn ---
//
// However long one reads, the list holds at most WINDOW_MAX messages: the
// stretch of the room's loaded history around what the reader sees, from
// r.winFrom to r.winTo. Scrolling near either end draws a page more there
// and drops as much at the far end; new messages join while the window
// reaches the newest. So a new message, or an older page, costs the same
// with 2,000 messages loaded as with 100.
const WINDOW_MAX = 200;
const WINDOW_OPEN = 100;   // drawn when a room opens at its newest
const DRAW_PAGE = 50;      // drawn at a time when scrolling through what is loaded
const LAND_CONTEXT = 10;   // drawn above the "New" divider when a room opens there

// inView holds the message rows at least half in view (or filling half the
// view), as an IntersectionObserver on the rows reports them.
const inView = new Set();
let rowObserver = null;

function watchRows(nodes) {
  rowObserver ||= new IntersectionObserver(rowsMoved, { root: $("messages"), threshold: [0, 0.25, 0.5, 0.75, 1] });
  for (const n of nodes) if (n.dataset.id) rowObserver.observe(n);
}

function unwatchRow(n) {
  inView.delete(n);
  if (rowObserver) rowObserver.unobserve(n);
}

// rowsMoved follows rows into and out of view, then tells the list's
// "seen" listeners (notify.js's markRead, wired in main.js).
function rowsMoved(entries) {
  for (const e of entries) {
    const half = e.intersectionRatio >= 0.5 || (e.rootBounds && e.intersectionRect.height >= e.rootBounds.height / 2);
    if (e.isIntersecting && half && e.target.isConnected) inView.add(e.target);
    else inView.delete(e.target);
    if (!e.target.isConnected) rowObserver.unobserve(e.target);
  }
  noteSeen();
  $("message-list").dispatchEvent(new Event("seen"));
}

// noteSeen records, while the page is shown, the newest message in view as
// seen on this visit to the room: the read marker (notify.js) and the "New
// messages" pill follow it.
export function noteSeen() {
  const r = state.rooms.get(state.current);
  if (!r || document.hidden) return;
  for (const row of inView) r.seen = Math.max(r.seen, Number(row.dataset.id));
  updateJump();
}

// followsNewest says whether the reader is at the newest messages of the
// room on screen, where a message arriving now is seen at once.
export function followsNewest() {
  const r = state.rooms.get(state.current);
  return !!r && !r.winTo && !r.detached && isAtBottom($("messages"));
}

// drawWindow settles which of r's loaded messages are drawn, as indices
// into r.ids: the window kept in r.winFrom and r.winTo, moved to show the
// divider being landed on or r.target, reaching the newest when stick is
// set, and cut back to WINDOW_MAX at the end farther from the reader (at
// the bottom, or at the row anchor).
function drawWindow(r, stick, atBottom, anchor) {
  const ids = r.ids, n = ids.length;
  if (!n) { r.winFrom = r.winTo = 0; return [0, -1]; }
  let hi = stick || !r.winTo ? n - 1 : Math.max(0, lowerIndex(ids, r.winTo + 1) - 1);
  let lo = r.winFrom ? Math.min(lowerIndex(ids, r.winFrom), hi) : Math.max(0, hi + 1 - WINDOW_OPEN);
  let reader = stick || atBottom ? hi : -1; // the index the reader looks at, where known
  if (r.landing && r.msgs.has(r.divider)) {
    reader = lowerIndex(ids, r.divider);
    lo = Math.max(0, reader - LAND_CONTEXT);
    hi = n - 1;
  } else if (r.target && r.msgs.has(r.target)) {
    reader = lowerIndex(ids, r.target);
    if (reader < lo || reader > hi) {
      lo = Math.max(0, reader - DRAW_PAGE);
      hi = Math.min(n - 1, reader + DRAW_PAGE);
    }
  }
  if (hi - lo + 1 > WINDOW_MAX) {
    if (reader < 0) reader = anchor ? lowerIndex(ids, Number(anchor.id)) : hi;
    if (reader - lo > hi - reader) lo = hi + 1 - WINDOW_MAX;
    else hi = lo + WINDOW_MAX - 1;
  }
  r.winFrom = ids[lo];
  r.winTo = hi === n - 1 ? 0 : ids[hi];
  return [lo, hi];
}

// showOlder draws a page more of the loaded messages above the window,
// dropping as many at its bottom. It returns false when the window starts
// at the oldest loaded already.
export function showOlder() {
  const r = state.rooms.get(state.current);
  if (!r || !r.ids.length) return false;
  const n = r.ids.length;
  const lo = Math.max(0, lowerIndex(r.ids, r.winFrom) - DRAW_PAGE);
  const hi = r.winTo ? Math.min(lowerIndex(r.ids, r.winTo), lo + WINDOW_MAX - 1) : Math.min(n - 1, lo + WINDOW_MAX - 1);
  if (lowerIndex(r.ids, r.winFrom) === 0) return false;
  r.winFrom = r.ids[lo];
  r.winTo = hi >= n - 1 ? 0 : r.ids[hi];
  renderMessages();
  return true;
}

// showNewer draws a page more of the loaded messages below the window,
// dropping as many at its top. It returns false when the window reaches
// the newest loaded already.
export function showNewer() {
  const r = state.rooms.get(state.current);
  if (!r || !r.winTo) return false;
  const n = r.ids.length;
  const hi = Math.min(n - 1, lowerIndex(r.ids, r.winTo) + DRAW_PAGE);
  const lo = Math.max(lowerIndex(r.ids, r.winFrom), hi - WINDOW_MAX + 1);
  r.winFrom = r.ids[lo];
  r.winTo = hi >= n - 1 ? 0 : r.ids[hi];
  renderMessages();
  return true;
}

// anchorRow is the first message at the top of the view and where it is on
// screen, so that a draw adding or dropping rows above it can leave it
// there. It is found by where rows are now (the observer may not have
// caught up with a scroll made in this frame): a binary search.
function anchorRow(box, list) {
  const rows = list.children;
  const top = box.getBoundingClientRect().top;
  let lo = 0, hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].getBoundingClientRect().bottom <= top) lo = mid + 1; else hi = mid;
  }
  for (let i = lo; i < rows.length; i++) {
    if (rows[i].dataset.id) return { id: rows[i].dataset.id, top: rows[i].getBoundingClientRect().top };
  }
  return null;
}

// landAtDivider scrolls the "New" divider near the top of the view, below a
// little of what came before; where all that follows it fits, that is the
// bottom, the divider still in view.
function landAtDivider(box, list) {
  const divider = list.querySelector(".new-divider");
  if (!divider) { box.scrollTop = box.scrollHeight; return; }
  const at = divider.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
  box.scrollTop = Math.min(at - box.clientHeight / 5, box.scrollHeight - box.clientHeight);
}

// updateJump shows the pill over the messages: "New messages ↓" while
// messages newer than any the reader has seen wait below the view (never
// for an edit, a reaction or older history), "Back to the newest messages
// ↓" while the room shows a window of the past.
export function updateJump() {
  const r = state.rooms.get(state.current);
  const pill = $("jump-latest");
  if (!r) { pill.hidden = true; return; }
  const last = newestHeld(r);
  const waiting = last > r.seen && !(!r.winTo && isAtBottom($("messages")));
  const text = r.detached ? "Back to the newest messages ↓" : "New messages ↓";
  if (pill.textContent !== text) pill.textContent = text;
  pill.hidden = !(r.detached || waiting);
}

// renderMessages updates the current room on screen, changing only what
// changed: a new message adds its node, an edit or a reaction replaces one
// node, and a node left as it was keeps its focus and an open editor. It
// draws the window of the room's messages (drawWindow), with "New" above
// the first unread on entering. It keeps the view pinned to the newest
// message when it was there (or when stick is set), and otherwise what the
// reader sees where it was.
export function renderMessages(stick) {
  const r = state.rooms.get(state.current);
  const box = $("messages");
  const list = $("message-list");
  if (!r) { for (const n of list.children) unwatchRow(n); list.replaceChildren(); return; }
  const wasAtBottom = stick || isAtBottom(box);
  // Kept in place unless the view goes to the bottom or the divider.
  const anchor = stick || r.landing || (wasAtBottom && !r.winTo && !r.detached) ? null : anchorRow(box, list);
  const [lo, hi] = drawWindow(r, stick, wasAtBottom, anchor);
  const live = hi === r.ids.length - 1;
  const specs = [];
  let prev = null;
  let prevDay = "";
  const eventsAfter = new Map();
  for (const e of r.events) {
    if (!eventsAfter.has(e.afterId)) eventsAfter.set(e.afterId, []);
    eventsAfter.get(e.afterId).push(e.text);
  }
  const pushEvents = (id) => {
    (eventsAfter.get(id) || []).forEach((text, i) => {
      specs.push({ key: `event ${id} ${i}`, sig: text, make: () => el("li", { class: "event" }, text) });
      prev = null;
    });
  };
  const ed = state.editing;
  if (ed && ed.room === r.name && (!r.msgs.get(ed.id) || r.msgs.get(ed.id).deleted)) state.editing = null; // deleted meanwhile
  const editingID = state.editing && state.editing.room === r.name ? state.editing.id : 0;
  if (r.loaded && !r.hasMore && lo === 0) pushEvents(0);
  for (const id of r.ids.slice(lo, hi + 1)) {
    const m = r.msgs.get(id);
    const d = new Date(m.ts);
    const day = d.toDateString();
    if (day !== prevDay) {
      const label = dayLabel(d);
      specs.push({ key: "day " + day, sig: label, make: () => el("li", { class: "day" }, label) });
      prevDay = day;
      prev = null;
    }
    if (id === r.divider) {
      specs.push({ key: "new", sig: "", make: () => el("li", { class: "new-divider" }, el("span", null, "New")) });
      prev = null;
    }
    // A reply starts a group of its own: its quote sits under a name.
    const first = !prev || prev.user !== m.user || d - new Date(prev.ts) > GROUP_GAP_MS || !!m.reply_to;
    // Whatever messageItem draws from goes into the signature.
    const queued = state.changes.size ? [...state.changes.values()].filter((c) => c.room === r.name && c.id === id) : [];
    const queuedSig = queued.length ? JSON.stringify([queued.map((c) => [c.type, c.body, c.emoji, c.on, c.failed]), state.connected]) : "";
    const sig = [JSON.stringify(m), first, state.me.admin, id === editingID, queuedSig, quoteSig(m), state.expanded.has(`${r.name} ${id}`), peopleSig(m)].join("\0");
    specs.push({ key: `${r.name} ${id}`, sig, make: () => messageItem(m, first, null, queued) });
    prev = m;
    pushEvents(id);
  }
  for (const p of state.pending.values()) {
    if (p.room !== r.name || !live) continue;
    const first = !prev || prev.user !== state.me.username || prev.ts || !!p.replyTo;
    specs.push({ key: "pending " + p.cid, sig: [p.body, p.failed, first, p.replyTo, quoteSig({ room: p.room, reply_to: p.replyTo, reply: p.reply })].join("\0"), make: () => pendingItem(p, first) });
    prev = { user: state.me.username };
  }
  for (const u of state.uploads.values()) {
    // A sent upload's row gives way to its message.
    if (u.room !== r.name || !live || (u.done && r.msgs.has(u.msgId))) continue;
    const first = !prev || prev.user !== state.me.username || !!prev.ts;
    specs.push({ key: "upload " + u.id, sig: [u.failed, u.started, u.done, first].join("\0"), make: () => uploadItem(u, first) });
    prev = { user: state.me.username };
  }
  // A message drawn anew gets back the keyboard's place and the editor.
  const focused = document.activeElement;
  const focusMsg = list.contains(focused) ? focused.closest(".msg[data-id]") : null;
  const focusAction = focusMsg && focused !== focusMsg ? focused.dataset.action : null;
  // A reaction's chip is found by its emoji: another chip is not the place.
  const focusSel = focusAction && `[data-action="${focusAction}"]` + (focused.dataset.emoji ? `[data-emoji="${CSS.escape(focused.dataset.emoji)}"]` : "");
  const made = keyed(list, specs, unwatchRow);
  watchRows(made);
  unfoldShort(made);
  const editing = editingID && list.querySelector(`.msg[data-id="${editingID}"]`);
  const inEditor = editing && (focused === document.body || (focusMsg && focusMsg.dataset.id === String(editingID)));
  if (editing) drawEditor(editing, inEditor);
  if (focusMsg && !inEditor && !list.contains(document.activeElement)) {
    const again = list.querySelector(`.msg[data-id="${focusMsg.dataset.id}"]`);
    const target = again && (focusSel ? again.querySelector(focusSel) || again : again);
    if (target) target.focus({ preventScroll: true });
  }
  renderHistoryState();
  if (r.target) {
    const t = list.querySelector(`[data-id="${r.target}"]`);
    const terms = r.targetTerms; // the search's, when a result opened it
    r.target = 0;
    r.targetTerms = null;
    if (t) {
      // Again from the start when it was the target before.
      t.classList.remove("target");
      void t.offsetWidth;
      t.classList.add("target");
      markWords(t.querySelector(".msg-body"), terms);
      t.scrollIntoView({ block: "center" });
      if (!list.contains(document.activeElement) || document.activeElement.closest(".reply-quote")) t.focus({ preventScroll: true });
      updateJump();
      return;
    }
  }
  if (r.landing && r.msgs.has(r.divider)) {
    r.landing = false;
    landAtDivider(box, list);
  } else if (wasAtBottom && live && !r.detached) {
    box.scrollTop = box.scrollHeight;
    // In view now: no pill for it before the observer says so.
    if (!document.hidden && r.ids.length) r.seen = Math.max(r.seen, r.ids[r.ids.length - 1]);
  } else if (anchor) {
    const again = list.querySelector(`.msg[data-id="${anchor.id}"]`);
    if (again) box.scrollTop += again.getBoundingClientRect().top - anchor.top;
  }
  updateJump();
}

// drawEditor puts the edit box in place of li's body, holding the draft of
// state.editing, so a message drawn anew keeps it open as it was (one left
// alone keeps its box). actions.js handles its keys and keeps the draft.
function drawEditor(li, focus = true) {
  const ed = state.editing;
  const body = li.querySelector(".msg-body");
  if (!body) return;
  const ta = el("textarea", { value: ed.draft, rows: Math.min(8, ed.draft.split("\n").length + 1), "aria-label": "Edit message" });
  body.replaceWith(el("div", { class: "edit-box" }, ta, el("p", { class: "hint" }, "Enter to save, Esc to cancel")));
  if (focus) {
    ta.focus();
    ta.setSelectionRange(ed.caret ?? ta.value.length, ed.caret ?? ta.value.length);
  }
}

export function renderHistoryState() {
  const r = state.rooms.get(state.current);
  const line = $("history-state");
  updateJump();
  if (!r) { line.textContent = ""; return; }
  if (r.loading || r.loadingOlder) line.textContent = "Loading…";
  else if (r.failed && !r.loaded) {
    // The room would stay blank: say so, and offer another try (main.js).
    line.replaceChildren("The messages could not be loaded.", el("button", { type: "button", class: "text-button", "data-retry": "" }, "Try again"));
  }
  else if (r.loaded && !r.hasMore && lowerIndex(r.ids, r.winFrom) === 0) {
    const where = r.dm ? `your conversation with ${roomLabel(r)}` : `#${r.name}`;
    line.textContent = r.ids.length ? `This is the beginning of ${where}.` : `This is the start of ${where}. Say hello!`;
  }
  else line.textContent = "";
}
