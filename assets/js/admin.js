// admin.js owns what only admins see: the admin console (people, invites,
// bots, rooms, the server's facts and the audit log), the invites dialog
// and the join card. Everything the console does happens inside it, so no
// dialog opens over another. The server checks every one of these requests;
// hiding the buttons from others is only a courtesy.
import { $, el, item, linkInput, openDialog, fullFmt, fileSize, ago, describeAgent } from "./dom.js";
import { api } from "./api.js";
import { state } from "./state.js";
import { diskFacts, compactItem } from "./disk.js";
import { applyProfile, avatarEl, nameEl, displayName } from "./people.js";
import { sendPicture } from "./account.js";

// copyButton copies text, shown in field (an input or a textarea): with
// the clipboard API where the page may use it (HTTPS, localhost), else by
// selecting the field, which works on a LAN's plain HTTP too.
function copyButton(text, field, label = "Copy", attrs = {}) {
  const b = el("button", {
    type: "button",
    class: "button",
    ...attrs,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        field.select();
        document.execCommand("copy");
      }
      b.textContent = "Copied";
      setTimeout(() => { b.textContent = label; }, 1500);
    },
  }, label);
  return b;
}

// --- bots ---

// botItem is one bot with its Revoke button.
function botItem(b) {
  const li = item(`${b.name} → #${b.room}`, `made by ${b.created_by} ${ago(b.created)}`,
    el("button", {
      type: "button",
      class: "button danger",
      onclick: async () => {
        try { await api("DELETE", "/api/bots/" + encodeURIComponent(b.id)); li.remove(); } catch (e) { $("admin-error").textContent = e.message; }
      },
    }, "Revoke"));
  return li;
}

// botForm is the Bots tab's form: a name and a room. A new bot's token is
// shown once, whole, with a Copy button, and so is a command that posts
// with it.
function botForm() {
  const name = el("input", { autocapitalize: "none", spellcheck: false, maxLength: 32, placeholder: "washer", required: true });
  const room = el("select", null, [...state.rooms.values()].filter((r) => !r.dm).map((r) => el("option", { value: r.name }, r.name)));
  const form = el("form", { class: "invite-form" },
    el("label", null, "Name", name), el("label", null, "Room", room),
    el("button", { type: "submit", class: "button primary" }, "Create bot"));
  form.onsubmit = async (e) => {
    e.preventDefault();
    $("admin-error").textContent = "";
    let b;
    try {
      b = await api("POST", "/api/bots", { name: name.value.trim().toLowerCase(), room: room.value });
    } catch (err) {
      $("admin-error").textContent = err.message;
      return;
    }
    await showAdminTab("bots");
    const cmd = `curl -d 'The washing machine is done' -H 'Authorization: Bearer ${b.token}' ${b.hook_url}`;
    // Text areas, as tall as what they hold: the whole token shows, also
    // on a phone.
    const field = (value, label) => el("textarea", { class: "invite-link token-field", readOnly: true, rows: 1, value, "aria-label": label });
    const token = field(b.token, `${b.name}'s token`);
    const example = field(cmd, `A command that posts as ${b.name}`);
    $("admin-notice").append(el("div", { class: "bot-created" },
      el("p", null, el("strong", null, "Copy the token now"), `: it is shown only once. ${b.name} posts into #${b.room} with it.`),
      el("div", { class: "copy-row" }, token, copyButton(b.token, token, "Copy", { "aria-label": "Copy the token" })),
      el("p", { class: "hint" }, "For example, from a script:"),
      el("div", { class: "copy-row" }, example, copyButton(cmd, example, "Copy", { "aria-label": "Copy the command" }))));
    for (const ta of [token, example]) ta.style.height = `${ta.scrollHeight + ta.offsetHeight - ta.clientHeight}px`;
    token.focus();
    token.select();
  };
  return form;
}

// --- automatic backups ---

