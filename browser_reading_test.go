// browser_reading_test.go drives headless Chromium through reading and
// writing across rooms: a draft stays in the room it was typed in (across
// room switches and reloads, gone once sent); a room opens where the reader
// left off, at the first unread under a "New" divider, and is marked read
// only as far as it comes into view; the "New messages ↓" pill shows only
// for new messages below the view; and in a room of 2,100 messages the list
// stays bounded and each new message or older page costs the same (its
// figures logged, from a probe that measures any version of the client).

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// composerValue is what the composer holds.
const composerValue = `document.getElementById("composer-input").value`

// openRoom clicks a room in the sidebar and waits until it is on screen.
func (p *page) openRoom(name string) {
	p.t.Helper()
	p.clickText("#"+name+" in the sidebar", "#room-list button", name)
	p.until("#"+name+" open", `document.getElementById("room-title").textContent === `+jsString(name))
}

// TestBrowserReadingDrafts: text typed in a private room stays there. It is
// not in #general after switching, is back in the private room, survives a
// reload, and is gone once sent.
func TestBrowserReadingDrafts(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("dad", "hearth-and-home", false)
	mum := loginClient(t, ts, "mum", "hearth-and-home")
	mustDo(t, mum, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "parents", "private": true, "members": []string{"mum", "dad"}}, nil)

	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.openRoom("parents")
	const secret = "the bike is hidden in the shed"
	p.do("type a draft", chromedp.SendKeys(chromedp.ID("composer-input"), secret))

	p.openRoom("general")
	if got := p.eval(composerValue); got != "" {
		t.Fatalf("in #general the composer holds %q, typed in #parents", got)
	}
	p.openRoom("parents")
	if got := p.eval(composerValue); got != secret {
		t.Fatalf("back in #parents the composer holds %q, want the draft %q", got, secret)
	}

	// A reload keeps it, in its room only.
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("#parents open after the reload", `document.getElementById("room-title").textContent === "parents"`)
	if got := p.eval(composerValue); got != secret {
		t.Fatalf("after a reload #parents' composer holds %q, want the draft %q", got, secret)
	}
	p.openRoom("general")
	if got := p.eval(composerValue); got != "" {
		t.Fatalf("after a reload #general's composer holds %q", got)
	}

	// Sent, it is no draft any more: not in the composer, not after a reload.
	p.openRoom("parents")
	p.do("send the draft", chromedp.Focus(chromedp.ID("composer-input")), pressEnter)
	p.sees(secret)
	if got := p.eval(composerValue); got != "" {
		t.Errorf("after sending, the composer holds %q", got)
	}
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("#parents open after the reload", `document.getElementById("room-title").textContent === "parents"`)
	p.sees(secret)
	if got := p.eval(composerValue); got != "" {
		t.Errorf("after sending and a reload, the composer holds %q", got)
	}
	if got := p.eval(`Object.keys(localStorage).filter(k => k.startsWith("hearth.draft."))`); len(got.([]any)) != 0 {
		t.Errorf("drafts left in localStorage after sending: %v", got)
	}
}

