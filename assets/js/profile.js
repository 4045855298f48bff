// profile.js owns the profile card: a click on a person's name or picture
// (anything drawn with data-user; Enter on a name, which is a button) opens
// a small card with their picture, display name, login name and local
// time, and a Message button that opens the direct conversation with
// them (yours offers to edit your profile instead). It is a modal dialog:
// Escape or a click outside closes it, and the focus goes back to the
// name it was opened from.
import { $, el, openDialog } from "./dom.js";
import { state } from "./state.js";
import { avatarEl, displayName, person } from "./people.js";
import { openDM } from "./rooms.js";
import { openAccount } from "./account.js";

const GAP = 6;     // px between the name and the card
const MARGIN = 8;  // px the card keeps from the window's edges

let shown = "";    // the login name on the card

// onPersonClick opens the card of the person whose name or picture was
// clicked (delegated from the document).
export function onPersonClick(e) {
  const t = e.target.closest("[data-user]");
  if (!t || t.closest("#dialog-profile")) return;
  e.preventDefault();
  openProfile(t.dataset.user, t);
}

// openProfile shows login's card beside anchor (centred where there is no
// anchor or no room).
export function openProfile(login, anchor) {
  const d = $("dialog-profile");
  shown = login;
  const p = person(login);
  const shownName = displayName(login);
  $("profile-picture").replaceChildren(avatarEl(login, "large"));
  $("profile-name").replaceChildren(el("bdi", null, shownName));
  $("profile-login").textContent = "@" + login;
  $("profile-time").replaceChildren(...localTime(p.zone));
  $("profile-error").textContent = "";
  const mine = login === state.me.username;
  $("profile-message").hidden = mine;
  $("profile-message").setAttribute("aria-label", `Message ${shownName}`);
  $("profile-edit").hidden = !mine;
  d.style.left = d.style.top = "";
  d.classList.remove("placed");
  if (d.open) d.close();
  openDialog("dialog-profile");
  place(d, anchor);
  (mine ? $("profile-edit") : $("profile-message")).focus();
}

// localTime says what time it is where someone is, from their time zone:
// "Local time: Tue 14:05", with the zone beneath; nothing when unknown.
function localTime(zone) {
  if (!zone) return [];
  let text;
  try {
    text = new Intl.DateTimeFormat(undefined, { timeZone: zone, weekday: "short", hour: "numeric", minute: "2-digit" }).format(new Date());
  } catch {
    return []; // a zone this browser does not know
  }
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return [el("span", null, "Local time: ", el("strong", null, text)), " ",
    el("span", { class: "profile-zone muted" }, zone === here ? "(your time zone too)" : `(${zone.replaceAll("_", " ")})`)];
}

// place puts the card below anchor (above it where there is no room
// below), within the window; on a narrow screen it stays centred.
function place(d, anchor) {
  if (!anchor || !anchor.isConnected || innerWidth < 480) return;
  const a = anchor.getBoundingClientRect();
  const w = d.offsetWidth, h = d.offsetHeight;
  let top = a.bottom + GAP;
  if (top + h > innerHeight - MARGIN) top = Math.max(MARGIN, a.top - GAP - h);
  const left = Math.min(Math.max(MARGIN, a.left), innerWidth - w - MARGIN);
  d.classList.add("placed");
  d.style.left = `${left}px`;
  d.style.top = `${top}px`;
}

// onMessagesFocus puts the writer's name of the message that has the
// focus (or holds it) in the Tab order, and takes every other message's
// out: the list stays one stop for Tab, walked with the arrow keys, and
// from a message Tab goes to its name, then its actions.
export function onMessagesFocus(e) {
  const list = e.currentTarget;
  if (e.type === "focusout" && list.contains(e.relatedTarget)) return; // its focusin follows
  const li = e.type === "focusin" ? e.target.closest(".msg") : null;
  const keep = li && li.querySelector(".msg-user[data-user]");
  for (const b of list.querySelectorAll('.msg-user[tabindex="0"]')) if (b !== keep) b.tabIndex = -1;
  if (keep) keep.tabIndex = 0;
}

// onProfileDialogClick closes the card on a click outside it (on the
// backdrop, which belongs to the dialog).
export function onProfileDialogClick(e) {
  const d = $("dialog-profile");
  if (e.target !== d) return;
  const r = d.getBoundingClientRect();
  if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) d.close();
}

// messageShown opens the conversation with the person on the card and
// puts the focus in its composer.
export async function messageShown() {
  const b = $("profile-message");
  b.disabled = true;
  try {
    await openDM(shown);
  } catch (e) {
    $("profile-error").textContent = `The conversation could not be opened: ${e.message}`;
    return;
  } finally {
    b.disabled = false;
  }
  $("dialog-profile").close();
  $("composer-input").focus();
}

// editMine goes from your own card to the Account dialog.
export function editMine() {
  $("dialog-profile").close();
  openAccount();
}
