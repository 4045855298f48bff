// emoji.js owns the emoji picker: the data set (GET /emoji.json, the very
// file the server takes reactions from), fetched once when the picker
// first opens; search by name; the categories; the "Recent" row, kept per
// device in localStorage; and using it by keyboard (arrows move, Enter
// picks, Escape closes, typing searches). It knows nothing of messages or
// the composer: whoever opens it says what a pick does and where the focus
// goes back to.
import { el } from "./dom.js";

const RECENT_KEY = "hearth.emoji.recent";
const RECENT_MAX = 24; // three rows of a phone's picker

// One emoji stands for each group of the data set on its tab.
const GROUP_ICONS = {
  "Smileys & Emotion": "😀", "People & Body": "👋", "Animals & Nature": "🐻", "Food & Drink": "🍔",
  "Travel & Places": "🚗", "Activities": "⚽", "Objects": "💡", "Symbols": "🔣", "Flags": "🏁",
};

let data = null;    // a promise of {groups: [{name, emoji: [{e, name, words}]}], byEmoji: Map}
let panel = null;   // the picker's <dialog>, made on first open and kept
let parts = null;   // its search box, tabs, list, recent section, results section, preview
let opened = null;  // {onPick, returnFocus} while it is open
let active = null;  // the highlighted emoji cell: Enter picks it
let cellSeq = 0;

// loadEmoji fetches the data set once (again after a failure).
function loadEmoji() {
  if (!data) {
    data = fetch("/emoji.json").then((res) => {
      if (!res.ok) throw new Error(`emoji: ${res.status}`);
      return res.json();
    }).then((d) => {
      const byEmoji = new Map();
      const groups = d.groups.map((g) => ({
        name: g.name,
        emoji: g.emoji.map(([e, name]) => {
          const x = { e, name, words: name.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean) };
          byEmoji.set(e, x);
          return x;
        }),
      }));
      return { groups, byEmoji };
    }).catch((err) => { data = null; throw err; });
  }
  return data;
}