// perfProbe is installed in the page before its scripts run. It watches
// the client from outside, the same way for any version of it: each
// message frame's handling is timed (with the layout it causes) and the
// nodes it adds to or removes from #message-list are counted; so is each
// older page, from its answer's JSON to the end of the task that draws it.
// window.__perf.ids holds every message id the client was given.
const perfProbe = `(() => {
  const perf = window.__perf = { ids: new Set(), frames: [], pages: [], added: 0, removed: 0 };
  const tally = (recs) => { for (const r of recs) { perf.added += r.addedNodes.length; perf.removed += r.removedNodes.length; } };
  const mo = new MutationObserver(tally);
  let watching = false;
  const watch = () => {
    const list = document.getElementById("message-list");
    if (!watching && list) { mo.observe(list, { childList: true, subtree: true }); watching = true; }
    tally(mo.takeRecords());
    return list;
  };
  const size = (list) => ({ rows: list.children.length, nodes: list.getElementsByTagName("*").length });
  const layout = () => document.getElementById("messages").scrollHeight;
  const json = Response.prototype.json;
  Response.prototype.json = async function () {
    const v = await json.call(this);
    if (v && Array.isArray(v.messages)) {
      const loaded = perf.ids.size;
      for (const m of v.messages) perf.ids.add(m.id);
      if (/[?&]before=/.test(this.url)) {
        const list = watch();
        const a = perf.added, r = perf.removed, t0 = performance.now();
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          layout();
          tally(mo.takeRecords());
          perf.pages.push({ loaded, ms: performance.now() - t0, added: perf.added - a, removed: perf.removed - r, ...size(list) });
        };
        ch.port2.postMessage(0);
      }
    }
    return v;
  };
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...args) {
      super(...args);
      let handler = null;
      Object.defineProperty(this, "onmessage", { get: () => handler, set: (fn) => { handler = fn; } });
      this.addEventListener("message", (ev) => {
        if (!handler) return;
        const f = JSON.parse(ev.data);
        const list = watch();
        const loaded = perf.ids.size;
        if (f.type === "message") perf.ids.add(f.id);
        const a = perf.added, r = perf.removed, t0 = performance.now();
        handler.call(this, ev);
        layout();
        tally(mo.takeRecords());
        if (f.type === "message") perf.frames.push({ loaded, ms: performance.now() - t0, added: perf.added - a, removed: perf.removed - r, ...size(list) });
      });
    }
  };
})()`

// perfSample is one measured frame or page, as perfProbe records it.
type perfSample struct {
	Loaded, Added, Removed, Rows, Nodes int
	MS                                  float64
}

// perfSamples reads window.__perf[which].
func (p *page) perfSamples(which string) []perfSample {
	p.t.Helper()
	raw, _ := p.eval(`JSON.stringify(window.__perf.` + which + `)`).(string)
	var out []perfSample
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		p.t.Fatalf("read __perf.%s %q: %v", which, raw, err)
	}
	return out
}

// postMany has a socket post n messages to room, waiting for each batch's
// last acknowledgement so its send queue never fills.
func postMany(t *testing.T, sk *socket, room, prefix string, n int, body func(i int) string) {
	t.Helper()
	const batch = 50
	for i := 0; i < n; i += batch {
		last := ""
		for j := i; j < min(i+batch, n); j++ {
			last = fmt.Sprintf("%s-%d", prefix, j)
			sk.say(room, body(j), last)
		}
		sk.ack(last)
	}
}

// familyText is a message of varied length, now and then with a link, a
// mention or a second line, like a family's.
func familyText(i int) string {
	switch i % 7 {
	case 0:
		return fmt.Sprintf("message %d: who is picking up grandma from the station on Saturday?", i)
	case 1:
		return fmt.Sprintf("message %d ok", i)
	case 2:
		return fmt.Sprintf("message %d: the recipe is at https://example.com/recipes/%d, @mum", i, i)
	case 3:
		return fmt.Sprintf("message %d: first line\nand a second one with *emphasis*", i)
	default:
		return fmt.Sprintf("message %d 👍", i)
	}
}

