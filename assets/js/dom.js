// dom.js owns the small tools every view uses: el() to build elements,
// keyed() to update a list in place, lookups by id, switching views,
// opening dialogs, avatars, and the formatting of times, sizes and
// devices. It knows nothing of chat state.
// User text only ever becomes text nodes here: el() appends strings as
// text, and refuses innerHTML.

export const $ = (id) => document.getElementById(id);

// el builds an element: el("li", {class: "msg", "data-id": 7}, child, …).
// Attributes named data-*, aria-* or role are set as attributes (false,
// null and undefined leave them out); "class" sets the class list; any
// other name the element has as a property (type, href, value, onclick,
// hidden…) is assigned as one, so false clears a boolean. Children are
// nodes or strings (as text), nested arrays are flattened, and null,
// undefined and false are skipped.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "innerHTML" || k === "outerHTML") throw new Error("el: text only");
    if (k === "class") { if (v) e.className = v; }
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role" || !(k in e)) {
      if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : String(v));
    } else if (v !== undefined) e[k] = v;
  }
  e.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return e;
}

// drawn remembers, for each node keyed() made, the key and signature it
// was made for.
const drawn = new WeakMap();

// keyed makes parent's children match specs, {key, sig, make}, in order,
// changing only what changed: a child made for the same key and signature
// stays as it is (with its focus, scroll and open editor), make() draws
// the rest, and children no spec names go (each passed to gone, if given).
// It returns the nodes it made.
export function keyed(parent, specs, gone) {
  const old = new Map();
  for (const n of parent.children) {
    const d = drawn.get(n);
    if (d) old.set(d.key, n);
  }
  const made = [];
  const nodes = specs.map((s) => {
    const n = old.get(s.key);
    if (n && drawn.get(n).sig === s.sig) {
      old.delete(s.key);
      return n;
    }
    const fresh = s.make();
    drawn.set(fresh, { key: s.key, sig: s.sig });
    made.push(fresh);
    return fresh;
  });
  const keep = new Set(nodes);
  for (const n of [...parent.children]) {
    if (keep.has(n)) continue;
    n.remove();
    if (gone) gone(n);
  }
  // What stays is usually in order already, so mostly new nodes move.
  let at = parent.firstChild;
  for (const n of nodes) {
    if (n === at) at = at.nextSibling;
    else parent.insertBefore(n, at);
  }
  return made;
}

export function showView(id) {
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== id;
}

// openDialog opens the dialog id as a modal. Closing it gives the focus
// back where it was, as browsers do, also when that element was drawn anew
// while the dialog was open (a message that changed): then the one drawn
// in its place, found by its id or data-id, gets it.
export function openDialog(id) {
  const d = $(id);
  if (d.open) return;
  const back = document.activeElement;
  d.showModal();
  d.addEventListener("close", () => {
    // Where the browser could not give it back, the focus is still in
    // the closed dialog, or on the body.
    const f = document.activeElement;
    if (f && f !== document.body && !d.contains(f)) return;
    const again = !back || back === document.body ? null
      : back.isConnected ? back
      : back.id ? $(back.id)
      : back.dataset.id ? document.querySelector(`${back.tagName}[data-id="${CSS.escape(back.dataset.id)}"]`) : null;
    if (again) again.focus({ preventScroll: true });
  }, { once: true });
}

// paintAvatar gives node a colour made from a person's (login) name and
// the first character of label (their display name, or that name): a
// whole character as people see it, so an emoji sequence or a letter with
// its accents stays whole.
export function paintAvatar(node, name, label = name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360;
  node.style.setProperty("--hue", h);
  node.textContent = firstCharacter(label) || "?";
  return node;
}

const graphemes = "Segmenter" in Intl ? new Intl.Segmenter() : null;

function firstCharacter(s) {
  if (!graphemes) return [...s][0];
  for (const { segment } of graphemes.segment(s)) return segment;
  return "";
}

// avatar is a new painted avatar; cls adds "small" and the like.
export function avatar(name, cls) {
  return paintAvatar(el("span", { class: "avatar" + (cls ? " " + cls : "") }), name);
}

// linkInput shows a link to copy: read-only, selected when focused.
export function linkInput(url, label) {
  const input = el("input", { class: "invite-link", readOnly: true, value: url, "aria-label": label });
  input.onfocus = () => input.select();
  return input;
}

// item is a list row of the dialogs: a title over a muted line, then
// whatever follows (buttons).
export function item(title, sub, ...rest) {
  return el("li", null,
    el("div", { class: "item-main" }, el("div", { class: "item-title" }, title), el("div", { class: "item-sub" }, sub)),
    ...rest);
}

export const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
export const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const weekdayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const yearDayFmt = new Intl.DateTimeFormat(undefined, { month: "long", day: "numeric", year: "numeric" });

// shortTime is a time without its AM/PM, for beside a grouped message
// (its group's header says which half of the day); the title holds it all.
export function shortTime(d) {
  return timeFmt.formatToParts(d).filter((p) => p.type !== "dayPeriod").map((p) => p.value).join("").trim();
}

// dayLabel names the day of d as a divider between days: "Today",
// "Yesterday", the weekday within the past week, the date this year, and
// the date with its year before.
export function dayLabel(d, now = new Date()) {
  const midnight = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate());
  const days = Math.round((midnight(now) - midnight(d)) / 86400000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return weekdayFmt.format(d);
  return d.getFullYear() === now.getFullYear() ? dayFmt.format(d) : yearDayFmt.format(d);
}

export function fileSize(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1 << 20) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1 << 20)).toFixed(1)} MB`;
}

export function ago(ts) {
  const s = Math.max(0, (Date.now() - new Date(ts)) / 1000);
  if (s < 90) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 86400 * 1.5) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function describeAgent(ua) {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome"
    : /Safari\//.test(ua) ? "Safari" : null;
  const os = /Android/.test(ua) ? "Android" : /iPhone/.test(ua) ? "iPhone" : /iPad/.test(ua) ? "iPad"
    : /Windows/.test(ua) ? "Windows" : /Mac OS X/.test(ua) ? "Mac" : /CrOS/.test(ua) ? "ChromeOS" : /Linux/.test(ua) ? "Linux" : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || ua.slice(0, 60);
}

export function utf8Length(s) { return new TextEncoder().encode(s).length; }
