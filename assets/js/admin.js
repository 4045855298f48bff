// admin.js owns what only admins see: the admin console (people, invites,
// bots, rooms, the server's facts and the audit log), the bots dialog, the
// invites dialog and the join card. The server checks every one of these
// requests; hiding the buttons from others is only a courtesy.
import { $, el, item, linkInput, openDialog, fullFmt, fileSize, ago, describeAgent } from "./dom.js";
import { api } from "./api.js";
import { state } from "./state.js";
import { diskFacts, compactItem } from "./disk.js";

// --- bots ---

export async function openBots() {
  $("bots-error").textContent = "";
  $("bot-created").hidden = true;
  $("bot-room").replaceChildren(...[...state.rooms.values()].filter((r) => !r.dm).map((r) => el("option", { value: r.name }, r.name)));
  openDialog("dialog-bots");
  await refreshBots();
}

async function refreshBots() {
  let bots;
  try {
    ({ bots } = await api("GET", "/api/bots"));
  } catch (e) {
    $("bots-error").textContent = e.message;
    return;
  }
  $("bot-list").replaceChildren(...bots.map((b) => botItem(b, $("bots-error"))));
}

// botItem is one bot with its Revoke button; errors go to errEl.
function botItem(b, errEl) {
  const li = item(`${b.name} → #${b.room}`, `made by ${b.created_by} ${ago(b.created)}`,
    el("button", {
      class: "button danger",
      onclick: async () => {
        try { await api("DELETE", "/api/bots/" + encodeURIComponent(b.id)); li.remove(); } catch (e) { errEl.textContent = e.message; }
      },
    }, "Revoke"));
  return li;
}

export async function createBot(ev) {
  ev.preventDefault();
  $("bots-error").textContent = "";
  let b;
  try {
    b = await api("POST", "/api/bots", { name: $("bot-name").value.trim().toLowerCase(), room: $("bot-room").value });
  } catch (e) {
    $("bots-error").textContent = e.message;
    return;
  }
  $("bot-created").hidden = false;
  $("bot-curl").value = `curl -d 'The washing machine is done' -H 'Authorization: Bearer ${b.token}' ${b.hook_url}`;
  $("bot-curl").focus();
  $("bot-name").value = "";
  await refreshBots();
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

// --- admin console ---

let adminTab = "people";

export function openAdmin() {
  openDialog("dialog-admin");
  showAdminTab(adminTab);
}

// adminItem is a console row: title (an array of text and pills), a muted
// line, and buttons [label, fn(li), danger]; a failing fn shows its error.
function adminItem(title, sub, buttons) {
  const actions = el("div", { class: "item-actions" });
  const li = item(title, sub, actions);
  for (const [label, fn, danger] of buttons) {
    const b = el("button", { type: "button", class: "button" + (danger ? " danger" : "") }, label);
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
  for (const b of document.querySelectorAll("#dialog-admin .tab")) b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  $("admin-error").textContent = "";
  adminNotice();
  const list = $("admin-list");
  list.replaceChildren();
  try {
    if (tab === "people") await showPeople(list);
    else if (tab === "invites") {
      const { invites } = await api("GET", "/api/invites");
      list.replaceChildren(...invites.map(inviteItem));
      adminNotice(adminButton("Show a join card", showJoinCard), " ", adminButton("New invite link…", openInvites));
      if (!invites.length) list.append(adminItem(["No invite links yet."], "A join card makes one: anyone who scans it can create an account.", []));
    } else if (tab === "bots") {
      const { bots } = await api("GET", "/api/bots");
      list.replaceChildren(...bots.map((b) => botItem(b, $("admin-error"))));
      adminNotice(adminButton("New bot…", openBots));
      if (!bots.length) list.append(adminItem(["No bots yet."], "A bot lets a script or a gadget post into one room.", []));
    } else if (tab === "rooms") await showRooms(list);
    else if (tab === "server") {
      const [f, backups] = await Promise.all([api("GET", "/api/admin/facts"), api("GET", "/api/admin/backups")]);
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
        el("li", null, el("a", { href: "/api/admin/backup", class: "button" }, "Download a backup")));
    } else {
      const { entries } = await api("GET", "/api/admin/audit");
      list.replaceChildren(...entries.map((e) => adminItem([`${e.admin}: ${e.action}${e.target ? " " + e.target : ""}`],
        `${fullFmt.format(new Date(e.ts))}${e.detail ? " · " + e.detail : ""}`, [])));
      if (!entries.length) adminNotice("Nothing yet: what admins do is written here.");
    }
  } catch (e) {
    $("admin-error").textContent = e.message;
  }
}

async function showPeople(list) {
  const { users } = await api("GET", "/api/admin/users");
  list.replaceChildren(...users.map((u) => adminItem(
    [u.name, u.admin && pill("admin", true), u.disabled && pill("disabled"), u.online && pill("online", true), u.login_limited && pill("login limited")],
    `${u.sessions} device${u.sessions === 1 ? "" : "s"} · joined ${new Date(u.created).toLocaleDateString()}`,
    u.name === state.me.username ? [] : [
      [u.admin ? "Remove admin" : "Make admin", async () => { await api("PUT", `/api/admin/users/${u.name}`, { admin: !u.admin, disabled: u.disabled }); showAdminTab("people"); }],
      [u.disabled ? "Enable" : "Disable", async () => { await api("PUT", `/api/admin/users/${u.name}`, { admin: u.admin, disabled: !u.disabled }); showAdminTab("people"); }, !u.disabled],
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
          [["Log out", async () => { await api("DELETE", `/api/admin/sessions/${encodeURIComponent(x.id)}`); showAdminTab("people"); }, true]])));
        if (!sessions.length) adminNotice(`${u.name} is not logged in anywhere.`);
      }],
    ])));
}

