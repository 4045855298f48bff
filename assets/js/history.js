// history.js owns which room is on screen and what each room holds from
// the history API: selecting a room (opening it where the reader left off,
// at the first unread), the catch-up after every (re)connect, paging back
// as the reader scrolls up, and search with jumping to a message in its
// context (a "detached" window of the past) and back.
import { $, el, fullFmt } from "./dom.js";
import { markedText, snippet } from "./highlight.js";
import { api } from "./api.js";
import { state, room, roomLabel, lowerIndex, unreadBy, newestHeld } from "./state.js";
import {
  renderHeader, renderRooms, renderMessages, renderTyping, renderHistoryState,
  updateTitle, closeSidebar, setStatus, showOlder, showNewer, updateJump,
} from "./render.js";
import { markRead } from "./notify.js";
import { sessionEnded } from "./auth.js";
import { showDraft } from "./composer.js";
import { nameEl } from "./people.js";

const PAGE = 50;        // history page when scrolling up
const CATCHUP_PAGE = 200;
const CONTEXT = 10;     // read messages loaded above the first unread
// A room keeps at most KEPT messages (and a page) loaded: past that, the
// oldest not on screen go, and come back from the server when scrolled to.
const KEPT = 2000;

// hashRoom is the room named in the URL's #fragment, or "".
export function hashRoom() {
  try { return decodeURIComponent(location.hash.slice(1)); } catch { return ""; }
}

export function selectRoom(name) {
  if (!state.rooms.has(name)) name = "general";
  const switched = name !== state.current;
  state.current = name;
  if (switched) showDraft();
  localStorage.setItem("hearth.room", name);
  if (location.hash.slice(1) !== name) history.replaceState(null, "", "#" + encodeURIComponent(name));
  const r = room(name);
  if (switched) enterRoom(r);
  renderHeader();
  renderRooms();
  updateTitle();
  renderMessages(!r.landing);
  renderTyping();
  if (!r.loaded && state.connected) loadRoom(r);
  else markRead();
  closeSidebar();
  if (matchMedia("(pointer: fine)").matches) $("composer-input").focus();
}

// enterRoom starts a visit to r: what was read counts as seen, the window
// of messages drawn starts at the newest, and a room with unread messages
// opens at the first of them under a "New" divider (placed when the
// messages around it are loaded; it stays until the reader leaves).
function enterRoom(r) {
  r.seen = r.read;
  r.divider = 0;
  r.winFrom = r.winTo = 0;
  // Never read (a newcomer) has no place left off: such a room opens at
  // its newest. Nor does a room being loaded for a search result.
  r.landing = r.unread > 0 && r.read > 0 && !r.detached && !r.target && !r.loading;
  if (!r.landing || !r.loaded) return;
  if (r.ids.length && (r.ids[0] <= r.read || !r.hasMore)) placeDivider(r);
  else resetRoom(r); // what is loaded starts after the read marker: load from there
}

// placeDivider finds the first unread message among those loaded.
function placeDivider(r) {
  for (let i = lowerIndex(r.ids, r.read + 1); i < r.ids.length; i++) {
    const m = r.msgs.get(r.ids[i]);
    if (unreadBy(m)) { r.divider = m.id; return; }
  }
  r.landing = false; // all deleted, or ours
}

// loadRoom loads a room not loaded yet: around its read marker when it
// opens at the first unread, its newest page otherwise.
function loadRoom(r) {
  if (r.landing && r.name === state.current) loadFromRead(r);
  else loadLatest(r);
}

// catchUp fetches, for every room already on screen, what was said while
// the socket was down, and loads the current room if it is new to us. Each
// room's starting point is taken before any request is made: live messages
// arriving meanwhile must not move it past the gap.
export async function catchUp() {
  const from = new Map();
  for (const r of state.rooms.values()) {
    if (r.loaded) from.set(r, { rev: r.rev, last: newestHeld(r) });
  }
  for (const [r, start] of from) {
    try {
      await catchUpRoom(r, start.rev, start.last);
    } catch {
      // A gap we could not fill: forget the room's messages, so it is
      // loaded afresh (the newest page) rather than shown with a hole.
      resetRoom(r);
      if (r.name === state.current && state.connected) loadRoom(r);
    }
    if (r.name === state.current) renderMessages();
  }
  const cur = state.rooms.get(state.current);
  if (cur && !cur.loaded) loadRoom(cur);
}

