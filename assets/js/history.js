// history.js owns which room is on screen and what each room holds from
// the history API: selecting a room, the catch-up after every (re)connect,
// paging back as the reader scrolls up, and search with jumping to a
// message in its context (a "detached" window of the past) and back.
import { $, el, fullFmt } from "./dom.js";
import { markedText, snippet } from "./highlight.js";
import { api } from "./api.js";
import { state, room, roomLabel } from "./state.js";
import {
  renderHeader, renderRooms, renderMessages, renderTyping, renderHistoryState,
  updateTitle, closeSidebar, setStatus, isAtBottom,
} from "./render.js";
import { markRead } from "./notify.js";
import { sessionEnded } from "./auth.js";
import { showDraft } from "./composer.js";

const PAGE = 50;        // history page when scrolling up
const CATCHUP_PAGE = 200;

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
  renderHeader();
  renderRooms();
  updateTitle();
  renderMessages(true);
  renderTyping();
  if (!r.loaded && state.connected) loadLatest(r);
  else markRead();
  closeSidebar();
  if (matchMedia("(pointer: fine)").matches) $("composer-input").focus();
}

// catchUp fetches, for every room already on screen, what was said while
// the socket was down, and loads the current room if it is new to us. Each
// room's starting point is taken before any request is made: live messages
// arriving meanwhile must not move it past the gap.
export async function catchUp() {
  const from = new Map();
  for (const r of state.rooms.values()) {
    if (r.loaded) from.set(r, r.rev);
  }
  for (const [r, start] of from) {
    let since = start;
    try {
      for (;;) {
        // Everything that changed since: new messages, and edits, deletes
        // and reactions to old ones.
        const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?since=${since}&limit=${CATCHUP_PAGE}`);
        for (const m of messages) apply(r, m);
        since = rev;
        r.rev = Math.max(r.rev, rev);
        if (messages.length < CATCHUP_PAGE) break;
      }
    } catch {
      // A gap we could not fill: forget the room's messages, so it is
      // loaded afresh (the newest page) rather than shown with a hole.
      resetRoom(r);
      if (r.name === state.current && state.connected) loadLatest(r);
    }
    if (r.name === state.current) renderMessages();
  }
  const cur = state.rooms.get(state.current);
  if (cur && !cur.loaded) loadLatest(cur);
}

function resetRoom(r) {
  r.msgs.clear();
  r.ids = [];
  r.events = [];
  r.loaded = false;
  r.hasMore = true;
  r.detached = false;
  r.target = 0;
}

async function loadLatest(r) {
  if (r.loading) return;
  r.loading = true;
  renderHistoryState();
  try {
    const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    r.hasMore = messages.length === PAGE;
    r.rev = Math.max(r.rev, rev);
    r.loaded = true;
    r.detached = false;
  } catch (e) {
    if (e.status === 401) return sessionEnded();
  } finally {
    r.loading = false;
  }
  if (r.name === state.current) { renderMessages(true); markRead(); }
}

async function loadOlder(r) {
  if (!r.loaded || r.loadingOlder || !r.hasMore || !r.ids.length) return;
  r.loadingOlder = true;
  renderHistoryState();
  const box = $("messages");
  try {
    const { messages } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?before=${r.ids[0]}&limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    r.hasMore = messages.length === PAGE;
  } catch { /* try again on the next scroll */ }
  r.loadingOlder = false;
  if (r.name !== state.current) return;
  const fromBottom = box.scrollHeight - box.scrollTop;
  renderMessages();
  box.scrollTop = box.scrollHeight - fromBottom; // keep what the reader sees in place
}

// loadNewer continues a detached window towards the newest messages.
async function loadNewer(r) {
  if (!r.detached || r.loadingNewer || !r.ids.length) return;
  r.loadingNewer = true;
  try {
    const { messages } = await api("GET", `/api/rooms/${encodeURIComponent(r.name)}/messages?after=${r.ids[r.ids.length - 1]}&limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    if (messages.length < PAGE) r.detached = false; // caught up: live again
  } catch { /* the next scroll tries again */ }
  r.loadingNewer = false;
  if (r.name === state.current) renderMessages();
}

// apply takes a message's current state (from catch-up or an update):
// replaced if shown, added if new and the room is at its newest.
function apply(r, m) {
  if (r.msgs.has(m.id)) { r.msgs.set(m.id, m); return; }
  const last = r.ids.length ? r.ids[r.ids.length - 1] : 0;
  if (m.id > last && !r.detached) insert(r, m);
}

// insert adds m to r in id order; it reports whether m was new.
export function insert(r, m) {
  if (r.msgs.has(m.id)) return false;
  r.msgs.set(m.id, m);
  if (!r.ids.length || m.id > r.ids[r.ids.length - 1]) {
    r.ids.push(m.id);
  } else {
    r.ids.push(m.id);
    r.ids.sort((a, b) => a - b);
  }
  return true;
}

// onMessagesScroll pages back near the top, forward near the bottom of a
// detached window, and marks the room read at the bottom.
export function onMessagesScroll() {
  const box = $("messages");
  const r = state.rooms.get(state.current);
  if (r && box.scrollTop < 200) loadOlder(r);
  if (r && r.detached && box.scrollHeight - box.scrollTop - box.clientHeight < 200) loadNewer(r);
  if (isAtBottom(box) && !(r && r.detached)) { $("jump-latest").hidden = true; markRead(); }
}

// jumpToLatest goes back to the newest messages (reloading them if the
// room shows a window of the past).
export function jumpToLatest() {
  const box = $("messages");
  const r = state.rooms.get(state.current);
  if (r && r.detached) { resetRoom(r); loadLatest(r); }
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
        el("div", { class: "item-title" }, `${m.user} in ${r && r.dm ? roomLabel(r) : "#" + m.room}`),
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
  selectRoom(name);
  try {
    const { messages, rev } = await api("GET", `/api/rooms/${encodeURIComponent(name)}/messages?before=${id + 25}&limit=${PAGE}`);
    for (const m of messages) insert(r, m);
    r.rev = Math.max(r.rev, rev);
    r.hasMore = messages.length === PAGE;
    r.loaded = true;
    r.detached = true;
    r.target = id;
    r.targetTerms = terms;
  } catch (e) {
    setStatus(e.message, true);
  } finally {
    r.loading = false;
  }
  if (state.current === name) renderMessages();
}