// TestBrowserReadingBigRoom measures the client in a room of 2,100
// messages. Reading back through 2,000 of them page by page, the list on
// screen stays bounded and an older page adds about the same nodes at 2,000
// loaded as at 100; back at the newest, each incoming message adds or
// removes only a few nodes. The times are logged, not asserted: machines
// are noisy.
func TestBrowserReadingBigRoom(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	const total, readBack, live = 2100, 2000, 30
	browser := newBrowser(t)
	ts := newTestServer(t, func(c *config) { c.MsgBurst, c.MsgRate = 1e6, 1e6 })
	ts.addUser("mum", "hearth-and-home", true)
	kid, dad := ts.loggedIn("kid"), ts.loggedIn("dad")
	sk, sd := kid.dial(), dad.dial()
	// Runs of three by each, so messages come in groups as in a real chat.
	for i := 0; i < total; i += 30 {
		postMany(t, sk, "general", fmt.Sprintf("k%d", i), 15, func(j int) string { return familyText(i + j) })
		postMany(t, sd, "general", fmt.Sprintf("d%d", i), 15, func(j int) string { return familyText(i + 15 + j) })
	}
	mum := loginClient(t, ts, "mum", "hearth-and-home")
	var latest struct{ Messages []struct{ ID uint64 } }
	mustDo(t, mum, http.StatusOK, "GET", "/api/rooms/general/messages?limit=1", nil, &latest)
	newest := latest.Messages[0].ID
	// Everything read: the room opens at its newest messages.
	mustDo(t, mum, http.StatusOK, "POST", "/api/rooms/general/read", map[string]uint64{"id": newest}, nil)

	p := newPage(t, browser, 1280, 800)
	p.do("install the probe", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: perfProbe})
		return err
	}))
	p.login(ts, "mum", "hearth-and-home")
	p.until("the newest message", fmt.Sprintf(`!!document.querySelector('#message-list .msg[data-id="%d"]')`, newest))

	// Read back, a page at a time, until a page was loaded with 2,000
	// messages already loaded.
	for n := 0; ; n++ {
		if loaded := p.eval(`window.__perf.ids.size`).(float64); loaded > readBack {
			break
		}
		p.eval(`document.getElementById("messages").scrollTop = 0`)
		p.untilOr("older page "+strconv.Itoa(n+1), `window.__perf.pages.length + " pages, " + window.__perf.ids.size + " loaded"`,
			`window.__perf.pages.length > `+strconv.Itoa(n))
	}
	pages := p.perfSamples("pages")

	// Back down to the newest.
	p.untilOr("back at the newest", `document.getElementById("messages").scrollTop + " of " + document.getElementById("messages").scrollHeight + ", " + document.getElementById("message-list").children.length + " rows"`,
		fmt.Sprintf(`(() => { const b = document.getElementById("messages"); b.scrollTop = b.scrollHeight;
			return !!document.querySelector('#message-list .msg[data-id="%d"]') && b.scrollHeight - b.scrollTop - b.clientHeight < 2 })()`, newest))
	bottomRows := p.eval(`document.getElementById("message-list").children.length`)

	// New messages arrive one by one.
	start := len(p.perfSamples("frames"))
	for i := range live {
		id := fmt.Sprintf("live-%d", i)
		sk.say("general", familyText(i), id)
		sk.ack(id)
		p.until("live message "+strconv.Itoa(i), `window.__perf.frames.length > `+strconv.Itoa(start+i))
	}
	frames := p.perfSamples("frames")[start:]

	maxRows := 0
	for _, pg := range pages {
		maxRows = max(maxRows, pg.Rows)
	}
	// A page's figures are those at the given count; its time is the
	// median of the five pages from there, against the noise (Loaded is
	// set to the count at the last of them).
	at := func(loaded int) perfSample {
		i := slices.IndexFunc(pages, func(pg perfSample) bool { return pg.Loaded >= loaded })
		if i < 0 {
			t.Fatalf("no older page loaded at %d loaded: %+v", loaded, pages)
		}
		var ms []float64
		for _, pg := range pages[i:min(i+5, len(pages))] {
			ms = append(ms, pg.MS)
		}
		slices.Sort(ms)
		pg := pages[i]
		pg.MS = ms[len(ms)/2]
		pg.Nodes = pages[min(i+4, len(pages)-1)].Loaded
		return pg
	}
	p100, p2000 := at(100), at(readBack-200)
	for _, pg := range []perfSample{p100, p2000} {
		t.Logf("older page at %d-%d loaded: %.1f ms (median of 5), +%d -%d nodes, %d rows after", pg.Loaded, pg.Nodes, pg.MS, pg.Added, pg.Removed, pg.Rows)
	}
	t.Logf("reading back %d pages: at most %d rows; %v rows back at the newest", len(pages), maxRows, bottomRows)
	var ms []float64
	worst := 0
	for _, f := range frames {
		ms = append(ms, f.MS)
		worst = max(worst, f.Added+f.Removed)
	}
	slices.Sort(ms)
	t.Logf("per incoming message with %d loaded: median %.2f ms (max %.2f), at most %d nodes added or removed, %d rows, %d nodes in the list",
		frames[0].Loaded, ms[len(ms)/2], ms[len(ms)-1], worst, frames[len(frames)-1].Rows, frames[len(frames)-1].Nodes)

	if worst > 6 {
		t.Errorf("an incoming message added or removed %d nodes; want at most 6: %+v", worst, frames)
	}
	if maxRows > 300 {
		t.Errorf("reading back, the list grew to %d rows; want it bounded (at most 300)", maxRows)
	}
	if p2000.Added+p2000.Removed > 2*(p100.Added+p100.Removed)+10 {
		t.Errorf("an older page at %d loaded changes %d nodes, at %d loaded %d: want about the same", p100.Loaded, p100.Added+p100.Removed, p2000.Loaded, p2000.Added+p2000.Removed)
	}
}

