// account.js owns what a person does with their own account: the menu
// under their name in the sidebar, the Account dialog (their display name
// and profile picture: chosen, previewed, sent, removed), telling the
// server their time zone, the list of devices logged in as them (and
// logging one out), and logging out here.
import { $, el, item, openDialog, ago, describeAgent, fileSize } from "./dom.js";
import { api } from "./api.js";
import { state, forgetDrafts } from "./state.js";
import { sessionEnded } from "./auth.js";
import { renderPeople } from "./render.js";
import { applyProfile, avatarEl } from "./people.js";

// MAX_PICTURE is the largest picture the server takes (maxAvatarUpload).
const MAX_PICTURE = 10 << 20;

// --- the Account dialog ---

let chosen = null; // the picture picked and previewed, not yet sent (a File)

// openAccount opens the Account dialog on the person's profile as it is.
export function openAccount() {
  const me = state.me;
  chosen = null;
  $("account-login").textContent = "@" + me.username;
  $("account-name").value = me.display_name || "";
  $("account-error").textContent = "";
  $("account-saved").textContent = "";
  pictureSays("");
  drawPicture();
  openDialog("dialog-account");
  $("account-name").focus();
}

// drawPicture shows the picture kept now, or the one chosen to replace it,
// with the buttons that fit: choose, or use and cancel, and remove.
function drawPicture(preview) {
  const me = state.me.username;
  $("account-preview").replaceChildren(preview
    ? el("img", { class: "avatar large photo", src: preview, alt: "The picture chosen", width: 96, height: 96 })
    : avatarEl(me, "large", { alt: state.me.avatar ? "Your picture" : null }));
  $("account-choose").hidden = !!preview;
  $("account-use").hidden = $("account-cancel").hidden = !preview;
  $("account-remove").hidden = !!preview || !state.me.avatar;
}

function pictureSays(text, bad) {
  const line = $("account-picture-said");
  line.classList.toggle("form-error", !!bad);
  line.textContent = text;
}

// onPictureChosen previews the file picked, cut to the square the server
// will keep (the CSS crops it as the server does: its centre), before it
// is sent.
export function onPictureChosen() {
  const file = $("account-file").files[0];
  $("account-file").value = "";
  if (!file) return;
  if (file.type && !file.type.startsWith("image/")) return pictureSays(`${file.name} is not a picture: choose a photo or an image.`, true);
  if (file.size > MAX_PICTURE) return pictureSays(`This picture is ${fileSize(file.size)}: a profile picture can be at most ${fileSize(MAX_PICTURE)}.`, true);
  const reader = new FileReader();
  // A data: URL, which the page's Content-Security-Policy allows for images.
  reader.onload = () => {
    chosen = file;
    drawPicture(reader.result);
    pictureSays("This is how it will look. Use it?");
    $("account-use").focus();
  };
  reader.onerror = () => pictureSays("This file could not be read.", true);
  reader.readAsDataURL(file);
}

// usePicture sends the chosen picture; the server makes the square and
// keeps no metadata of the photo (where it was taken).
export async function usePicture() {
  if (!chosen) return;
  const b = $("account-use");
  b.disabled = true;
  pictureSays("Sending…");
  try {
    profileSaved(await sendPicture("/api/me/avatar", chosen));
  } catch (e) {
    if (e.status === 401) return sessionEnded();
    pictureSays(`Not changed: ${e.message}`, true);
    return;
  } finally {
    b.disabled = false;
  }
  chosen = null;
  drawPicture();
  pictureSays("Saved: everyone sees your new picture.");
  $("account-choose").focus();
}

