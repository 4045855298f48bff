// main.js is the entry point of Hearth's web client: it fetches the shared
// rules (GET /api/config), asks /api/me who is logged in, shows the login,
// setup, join or reset page or starts the chat (rooms, users, the socket),
// and wires every listener of the page to the module that handles it.
//
// Modules import downwards only, so there is no import cycle, and no
// module's top level uses another's exports: this file's last lines start
// everything.
//   main → socket, profile, actions, admin → rooms, account
//        → replies → history → composer, voice, viewer, notify, auth
//        → uploads, outbox, emoji
//        → render, push → media, format, config, people → dom, state, api
import { $, showView, openDialog } from "./dom.js";
import { api } from "./api.js";
import { state, room } from "./state.js";
import { loadConfig } from "./config.js";
import { renderTyping, renderHeader, updateTitle, openSidebar, closeSidebar, setStatus, renderMe } from "./render.js";
import { showLogin, showSetup, showJoin, showReset, submitAuth, sessionEnded } from "./auth.js";
import { connect, retryDelay, retryNow, wentOffline, showOffline, sendVisibility } from "./socket.js";
import { hashRoom, selectRoom, jumpTo, runSearch, onMessagesScroll, jumpToLatest, retryLoad } from "./history.js";
import { loadPending } from "./outbox.js";
import { markRead, openNotify, turnOn, turnOff, testPush, saveNotifySettings, tidyNotifications } from "./notify.js";
import { registerWorker, loadSettings, loadPush, pushSupported, saveLevel } from "./push.js";
import { submitComposer, onComposerInput, onComposerKey, openComposerEmoji } from "./composer.js";
import { uploadFiles, uploadsUnderway } from "./uploads.js";
import { onMic, onRecordBar } from "./voice.js";
import { onViewer, onViewerResize } from "./viewer.js";
import { onMessageAction, onDocumentClick, onEditorInput, onEditorKey, onMessagesKey } from "./actions.js";
import { onReplyBarClick, onMessagesTouchStart, onMessagesTouchMove, onMessagesTouchEnd, endTouch } from "./replies.js";
import { onRoomListClick, openNewRoom, createRoom, openNewDM, openMembers } from "./rooms.js";
import { openAdmin, showAdminTab, onAdminTabKey, openInvites, createInvite } from "./admin.js";
import {
  openSessions, logout, onMenuToggle, onMenuKey, openAccount, onPictureChosen, usePicture, cancelPicture, removePicture, saveName, syncZone,
} from "./account.js";
import { onPersonClick, onProfileDialogClick, onMessagesFocus, messageShown, editMine } from "./profile.js";
import { setPeople } from "./people.js";

// Until the server answers, the loading view says what is happening:
// "Connecting…" after a moment, and when the server cannot be reached (a
// reload or the home-screen app while it is away: the service worker still
// has the page) that it cannot, with a Retry button; it tries again on the
// socket's schedule, and at once when the network is back or the page is
// shown again.
let booting = false;
let bootTry = 0;      // failed attempts so far
let bootTimer = null; // the next attempt, while one is waiting
const BOOT_SLOW = 1000; // ms before the loading view says it is connecting

async function boot() {
  if (booting) return;
  booting = true;
  clearTimeout(bootTimer);
  bootTimer = null;
  const slow = setTimeout(() => loadingSays("Connecting to Hearth…"), BOOT_SLOW);
  try {
    await loadConfig();
    const params = new URLSearchParams(location.search);
    if (location.pathname === "/setup") return showSetup(params.get("token") || "");
    if (location.pathname === "/join") return showJoin(params.get("code") || "");
    if (location.pathname === "/reset") return showReset(params.get("token") || "");
    try {
      state.me = await api("GET", "/api/me");
    } catch (e) {
      if (e.status === 401) return showLogin();
      throw e;
    }
  } catch (e) {
    return bootFailed(e);
  } finally {
    clearTimeout(slow);
    booting = false;
  }
  bootTry = 0;
  startChat();
}