// catchUpRoom fetches everything in r that changed after rev since: new
// messages (those after last, the newest r held then), and edits, deletes
// and reactions to the ones it holds.
async function catchUpRoom(r, since, last) {
  for (;;) {
    const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?since=${since}&limit=${CATCHUP_PAGE}`);
    for (const m of messages) apply(r, m, last);
    since = rev;
    r.rev = Math.max(r.rev, rev);
    if (messages.length < CATCHUP_PAGE) return;
  }
}

// settleLoad runs after a page of r, read at rev, went in. If the world
// moved under it, the room is caught up from that rev: a reconnect while
// it loaded (the hello's catch-up passed over a room not loaded yet), or a
// change to one of its messages that came by socket before the page that
// holds the message (socket.js's changed could not apply it).
async function settleLoad(r, conn, rev, last) {
  if (conn === state.conn && (r.missedRev || 0) <= rev) return;
  try { await catchUpRoom(r, rev, last); } catch { /* the next hello catches up */ }
  if (r.name === state.current) renderMessages();
}

// resetRoom forgets what r holds. Pages asked for before are of another
// window: r.gen tells their answers to go.
function resetRoom(r) {
  r.gen = (r.gen || 0) + 1;
  r.msgs.clear();
  r.ids = [];
  r.events = [];
  r.loaded = false;
  r.hasMore = true;
  r.detached = false;
  r.target = 0;
  r.winFrom = r.winTo = 0;
}

async function loadLatest(r) {
  if (r.loading) return;
  r.loading = true;
  r.failed = false;
  renderHistoryState();
  const gen = r.gen, conn = state.conn;
  try {
    const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?limit=${PAGE}`);
    if (gen !== r.gen) return; // reset meanwhile: whoever reset it loads it
    for (const m of messages) insert(r, m);
    r.winFrom = r.winTo = 0; // drawn from the newest, not from a live message drawn while this page came
    r.hasMore = messages.length === PAGE;
    r.rev = Math.max(r.rev, rev);
    r.loaded = true;
    r.detached = false;
    settleLoad(r, conn, rev, messages.length ? messages[messages.length - 1].id : 0);
  } catch (e) {
    if (e.status === 401) return sessionEnded();
    r.failed = gen === r.gen;
  } finally {
    if (gen === r.gen) r.loading = false;
  }
  if (r.name === state.current) { renderMessages(true); markRead(); }
}

// retryLoad tries again to load the room on screen after its messages
// could not be loaded (its history line offers it; a reconnect does too).
export function retryLoad() {
  const r = state.rooms.get(state.current);
  if (r && !r.loaded && !r.loading) loadRoom(r);
}

// loadFromRead loads a room around its read marker: a few read messages for
// context and up to CATCHUP_PAGE after them. Where more are unread, the room
// holds a window of the past ("detached") that grows as the reader scrolls
// down; otherwise it reaches the newest message.
async function loadFromRead(r) {
  if (r.loading) return;
  r.loading = true;
  r.failed = false;
  renderHistoryState();
  const path = `/api/rooms/${encodeURIComponent(r.name)}/messages`;
  const gen = r.gen, conn = state.conn;
  try {
    const [older, newer] = await Promise.all([
      api("GET", `${path}?before=${r.read + 1}&limit=${CONTEXT}`),
      api("GET", `${path}?after=${r.read}&limit=${CATCHUP_PAGE}`),
    ]);
    if (gen !== r.gen) return;
    const last = newer.messages.length ? newer.messages[newer.messages.length - 1].id : r.read;
    insertAll(r, older.messages);
    insertAll(r, newer.messages);
    r.winFrom = r.winTo = 0; // drawn from the divider, not from a live message drawn meanwhile
    r.hasMore = older.messages.length === CONTEXT;
    r.rev = Math.max(r.rev, Math.min(older.rev, newer.rev));
    r.loaded = true;
    r.detached = newer.messages.length === CATCHUP_PAGE;
    if (r.detached) {
      // Messages that arrived meanwhile lie past a gap: they come back as
      // the reader scrolls down to them.
      const end = lowerIndex(r.ids, newer.messages[newer.messages.length - 1].id + 1);
      for (const id of r.ids.slice(end)) r.msgs.delete(id);
      r.ids = r.ids.slice(0, end);
    }
    settleLoad(r, conn, Math.min(older.rev, newer.rev), last);
  } catch (e) {
    r.landing = false;
    if (e.status === 401) return sessionEnded();
    r.failed = gen === r.gen;
  } finally {
    if (gen === r.gen) r.loading = false;
  }
  if (gen !== r.gen || r.name !== state.current) return;
  if (r.landing) placeDivider(r);
  renderMessages(!r.landing);
  markRead();
}

