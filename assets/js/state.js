// state.js owns the client's state: the one `state` object (who we are,
// the rooms and what each holds, the socket, pending sends), the per-room
// record, and this device's per-room notification choice. It draws nothing
// and asks the server nothing; every module that reads or changes state
// imports it from here.

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
  maxBody: 4096,
  pending: new Map(),    // client_id → {cid, room, body, failed}
  hiddenUnread: 0,       // messages in the current room while the tab was hidden
  users: [],             // every account's name, for pickers and @mentions
  typingSent: 0,         // when we last told the room we are typing
  editing: null,         // {room, id, draft, caret}: the message being edited
  readTimer: null,
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
    typing: new Map(), // user → until when they show as typing
  };
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
    if ("can_manage" in info) r.canManage = !!info.can_manage;
    if ("unread" in info) { r.unread = info.unread; r.mentions = info.mentions; r.read = info.read; }
  }
  return r;
}

// roomLabel is how a room is named on screen: a DM by the other person.
export function roomLabel(r) {
  if (!r.dm) return r.name;
  return r.members.find((m) => m !== state.me.username) || r.name;
}

// notifyLevel is this device's choice for a room: DMs notify for every
// message by default, rooms for mentions.
export function notifyLevel(r) {
  return localStorage.getItem("hearth.notify." + r.name) || (r.dm ? "all" : "mentions");
}

export function setNotifyLevel(name, level) {
  localStorage.setItem("hearth.notify." + name, level);
}

// moveNotifyLevel keeps a renamed room's choice.
export function moveNotifyLevel(from, to) {
  try {
    const level = localStorage.getItem("hearth.notify." + from);
    if (level) { localStorage.setItem("hearth.notify." + to, level); localStorage.removeItem("hearth.notify." + from); }
  } catch { /* private mode */ }
}
