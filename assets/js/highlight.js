// highlight.js owns marking what a search found: the start of each word
// that a search term begins (the server matches a term against the start
// of words, search.go), in a result's text and in the message a result
// opens. Marks are <mark> elements around text nodes: nothing is parsed as
// HTML. It knows nothing of chat state.
import { el } from "./dom.js";

// WORD is a word as the server's index splits text: a run of letters and
// decimal digits (Go's unicode.IsLetter and IsDigit).
const WORD = /[\p{L}\p{Nd}]+/gu;

// hitLength is how many code units of word the longest of terms (lower
// case) covers from its start, or 0 when none begins it.
function hitLength(word, terms) {
  const lower = word.toLowerCase();
  let best = "";
  for (const t of terms) if (t.length > best.length && lower.startsWith(t)) best = t;
  if (!best) return 0;
  // Lower-casing may change a text's length (İ is two code units lower
  // case): grow the original's prefix until it lower-cases to the term.
  for (let k = 1; k <= word.length; k++) {
    if (word.slice(0, k).toLowerCase() === best) return k;
  }
  return word.length;
}

// hits lists the [start, end) ranges of text to mark, in order.
function hits(text, terms) {
  const out = [];
  if (!terms || !terms.length) return out;
  for (const m of text.matchAll(WORD)) {
    const n = hitLength(m[0], terms);
    if (n) out.push([m.index, m.index + n]);
  }
  return out;
}

// markedText is text as children for el(): strings, with a <mark> around
// each hit.
export function markedText(text, terms) {
  const parts = [];
  let last = 0;
  for (const [a, b] of hits(text, terms)) {
    parts.push(text.slice(last, a), el("mark", null, text.slice(a, b)));
    last = b;
  }
  parts.push(text.slice(last));
  return parts.filter((p) => p !== "");
}

// snippet is at most max characters of text around its first hit, with
// "…" where it was cut: a long message's hit may be far from its start.
export function snippet(text, terms, max) {
  if (text.length <= max) return text;
  const first = hits(text, terms)[0];
  let from = 0;
  if (first && first[1] > max - 20) {
    from = Math.max(0, first[0] - 40);
    const space = text.lastIndexOf(" ", from);
    if (space > first[0] - 60) from = space + 1; // start on a word
  }
  const to = Math.min(text.length, from + max);
  return (from > 0 ? "…" : "") + text.slice(from, to) + (to < text.length ? "…" : "");
}

// markWords puts a <mark> around every hit in the text under node (a
// drawn message's body, with its links, code and mentions), and returns
// how many it made.
export function markWords(node, terms) {
  if (!node || !terms || !terms.length) return 0;
  const texts = [];
  const walk = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) if (!walk.currentNode.parentElement.closest("mark")) texts.push(walk.currentNode);
  let made = 0;
  for (const t of texts) {
    // From the end, so the ranges before stay where they were.
    for (const [a, b] of hits(t.data, terms).reverse()) {
      const hit = t.splitText(a);
      hit.splitText(b - a);
      hit.replaceWith(el("mark", null, hit.data));
      made++;
    }
  }
  return made;
}