// bootFailed says why the page cannot start (no network, no answer, an
// error answer) and when it tries again.
function bootFailed(e) {
  const text = navigator.onLine === false ? "You're offline: this device has no network."
    : e.status ? `Hearth is not answering properly (error ${e.status}). Retrying…`
    : "Can't reach Hearth. Retrying…";
  loadingSays(text, "Is this device on your home network, and the computer running Hearth on? Hearth opens by itself as soon as it can reach it.");
  bootTimer = setTimeout(boot, retryDelay(bootTry++));
}

// loadingSays puts words under the loading view's logo; with a hint, the
// page is waiting to try again, and offers Retry.
function loadingSays(text, hint) {
  showView("view-loading");
  $("loading-text").textContent = text;
  $("loading-hint").textContent = hint || "";
  $("loading-hint").hidden = !hint;
  $("loading-retry").hidden = !hint;
}

// retryBoot starts at once the attempt that is waiting, if one is.
function retryBoot() {
  if (bootTimer) boot();
}

async function startChat() {
  showView("view-chat");
  state.loggingOut = false;
  state.offlineSince = 0;
  state.retry = 0;
  renderMe();
  $("open-invites").hidden = !state.me.admin;
  loadPending();
  $("open-bots").hidden = !state.me.admin;
  $("open-admin").hidden = !state.me.admin;
  try {
    const { rooms } = await api("GET", "/api/rooms");
    for (const r of rooms) room(r.name, r);
    setPeople((await api("GET", "/api/users")).users);
    renderMe();
  } catch (e) {
    if (e.status === 401) return sessionEnded();
  }
  const wanted = hashRoom() || localStorage.getItem("hearth.room") || "general";
  selectRoom(state.rooms.has(wanted) ? wanted : "general");
  connect();
  loadNotifications();
  syncZone();
}

// loadNotifications fetches what notifies the person (the room's bell
// shows it) and whether this device gets pushes, then closes the
// notifications of rooms read since they came.
async function loadNotifications() {
  state.notify = null; // another person's, after a logout and a login
  try {
    await loadSettings();
    renderHeader();
  } catch (e) {
    if (e.status === 401) return sessionEnded();
  }
  if (pushSupported()) await loadPush().catch(() => {});
  tidyNotifications();
}

// changeLevel saves the room's bell for all of the person's devices; if
// the server refuses, the bell shows what it keeps.
async function changeLevel() {
  const name = state.current;
  try {
    await saveLevel(name, $("notify-level").value);
  } catch (e) {
    setStatus(`Notifications for this room were not changed: ${e.message}`, true);
    await loadSettings().catch(() => {});
  }
  if (state.current === name) renderHeader();
}

