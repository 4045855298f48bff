// rooms.js owns making and joining conversations: the room and DM lists'
// clicks, the new-room dialog (with the server's name rule), a private
// room's members, and starting a direct conversation (openDM: from the
// new-DM dialog and from a profile card's Message button).
import { $, el, openDialog } from "./dom.js";
import { api } from "./api.js";
import { state, room } from "./state.js";
import { config } from "./config.js";
import { renderRooms } from "./render.js";
import { selectRoom } from "./history.js";
import { avatarEl, nameEl, displayName } from "./people.js";

// onRoomListClick opens the room whose button (data-room) was clicked.
export function onRoomListClick(e) {
  const b = e.target.closest("button[data-room]");
  if (b) selectRoom(b.dataset.room);
}

// peopleChecks fills list with a checkbox per user (but us), checked for
// those in chosen, and returns a function reading the checked names.
function peopleChecks(list, chosen, disabled) {
  list.replaceChildren(...state.users.filter((u) => u !== state.me.username).map((u) => el("label", { class: "check" },
    el("input", { type: "checkbox", value: u, checked: chosen.includes(u), disabled: !!disabled }), " ", nameEl(u),
    displayName(u) !== u && el("span", { class: "muted" }, "@" + u))));
  return () => [...list.querySelectorAll("input:checked")].map((b) => b.value);
}

let readRoomMembers = () => [];

export function openNewRoom() {
  $("room-error").textContent = "";
  $("room-private").checked = false;
  $("room-members").hidden = true;
  readRoomMembers = peopleChecks($("room-member-list"), []);
  openDialog("dialog-room");
  $("room-name").focus();
}

export async function createRoom(ev) {
  ev.preventDefault();
  const name = $("room-name").value.trim().toLowerCase();
  const err = $("room-error");
  err.textContent = "";
  if (!config.roomNameRE.test(name)) { err.textContent = "Use 1-32 lowercase letters, digits or “-”."; return; }
  const priv = $("room-private").checked;
  let r;
  try {
    r = await api("POST", "/api/rooms", { name, private: priv, members: priv ? readRoomMembers() : [] });
  } catch (e) {
    err.textContent = e.message;
    return;
  }
  room(name, r);
  $("dialog-room").close();
  $("room-name").value = "";
  selectRoom(name);
}

export async function openMembers() {
  const r = state.rooms.get(state.current);
  if (!r || !r.private) return;
  $("members-title").textContent = `Members of #${r.name}`;
  $("members-lead").textContent = r.canManage ? "Only members see this room. Changes take effect at once."
    : "Only members see this room. Its creator or an admin can change who is in it.";
  $("members-error").textContent = "";
  $("members-save").hidden = !r.canManage;
  const read = peopleChecks($("members-list"), r.members, !r.canManage);
  $("members-form").onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      const updated = await api("PUT", `/api/rooms/${encodeURIComponent(r.name)}/members`, { members: [state.me.username, ...read()] });
      room(r.name, updated);
      $("dialog-members").close();
    } catch (e) {
      $("members-error").textContent = e.message;
    }
  };
  openDialog("dialog-members");
}

// openDM opens the direct conversation with user, making it if it is
// new, and shows it. It throws what the server says when it cannot.
export async function openDM(user) {
  const r = await api("POST", "/api/dms", { user });
  room(r.name, r);
  renderRooms();
  selectRoom(r.name);
}

export function openNewDM() {
  $("dm-error").textContent = "";
  $("dm-people").replaceChildren(...state.users.filter((u) => u !== state.me.username).map((u) => el("li", null,
    el("button", {
      type: "button",
      class: "person",
      onclick: async () => {
        try {
          await openDM(u);
          $("dialog-dm").close();
        } catch (e) {
          $("dm-error").textContent = e.message;
        }
      },
    }, avatarEl(u, "small"), nameEl(u), displayName(u) !== u && el("span", { class: "muted" }, "@" + u)))));
  openDialog("dialog-dm");
}
