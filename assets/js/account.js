// account.js owns what a person does with their own account: the list of
// devices logged in as them (and logging one out), and logging out here.
import { $, el, item, openDialog, ago, describeAgent } from "./dom.js";
import { api } from "./api.js";
import { state, forgetDrafts } from "./state.js";
import { sessionEnded } from "./auth.js";

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
    const b = el("button", { class: "button danger" }, s.current ? "Log out" : "Log out device");
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
