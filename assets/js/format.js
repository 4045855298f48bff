// format.js owns how a message's text is shown: the formatting people
// type in other chats (**bold**, *italic* or _italic_, ~~strike~~,
// `code`, ```code blocks```, "> " quotes, "- " and "1. " lists), links
// and @mentions. It builds elements and text nodes only: nothing a
// message holds is ever parsed as HTML, and nothing inside code is
// formatted. It also makes the one line a reply quotes of its original.
import { el } from "./dom.js";
import { config } from "./config.js";

const FENCE = "```";
const QUOTE_LINE = /^\s{0,3}>(?: |$)(.*)$/;        // "> said" (">.<" is a face, not a quote)
const BULLET_LINE = /^\s{0,3}[-*•]\s+(\S.*)$/;     // "- milk"
const NUMBER_LINE = /^\s{0,3}(\d{1,3})[.)]\s+(\S.*)$/; // "1. eggs" (a year is not a list: "2024. …")

// renderBody appends text to node, formatted.
export function renderBody(node, text) {
  const parts = text.split(FENCE);
  // Odd parts are between fences; a fence left open is text, as typed.
  const isCode = (i) => i % 2 === 1 && i < parts.length - 1;
  parts.forEach((part, i) => {
    if (isCode(i)) {
      // The line breaks just inside the fences are the fences' own.
      node.append(el("pre", null, el("code", null, part.replace(/^\n/, "").replace(/\n$/, ""))));
      return;
    }
    if (i % 2 === 1) part = FENCE + part;
    if (isCode(i - 1)) part = part.replace(/^\n/, "");
    if (isCode(i + 1)) part = part.replace(/\n$/, "");
    renderBlocks(node, part);
  });
}

// renderBlocks appends lines of text: runs of quoted lines as a
// blockquote (formatted in turn, so quotes nest), runs of list items as a
// list, and the lines between as text whose line breaks stay (the body is
// white-space: pre-wrap). Blank lines next to a block are left to its
// margins.
function renderBlocks(node, text) {
  const lines = text.split("\n");
  let para = [];
  let afterBlock = false;
  const flush = () => {
    while (para.length && !para[para.length - 1].trim()) para.pop();
    if (para.length) renderInline(node, para.join("\n"));
    para = [];
    afterBlock = true;
  };
  const take = (re, i) => {
    const got = [];
    for (let m; i < lines.length && (m = lines[i].match(re)); i++) got.push(m);
    return got;
  };
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    let got;
    if (QUOTE_LINE.test(line)) {
      flush();
      got = take(QUOTE_LINE, i);
      const q = el("blockquote");
      renderBlocks(q, got.map((m) => m[1]).join("\n"));
      node.append(q);
    } else if (BULLET_LINE.test(line)) {
      flush();
      got = take(BULLET_LINE, i);
      node.append(el("ul", null, got.map((m) => item(m[1]))));
    } else if (NUMBER_LINE.test(line)) {
      flush();
      got = take(NUMBER_LINE, i);
      const start = Number(got[0][1]);
      node.append(el("ol", { start: start !== 1 ? start : undefined }, got.map((m) => item(m[2]))));
    } else {
      if (!(afterBlock && !para.length && !line.trim())) { para.push(line); afterBlock = false; }
      i++;
      continue;
    }
    i += got.length;
  }
  flush();
}

function item(text) {
  const li = el("li");
  renderInline(li, text);
  return li;
}

// The inline pattern, built once the server's mention pattern is known.
// Alternatives, in the order they win at the same place:
//   1 `code`  2 a link  3 **bold**  4 ~~strike~~  5,6 *italic*
//   7,8 _italic_  9 an @mention (the server's pattern, whose one group is
//   the name; last, as it takes the character before the @ too)
// Emphasis opens only where a word does not continue (snake_case and
// 2*3*4 stay as typed), never on a space, and stays on one line.
let inlineSource = "";
function inlineRE() {
  if (!inlineSource) {
    inlineSource = [
      "`([^`\\n]+)`",
      "\\b([hH][tT][tT][pP][sS]?:\\/\\/[^\\s<>\"']+)",
      "\\*\\*(?!\\s)([^\\n]*?\\S)\\*\\*(?!\\*)",
      "~~(?!\\s)([^\\n]*?\\S)~~",
      "(^|[^\\w*])\\*(?![\\s*])([^\\n]*?[^\\s*])\\*(?![\\w*])",
      "(^|[^\\w_])_(?![\\s_])([^\\n]*?[^\\s_])_(?![\\w_])",
      "(?:" + config.mentionPattern + ")",
    ].join("|");
  }
  return new RegExp(inlineSource, "g"); // a fresh one: formatting nests, and each level scans on its own
}

// renderInline appends one run of text with its inline formatting.
function renderInline(node, text) {
  const re = inlineRE();
  let last = 0;
  for (let m; (m = re.exec(text));) {
    let start = m.index, end = re.lastIndex, part;
    if (m[1] !== undefined) {
      part = el("code", null, m[1]);
    } else if (m[2] !== undefined) {
      const href = trimLink(m[2]);
      if (!isWebLink(href)) { re.lastIndex = m.index + 1; continue; }
      part = el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, href);
      end = start + href.length;
      re.lastIndex = end; // what was trimmed off is text again
    } else if (m[3] !== undefined) {
      part = wrap("strong", m[3]);
    } else if (m[4] !== undefined) {
      part = wrap("s", m[4]);
    } else if (m[9] === undefined) {
      const [lead, inner] = m[6] !== undefined ? [m[5], m[6]] : [m[7], m[8]];
      start += lead.length;
      part = wrap("em", inner);
    } else {
      start = end - 1 - m[9].length; // past the character before the @
      part = el("span", { class: "mention" }, "@" + m[9]);
    }
    node.append(text.slice(last, start), part);
    last = end;
  }
  node.append(text.slice(last));
}

function wrap(tag, inner) {
  const e = el(tag);
  renderInline(e, inner);
  return e;
}

// trimLink drops the punctuation that ends a sentence around a link, and
// a closing bracket the link did not open ("(see https://x.org/a_(b))").
function trimLink(href) {
  for (;;) {
    const cut = href.replace(/[.,;:!?'"]+$/, "");
    const last = cut.slice(-1);
    const pairs = { ")": "(", "]": "[", "}": "{" };
    if (pairs[last] && count(cut, pairs[last]) < count(cut, last)) { href = cut.slice(0, -1); continue; }
    return cut;
  }
}

function count(s, ch) { return s.split(ch).length - 1; }

function isWebLink(href) {
  try { return ["http:", "https:"].includes(new URL(href).protocol); } catch { return false; }
}

// quoteLine is the line a reply shows of its original: the first line
// with words in it, without the marks of formatting that starts a line
// ("> ", "- ", fences), cut to about a line.
export function quoteLine(text) {
  const line = text.split("\n")
    .map((l) => l.replace(/^\s*(?:>\s?|[-*•]\s+|\d{1,3}[.)]\s+|```)*/, "").replace(/\*\*|~~|`/g, "").trim())
    .find((l) => l) || "";
  return line.length > 120 ? line.slice(0, 119).trimEnd() + "…" : line;
}
