// actions.js owns what one does to a message on screen: react (the quick
// six of the server's config, or any emoji through the picker of
// emoji.js), reply and go to a quote's original (replies.js), edit in
// place, delete, unfold a long message, retry or discard a refused
// send, open a photo in the viewer, cancel, retry or discard an upload, and
// moving between messages with the keyboard. It listens by
// delegation on the message list, whose buttons carry data-action.
import { $, el } from "./dom.js";
import { state } from "./state.js";
import { config } from "./config.js";
import { renderMessages, setStatus } from "./render.js";
import { retryPending, discardPending, changeMessage, queuedEdit, retryChange, discardChange } from "./outbox.js";
import { openEmojiPicker } from "./emoji.js";
import { showOriginal } from "./replies.js";
import { startReply } from "./composer.js";
import { isolated } from "./people.js";
import { cancelUpload, retryUpload, discardUpload } from "./uploads.js";
import { openViewer } from "./viewer.js";

// onMessageAction handles a click on a message's button.
export function onMessageAction(ev) {
  const b = ev.target.closest("[data-action]");
  if (!b) return;
  if (b.dataset.action === "retry") return retryPending(b.dataset.cid);
  if (b.dataset.action === "discard") return discardPending(b.dataset.cid);
  if (b.dataset.action === "retry-change") return retryChange(b.dataset.key);
  if (b.dataset.action === "discard-change") return discardChange(b.dataset.key);
  if (b.dataset.action === "quote") return showOriginal(state.current, Number(b.dataset.replyTo));
  if (b.dataset.action === "cancel-upload") return cancelUpload(Number(b.dataset.upload));
  if (b.dataset.action === "retry-upload") return retryUpload(Number(b.dataset.upload));
  if (b.dataset.action === "discard-upload") return discardUpload(Number(b.dataset.upload));
  const li = b.closest(".msg");
  const r = state.rooms.get(state.current);
  const id = li && Number(li.dataset.id);
  if (!r || !id) return;
  const m = r.msgs.get(id);
  // Sent now, or once the socket is back (outbox.js).
  switch (b.dataset.action) {
    case "react":
      changeMessage(r.name, id, "react", b.dataset.emoji);
      break;
    case "pick": {
      closePickers();
      const react = (e) => changeMessage(r.name, id, "react", e);
      // From the keyboard (a click of detail 0), the focus goes back to
      // the message, found anew: an update may have drawn it again.
      const back = () => {
        const again = $("message-list").querySelector(`.msg[data-id="${id}"]`);
        if (again) again.focus();
      };
      const picker = el("div", { class: "emoji-picker", role: "group", "aria-label": "React", onkeydown: onPickerKey },
        config.reactions.map((e) => el("button", {
          type: "button",
          "aria-label": "React " + e,
          onclick: (x) => { x.stopPropagation(); picker.remove(); react(e); if (x.detail === 0) back(); },
        }, e)),
        el("button", {
          type: "button", class: "emoji-more", "aria-label": "More emoji…", title: "More emoji…", "aria-haspopup": "dialog",
          onclick: (x) => {
            x.stopPropagation();
            const at = picker.getBoundingClientRect();
            picker.remove();
            openEmojiPicker({ anchor: at, onPick: react, returnFocus: x.detail === 0 ? back : null })
              .catch(() => setStatus("The emoji could not be loaded; try again", true));
          },
        }, $("emoji-button").querySelector("svg").cloneNode(true)));
      li.append(picker);
      picker.querySelector("button").focus();
      break;
    }
    case "delete":
      if (confirm(m.user === state.me.username ? "Delete this message?" : `Delete ${isolated(m.user)}'s message?`)) changeMessage(r.name, id, "delete");
      break;
    case "edit":
      state.editing = { room: r.name, id, draft: queuedEdit(r.name, id) ?? m.body };
      renderMessages(); // opens it, and closes any other
      break;
    case "reply":
      startReply(r.name, id);
      break;
    case "more":
      toggleMore(r.name, id, li);
      break;
    case "view":
      // A photo opens in the viewer; with a modifier key or another
      // button, the browser opens the file itself (a new tab).
      if (ev.button || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
      ev.preventDefault();
      openViewer(r.name, id);
      break;
  }
}

// toggleMore unfolds a long message in place, or folds it again. Unfolding
// keeps its top where it is on screen, so only what is below it moves;
// folding one whose top has scrolled away brings its top back into view.
function toggleMore(roomName, id, li) {
  const key = `${roomName} ${id}`;
  const box = $("messages");
  const top = li.getBoundingClientRect().top;
  const folding = state.expanded.delete(key);
  if (!folding) state.expanded.add(key);
  renderMessages();
  const again = $("message-list").querySelector(`.msg[data-id="${id}"]`);
  if (!again) return;
  if (folding && top < box.getBoundingClientRect().top) again.scrollIntoView({ block: "start" });
  else box.scrollTop += again.getBoundingClientRect().top - top;
}

// onPickerKey moves between the quick reactions with the arrow keys;
// Escape closes them and goes back to the message.
function onPickerKey(e) {
  const buttons = [...e.currentTarget.querySelectorAll("button")];
  const i = buttons.indexOf(document.activeElement);
  if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    e.preventDefault();
    e.stopPropagation();
    buttons[(i + (e.key === "ArrowRight" ? 1 : -1) + buttons.length) % buttons.length].focus();
  } else if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation();
    const li = e.currentTarget.closest(".msg");
    e.currentTarget.remove();
    if (li) li.focus();
  }
}