// sendPicture sends file as the profile picture at path (ours, or an
// admin's for someone) and returns the profile the server answers with;
// it throws the server's reason. The body is the file itself, as uploads.
export async function sendPicture(path, file) {
  if (file.size > MAX_PICTURE) throw new Error(`this picture is ${fileSize(file.size)}: a profile picture can be at most ${fileSize(MAX_PICTURE)}`);
  const res = await fetch(path, {
    method: "PUT", body: file, credentials: "same-origin",
    headers: { "Content-Type": file.type || "application/octet-stream" },
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error((data && data.error) || res.statusText), { status: res.status });
  return data;
}

// cancelPicture forgets the picture chosen.
export function cancelPicture() {
  chosen = null;
  drawPicture();
  pictureSays("");
  $("account-choose").focus();
}

export async function removePicture() {
  try {
    profileSaved(await api("DELETE", "/api/me/avatar"));
  } catch (e) {
    if (e.status === 401) return sessionEnded();
    pictureSays(`Not removed: ${e.message}`, true);
    return;
  }
  drawPicture();
  pictureSays("Removed: your initial shows instead.");
  $("account-choose").focus();
}

// saveName sends the display name; the server says what it keeps (trimmed,
// invisible characters taken out) or why not.
export async function saveName(ev) {
  ev.preventDefault();
  const err = $("account-error"), said = $("account-saved");
  err.textContent = said.textContent = "";
  let p;
  try {
    p = await api("PUT", "/api/me/profile", { display_name: $("account-name").value });
  } catch (e) {
    if (e.status === 401) return sessionEnded();
    err.textContent = e.message;
    return;
  }
  profileSaved(p);
  $("account-name").value = p.display_name;
  said.textContent = p.display_name ? "Saved." : `Saved: people see your login name, ${p.name}.`;
}

// profileSaved shows the profile the server answered with at once (its
// profile frame will say the same, where the socket is up).
function profileSaved(p) {
  applyProfile(p);
  renderPeople();
}

// syncZone tells the server this device's time zone when it is not the
// one it has, so that profile cards show the person's local time.
export async function syncZone() {
  let zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { /* none */ }
  if (!zone || zone === state.me.zone) return;
  try {
    applyProfile(await api("PUT", "/api/me/profile", { zone }));
  } catch { /* a zone the server does not know: the card shows no time */ }
}

// --- the menu and devices ---

// onMenuToggle places the sidebar's menu above the button that opened it
// (the menu lives in the top layer, outside the sidebar's box) before it
// is drawn, so it never shows first somewhere else and jumps (nor moves
// from under a pointer on its way to an item); once open, it focuses the
// first item.
export function onMenuToggle(e) {
  if (e.newState !== "open") return;
  const menu = e.target;
  if (e.type === "beforetoggle") {
    const at = $("open-menu").getBoundingClientRect();
    menu.style.left = `${Math.max(8, at.left)}px`;
    menu.style.bottom = `${window.innerHeight - at.top + 6}px`;
    menu.style.minWidth = `${Math.min(at.width, window.innerWidth - 16)}px`;
    return;
  }
  menu.querySelector("button:not([hidden])")?.focus();
}

// onMenuKey moves through the menu's items with the arrow keys, Home and
// End; Escape (the popover's own) closes it.
export function onMenuKey(e) {
  const items = [...e.currentTarget.querySelectorAll("button:not([hidden])")];
  const i = items.indexOf(document.activeElement);
  const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  items[(to + items.length) % items.length].focus();
}

export async function openSessions() {
  openDialog("dialog-sessions");
  const err = $("sessions-error");
  err.textContent = "";
  let sessions;
  try {
    ({ sessions } = await api("GET", "/api/sessions"));
  } catch (e) {
    if (e.status === 401) return sessionEnded();
    err.textContent = e.message;
    return;
  }
  sessions.sort((a, b) => Number(b.current) - Number(a.current)); // this device first
  $("session-list").replaceChildren(...sessions.map((s) => {
    // "Log out" alone is the sidebar's, for this device; here each button
    // says which device it ends.
    const b = el("button", { type: "button", class: "button danger", "aria-label": s.current ? null : `Log out ${describeAgent(s.user_agent)}, ${s.remote_addr}` },
      s.current ? "Log out this device" : "Log out");
    const li = item([describeAgent(s.user_agent), s.current && el("span", { class: "tag" }, "THIS DEVICE")],
      `${s.remote_addr} · active ${ago(s.last_seen)} · since ${new Date(s.created).toLocaleDateString()}`, b);
    b.onclick = async () => {
      b.disabled = true;
      try {
        await api("DELETE", "/api/sessions/" + encodeURIComponent(s.id));
      } catch (e) {
        err.textContent = e.message;
        b.disabled = false;
        return;
      }
      if (s.current) { $("dialog-sessions").close(); return sessionEnded("You logged out this device."); }
      li.remove();
    };
    return li;
  }));
}

// logout ends the session here and forgets this device's drafts: a shared
// computer must not keep them for the next person.
export async function logout() {
  state.loggingOut = true;
  forgetDrafts();
  try { await api("POST", "/api/logout"); } catch { /* the cookie is cleared either way below */ }
  sessionEnded();
}