// intervalWords says an interval for after "every": "day", "6 hours".
function intervalWords(seconds) {
  for (const [n, unit] of [[86400, "day"], [3600, "hour"], [60, "minute"]]) {
    if (seconds >= n && seconds % n === 0) return seconds === n ? unit : `${seconds / n} ${unit}s`;
  }
  return `${seconds} seconds`;
}

// backupsItem is the Server tab's automatic backups (GET
// /api/admin/backups): the last good one (when, size, where), the latest
// failure, and "Back up now", after which the item is drawn again from
// the status the server answers.
function backupsItem(b) {
  if (!b.enabled) {
    return item("Automatic backups", "Off. Start Hearth with -backup-dir DIR (a folder on a USB drive or a NAS) and it backs up by itself.");
  }
  const lines = [
    b.failure && el("p", { class: "form-error" }, `Last backup failed ${ago(b.failure.time)}: ${b.failure.error}`),
    el("div", null, b.last
      ? `Last good backup ${ago(b.last.time)} (${fullFmt.format(new Date(b.last.time))}), ${fileSize(b.last.bytes)}: ${b.last.path}`
      : "No backup yet."),
    el("div", null, `Every ${intervalWords(b.every_seconds)} into ${b.dir}, keeping the newest ${b.keep}`
      + (b.next && !b.running ? `; next ${fullFmt.format(new Date(b.next))}` : "") + "."),
  ];
  const button = el("button", { type: "button", class: "button", disabled: b.running }, b.running ? "Backing up…" : "Back up now");
  const li = item("Automatic backups", lines, button);
  button.onclick = async () => {
    $("admin-error").textContent = "";
    button.disabled = true;
    button.textContent = "Backing up…";
    let next = null;
    try {
      next = await api("POST", "/api/admin/backups/run");
    } catch (e) {
      $("admin-error").textContent = e.message;
      next = await api("GET", "/api/admin/backups").catch(() => null); // shows the failure
    }
    if (next) li.replaceWith(backupsItem(next));
    else { button.disabled = false; button.textContent = "Back up now"; }
  };
  return li;
}

// pushResetItem is the Server tab's answer to a backup that may have
// leaked (it holds the key that signs phone notifications and every
// device's push address): POST /api/admin/push/reset makes a new key and
// forgets every device, which subscribes again by itself the next time
// Hearth opens on it. done says how the last reset went.
function pushResetItem(done) {
  const button = el("button", { type: "button", class: "button" }, "Reset phone notifications");
  const li = item("Phone notifications", [
    el("div", null, "A backup holds the key that signs phone notifications and each device's push address. If one may have leaked, reset them: the copy then reaches no one, and each device turns notifications on again by itself the next time Hearth opens on it."),
    done && el("p", { role: "status" }, done),
  ], el("div", { class: "item-actions" }, button));
  button.onclick = () => confirmInline(li, "Reset phone notifications? Every device stops getting them until Hearth is opened on it again.",
    "Reset phone notifications", async () => {
      const { removed } = await api("POST", "/api/admin/push/reset");
      const next = pushResetItem(`Reset: ${removed} device${removed === 1 ? "" : "s"} forgotten, a new key in use.`);
      li.replaceWith(next);
      next.querySelector("button")?.focus();
    });
  return li;
}

// --- admin console ---

let adminTab = "people";
let tabShown = 0; // counts showAdminTab calls: a slow answer for a tab left since is dropped

// openAdmin opens the console on tab, or on the tab it was left at.
export function openAdmin(tab) {
  openDialog("dialog-admin");
  showAdminTab(typeof tab === "string" ? tab : adminTab);
}

// onAdminTabKey moves between the console's tabs with the arrow keys, Home
// and End, as tabs do elsewhere; Tab goes on into the tab's content.
export function onAdminTabKey(e) {
  const tabs = [...document.querySelectorAll("#dialog-admin .tab")];
  const i = tabs.indexOf(e.target);
  const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
  if (i < 0 || to === undefined) return;
  e.preventDefault();
  const next = tabs[(to + tabs.length) % tabs.length];
  next.focus();
  showAdminTab(next.dataset.tab);
}