async function showRooms(list) {
  const { rooms } = await api("GET", "/api/rooms");
  list.replaceChildren(...rooms.filter((r) => !r.dm).map((r) => adminItem(
    ["#" + r.name, r.private && pill("private"), r.archived && pill("archived")],
    `made by ${r.created_by || "Hearth"} · ${new Date(r.created).toLocaleDateString()} · keeps ${retentionText(r)}`,
    [["Download history", async () => { location.href = `/api/admin/rooms/${encodeURIComponent(r.name)}/export`; }],
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

function inviteItem(inv) {
  const link = linkInput(inv.url, "Invite link");
  const left = new Date(inv.expires) - Date.now();
  const status = !inv.usable ? (inv.uses >= inv.max_uses ? "used up" : "expired")
    : `expires in ${left > 86400000 ? Math.round(left / 86400000) + " days" : Math.max(1, Math.round(left / 3600000)) + " hours"}`;
  const copy = el("button", {
    class: "button",
    disabled: !inv.usable,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(inv.url);
      } catch {
        link.select();
        document.execCommand("copy"); // clipboard API needs HTTPS; this works on a LAN
      }
      copy.textContent = "Copied";
      setTimeout(() => { copy.textContent = "Copy"; }, 1500);
    },
  }, "Copy");
  const li = el("li", null,
    el("div", { class: "item-main" }, link, el("div", { class: "item-sub" }, `${status} · used ${inv.uses} of ${inv.max_uses}`)),
    // The join card: a QR code of the link, for a phone to scan off a screen.
    el("button", {
      class: "button",
      title: "Show a QR code to scan with a phone",
      disabled: !inv.usable,
      onclick: () => {
        const existing = li.querySelector(".join-card");
        if (existing) { existing.remove(); return; }
        li.append(el("img", { class: "join-card", src: `/api/invites/${encodeURIComponent(inv.code)}/qr.png`, alt: "QR code of the invite link", width: 240, height: 240 }));
      },
    }, "QR"),
    copy,
    el("button", {
      class: "button danger",
      onclick: async () => {
        try { await api("DELETE", "/api/invites/" + encodeURIComponent(inv.code)); } catch (e) { $("invites-error").textContent = e.message; return; }
        li.remove();
      },
    }, "Delete"));
  return li;
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
