// state.js owns the client's state: the one `state` object (who we are,
// the rooms and what each holds, the socket, pending sends), the per-room
// record, and the notification level of a room (from the person's settings,
// which live on the server: push.js loads them). It draws nothing and asks
// the server nothing; every module that reads or changes state imports it
// from here.

export const state = {
  me: null,              // {username, admin}
  rooms: new Map(),      // name → room state (see newRoom)
  current: null,         // name of the room on screen
  online: [],            // user names online
  ws: null,
  connected: false,      // hello received on the current socket
  loggingOut: false,
  retry: 0,
  retryTimer: null,
  retryAt: 0,
  closeReason: "",       // why the server closed us by policy, if it did
  offlineSince: 0,       // when the socket we had dropped; 0 while connected
  statusTimer: null,     // redraws the offline line (its countdown, its wording)
  conn: 0,               // counts hellos: which socket a change was sent on
  maxBody: 4096,
  pending: new Map(),    // client_id → {cid, room, body, failed}
  changes: new Map(),    // key → an edit, delete or reaction not yet acknowledged (outbox.js)
  uploads: new Map(),    // id → a file being sent, or that failed to be (uploads.js)
  hiddenUnread: 0,       // messages in the current room while the tab was hidden
  users: [],             // every account's name, for pickers and @mentions
  people: new Map(),     // name → {name, display_name, avatar, zone}: how people appear (people.js)
  typingSent: 0,         // when we last told the room we are typing
  editing: null,         // {room, id, draft, caret}: the message being edited
  replying: null,        // {room, id, user, body}: the message the composer answers (replies.js)
  expanded: new Set(),   // "room id" of long messages unfolded on this page
  readTimer: null,
  // The person's notification settings as GET /api/notifications says
  // (room levels, hidden text, quiet hours); null until loaded (push.js).
  notify: null,
  // This device's Web Push (push.js): whether the server holds a
  // subscription of this device, and what it said of the push services.
  push: { subscribed: false, reachable: null, publicKey: "", devices: [] },
};

function newRoom(name) {
  return {
    name,
    private: false, dm: false, members: [], canManage: false,
    msgs: new Map(),  // id → message
    ids: [],          // ascending
    events: [],       // {afterId, text}
    loaded: false,    // holds a contiguous run of history ending at the newest message
    loading: false,
    loadingOlder: false,
    hasMore: true,    // older pages may exist
    detached: false,  // showing a window of the past (a search result), not the newest
    rev: 0,           // every change up to this rev is reflected here
    unread: 0,
    mentions: 0,
    read: 0,          // the id read up to, on any of our devices
    created: "",      // when the server made it
    counted: 0,       // the newest id in the unread count (the server's, or a live message's): only later ones add to it
    heard: null,      // while recount asks the server: {id, mention} of each unread message heard meanwhile
    typing: new Map(), // user → until when they show as typing
    // This visit to the room (reset on entering it, render.js and history.js):
    seen: 0,          // the newest id that has been in view
    divider: 0,       // the first unread message on entering: "New" is drawn above it
    landing: false,   // the next draw scrolls to the divider
    winFrom: 0,       // the oldest id drawn (0: a screenful before winTo)
    winTo: 0,         // the newest id drawn; 0 while the newest loaded is drawn (and new ones join)
  };
}

// lowerIndex is where id is, or would go, in the ascending ids.
export function lowerIndex(ids, id) {
  let lo = 0, hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] < id) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// newestHeld is the id of the newest message r holds, 0 for none.
export function newestHeld(r) { return r.ids.length ? r.ids[r.ids.length - 1] : 0; }

// unreadBy says whether m counts as unread for us, as the server counts:
// someone else's message (a bot's too) that is not deleted.
export function unreadBy(m) {
  return !m.deleted && (m.user !== state.me.username || !!m.bot);
}