// adminItem is a console row: title (an array of text and pills), a muted
// line, and buttons [label, fn(li), danger, aria-label]; a failing fn shows
// its error.
function adminItem(title, sub, buttons) {
  const actions = el("div", { class: "item-actions" });
  const li = item(title, sub, actions);
  for (const [label, fn, danger, ariaLabel] of buttons) {
    const b = el("button", { type: "button", class: "button" + (danger ? " danger" : ""), "aria-label": ariaLabel }, label);
    b.onclick = async () => {
      $("admin-error").textContent = "";
      b.disabled = true;
      try { await fn(li); } catch (e) { $("admin-error").textContent = e.message; }
      b.disabled = false;
    };
    actions.append(b);
  }
  return li;
}

function retentionText(r) {
  const parts = [];
  if (r.keep_days) parts.push(`${r.keep_days} days`);
  if (r.keep_messages) parts.push(`${r.keep_messages} messages`);
  return parts.length ? parts.join(", at most ") : "everything";
}

function pill(text, on) {
  return el("span", { class: "pill" + (on ? " on" : "") }, text);
}

// editInline swaps an admin row's buttons for a small form of fields: Enter
// or Save calls save with their values, Escape or Cancel brings the buttons
// back.
function editInline(li, fields, save) {
  const actions = li.querySelector(".item-actions");
  const inputs = fields.map(({ label, value, ...attrs }) => el("input", { ...attrs, value: String(value) }));
  const ok = el("button", { type: "submit", class: "button primary" }, "Save");
  const form = el("form", { class: "inline-form" },
    fields.map(({ label }, i) => el("label", null, label, inputs[i])),
    ok,
    adminButton("Cancel", () => form.replaceWith(actions)));
  form.onkeydown = (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault(); // the row's form, not the whole dialog
    form.replaceWith(actions);
  };
  form.onsubmit = async (e) => {
    e.preventDefault();
    $("admin-error").textContent = "";
    ok.disabled = true;
    try { await save(inputs.map((i) => i.value)); } catch (err) { $("admin-error").textContent = err.message; }
    ok.disabled = false;
  };
  actions.replaceWith(form);
  inputs[0].focus();
  inputs[0].select();
}

function adminButton(label, fn) {
  return el("button", { type: "button", class: "button", onclick: fn }, label);
}

// confirmInline swaps an admin row's buttons for a question: text says what
// will happen, the button labelled yes does it (fn), Cancel or Escape
// brings the buttons back. Cancel has the focus: Enter alone changes
// nothing.
function confirmInline(li, text, yes, fn) {
  const actions = li.querySelector(".item-actions");
  const back = () => { box.replaceWith(actions); actions.querySelector("button")?.focus(); };
  const ok = el("button", { type: "button", class: "button danger" }, yes);
  const cancel = adminButton("Cancel", back);
  const box = el("div", { class: "inline-confirm", role: "group", "aria-label": yes },
    el("p", null, text), el("div", { class: "item-actions" }, cancel, ok));
  ok.onclick = async () => {
    $("admin-error").textContent = "";
    ok.disabled = true;
    try { await fn(); } catch (e) { $("admin-error").textContent = e.message; }
    ok.disabled = false;
  };
  box.onkeydown = (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault(); // the row's question, not the whole dialog
    back();
  };
  actions.replaceWith(box);
  cancel.focus();
}

// offerDownloads swaps a room's buttons for its history's two forms: a
// page to read (one HTML file, photos inside) and the data (JSON lines).
function offerDownloads(li, name) {
  const actions = li.querySelector(".item-actions");
  const url = `/api/admin/rooms/${encodeURIComponent(name)}/export`;
  const back = () => { box.replaceWith(actions); actions.querySelector("button")?.focus(); };
  const page = el("a", { class: "button primary", href: url + "?format=html", download: "" }, "Readable page (HTML)");
  const box = el("div", { class: "inline-confirm", role: "group", "aria-label": `Download #${name}'s history` },
    el("p", null, `#${name}'s history as a page to read in any browser, photos included, or as data for other programs.`),
    el("div", { class: "item-actions" },
      page,
      el("a", { class: "button", href: url, download: "" }, "Data (JSON lines)"),
      adminButton("Cancel", back)));
  box.onkeydown = (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    back();
  };
  actions.replaceWith(box);
  page.focus();
}

