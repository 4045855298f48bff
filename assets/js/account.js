// account.js owns what a person does with their own account: the menu
// under their name in the sidebar, the list of devices logged in as them
// (and logging one out), and logging out here.
import { $, el, item, openDialog, ago, describeAgent } from "./dom.js";
import { api } from "./api.js";
import { state, forgetDrafts } from "./state.js";
import { sessionEnded } from "./auth.js";

// onMenuToggle places the sidebar's menu above the button that opened it
// (the menu lives in the top layer, outside the sidebar's box) and, as it
// opens, focuses its first item.
export function onMenuToggle(e) {
  if (e.newState !== "open") return;
  const menu = e.target;
  const at = $("open-menu").getBoundingClientRect();
  menu.style.left = `${Math.max(8, at.left)}px`;
  menu.style.bottom = `${window.innerHeight - at.top + 6}px`;
  menu.style.minWidth = `${Math.min(at.width, window.innerWidth - 16)}px`;
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