// readUpTo moves r's read marker forward to id and takes what it passes off
// the unread counts. Where everything after id is loaded the counts are
// exact (what is left after id); otherwise the loaded messages between the
// old marker and id come off.
export function readUpTo(r, id) {
  if (id <= r.read) return;
  const me = state.me.username;
  const tally = (from, to) => {
    let unread = 0, mentions = 0;
    for (let i = lowerIndex(r.ids, from); i < r.ids.length && r.ids[i] <= to; i++) {
      const m = r.msgs.get(r.ids[i]);
      if (!unreadBy(m)) continue;
      unread++;
      if ((m.mentions || []).includes(me)) mentions++;
    }
    return [unread, mentions];
  };
  if (r.loaded && !r.detached && r.ids.length && r.ids[0] <= id) {
    [r.unread, r.mentions] = tally(id + 1, Infinity);
  } else {
    const [u, n] = tally(r.read + 1, id);
    r.unread = Math.max(0, r.unread - u);
    r.mentions = Math.max(0, r.mentions - n);
  }
  r.read = id;
}

// room returns the state of a room, creating it, and updates what the
// server says of it (a GET /api/rooms entry or a "room" frame).
export function room(name, info) {
  let r = state.rooms.get(name);
  if (!r) { r = newRoom(name); state.rooms.set(name, r); }
  if (info) {
    r.private = !!info.private;
    r.dm = !!info.dm;
    r.members = info.members || [];
    r.archived = !!info.archived;
    if (info.created) r.created = info.created; // tells a room made anew under the same name
    if ("can_manage" in info) r.canManage = !!info.can_manage;
    if ("unread" in info) { r.unread = info.unread; r.mentions = info.mentions; r.read = info.read; r.counted = info.newest || 0; }
  }
  return r;
}

// roomLabel is how a room is named on screen: a DM by the other person,
// by their display name where they have one.
export function roomLabel(r) {
  if (!r.dm) return r.name;
  const other = r.members.find((m) => m !== state.me.username);
  if (!other) return r.name;
  const p = state.people.get(other);
  return (p && p.display_name) || other;
}

// notifyLevel is the person's choice for a room, kept on the server so it
// follows them to every device: what they chose, or the default (DMs
// every message, rooms mentions).
export function notifyLevel(r) {
  const n = state.notify;
  const chosen = n && n.rooms && n.rooms[r.name];
  if (chosen) return chosen;
  const d = (n && n.defaults) || {};
  return (r.dm ? d.dm : d.room) || (r.dm ? "all" : "mentions");
}

// setNotifyLevel changes the level of a room here, before the server
// confirms it (push.js saves it).
export function setNotifyLevel(name, level) {
  if (!state.notify) state.notify = { rooms: {} };
  state.notify.rooms = { ...state.notify.rooms, [name]: level };
}

// A draft is what was typed in a room's composer and not sent yet. It
// belongs to that room alone (text meant for a private room must never
// follow the reader into one the whole family reads) and stays on this
// device across reloads, under the user's name: room names have no dots,
// so the key's last dot parts user from room.
function draftKey(name) { return `hearth.draft.${state.me.username}.${name}`; }

export function loadDraft(name) {
  try { return localStorage.getItem(draftKey(name)) || ""; } catch { return ""; }
}

// saveDraft keeps text as the room's draft; empty text removes it.
export function saveDraft(name, text) {
  try {
    if (text) localStorage.setItem(draftKey(name), text);
    else localStorage.removeItem(draftKey(name));
  } catch { /* private mode, or full: the draft lives as long as the page */ }
}

// moveDraft keeps a renamed room's draft.
export function moveDraft(from, to) {
  const text = loadDraft(from);
  if (text) { saveDraft(to, text); saveDraft(from, ""); }
}

// forgetDrafts removes every draft of the user on this device, for a
// logout on a computer the family shares.
export function forgetDrafts() {
  try {
    const prefix = `hearth.draft.${state.me.username}.`;
    for (const k of Object.keys(localStorage)) {
      if (k.startsWith(prefix) && !k.slice(prefix.length).includes(".")) localStorage.removeItem(k);
    }
  } catch { /* nothing kept */ }
}

// moveNotifyLevel keeps a renamed room's choice on screen; the server
// moves it too, and its next settings say so.
export function moveNotifyLevel(from, to) {
  const rooms = state.notify && state.notify.rooms;
  if (!rooms || !(from in rooms)) return;
  rooms[to] = rooms[from];
  delete rooms[from];
}
