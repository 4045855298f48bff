// auth.js owns the pages before the chat: log in, first setup (from the
// printed link), joining by invite, a password reset link, and the end of
// a session (back to the login form). It never starts the chat itself:
// submitAuth says whether we are in, and main.js goes on from there.
import { $, el, showView } from "./dom.js";
import { api, refusal } from "./api.js";
import { state } from "./state.js";
import { config } from "./config.js";

let authMode = null; // {kind, token|code}

function configureAuth(kind, title, lead, button) {
  authMode = { kind };
  $("auth-title").textContent = title;
  $("auth-lead").textContent = lead;
  $("auth-submit").textContent = button;
  const creating = kind !== "login";
  $("auth-confirm-label").hidden = !creating;
  $("auth-hint").hidden = !creating;
  // A reset has no username field, so its hint has no username rules.
  $("auth-hint").textContent = (kind === "reset" ? "" : "Usernames use lowercase letters, digits, “.”, “_” and “-”. ")
    + `Passwords need at least ${config.minPassword} characters.`;
  $("auth-username-label").hidden = kind === "reset";
  $("auth-password").autocomplete = creating ? "new-password" : "current-password";
  $("auth-error").textContent = "";
  $("auth-form").hidden = false;
  $("auth-dead").hidden = true;
  showView("view-auth");
  $("auth-username").focus();
}

export function showLogin(message) {
  // However the end was noticed (the socket, a request refused, or the app
  // opened again), an account an admin disabled says so.
  if (refusal.reason === "account disabled") message = "An admin disabled your account. Ask them to enable it again.";
  refusal.reason = "";
  configureAuth("login", "Welcome back", "Log in to your family chat.", "Log in");
  if (message) $("auth-error").textContent = message;
}

function deadLink(text) {
  $("auth-form").hidden = true;
  const p = $("auth-dead");
  p.hidden = false;
  p.replaceChildren(text + " ", el("a", { href: "/" }, "Go to the login page"));
}

export async function showSetup(token) {
  configureAuth("setup", "Set up Hearth", "Create the first account. It will be the admin, who can invite everyone else.", "Create admin account");
  authMode.token = token;
  try {
    const st = await api("GET", "/api/setup?token=" + encodeURIComponent(token));
    if (st.valid) return;
    // Not a form to fill in any more: the page says so from its title on.
    $("auth-title").textContent = st.done ? "Hearth is set up" : "This setup link has expired";
    $("auth-lead").textContent = "";
    deadLink(st.done
      ? "This setup link was used: the admin account exists. Log in with your account, or ask the admin for an invite link."
      : "The server printed a newer setup link when it restarted: use that one.");
  } catch {
    deadLink("The server could not be reached.");
  }
}

export async function showJoin(code) {
  configureAuth("join", "You're invited", "Pick a username and password to join the chat.", "Join");
  authMode.code = code;
  try {
    const inv = await api("GET", "/api/join/" + encodeURIComponent(code));
    $("auth-lead").textContent = `${inv.created_by} invited you. Pick a username and password to join the chat.`;
  } catch (e) {
    deadLink(e.status === 404 ? "This invite link is invalid, expired or used up. Ask for a new one." : "The server could not be reached.");
  }
}

export async function showReset(token) {
  configureAuth("reset", "Choose a new password", "", "Set password and log in");
  authMode.token = token;
  $("auth-password").focus();
  try {
    const { user } = await api("GET", "/api/reset?token=" + encodeURIComponent(token));
    $("auth-lead").textContent = `For ${user}. Every device logged in as ${user} will be logged out.`;
  } catch (e) {
    deadLink(e.status === 404 ? "This reset link is invalid, used or expired. Ask an admin for a new one." : "The server could not be reached.");
  }
}

// submitAuth sends the form as the current page asks (log in, setup, join,
// reset). It resolves true once state.me is set, false if not.
export async function submitAuth(ev) {
  ev.preventDefault();
  const username = $("auth-username").value.trim().toLowerCase();
  const password = $("auth-password").value;
  const err = $("auth-error");
  err.textContent = "";
  if (authMode.kind !== "login") {
    if (authMode.kind !== "reset" && !config.usernameRE.test(username)) { err.textContent = "Usernames are 1-32 lowercase letters, digits, “.”, “_” or “-”."; return false; }
    if ([...password].length < config.minPassword) { err.textContent = `The password needs at least ${config.minPassword} characters.`; return false; }
    if (password !== $("auth-confirm").value) { err.textContent = "The two passwords differ."; return false; }
  } else if (!username || !password) {
    err.textContent = "Enter your username and password.";
    return false;
  }
  const button = $("auth-submit");
  button.disabled = true;
  try {
    if (authMode.kind === "login") state.me = await api("POST", "/api/login", { username, password });
    if (authMode.kind === "setup") state.me = await api("POST", "/api/setup", { token: authMode.token, username, password });
    if (authMode.kind === "join") state.me = await api("POST", "/api/join", { code: authMode.code, username, password });
    if (authMode.kind === "reset") state.me = await api("POST", "/api/reset", { token: authMode.token, password });
  } catch (e) {
    err.textContent = e.message;
    return false;
  } finally {
    button.disabled = false;
  }
  $("auth-password").value = "";
  $("auth-confirm").value = "";
  // Leave /setup, /join or /reset behind, but keep a room link (/#room)
  // that was opened while logged out.
  history.replaceState(null, "", "/" + location.hash);
  return true;
}

// sessionEnded forgets the chat (closing the socket) and shows the login
// form, with message saying why.
export function sessionEnded(message) {
  state.loggingOut = true;
  if (state.ws) { const ws = state.ws; state.ws = null; ws.close(); }
  state.connected = false;
  state.me = null;
  state.rooms.clear();
  state.current = null;
  $("message-list").replaceChildren();
  showLogin(message);
}
