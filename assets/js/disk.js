// disk.js owns what the web client says about the server's disk: the
// banner admins see while it is nearly full (uploads paused) or full (new
// messages refused), from the server's notice frames and the notice in
// their hello (PROTOCOL.md), and the disk's part of the admin console's
// Server tab: free space, what compacting would give back, and the
// command that does it.
import { el, linkInput, fileSize } from "./dom.js";

// showNotice shows the server's notice n as a banner under the
// conversation's header, or takes the banner down (n absent, or its level
// "ok"). Only admins are sent notices.
export function showNotice(n) {
  let banner = document.getElementById("server-notice");
  if (!n || n.level === "ok") {
    banner?.remove();
    return;
  }
  if (!banner) {
    banner = el("div", { id: "server-notice", role: "alert" });
    document.querySelector(".chat-head")?.after(banner);
  }
  banner.className = "server-notice" + (n.level === "error" ? " bad" : "");
  banner.replaceChildren(n.message);
}

// diskFacts are the disk's rows of the Server tab's facts, from
// GET /api/admin/facts.
export function diskFacts(f) {
  const d = f.disk;
  if (!d) return [];
  let free = d.free_bytes == null ? "unknown on this system" : fileSize(d.free_bytes);
  if (d.state === "low") free += ` — nearly full: uploads are paused below ${fileSize(d.low_bytes)}`;
  else if (d.state === "full") free += ` — full: new messages are refused below ${fileSize(d.floor_bytes)}`;
  return [["Free disk space", free]];
}

// compactItem is the Server tab's row about compacting: how much the
// database would shrink, and the command to run with the server stopped.
export function compactItem(f) {
  const what = f.reclaimable_bytes < 1 << 20
    ? "Little to give back: deleting history leaves pages free in the database file, and there are few."
    : `About ${fileSize(f.reclaimable_bytes)} of the database file is pages freed by deleted history. Hearth reuses them; to give them back to the disk, stop the server and run:`;
  return el("li", { class: "compact-item" },
    el("div", { class: "item-main" },
      el("div", { class: "item-title" }, "Compact the database"),
      el("div", { class: "item-sub" }, what),
      linkInput(f.compact_command, "Command that compacts the database")));
}