// roomRead is the user's read marker in room, as the server has it.
func roomRead(t *testing.T, c *client, room string) uint64 {
	t.Helper()
	var got struct {
		Rooms []struct {
			Name string
			Read uint64
		}
	}
	mustDo(t, c, http.StatusOK, "GET", "/api/rooms", nil, &got)
	for _, r := range got.Rooms {
		if r.Name == room {
			return r.Read
		}
	}
	t.Fatalf("no room %s in GET /api/rooms", room)
	return 0
}

// untilRead waits until the server's read marker in room satisfies ok.
func untilRead(t *testing.T, c *client, room, what string, ok func(uint64) bool) uint64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		read := roomRead(t, c, room)
		if ok(read) {
			return read
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the read marker in #%s stayed at %d", what, room, read)
		}
		<-tick.C
	}
}

// newestIDs returns the ids of room's newest n messages, oldest first.
func newestIDs(t *testing.T, c *client, room string, n int) []uint64 {
	t.Helper()
	var page struct{ Messages []struct{ ID uint64 } }
	mustDo(t, c, http.StatusOK, "GET", fmt.Sprintf("/api/rooms/%s/messages?limit=%d", room, n), nil, &page)
	var ids []uint64
	for _, m := range page.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// dividerAbove says whether the "New" divider is drawn just above the
// message id (a day line may only come before it) and wholly in view.
func dividerAbove(id uint64) string {
	return fmt.Sprintf(`(() => {
		const d = document.querySelector("#message-list .new-divider");
		const box = document.getElementById("messages").getBoundingClientRect();
		if (!d) return "no divider";
		const next = d.nextElementSibling;
		if (!next || next.dataset.id !== "%d") return "the divider is above " + (next ? next.dataset.id || next.className : "nothing");
		const r = d.getBoundingClientRect();
		if (r.top < box.top || r.bottom > box.bottom) return "the divider is off screen: " + r.top + ".." + r.bottom + " in " + box.top + ".." + box.bottom;
		return "ok";
	})()`, id)
}

// scrollToNewest scrolls down until the message id is drawn and the view is
// at the bottom, as someone reading on would.
func (p *page) scrollToNewest(id uint64) {
	p.t.Helper()
	p.untilOr("scrolled to the newest", `document.getElementById("messages").scrollTop + " of " + document.getElementById("messages").scrollHeight`,
		fmt.Sprintf(`(() => { const b = document.getElementById("messages"); b.scrollTop = b.scrollHeight;
			return !!document.querySelector('#message-list .msg[data-id="%d"]') && b.scrollHeight - b.scrollTop - b.clientHeight < 2 })()`, id))
}

// TestBrowserReadingWhereYouLeftOff: a room with unread messages opens at
// the first of them, under a "New" divider on screen, and the read marker
// moves only as far as messages come into view. 60 unread while the room is
// loaded, 60 more after a reload (the room fetched from its read marker), 3
// that fit on screen (the view at the bottom, all read), and 230 (more than
// one fetch: the rest come as the reader scrolls down). Leaving and coming
// back, the divider is gone.
func TestBrowserReadingWhereYouLeftOff(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, func(c *config) { c.MsgBurst, c.MsgRate = 1e6, 1e6 })
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	mustDo(t, kid, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "garden"}, nil)
	sk := kid.dial()
	postMany(t, sk, "garden", "old", 5, func(i int) string { return fmt.Sprintf("read before %d", i) })
	mum := loginClient(t, ts, "mum", "hearth-and-home")

	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.openRoom("garden")
	p.sees("read before 4")
	read := untilRead(t, mum, "garden", "reading #garden", func(r uint64) bool { return r > 0 })
	p.openRoom("general")

	// round checks one batch of unread: opened at the divider, read as far
	// as in view, then as far as scrolled.
	round := func(name string, n int, fits bool) {
		t.Helper()
		postMany(t, sk, "garden", name, n, func(i int) string { return fmt.Sprintf("%s %d", name, i) })
		ids := newestIDs(t, mum, "garden", min(n, 200))
		if n > 200 {
			all := newestIDs(t, mum, "garden", 200)
			var page struct{ Messages []struct{ ID uint64 } }
			mustDo(t, mum, http.StatusOK, "GET", fmt.Sprintf("/api/rooms/garden/messages?after=%d&limit=1", read), nil, &page)
			ids = append([]uint64{page.Messages[0].ID}, all...)
		}
		first, newest := ids[0], ids[len(ids)-1]
		p.untilOr("the unread count on #garden", `import("/js/state.js").then(({state}) => JSON.stringify([`+strconv.Quote(name)+`, state.conn, [...state.rooms.values()].map(r => [r.name, r.read, r.unread, r.loaded, r.loading, r.ids.length, r.ids[0], r.ids[r.ids.length-1]])]))`,
			`(document.querySelector('#room-list [data-room="garden"] .badge') || {}).textContent === "`+strconv.Itoa(min(n, 99))+`"`+` || `+strconv.Itoa(n)+` > 99`)
		p.openRoom("garden")
		p.untilOr(name+": the divider above the first unread, on screen", dividerAbove(first), dividerAbove(first)+` === "ok"`)
		p.screenshot("reading-" + name)
		if fits {
			if v := p.eval(`(() => { const b = document.getElementById("messages"); return b.scrollHeight - b.scrollTop - b.clientHeight < 2 })()`); v != true {
				t.Errorf("%s: %d unread fit on screen, but the view is not at the bottom", name, n)
			}
			untilRead(t, mum, "garden", name+": all in view read", func(r uint64) bool { return r == newest })
		} else {
			got := untilRead(t, mum, "garden", name+": read as far as in view", func(r uint64) bool { return r >= first })
			if got >= newest {
				t.Fatalf("%s: the read marker jumped to the newest (%d) with %d unread mostly below the view", name, got, n)
			}
			// What the server says stays: nothing else comes into view.
			if got2 := roomRead(t, mum, "garden"); got2 != got {
				t.Errorf("%s: the read marker moved on to %d without scrolling", name, got2)
			}
			if v := p.eval(`document.getElementById("jump-latest").hidden`); v != false {
				t.Errorf("%s: no pill for the unread messages below the view", name)
			}
			p.scrollToNewest(newest)
			untilRead(t, mum, "garden", name+": scrolled to the newest", func(r uint64) bool { return r == newest })
		}
		read = newest
		p.until("no badge on #garden", `!document.querySelector('#room-list [data-room="garden"] .badge')`)
		// The divider stays while in the room (drawn when scrolled back to).
		p.untilOr(name+": the divider still there", `document.getElementById("messages").scrollTop`,
			`(() => { document.getElementById("messages").scrollTop = 0; return !!document.querySelector("#message-list .new-divider") })()`)
		p.openRoom("general")
		p.openRoom("garden")
		p.sees(fmt.Sprintf("%s %d", name, n-1))
		if v := p.eval(`!!document.querySelector("#message-list .new-divider")`); v != false {
			t.Errorf("%s: back in the room, everything read, the divider is still there", name)
		}
		p.openRoom("general")
	}

	round("loaded", 60, false)
	// After a reload #garden is not loaded: it is fetched from the marker.
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("#general open after the reload", `document.getElementById("room-title").textContent === "general"`)
	round("fetched", 60, false)
	round("few", 3, true)
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("#general open after the reload", `document.getElementById("room-title").textContent === "general"`)
	round("many", 230, false)
}