async function loadOlder(r) {
  if (!r.loaded || r.loadingOlder || !r.hasMore || !r.ids.length) return;
  r.loadingOlder = true;
  renderHistoryState();
  const gen = r.gen, before = r.ids[0];
  try {
    const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?before=${before}&limit=${PAGE}`);
    // Reset meanwhile, or trimmed (forgetOldest): the page joins nothing.
    if (gen !== r.gen || r.ids[0] !== before) throw new Error("another window");
    insertAll(r, messages);
    settleLoad(r, state.conn, rev, newestHeld(r));
    if (messages.length) r.winFrom = messages[0].id; // drawn: it is what the reader scrolled to
    r.hasMore = messages.length === PAGE;
  } catch { /* try again on the next scroll */ }
  r.loadingOlder = false;
  if (r.name !== state.current) return;
  renderMessages(); // what the reader sees stays in place
}

// loadNewer continues a detached window towards the newest messages. The
// last page makes the room live again: frames are inserted from then on,
// and what was said between that page's reading and then, heard by the
// socket while the window was detached and dropped, is asked for once
// more.
async function loadNewer(r) {
  if (!r.detached || r.loadingNewer || !r.ids.length) return;
  r.loadingNewer = true;
  const gen = r.gen;
  const after = () => `/api/rooms/${encodeURIComponent(r.name)}/messages?after=${newestHeld(r)}&limit=${PAGE}`;
  try {
    let { messages, rev } = await api("GET", after());
    if (gen !== r.gen) throw new Error("another window");
    for (const m of messages) insert(r, m);
    settleLoad(r, state.conn, rev, newestHeld(r));
    if (messages.length < PAGE) {
      r.detached = false;
      do {
        ({ messages } = await api("GET", after()));
        if (gen !== r.gen) break;
        for (const m of messages) insert(r, m);
      } while (messages.length === PAGE);
    }
  } catch { /* the next scroll tries again */ }
  r.loadingNewer = false;
  if (r.name === state.current) renderMessages();
}

// apply takes a message's current state from catch-up: replaced if
// loaded (unless a live frame brought a newer one meanwhile); added if
// said after last, the newest the room held when the socket went (also
// below live messages that came before the catch-up's answer), unless the
// room shows a window of the past. An older message that was not loaded
// stays out: it would sit alone past a gap.
function apply(r, m, last) {
  const held = r.msgs.get(m.id);
  if (held) { if ((m.rev || 0) >= (held.rev || 0)) r.msgs.set(m.id, m); return; }
  if (m.id > last && !r.detached) insert(r, m);
}

// insert adds m to r in id order; it reports whether m was new.
export function insert(r, m) {
  if (r.msgs.has(m.id)) return false;
  r.msgs.set(m.id, m);
  if (!r.ids.length || m.id > r.ids[r.ids.length - 1]) {
    r.ids.push(m.id);
    if (r.ids.length > KEPT + PAGE) forgetOldest(r);
  } else {
    r.ids.push(m.id);
    r.ids.sort((a, b) => a - b);
  }
  return true;
}

// insertAll adds a page of messages (ascending) to r. A page older than
// all r holds goes in front at once: no sorting, whatever r holds.
function insertAll(r, messages) {
  const fresh = messages.filter((m) => !r.msgs.has(m.id));
  if (!fresh.length) return;
  if (r.ids.length && fresh[fresh.length - 1].id < r.ids[0]) {
    for (const m of fresh) r.msgs.set(m.id, m);
    r.ids = fresh.map((m) => m.id).concat(r.ids);
  } else {
    for (const m of fresh) insert(r, m);
  }
}

// forgetOldest lets r's oldest messages go, down to KEPT, but none drawn on
// screen; the room then has older pages to fetch again.
function forgetOldest(r) {
  let cut = r.ids.length - KEPT;
  if (r.name === state.current) cut = Math.min(cut, lowerIndex(r.ids, r.winFrom));
  if (cut <= 0) return;
  for (const id of r.ids.slice(0, cut)) r.msgs.delete(id);
  r.ids = r.ids.slice(cut);
  r.hasMore = true;
}

// onMessagesScroll draws more of what is loaded near either end of the
// window on screen, and past it pages back near the top, or forward near
// the bottom of a detached window. What comes into view is marked read as
// it is seen (render.js's observer says what is in view once the scroll
// settles).
export function onMessagesScroll() {
  const box = $("messages");
  const r = state.rooms.get(state.current);
  if (!r) return;
  if (box.scrollTop < 200 && !showOlder()) loadOlder(r);
  if (box.scrollHeight - box.scrollTop - box.clientHeight < 200 && !showNewer() && r.detached) loadNewer(r);
  updateJump();
  markRead();
}

// jumpToLatest goes back to the newest messages (reloading them if the
// room shows a window of the past).
export function jumpToLatest() {
  const box = $("messages");
  const r = state.rooms.get(state.current);
  if (r && r.detached) { resetRoom(r); loadLatest(r); }
  else if (r && r.winTo) renderMessages(true); // the newest are loaded, not drawn
  box.scrollTop = box.scrollHeight;
  $("jump-latest").hidden = true;
}

// --- search and jumping to a message ---

export async function runSearch(ev) {
  ev.preventDefault();
  const q = $("search-input").value.trim();
  const st = $("search-state");
  if (!q) return;
  st.textContent = "Searching…";
  let results, terms;
  try {
    ({ results, terms } = await api("GET", "/api/search?q=" + encodeURIComponent(q)));
  } catch (e) {
    st.textContent = e.message;
    return;
  }
  st.textContent = results.length ? "" : "Nothing found.";
  $("search-results").replaceChildren(...results.map((m) => {
    const r = state.rooms.get(m.room);
    const li = el("li", { class: "result", tabIndex: 0 },
      el("div", { class: "item-main" },
        el("div", { class: "item-title" }, nameEl(m.user), " in ", r && r.dm ? el("bdi", null, roomLabel(r)) : "#" + m.room),
        el("div", { class: "result-text" }, markedText(snippet(m.body, terms, 160), terms)),
        el("div", { class: "item-sub" }, fullFmt.format(new Date(m.ts)))));
    li.onclick = li.onkeydown = (e) => {
      if (e.type === "keydown" && e.key !== "Enter") return;
      $("dialog-search").close();
      jumpTo(m.room, m.id, terms);
    };
    return li;
  }));
}

// jumpTo shows a message in its context: the room then holds a window of
// its past ("detached") until the reader goes back to the newest. Search
// results and reply quotes (replies.js) jump with it.
export async function jumpTo(name, id, terms) {
  const r = room(name);
  if (r.msgs.has(id)) {
    r.target = id;
    r.targetTerms = terms; // marked in it (highlight.js)
    selectRoom(name); // draws it, highlighted; another redraw would drop that
    return;
  }
  resetRoom(r);
  r.loading = true;
  r.detached = true; // live messages meanwhile are not of this window
  selectRoom(name);
  const gen = r.gen, conn = state.conn;
  try {
    const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(name)}/messages?before=${id + 25}&limit=${PAGE}`);
    if (gen !== r.gen) return;
    for (const m of messages) insert(r, m);
    settleLoad(r, conn, rev, newestHeld(r));
    r.rev = Math.max(r.rev, rev);
    r.hasMore = messages.length === PAGE;
    r.loaded = true;
    r.detached = true;
    r.target = id;
    r.targetTerms = terms;
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    if (gen === r.gen) r.loading = false;
  }
  if (gen === r.gen && state.current === name) renderMessages();
}