function closePickers() {
  document.querySelectorAll(".emoji-picker").forEach((p) => p.remove());
}

// onDocumentClick closes an open emoji picker when the click was elsewhere.
export function onDocumentClick(e) {
  if (!e.target.closest(".emoji-picker, [data-action=pick]")) closePickers();
}

// onEditorInput keeps the draft of the open editor (render.js draws it
// from state.editing), so a redraw does not lose it.
export function onEditorInput(e) {
  const ed = state.editing;
  if (!ed || !e.target.matches(".edit-box textarea")) return;
  ed.draft = e.target.value;
  ed.caret = e.target.selectionStart;
}

// onEditorKey saves the edit on Enter and closes the editor on Escape,
// giving the focus back to the message.
export function onEditorKey(k) {
  const ed = state.editing;
  if (!ed || !k.target.matches(".edit-box textarea")) return;
  const ta = k.target;
  const close = () => {
    state.editing = null;
    renderMessages();
    const again = $("message-list").querySelector(`.msg[data-id="${ed.id}"]`);
    if (again) again.focus();
  };
  if (k.key === "Escape") close();
  if (k.key === "Enter" && !k.shiftKey && !k.isComposing) {
    k.preventDefault();
    const text = ta.value.trim();
    const r = state.rooms.get(ed.room);
    const m = r && r.msgs.get(ed.id);
    if (text && m && text !== (queuedEdit(ed.room, ed.id) ?? m.body)) changeMessage(ed.room, ed.id, "edit", text);
    close();
  }
}

// onMessagesKey moves between messages with the arrow keys, so their
// actions (shown while a message has focus) are reachable by keyboard;
// Escape goes back to the composer.
export function onMessagesKey(e) {
  if (e.target.closest("textarea, input, video") || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === "Escape") { e.preventDefault(); $("composer-input").focus(); return; }
  if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
  const msgs = [...$("message-list").querySelectorAll(".msg[data-id]")];
  const cur = e.target.closest(".msg[data-id]");
  if (!msgs.length || (!cur && e.key === "ArrowDown")) return; // the container scrolls
  const i = cur ? msgs.indexOf(cur) + (e.key === "ArrowUp" ? -1 : 1) : msgs.length - 1;
  if (i < 0 || i >= msgs.length) return;
  e.preventDefault();
  msgs[i].focus();
}