// openFromNotification follows a click on a notification (the service
// worker says which room and message): to the message where it is loaded,
// otherwise into the room, which opens at its first unread.
function openFromNotification(ev) {
  const d = ev.data || {};
  if (d.type !== "open" || !state.me || !state.rooms.has(d.room)) return;
  const r = state.rooms.get(d.room);
  if (d.id && r.msgs.has(d.id)) jumpTo(d.room, d.id);
  else selectRoom(d.room);
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
  for (const t of ["click", "pointerdown", "pointermove", "pointerup", "pointercancel", "contextmenu"]) $("record").addEventListener(t, onMic);
  $("record-bar").addEventListener("click", onRecordBar);
  for (const t of ["click", "keydown", "touchstart", "touchend", "close"]) $("dialog-viewer").addEventListener(t, onViewer);
  window.addEventListener("resize", onViewerResize);
  // Leaving the page would stop a file on its way: the browser asks first.
  window.addEventListener("beforeunload", (e) => { if (uploadsUnderway()) e.preventDefault(); });
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
  // Passive: a swipe or a long press never holds up scrolling.
  list.addEventListener("touchstart", onMessagesTouchStart, { passive: true });
  list.addEventListener("touchmove", onMessagesTouchMove, { passive: true });
  list.addEventListener("touchend", onMessagesTouchEnd);
  list.addEventListener("touchcancel", endTouch);
  $("reply-bar").addEventListener("click", onReplyBarClick);
  $("messages").addEventListener("keydown", onMessagesKey);
  document.addEventListener("click", onDocumentClick);
  setInterval(renderTyping, 1000);
  $("messages").addEventListener("scroll", onMessagesScroll);
  list.addEventListener("seen", markRead); // messages came into view (render.js)
  $("jump-latest").onclick = jumpToLatest;
  $("history-state").addEventListener("click", (e) => { if (e.target.closest("[data-retry]")) retryLoad(); });
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
  $("notify-enable").onclick = turnOn;
  $("notify-disable").onclick = turnOff;
  $("notify-test").onclick = testPush;
  $("notify-settings").addEventListener("submit", saveNotifySettings);
  $("notify-level").onchange = changeLevel;
  $("open-bots").onclick = () => openAdmin("bots");
  $("open-admin").onclick = () => openAdmin();
  for (const b of document.querySelectorAll("#dialog-admin .tab")) b.onclick = () => showAdminTab(b.dataset.tab);
  document.querySelector("#dialog-admin .tabs").addEventListener("keydown", onAdminTabKey);
  // The sidebar's menu closes as one of its items opens what it names.
  // (Capturing: hidden first, the focus is back on the menu's button for
  // the dialog to return it to.)
  $("me-menu").addEventListener("click", (e) => { if (e.target.closest("button")) $("me-menu").hidePopover(); }, true);
  for (const t of ["beforetoggle", "toggle"]) $("me-menu").addEventListener(t, onMenuToggle);
  $("me-menu").addEventListener("keydown", onMenuKey);
  $("open-sessions").onclick = openSessions;
  $("open-account").onclick = openAccount;
  $("account-choose").onclick = () => $("account-file").click();
  $("account-file").onchange = onPictureChosen;
  $("account-use").onclick = usePicture;
  $("account-cancel").onclick = cancelPicture;
  $("account-remove").onclick = removePicture;
  $("account-form").addEventListener("submit", saveName);
  // A name or a picture (data-user) opens the person's card.
  document.addEventListener("click", onPersonClick);
  $("dialog-profile").addEventListener("click", onProfileDialogClick);
  $("message-list").addEventListener("focusin", onMessagesFocus);
  $("message-list").addEventListener("focusout", onMessagesFocus);
  $("profile-message").onclick = messageShown;
  $("profile-edit").onclick = editMine;
  $("open-invites").onclick = openInvites;
  $("invite-form").addEventListener("submit", createInvite);
  $("logout").onclick = logout;
  for (const b of document.querySelectorAll("[data-close]")) b.onclick = () => b.closest("dialog").close();
  document.addEventListener("visibilitychange", () => {
    sendVisibility();
    if (!document.hidden) {
      tidyNotifications();
      state.hiddenUnread = 0;
      markRead();
      updateTitle();
      retryBoot();
      retryNow();
    } else if (state.me && pushSupported()) {
      // Whether a push will tell this device (notify.js): the server may
      // have found since that it cannot reach the push services.
      loadPush().catch(() => {});
    }
  });
  // An open socket keeps the session alive on the server; this keeps the
  // browser's cookie as fresh for a tab that stays open for weeks.
  setInterval(() => {
    if (state.me && state.connected) api("GET", "/api/me").catch((e) => { if (e.status === 401) sessionEnded(); });
  }, 6 * 3600 * 1000);
  window.addEventListener("online", () => { retryBoot(); retryNow(); showOffline(); });
  window.addEventListener("offline", () => { wentOffline(); showOffline(); });
  $("loading-retry").onclick = () => { loadingSays("Trying again…"); boot(); };
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

// The service worker: the installable app's offline shell, and what shows
// a push. A click on a notification comes back as a message from it.
registerWorker();
if ("serviceWorker" in navigator) navigator.serviceWorker.addEventListener("message", openFromNotification);

wire();
boot();