// badgeOf is what a room's badge in the sidebar says: its count, and
// "mention" when it counts mentions.
func badgeOf(room string) string {
	return `(() => { const b = document.querySelector('#room-list [data-room="` + room + `"] .badge'); return b ? b.textContent + (b.classList.contains("mention") ? " mention" : "") : "none"; })()`
}

// TestBrowserReadingCountsWhileAway: messages said while the page's socket
// is down reach the badges once it is back, in a room visited earlier (its
// messages loaded) and in one never opened (only counted), mentions too;
// and so do messages said after a reloaded page has fetched its rooms and
// before its socket is in.
func TestBrowserReadingCountsWhileAway(t *testing.T) {
	f := newFamily(t)
	f.room("garden")
	f.room("yard")
	f.say("garden", "seen before 0")
	f.say("garden", "seen before 1")

	p := f.mumsPage(390, 844, awaySockets)
	p.openRoom("garden")
	p.sees("seen before 1")
	mum := loginClient(t, f.ts, "mum", "hearth-and-home")
	gardenNewest := newestIDs(t, mum, "garden", 1)[0]
	untilRead(t, mum, "garden", "reading #garden", func(r uint64) bool { return r == gardenNewest })
	p.openRoom("general")
	p.until("nothing unread behind the menu", `document.getElementById("open-sidebar").getAttribute("aria-label") === "Open menu" && getComputedStyle(document.getElementById("open-sidebar"), "::after").content === "none"`)
	p.untilOr("no badges", `JSON.stringify([...hearth.rooms.values()].map(r => [r.name, r.read, r.unread, r.loaded, r.loading, r.ids]))`, badgeOf("garden")+` === "none" && `+badgeOf("yard")+` === "none"`)

	badges := func(what, garden, yard, title string) {
		t.Helper()
		p.untilOr(what, `[`+badgeOf("garden")+`, `+badgeOf("yard")+`, document.title].join(" / ")`,
			badgeOf("garden")+` === "`+garden+`" && `+badgeOf("yard")+` === "`+yard+`" && document.title === "`+title+`"`)
	}

	p.goAway()
	for _, body := range []string{"tomatoes are in", "@mum the hose?", "never mind"} {
		f.say("garden", body)
	}
	for i := range 4 {
		f.say("yard", fmt.Sprint("yard ", i))
	}
	p.comeHome()
	badges("the badges after the socket came back", "1 mention", "4", "(7) Hearth")
	// On a phone the room list is behind the menu: its button says so.
	menuSays := func(want string, dot bool) {
		t.Helper()
		const got = `[document.getElementById("open-sidebar").getAttribute("aria-label"), getComputedStyle(document.getElementById("open-sidebar"), "::after").content]`
		p.untilOr("the menu button: "+want, `JSON.stringify(`+got+`)`, `(([label, dot]) => label === `+jsString(want)+` && (dot !== "none") === `+strconv.FormatBool(dot)+`)(`+got+`)`)
	}
	menuSays("Open menu: 7 unread in other rooms, 1 mentioning you", true)
	p.everyWay("reading-counts-after-reconnect", 390, 844)

	// Reloaded away from home: the rooms are fetched, the socket cannot
	// come. What is said then counts once it does.
	p.beforeLoad(`window.hearthAway = true;`)
	p.do("reload away from home", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.hook()
	p.until("the rooms fetched and the socket refused", `hearth.rooms.has("yard") && hearth.retry > 0`)
	badges("the badges as fetched", "1 mention", "4", "(7) Hearth")
	f.say("yard", "yard again 0")
	f.say("yard", "yard again 1")
	f.say("garden", "@mum found it")
	p.comeHome()
	badges("the badges once the socket is in", "2 mention", "6", "(10) Hearth")

	// Read on another device while away: the badge goes once back.
	p.goAway()
	mustDo(t, mum, http.StatusOK, "POST", "/api/rooms/yard/read", map[string]uint64{"id": newestIDs(t, mum, "yard", 1)[0]}, nil)
	p.comeHome()
	badges("yard read elsewhere", "2 mention", "none", "(4) Hearth")
	menuSays("Open menu: 4 unread in other rooms, 2 mentioning you", true)
	p.openRoom("garden")
	gardenNewest = newestIDs(t, mum, "garden", 1)[0]
	untilRead(t, mum, "garden", "reading #garden", func(r uint64) bool { return r == gardenNewest })
	p.openRoom("general")
	menuSays("Open menu", false)

	// Messages keep coming while the socket comes back and the badges are
	// counted again: before the hello, while the server counts, after its
	// answer. Each counts once.
	p.goAway()
	p.comeHomeSoon()
	for i := range 40 {
		f.say("yard", fmt.Sprint("busy evening ", i))
	}
	p.until("connected again", `hearth.connected`)
	badges("the badges after coming back in the middle of it", "none", "40", "(40) Hearth")
}

// TestBrowserReadingJumpPill: the "New messages ↓" pill shows only for
// new messages below the view: not after loading older history, an edit or
// a reaction while scrolled up, nor for a message arriving at the bottom;
// clicked, it goes to the newest.
func TestBrowserReadingJumpPill(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, func(c *config) { c.MsgBurst, c.MsgRate = 1e6, 1e6 })
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	sk := kid.dial()
	postMany(t, sk, "general", "old", 120, func(i int) string { return fmt.Sprintf("history %d", i) })
	mum := loginClient(t, ts, "mum", "hearth-and-home")
	ids := newestIDs(t, mum, "general", 120)
	mustDo(t, mum, http.StatusOK, "POST", "/api/rooms/general/read", map[string]uint64{"id": ids[len(ids)-1]}, nil)

	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.sees("history 119")
	const pill = `!document.getElementById("jump-latest").hidden`
	noPill := func(after string) {
		t.Helper()
		if v := p.eval(pill); v != false {
			t.Errorf("the pill shows after %s: %v", after, p.eval(`document.getElementById("jump-latest").textContent`))
		}
	}

	// At the bottom, a new message just shows.
	sk.say("general", "at the bottom", "b-1")
	sk.ack("b-1")
	p.sees("at the bottom")
	noPill("a message arriving at the bottom")

	// Older history loads above.
	p.until("the beginning", `(() => { document.getElementById("messages").scrollTop = 0;
		return document.getElementById("history-state").textContent.startsWith("This is the beginning") })()`)
	p.sees("history 0")
	noPill("loading older history")

	// Scrolled up, an edit and a reaction come in.
	p.eval(`document.querySelector('#message-list .msg[data-id="` + strconv.FormatUint(ids[5], 10) + `"]').scrollIntoView({ block: "center" })`)
	sk.send(map[string]any{"type": "edit", "room": "general", "id": ids[6], "body": "history 6, edited"})
	p.until("the edit", `document.querySelector('#message-list .msg[data-id="`+strconv.FormatUint(ids[6], 10)+`"] .msg-body').textContent.startsWith("history 6, edited")`)
	noPill("an edit")
	sk.send(map[string]any{"type": "react", "room": "general", "id": ids[7], "emoji": "👍"})
	p.until("the reaction", `!!document.querySelector('#message-list .msg[data-id="`+strconv.FormatUint(ids[7], 10)+`"] .reaction')`)
	noPill("a reaction")
	if v := p.eval(`(() => { const b = document.getElementById("messages"); return b.scrollHeight - b.scrollTop - b.clientHeight > 200 })()`); v != true {
		t.Fatal("the view left the place scrolled to")
	}

	// A new message below the view: the pill, and it leads there.
	sk.say("general", "something new", "n-1")
	sk.ack("n-1")
	p.until("the pill", pill+` && document.getElementById("jump-latest").textContent === "New messages ↓"`)
	p.screenshot("reading-pill")
	p.do("click the pill", chromedp.Click(chromedp.ID("jump-latest")))
	p.until("at the newest", `(() => { const b = document.getElementById("messages"); return b.scrollHeight - b.scrollTop - b.clientHeight < 2 })()`)
	p.sees("something new")
	p.until("the pill gone", `document.getElementById("jump-latest").hidden`)
}
