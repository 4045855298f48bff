// main.js is the entry point of Hearth's web client: it fetches the shared
// rules (GET /api/config), asks /api/me who is logged in, shows the login,
// setup, join or reset page or starts the chat (rooms, users, the socket),
// and wires every listener of the page to the module that handles it.
//
// Modules import downwards only, so there is no import cycle, and no
// module's top level uses another's exports: this file's last lines start
// everything.
//   main → socket, rooms, actions, admin, account
//        → history → composer, notify, auth → outbox, emoji → render, config
//        → dom, state, api
import { $, showView, openDialog, paintAvatar } from "./dom.js";
import { api } from "./api.js";
import { state, room, setNotifyLevel } from "./state.js";
import { loadConfig } from "./config.js";
import { renderTyping, updateTitle, openSidebar, closeSidebar } from "./render.js";
import { showLogin, showSetup, showJoin, showReset, submitAuth, sessionEnded } from "./auth.js";
import { connect } from "./socket.js";
import { hashRoom, selectRoom, runSearch, onMessagesScroll, jumpToLatest } from "./history.js";
import { loadPending } from "./outbox.js";
import { markRead, openNotify } from "./notify.js";
import { submitComposer, onComposerInput, onComposerKey, uploadFiles, openComposerEmoji } from "./composer.js";
import { onMessageAction, onDocumentClick, onEditorInput, onEditorKey, onMessagesKey } from "./actions.js";
import { onRoomListClick, openNewRoom, createRoom, openNewDM, openMembers } from "./rooms.js";
import { openAdmin, showAdminTab, openBots, createBot, openInvites, createInvite } from "./admin.js";
import { openSessions, logout } from "./account.js";

async function boot() {
  try {
    await loadConfig();
  } catch {
    showView("view-loading");
    setTimeout(boot, 3000); // server unreachable: try again
    return;
  }
  const params = new URLSearchParams(location.search);
  if (location.pathname === "/setup") return showSetup(params.get("token") || "");
  if (location.pathname === "/join") return showJoin(params.get("code") || "");
  if (location.pathname === "/reset") return showReset(params.get("token") || "");
  try {
    state.me = await api("GET", "/api/me");
  } catch (e) {
    if (e.status === 401) return showLogin();
    showView("view-loading");
    setTimeout(boot, 3000); // server unreachable: try again
    return;
  }
  startChat();
}

async function startChat() {
  showView("view-chat");
  state.loggingOut = false;
  $("me-name").textContent = state.me.username;
  paintAvatar($("me-avatar"), state.me.username);
  $("open-invites").hidden = !state.me.admin;
  loadPending();
  $("open-bots").hidden = !state.me.admin;
  $("open-admin").hidden = !state.me.admin;
  try {
    const { rooms } = await api("GET", "/api/rooms");
    for (const r of rooms) room(r.name, r);
    state.users = (await api("GET", "/api/users")).users.map((u) => u.name);
  } catch (e) {
    if (e.status === 401) return sessionEnded();
  }
  const wanted = hashRoom() || localStorage.getItem("hearth.room") || "general";
  selectRoom(state.rooms.has(wanted) ? wanted : "general");
  connect();
}

function wire() {
  $("auth-form").addEventListener("submit", async (ev) => { if (await submitAuth(ev)) startChat(); });
  $("composer").addEventListener("submit", submitComposer);
  const ta = $("composer-input");
  ta.addEventListener("input", onComposerInput);
  ta.addEventListener("keydown", onComposerKey);
  ta.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (files.length) { e.preventDefault(); uploadFiles(files); }
  });
  $("attach").onclick = () => $("file-input").click();
  $("emoji-button").onclick = openComposerEmoji;
  $("file-input").onchange = () => { uploadFiles([...$("file-input").files]); $("file-input").value = ""; };
  const main = document.querySelector(".chat-main");
  main.addEventListener("dragover", (e) => {
    if ([...e.dataTransfer.types].includes("Files")) { e.preventDefault(); $("drop-hint").hidden = false; }
  });
  main.addEventListener("dragleave", (e) => { if (e.target === $("drop-hint")) $("drop-hint").hidden = true; });
  main.addEventListener("drop", (e) => {
    $("drop-hint").hidden = true;
    if (e.dataTransfer.files.length) { e.preventDefault(); uploadFiles([...e.dataTransfer.files]); }
  });
  const list = $("message-list");
  list.addEventListener("click", onMessageAction);
  list.addEventListener("input", onEditorInput);
  list.addEventListener("keydown", onEditorKey);
  $("messages").addEventListener("keydown", onMessagesKey);
  document.addEventListener("click", onDocumentClick);
  setInterval(renderTyping, 1000);
  $("messages").addEventListener("scroll", onMessagesScroll);
  $("jump-latest").onclick = jumpToLatest;
  $("room-list").addEventListener("click", onRoomListClick);
  $("dm-list").addEventListener("click", onRoomListClick);
  $("open-sidebar").onclick = openSidebar;
  $("close-sidebar").onclick = closeSidebar;
  $("scrim").onclick = closeSidebar;
  $("new-room").onclick = openNewRoom;
  $("room-private").onchange = () => { $("room-members").hidden = !$("room-private").checked; };
  $("room-form").addEventListener("submit", createRoom);
  $("new-dm").onclick = openNewDM;
  $("open-members").onclick = openMembers;
  $("open-search").onclick = () => { openDialog("dialog-search"); $("search-input").focus(); };
  $("search-form").addEventListener("submit", runSearch);
  $("open-notify").onclick = openNotify;
  $("notify-enable").onclick = async () => { await Notification.requestPermission(); openNotify(); };
  $("notify-level").onchange = () => setNotifyLevel(state.current, $("notify-level").value);
  $("open-bots").onclick = openBots;
  $("open-admin").onclick = openAdmin;
  for (const b of document.querySelectorAll("#dialog-admin .tab")) b.onclick = () => showAdminTab(b.dataset.tab);
  $("bot-form").addEventListener("submit", createBot);
  $("open-sessions").onclick = openSessions;
  $("open-invites").onclick = openInvites;
  $("invite-form").addEventListener("submit", createInvite);
  $("logout").onclick = logout;
  for (const b of document.querySelectorAll("[data-close]")) b.onclick = () => b.closest("dialog").close();
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      state.hiddenUnread = 0;
      markRead();
      updateTitle();
      if (state.me && !state.ws && !state.loggingOut) connect();
    }
  });
  // An open socket keeps the session alive on the server; this keeps the
  // browser's cookie as fresh for a tab that stays open for weeks.
  setInterval(() => {
    if (state.me && state.connected) api("GET", "/api/me").catch((e) => { if (e.status === 401) sessionEnded(); });
  }, 6 * 3600 * 1000);
  window.addEventListener("online", () => { if (state.me && !state.ws && !state.loggingOut) connect(); });
  window.addEventListener("hashchange", () => {
    const name = hashRoom();
    if (state.me && state.rooms.has(name) && name !== state.current) selectRoom(name);
  });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "k" && state.me) {
      e.preventDefault();
      openDialog("dialog-search");
      $("search-input").focus();
    }
  });
}

// The service worker (the installable app's offline shell) needs a secure
// context: HTTPS, or localhost.
if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("/sw.js").catch(() => { /* the app works without it */ });
}

wire();
boot();
