// people.js owns how people appear on screen: their display names and
// pictures as the server says (GET /api/users, the profile frame), kept
// in state.people. A name is only ever text, in a <bdi> so that a
// right-to-left name cannot turn the line around it, with the login
// name (@mum, what mentions use) in its title; a picture is an <img> of
// known size from /api/users/NAME/avatar?v=VERSION (its URL changes with
// it, so the browser may keep it), or the initial as before. It draws no
// view of its own: render.js and the dialogs place what it makes.
import { el, paintAvatar } from "./dom.js";
import { api } from "./api.js";
import { state } from "./state.js";

// Sizes of the pictures, in CSS pixels, as the CSS draws .avatar: set on
// the <img> so the page does not move when they load.
const SIZES = { "": 36, small: 26, large: 96 };

// setPeople takes GET /api/users: everyone, with their profiles.
export function setPeople(users) {
  state.people = new Map(users.map((u) => [u.name, u]));
  state.users = users.map((u) => u.name);
}

// loadPeople fetches everyone anew (after a reconnect: profiles may have
// changed meanwhile).
export async function loadPeople() {
  setPeople((await api("GET", "/api/users")).users);
}

// applyProfile takes a profile frame (or a profile answer: {name, …}).
export function applyProfile(f) {
  const name = f.user || f.name;
  const p = { ...(state.people.get(name) || { name }), display_name: f.display_name || "", avatar: f.avatar || 0, zone: f.zone || "" };
  state.people.set(name, p);
  if (!state.users.includes(name)) state.users = [...state.users, name].sort();
  if (state.me && name === state.me.username) Object.assign(state.me, { display_name: p.display_name, avatar: p.avatar, zone: p.zone });
}

// person is what is known of login: at least its name.
export function person(login) {
  return state.people.get(login) || (state.me && login === state.me.username ? { name: login, ...state.me } : { name: login });
}

// displayName is how login is called on screen: the display name, or
// the login name where there is none (and for bots).
export function displayName(login) {
  return person(login).display_name || login;
}

// isolated is login's display name for plain text (a line of text, a
// question): inside first-strong isolates, the <bdi> of plain text. A
// login name is ASCII and needs none.
export function isolated(login) {
  const shown = person(login).display_name;
  return shown ? "\u2068" + shown + "\u2069" : login;
}

// personSig is what drawing login depends on, for keyed()'s signatures.
export function personSig(login) {
  const p = person(login);
  return `${p.display_name || ""}\u0001${p.avatar || 0}`;
}

// nameEl is login's display name as an isolated run of text, the login
// name in its title. attrs are added (class, data-user…).
export function nameEl(login, attrs) {
  return el("bdi", { title: "@" + login, ...attrs }, displayName(login));
}

// avatarURL is login's picture at version v.
export function avatarURL(login, v) {
  return `/api/users/${encodeURIComponent(login)}/avatar?v=${v}`;
}

// avatarEl is login's picture, or their initial on their colour where
// they have none. size is "" (the message list), "small" or "large";
// attrs are added. It is decorative (alt="" or aria-hidden): the name
// beside it says who.
export function avatarEl(login, size = "", attrs = {}) {
  const p = person(login);
  const cls = "avatar" + (size ? " " + size : "");
  if (p.avatar) {
    const px = SIZES[size] ?? SIZES[""];
    return el("img", {
      class: cls + " photo", src: avatarURL(login, p.avatar), alt: "", width: px, height: px,
      loading: "lazy", decoding: "async", draggable: false, ...attrs,
    });
  }
  return paintAvatar(el("span", { class: cls, "aria-hidden": "true", ...attrs }), login, displayName(login));
}

// matchesPerson says whether login is found by what was typed after an
// @: the start of the login name, or of any word of the display name,
// ignoring case and accents.
export function matchesPerson(login, typed) {
  if (login.startsWith(typed)) return true;
  const q = fold(typed);
  if (!q) return true;
  const shown = fold(person(login).display_name || "");
  return shown.startsWith(q) || shown.split(/\s+/).some((w) => w.startsWith(q));
}

function fold(s) {
  return s.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();
}