// showJoinCard makes an invite for the household (a week, 10 people) and
// shows it as a QR code, for phones to scan off the admin's screen.
async function showJoinCard() {
  $("admin-error").textContent = "";
  let inv;
  try {
    inv = await api("POST", "/api/invites", { hours: 168, max_uses: 10 });
  } catch (e) {
    $("admin-error").textContent = e.message;
    return;
  }
  adminNotice(el("figure", { class: "join-card-big" },
    el("img", { src: `/api/invites/${encodeURIComponent(inv.code)}/qr.png`, alt: "QR code of an invite link to join Hearth", width: 280, height: 280 }),
    el("figcaption", null, el("strong", null, "Point a phone's camera here to join."), " Works for a week, for up to 10 people.", linkInput(inv.url, "Invite link"))));
  try {
    const { invites } = await api("GET", "/api/invites");
    if (adminTab === "invites") $("admin-list").replaceChildren(...invites.map(inviteItem));
  } catch { /* the card stands; the list refreshes on the next visit */ }
}

function adminNotice(...content) {
  const n = $("admin-notice");
  n.hidden = content.length === 0;
  n.replaceChildren(...content);
}

export async function showAdminTab(tab) {
  adminTab = tab;
  const seq = ++tabShown;
  const live = () => seq === tabShown && adminTab === tab;
  for (const b of document.querySelectorAll("#dialog-admin .tab")) {
    const on = b.dataset.tab === tab;
    b.setAttribute("aria-selected", String(on));
    b.tabIndex = on ? 0 : -1;
    if (on) {
      $("admin-panel").setAttribute("aria-labelledby", b.id);
      b.scrollIntoView({ block: "nearest", inline: "nearest" }); // the tabs scroll sideways on a phone
    }
  }
  $("admin-error").textContent = "";
  adminNotice();
  const list = $("admin-list");
  list.replaceChildren();
  try {
    if (tab === "people") await showPeople(list, live);
    else if (tab === "invites") {
      const { invites } = await api("GET", "/api/invites");
      if (!live()) return;
      list.replaceChildren(...invites.map(inviteItem));
      adminNotice(el("div", { class: "item-actions start" }, adminButton("Show a join card", showJoinCard)), inviteForm(async () => {
        const { invites } = await api("GET", "/api/invites");
        if (!live()) return;
        list.replaceChildren(...invites.map(inviteItem));
        list.querySelector("input")?.focus();
      }));
      if (!invites.length) list.append(adminItem(["No invite links yet."], "A join card makes one: anyone who scans it can create an account.", []));
    } else if (tab === "bots") {
      const { bots } = await api("GET", "/api/bots");
      if (!live()) return;
      list.replaceChildren(...bots.map(botItem));
      adminNotice(el("p", { class: "notice-lead" }, "A bot posts into one room from scripts, home automation or cron, with a secret token."), botForm());
      if (!bots.length) list.append(adminItem(["No bots yet."], "A bot lets a script or a gadget post into one room.", []));
    } else if (tab === "rooms") await showRooms(list, live);
    else if (tab === "server") {
      const [f, backups] = await Promise.all([api("GET", "/api/admin/facts"), api("GET", "/api/admin/backups")]);
      if (!live()) return;
      const facts = [
        ["Version", `${f.version} (${f.commit}, ${f.go})`],
        ["Up since", `${fullFmt.format(new Date(f.started))} (${ago(f.started).replace(" ago", "")})`],
        ["Database", `${f.database}, ${fileSize(f.database_bytes)}`],
        ...diskFacts(f),
        ["Connected", `${f.connections} socket${f.connections === 1 ? "" : "s"}: ${f.online.join(", ") || "nobody"}`],
        ["People, rooms", `${f.users}, ${f.rooms}`],
      ];
      list.replaceChildren(
        el("li", null, el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", null, k), el("dd", null, v)]))),
        compactItem(f),
        backupsItem(backups),
        pushResetItem(),
        item("Backup", "The whole database: accounts, rooms, messages and files, as one file. It holds everyone's messages: keep it somewhere safe.",
          el("a", { href: "/api/admin/backup", class: "button", download: "" }, "Download a backup")));
    } else {
      const { entries } = await api("GET", "/api/admin/audit");
      if (!live()) return;
      list.replaceChildren(...entries.map((e) => adminItem([`${e.admin}: ${e.action}${e.target ? " " + e.target : ""}`],
        `${fullFmt.format(new Date(e.ts))}${e.detail ? " · " + e.detail : ""}`, [])));
      if (!entries.length) adminNotice("Nothing yet: what admins do is written here.");
    }
  } catch (e) {
    if (live()) $("admin-error").textContent = e.message;
  }
}

async function showPeople(list, live) {
  const { users } = await api("GET", "/api/admin/users");
  if (!live()) return;
  for (const u of users) applyProfile(u); // the freshest there is
  list.replaceChildren(...users.map((u) => withPicture(u.name, adminItem(
    [nameEl(u.name), displayName(u.name) !== u.name && el("span", { class: "admin-login" }, " @" + u.name),
      u.admin && pill("admin", true), u.disabled && pill("disabled"), u.online && pill("online", true), u.login_limited && pill("login limited")],
    `${u.sessions} device${u.sessions === 1 ? "" : "s"} · joined ${new Date(u.created).toLocaleDateString()} · ${storageText(u)}`,
    profileButtons(u).concat([quotaButton(u)], u.name === state.me.username ? [] : [
      [u.admin ? "Remove admin" : "Make admin", async () => { await api("PUT", `/api/admin/users/${u.name}`, { admin: !u.admin, disabled: u.disabled }); showAdminTab("people"); }],
      u.disabled
        ? ["Enable", async () => { await api("PUT", `/api/admin/users/${u.name}`, { admin: u.admin, disabled: false }); showAdminTab("people"); }]
        : ["Disable", (li) => confirmInline(li,
          `Disable ${u.name}? They are logged out on every device at once${u.sessions ? ` (${u.sessions} now)` : ""} and cannot log in until an admin enables the account again. What they wrote stays.`,
          `Disable ${u.name}`,
          async () => { await api("PUT", `/api/admin/users/${u.name}`, { admin: u.admin, disabled: true }); showAdminTab("people"); }), true],
      // Failed guesses at this name stop new devices logging in as it.
      ...(u.login_limited ? [["Clear login limit", async () => { await api("DELETE", `/api/admin/users/${u.name}/login-limit`); showAdminTab("people"); }]] : []),
      ["Reset password", async () => {
        const { url } = await api("POST", `/api/admin/users/${u.name}/reset`);
        const input = linkInput(url, "Password reset link");
        adminNotice(`Send ${u.name} this link (it works once, for a day; any earlier link of theirs no longer works): `, input);
        input.focus();
        input.select();
      }],
      ["Devices", async () => {
        const { sessions } = await api("GET", `/api/admin/users/${u.name}/sessions`);
        list.replaceChildren(...sessions.map((x) => adminItem([describeAgent(x.user_agent)], `${u.name} · ${x.remote_addr} · active ${ago(x.last_seen)}`,
          [["Log out", async () => { await api("DELETE", `/api/admin/sessions/${encodeURIComponent(x.id)}`); showAdminTab("people"); }, true,
            `Log out ${u.name}'s ${describeAgent(x.user_agent)}`]])));
        if (!sessions.length) adminNotice(`${u.name} is not logged in anywhere.`);
      }],
    ])))));
}

// withPicture puts login's picture at the start of their row.
function withPicture(login, li) {
  li.prepend(avatarEl(login, "small"));
  return li;
}

// profileButtons change how someone appears, for those who cannot (or
// asked for help): their display name, and their picture, sent as
// chosen (the server makes the square) or removed.
function profileButtons(u) {
  const again = () => showAdminTab("people");
  const buttons = [
    ["Display name", (li) => editInline(li, [
      { label: "Display name (empty: the login name)", value: u.display_name || "", dir: "auto", spellcheck: false },
    ], async ([name]) => {
      await api("PUT", `/api/admin/users/${u.name}`, { display_name: name });
      again();
    }), false, `Display name of ${u.name}`],
    ["Picture", () => new Promise((resolve, reject) => {
      // The file dialog opens from the click itself, as browsers require.
      const input = el("input", { type: "file", accept: "image/jpeg,image/png,image/gif,image/webp" });
      input.oncancel = () => resolve();
      input.onchange = async () => {
        try {
          if (input.files[0]) await sendPicture(`/api/admin/users/${u.name}/avatar`, input.files[0]);
          resolve();
          again();
        } catch (e) { reject(e); }
      };
      input.click();
    }), false, `Picture of ${u.name}: choose one`],
  ];
  if (u.avatar) {
    buttons.push(["Remove picture", async () => { await api("DELETE", `/api/admin/users/${u.name}/avatar`); again(); }, true, `Remove picture of ${u.name}`]);
  }
  return buttons;
}

// storageText says what someone's shared files take, against their
// storage limit when they have one.
function storageText(u) {
  const used = `${fileSize(u.used_bytes || 0)} of files`;
  return u.quota_bytes ? `${used}, limit ${fileSize(u.quota_bytes)}` : used;
}

const MiB = 1 << 20;

// quotaButton edits someone's storage limit, in MB (empty: none): an
// upload that would pass it is refused and says so.
function quotaButton(u) {
  return ["Storage limit", (li) => editInline(li, [
    { label: "Storage limit in MB (empty: no limit)", value: u.quota_bytes ? String(Math.round(u.quota_bytes / MiB)) : "", inputmode: "numeric" },
  ], async ([mb]) => {
    const text = mb.trim();
    const n = text === "" ? 0 : Number(text);
    if (!Number.isFinite(n) || n < 0) throw new Error("The storage limit is a number of megabytes, or empty for none.");
    await api("PUT", `/api/admin/users/${u.name}`, { quota_bytes: Math.round(n * MiB) });
    showAdminTab("people");
  }), false, `Storage limit of ${u.name}`];
}

async function showRooms(list, live) {
  const { rooms } = await api("GET", "/api/rooms");
  if (!live()) return;
  list.replaceChildren(...rooms.filter((r) => !r.dm).map((r) => adminItem(
    ["#" + r.name, r.private && pill("private"), r.archived && pill("archived")],
    `made by ${r.created_by || "Hearth"} · ${new Date(r.created).toLocaleDateString()} · keeps ${retentionText(r)}`,
    [["Download history", (li) => offerDownloads(li, r.name)],
      ["Retention", (li) => editInline(li, [
        { label: "Keep days (0: forever)", value: r.keep_days || 0, type: "number", min: 0, max: 1000000 },
        { label: "At most messages (0: no limit)", value: r.keep_messages || 0, type: "number", min: 0, max: 1000000 },
      ], async ([days, count]) => {
        await api("PUT", `/api/admin/rooms/${r.name}`, { keep_days: Number(days) || 0, keep_messages: Number(count) || 0 });
        showAdminTab("rooms");
      })]].concat(r.name === "general" ? [] : [
      ["Rename", (li) => editInline(li, [
        { label: "New name (a-z, 0-9 and -)", value: r.name, maxLength: 32, autocapitalize: "none", spellcheck: false, required: true },
      ], async ([name]) => {
        if (name.trim() !== r.name) await api("POST", `/api/admin/rooms/${r.name}/rename`, { name: name.trim() });
        showAdminTab("rooms");
      })],
      [r.archived ? "Unarchive" : "Archive", async () => { await api("PUT", `/api/admin/rooms/${r.name}`, { archived: !r.archived }); showAdminTab("rooms"); }],
      ["Delete", async () => {
        if (!confirm(`Delete #${r.name} and everything said in it? This cannot be undone.`)) return;
        await api("DELETE", `/api/admin/rooms/${r.name}`);
        showAdminTab("rooms");
      }, true],
    ]))));
}

// --- invites ---

export async function openInvites() {
  openDialog("dialog-invites");
  await refreshInvites();
}

async function refreshInvites() {
  const err = $("invites-error");
  let invites;
  try {
    ({ invites } = await api("GET", "/api/invites"));
  } catch (e) {
    err.textContent = e.message;
    return;
  }
  $("invite-list").replaceChildren(...invites.map(inviteItem));
}

// inviteItem is one invite: its link to copy, when it runs out, and QR
// (a code for a phone to scan off the screen), Copy and Delete.
function inviteItem(inv) {
  const link = linkInput(inv.url, "Invite link");
  const left = new Date(inv.expires) - Date.now();
  const status = !inv.usable ? (inv.uses >= inv.max_uses ? "used up" : "expired")
    : `expires in ${left > 86400000 ? Math.round(left / 86400000) + " days" : Math.max(1, Math.round(left / 3600000)) + " hours"}`;
  const qr = el("button", { type: "button", class: "button", title: "Show a QR code to scan with a phone", "aria-expanded": "false", disabled: !inv.usable }, "QR");
  qr.onclick = () => {
    const existing = li.querySelector(".join-card");
    qr.setAttribute("aria-expanded", String(!existing));
    if (existing) { existing.remove(); return; }
    li.append(el("div", { class: "join-card" },
      el("img", { src: `/api/invites/${encodeURIComponent(inv.code)}/qr.png`, alt: "QR code of the invite link", width: 240, height: 240 })));
  };
  const li = el("li", { class: "invite" },
    el("div", { class: "item-main" }, link, el("div", { class: "item-sub" }, `${status} · used ${inv.uses} of ${inv.max_uses}`)),
    el("div", { class: "item-actions" },
      qr,
      copyButton(inv.url, link, "Copy", { disabled: !inv.usable }),
      el("button", {
        type: "button",
        class: "button danger",
        onclick: async () => {
          const err = li.closest("dialog").querySelector(".form-error");
          err.textContent = "";
          try { await api("DELETE", "/api/invites/" + encodeURIComponent(inv.code)); } catch (e) { err.textContent = e.message; return; }
          li.remove();
        },
      }, "Delete")));
  return li;
}

// inviteForm is the invites dialog's form for the console's Invites tab:
// the same choices (copied from the dialog's), then created() once made.
function inviteForm(created) {
  const choice = (label, from) => {
    const sel = el("select", null, [...$(from).options].map((o) => o.cloneNode(true)));
    return [el("label", null, label, sel), sel];
  };
  const [hoursLabel, hours] = choice("Link works for", "invite-hours");
  const [usesLabel, uses] = choice("Can be used", "invite-uses");
  const form = el("form", { class: "invite-form" }, hoursLabel, usesLabel, el("button", { type: "submit", class: "button primary" }, "Create link"));
  form.onsubmit = async (e) => {
    e.preventDefault();
    $("admin-error").textContent = "";
    try {
      await api("POST", "/api/invites", { hours: Number(hours.value), max_uses: Number(uses.value) });
      await created();
    } catch (err) {
      $("admin-error").textContent = err.message;
    }
  };
  return form;
}

export async function createInvite(ev) {
  ev.preventDefault();
  $("invites-error").textContent = "";
  try {
    await api("POST", "/api/invites", { hours: Number($("invite-hours").value), max_uses: Number($("invite-uses").value) });
  } catch (e) {
    $("invites-error").textContent = e.message;
    return;
  }
  await refreshInvites();
  const first = $("invite-list").querySelector("input");
  if (first) first.focus();
}