// recentEmoji is this device's recent picks, newest first, that the data
// set still holds.
function recentEmoji(byEmoji) {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
    return Array.isArray(list) ? list.filter((e) => byEmoji.has(e)).slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

function remember(e) {
  let list = [];
  try { list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]"); } catch { /* start afresh */ }
  if (!Array.isArray(list)) list = [];
  list = [e, ...list.filter((x) => x !== e)].slice(0, RECENT_MAX);
  try { localStorage.setItem(RECENT_KEY, JSON.stringify(list)); } catch { /* private mode */ }
}

// matches reports whether every word of the query starts a word of the
// emoji's name, the way message search matches: "hedge" finds hedgehog,
// "red hea" the red heart.
function matches(x, query) {
  return query.every((q) => x.words.some((w) => w.startsWith(q)));
}

function cell(x) {
  return el("span", { class: "emoji-cell", role: "option", id: "emoji-" + ++cellSeq, "aria-selected": "false", "aria-label": x.name, title: x.name, "data-emoji": x.e }, x.e);
}

function section(key, title, ...cells) {
  const head = "emoji-head-" + key;
  return el("div", { class: "emoji-section", role: "group", "aria-labelledby": head, "data-group": key },
    el("div", { class: "emoji-section-title", id: head }, title),
    el("div", { class: "emoji-grid" }, cells));
}

// build makes the picker once the data set is here: every group's section
// (made once: some 1,900 cells), and empty Recent and result sections
// filled on each open and search.
function build(d) {
  const search = el("input", {
    type: "search", class: "emoji-search", placeholder: "Search emoji", autocomplete: "off", spellcheck: false,
    role: "combobox", "aria-label": "Search emoji", "aria-controls": "emoji-list", "aria-expanded": "true", "aria-autocomplete": "list",
  });
  const tab = (key, icon, label) => el("button", { type: "button", class: "emoji-tab", "data-group": key, "aria-label": label, title: label }, icon);
  const tabs = el("div", { class: "emoji-tabs", role: "group", "aria-label": "Categories" },
    tab("recent", "🕘", "Recent"), d.groups.map((g) => tab(g.name, GROUP_ICONS[g.name] || g.emoji[0].e, g.name)));
  const recent = section("recent", "Recent");
  const results = section("results", "Results");
  const list = el("div", { class: "emoji-list", id: "emoji-list", role: "listbox", "aria-label": "Emoji", tabIndex: -1 },
    recent, results, d.groups.map((g) => section(g.name, g.name, g.emoji.map(cell))));
  const preview = el("div", { class: "emoji-preview", "aria-hidden": "true" }, el("span", { class: "emoji-preview-glyph" }), el("span", { class: "emoji-preview-name" }));
  const none = el("p", { class: "emoji-none", hidden: true }, "No emoji found");
  panel = el("dialog", { class: "emoji-panel", "aria-label": "Emoji" },
    el("div", { class: "emoji-inner" }, search, tabs, list, none, preview));
  parts = { search, tabs, list, recent, results, preview, none };

  search.addEventListener("input", () => runSearch(d));
  panel.addEventListener("keydown", onKey);
  // A click on the backdrop lands on the dialog itself (its box is all
  // .emoji-inner).
  panel.addEventListener("click", (e) => { if (e.target === panel) finish(null); });
  // A close event is queued, not sent at once: one from an Escape can
  // arrive after the picker was opened again (Escape, then a quick click),
  // and must not close the new one.
  panel.addEventListener("close", () => { if (opened && !panel.open) finish(null); });
  list.addEventListener("click", (e) => {
    const c = e.target.closest(".emoji-cell");
    if (c) finish(c.dataset.emoji);
  });
  list.addEventListener("pointermove", (e) => {
    const c = e.pointerType === "mouse" && e.target.closest(".emoji-cell");
    if (c && c !== active) setActive(c, false);
  });
  list.addEventListener("scroll", markTab, { passive: true });
  tabs.addEventListener("click", (e) => {
    const t = e.target.closest(".emoji-tab");
    if (!t) return;
    if (search.value) { search.value = ""; runSearch(d); }
    const s = list.querySelector(`.emoji-section[data-group="${CSS.escape(t.dataset.group)}"]`);
    if (s && !s.hidden) {
      list.scrollTop = s.offsetTop - list.offsetTop;
      setActive(s.querySelector(".emoji-cell"), false);
      markTab();
    }
  });
  document.body.append(panel);
}

// runSearch shows the emoji whose names match the search box (the groups
// again when it is empty) and highlights the first.
function runSearch(d) {
  const { search, list, results, recent, none } = parts;
  const query = search.value.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const searching = query.length > 0;
  for (const s of list.querySelectorAll(".emoji-section")) {
    s.hidden = searching ? s !== results : s === results || (s === recent && !recent.querySelector(".emoji-cell"));
  }
  parts.tabs.hidden = searching;
  let first = null;
  if (searching) {
    const found = [];
    for (const g of d.groups) for (const x of g.emoji) if (matches(x, query)) found.push(x);
    // Names that start with the query first: "cat" puts the cat before
    // the grinning cat.
    found.sort((a, b) => (a.words[0].startsWith(query[0]) ? 0 : 1) - (b.words[0].startsWith(query[0]) ? 0 : 1));
    results.querySelector(".emoji-grid").replaceChildren(...found.map(cell));
    results.querySelector(".emoji-section-title").textContent = found.length === 1 ? "1 emoji" : `${found.length} emoji`;
    none.hidden = found.length > 0;
    first = results.querySelector(".emoji-cell");
    list.scrollTop = 0;
  } else {
    none.hidden = true;
    first = list.querySelector(".emoji-section:not([hidden]) .emoji-cell");
  }
  setActive(first, false);
  markTab();
}

// setActive highlights c (or nothing) and shows its name below the grid.
function setActive(c, scroll) {
  if (active) { active.classList.remove("active"); active.setAttribute("aria-selected", "false"); }
  active = c;
  const [glyph, name] = parts.preview.children;
  if (!c) {
    parts.search.removeAttribute("aria-activedescendant");
    glyph.textContent = name.textContent = "";
    return;
  }
  c.classList.add("active");
  c.setAttribute("aria-selected", "true");
  parts.search.setAttribute("aria-activedescendant", c.id);
  glyph.textContent = c.dataset.emoji;
  name.textContent = c.title;
  if (scroll) c.scrollIntoView({ block: "nearest" });
}

// markTab marks the tab of the section at the top of the list.
function markTab() {
  const { list, tabs } = parts;
  const top = list.scrollTop + list.offsetTop + 4;
  let at = null;
  for (const s of list.querySelectorAll(".emoji-section:not([hidden])")) {
    if (s.offsetTop <= top) at = s.dataset.group;
  }
  for (const t of tabs.children) t.setAttribute("aria-pressed", String(t.dataset.group === at));
}

// move steps the highlight: left and right through the emoji in order,
// up and down to the nearest emoji of the row above or below, across
// sections, by where they are drawn.
function move(key) {
  const cells = [...parts.list.querySelectorAll(".emoji-section:not([hidden]) .emoji-cell")];
  if (!cells.length) return;
  let i = cells.indexOf(active);
  if (i < 0) return setActive(cells[0], true);
  if (key === "ArrowRight" || key === "ArrowLeft") {
    i = Math.max(0, Math.min(cells.length - 1, i + (key === "ArrowRight" ? 1 : -1)));
    return setActive(cells[i], true);
  }
  const step = key === "ArrowDown" ? 1 : -1;
  const here = active.getBoundingClientRect();
  let row = null, best = null, bestDist = Infinity;
  for (let j = i + step; j >= 0 && j < cells.length; j += step) {
    const r = cells[j].getBoundingClientRect();
    if (Math.abs(r.top - here.top) < 2) continue; // the same row
    if (row === null) row = r.top;
    if (Math.abs(r.top - row) >= 2) break; // past the next row
    const dist = Math.abs(r.left - here.left);
    if (dist < bestDist) { best = cells[j]; bestDist = dist; }
  }
  if (best) setActive(best, true);
}

function onKey(e) {
  const inTabs = e.target.closest(".emoji-tab");
  if (e.key === "Escape") {
    e.preventDefault(); // closes at once, even with text in the search box
    finish(null);
  } else if (e.key.startsWith("Arrow") && !inTabs && !e.altKey && !e.ctrlKey && !e.metaKey) {
    e.preventDefault();
    move(e.key);
  } else if (e.key === "Enter" && !inTabs && !e.isComposing) {
    e.preventDefault();
    if (active) finish(active.dataset.emoji);
  } else if (e.key.length === 1 && e.target !== parts.search && !e.ctrlKey && !e.metaKey && !e.altKey && e.key !== " ") {
    parts.search.focus(); // typing anywhere in the picker searches
  }
}

// finish closes the picker, and picks e unless it is null; the focus goes
// back where the opener said.
function finish(e) {
  const o = opened;
  opened = null;
  if (panel.open) panel.close();
  if (!o) return;
  if (e) { remember(e); o.onPick(e); }
  if (o.returnFocus) o.returnFocus();
}

// place puts the picker by the anchor's box, above it when there is room
// (as from the composer), else below; on a narrow screen it is a sheet
// along the bottom (CSS), placed by nothing.
function place(a) {
  const narrow = matchMedia("(max-width: 560px)").matches;
  panel.classList.toggle("sheet", narrow);
  panel.style.left = panel.style.top = "";
  if (narrow || !a) return;
  const w = panel.offsetWidth, h = panel.offsetHeight, m = 8;
  const left = Math.max(m, Math.min(a.left, innerWidth - w - m));
  let top = a.top - h - m;
  if (top < m) top = Math.max(m, Math.min(a.bottom + m, innerHeight - h - m));
  panel.style.left = left + "px";
  panel.style.top = top + "px";
}

// openEmojiPicker opens the picker by anchor (an element, or a box taken
// from one that is going away). onPick(emoji) is called with the emoji
// chosen; returnFocus, if given, puts the focus back afterwards, picked or
// not. It rejects if the data set cannot be fetched.
export async function openEmojiPicker({ anchor, onPick, returnFocus }) {
  const box = anchor instanceof Element ? anchor.getBoundingClientRect() : anchor;
  const d = await loadEmoji();
  if (!panel) build(d);
  if (opened) finish(null);
  opened = { onPick, returnFocus };
  const recent = recentEmoji(d.byEmoji);
  parts.recent.querySelector(".emoji-grid").replaceChildren(...recent.map((e) => cell(d.byEmoji.get(e))));
  parts.tabs.querySelector('[data-group="recent"]').hidden = recent.length === 0;
  parts.search.value = "";
  panel.showModal();
  place(box);
  runSearch(d);
  parts.list.scrollTop = 0;
  markTab();
  // On a touch screen the search box would bring up the keyboard over the
  // emoji: the list takes the focus, and typing still searches.
  if (matchMedia("(pointer: coarse)").matches) parts.list.focus();
  else parts.search.focus();
}
