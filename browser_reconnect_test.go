// browser_reconnect_test.go covers the web client losing its server and
// getting it back: how soon the page is connected again after a restart
// (measured and logged), what it says meanwhile (the status line while the
// chat is open, the loading view when the page is reloaded while the server
// is away, a refusal by policy with its slower retry), retrying at once
// when the browser says the network is back or the page is shown, and
// reactions, edits and deletes made while the socket is down: queued, shown
// as waiting, applied after the reconnect (a reaction made and taken back
// offline sends nothing) and kept across a reload, or, when the server
// refuses one, said so on the message with Retry and Discard.

package main

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// hook makes the client's state reachable as window.hearth (the same
// module instance the page runs), for conditions the screen cannot show:
// whether hello came, when the next attempt is due.
func (p *page) hook() {
	p.t.Helper()
	p.eval(`import("/js/state.js").then((m) => { window.hearth = m.state; return true; })`)
}

// statusSays is the status line's text.
const statusSays = `document.getElementById("conn-status").textContent`

// TestBrowserReconnectAfterRestart restarts the server under an open page
// that has been retrying long enough to reach its longest wait, and times
// how long after the server accepts connections again the page has its
// hello.
func TestBrowserReconnectAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.hook()
	phone := newPage(t, browser, 320, 640)
	phone.login(ts, "mum", "hearth-and-home")

	stopped := time.Now()
	ts.stop()
	p.until("the drop noticed", `!hearth.connected && document.getElementById("conn-status").textContent.startsWith("Offline")`)
	t.Logf("the page said it was offline %v after the server stopped", time.Since(stopped).Round(time.Millisecond))
	for _, q := range []*page{p, phone} {
		q.untilOr("offline, with Retry now", statusSays, `document.getElementById("conn-status").textContent === "Offline. Reconnecting… Retry now" && !!document.querySelector("#conn-status button")`)
	}
	// Attempts come quickly but not in a storm; after a few the waits are
	// at their longest, and after a while the line says Hearth cannot be
	// reached, as for a server down for a while.
	p.until("the longest wait between attempts", `hearth.retry >= 4`)
	for _, q := range []*page{p, phone} {
		q.untilOr("still offline, with Retry now", statusSays, `document.getElementById("conn-status").textContent === "Offline: can't reach Hearth. Still trying… Retry now"`)
		// On a 320 px phone the line fits beside the room's name.
		if v := q.eval(`(() => { const r = document.getElementById("conn-status").getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth && document.documentElement.scrollWidth <= innerWidth; })()`); v != true {
			t.Errorf("the offline line does not fit the page: %v", q.eval(`JSON.stringify(document.getElementById("conn-status").getBoundingClientRect())`))
		}
	}
	p.screenshot("reconnect-offline-desktop")
	phone.screenshot("reconnect-offline-320")
	phone.colorScheme("dark")
	phone.screenshot("reconnect-offline-320-dark")
	if wait := p.eval(`hearth.retryAt - Date.now()`).(float64); wait > 3000 {
		t.Errorf("the next attempt is %v ms away; the longest wait is 3 s", wait)
	}

	ts.start()
	back := time.Now()
	p.until("hello again", `hearth.connected`)
	took := time.Since(back)
	t.Logf("connected again %v after the server was back", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("the page took %v to reconnect after the server was back, want under 5 s", took)
	}
	for _, q := range []*page{p, phone} {
		q.untilOr("the status line cleared", statusSays, `document.getElementById("conn-status").textContent === ""`)
	}
	p.say("Back already")
	phone.sees("Back already")
}

// TestBrowserReconnectPolicyRefusal: a socket refused for too many
// connections is no outage: the page says why and waits long before trying
// again, but tries at once when the page is shown again or the network
// comes back.
func TestBrowserReconnectPolicyRefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, func(c *config) { c.MaxConnsPerUser = 1 })
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("dad", "slippers-by-the-fire", false)
	watcher := loginClient(t, ts, "dad", "slippers-by-the-fire").dial()
	other := loginClient(t, ts, "mum", "hearth-and-home").dial() // mum's other device holds her one socket

	p := newPage(t, browser, 390, 844)
	p.do("open the app", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("view-auth")))
	p.do("log in", chromedp.SendKeys(chromedp.ID("auth-username"), "mum"), chromedp.SendKeys(chromedp.ID("auth-password"), "hearth-and-home"),
		chromedp.Click(chromedp.ID("auth-submit")), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.hook()
	p.untilOr("the refusal explained", statusSays, `/^Hearth is open in too many tabs or devices\. Trying again in \d+ s\. Retry now$/.test(document.getElementById("conn-status").textContent)`)
	p.screenshot("reconnect-policy-390")
	// The countdown ticks in place: the Retry button under a finger, or
	// with the keyboard's focus, stays the same button.
	p.eval(`window.retryButton = document.querySelector("#conn-status button"); window.retryButton.focus(); window.firstWords = document.getElementById("conn-status").textContent; true`)
	p.until("the countdown ticking", `document.getElementById("conn-status").textContent !== window.firstWords`)
	if v := p.eval(`document.querySelector("#conn-status button") === window.retryButton && document.activeElement === window.retryButton`); v != true {
		t.Error("the countdown drew the Retry button anew, losing its focus")
	}
	if wait := p.eval(`hearth.retryAt - Date.now()`).(float64); wait < 5000 {
		t.Errorf("after a refusal by policy the next attempt is %v ms away, want the slow schedule (8 s or more)", wait)
	}

	// Shown again, the page tries at once: refused again, as the other
	// device still holds the socket.
	tries := p.eval(`hearth.retry`).(float64)
	p.eval(`document.dispatchEvent(new Event("visibilitychange")); true`)
	p.until("a second refusal, before the first wait was over", fmt.Sprintf(`hearth.retry > %v`, tries))

	// The other device goes; the network comes back: the page connects at
	// once, long before its wait is over.
	other.ws.Close()
	watcher.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "mum" && f.Event == "left" })
	due := p.eval(`hearth.retryAt`).(float64)
	p.eval(`window.dispatchEvent(new Event("online")); true`)
	p.until("connected", `hearth.connected`)
	if now := p.eval(`Date.now()`).(float64); now >= due {
		t.Errorf("connected %v ms after the scheduled attempt: the online event did not retry at once", now-due)
	}
	p.untilOr("the status line cleared", statusSays, `document.getElementById("conn-status").textContent === ""`)
}

// TestBrowserReconnectReloadWhileDown reloads the installed app while the
// server is away: the loading view says it cannot reach Hearth, with a
// Retry button, and a reaction made offline before the reload is sent
// once the server is back.
func TestBrowserReconnectReloadWhileDown(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("dad", "slippers-by-the-fire", false)
	dad := loginClient(t, ts, "dad", "slippers-by-the-fire")
	ds := dad.dial()
	ds.say("general", "Who took the car keys?", "c-keys")
	keys := ds.ack("c-keys").ID

	p := newPage(t, browser, 390, 844)
	p.login(ts, "mum", "hearth-and-home")
	p.until("the service worker", `navigator.serviceWorker.controller !== null || (navigator.serviceWorker.ready.then(() => location.reload()), false)`)
	p.do("reload under the worker", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("reconnected", `document.getElementById("online-list").children.length > 0`)
	p.sees("Who took the car keys?")

	ts.stop()
	p.until("the offline state", statusSays+`.startsWith("Offline")`)
	p.msgAction("car keys", "pick")
	p.clickText("react", ".emoji-picker button", "😮")
	p.until("the reaction shown as waiting", `[...document.querySelectorAll(".reaction.queued")].some(e => e.textContent === "😮 1")`)

	p.do("reload with the server away", chromedp.Reload())
	p.untilOr("the loading view explains", `document.getElementById("view-loading").innerText`,
		`!document.getElementById("view-loading").hidden && document.getElementById("loading-text").textContent === "Can't reach Hearth. Retrying…" && document.getElementById("loading-hint").textContent.includes("home network")`)
	p.until("a Retry button", `(() => { const b = document.getElementById("loading-retry"); return !b.hidden && b.offsetWidth > 0 && b.textContent === "Retry"; })()`)
	for _, size := range []struct {
		name string
		w, h int64
	}{{"390", 390, 844}, {"320", 320, 640}, {"desktop", 1280, 800}} {
		p.do("resize to "+size.name, chromedp.EmulateViewport(size.w, size.h))
		if v := p.eval(`document.documentElement.scrollWidth <= innerWidth && document.getElementById("loading-retry").getBoundingClientRect().bottom <= innerHeight`); v != true {
			t.Errorf("at %s the loading view does not fit", size.name)
		}
		for _, scheme := range []string{"light", "dark"} {
			p.colorScheme(scheme)
			p.screenshot("reconnect-loading-" + size.name + "-" + scheme)
		}
	}
	p.do("back to a phone", chromedp.EmulateViewport(390, 844))
	p.colorScheme("light")

	// The server is back; Retry opens the chat without waiting for the next
	// attempt, and the reaction made before the reload reaches the server.
	ts.start()
	ds = dad.dial()
	p.do("retry", chromedp.Click(chromedp.ID("loading-retry")), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("the reaction through", `[...document.querySelectorAll(".reaction")].some(e => e.textContent === "😮 1" && e.classList.contains("mine") && !e.classList.contains("queued"))`)
	f := ds.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == keys })
	if got := fmt.Sprint(f.Reactions); got != "map[😮:[mum]]" {
		t.Errorf("dad sees the reactions %s, want mum's 😮", got)
	}
	if v := p.eval(`JSON.stringify(Object.keys(localStorage).filter(k => k.startsWith("hearth.changes.mum")))`); v != "[]" {
		t.Errorf("after the reconnect the page still keeps changes: %v", v)
	}
}

// TestBrowserReconnectChangesMadeOffline: reactions, an edit and a delete
// made while the server is away are shown as waiting and applied once it
// is back; a reaction made and taken back meanwhile sends nothing, and one
// made before the drop is taken back, not toggled twice. A change the
// server refuses says so on its message, with Retry and Discard.
func TestBrowserReconnectChangesMadeOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("dad", "slippers-by-the-fire", false)
	ds := loginClient(t, ts, "dad", "slippers-by-the-fire").dial()
	ds.say("general", "Dinner at seven", "c-dinner")
	ds.ack("c-dinner")

	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.hook()
	p.eval(`window.confirm = () => true; true`)
	p.say("Bring bread")
	p.say("Typo hree")
	p.sees("Typo hree")
	chip := func(text, cls string) string {
		return `[...document.querySelectorAll("#message-list .reaction` + cls + `")].some(e => e.textContent === ` + jsString(text) + `)`
	}
	p.msgAction("Dinner at seven", "pick")
	p.clickText("react 👍", ".emoji-picker button", "👍")
	p.until("👍 stored", chip("👍 1", ".mine:not(.queued)"))

	ts.stop()
	p.until("the offline state", `!hearth.connected && `+statusSays+`.startsWith("Offline")`)
	p.msgAction("Dinner at seven", "pick")
	p.clickText("react ❤️", ".emoji-picker button", "❤️")
	p.until("❤️ waiting", chip("❤️ 1", ".mine.queued"))
	p.eval(`document.querySelector('#message-list .reaction[data-emoji="👍"]').click(); true`)
	p.until("👍 taken back, waiting", `!`+chip("👍 1", ""))
	p.msgAction("Dinner at seven", "pick")
	p.clickText("react 😂", ".emoji-picker button", "😂")
	p.until("😂 waiting", chip("😂 1", ".queued"))
	p.eval(`document.querySelector('#message-list .reaction[data-emoji="😂"]').click(); true`)
	p.until("😂 taken back", `!document.querySelector('#message-list .reaction[data-emoji="😂"]')`)
	p.msgAction("Bring bread", "edit")
	p.do("edit offline", chromedp.SendKeys(chromedp.CSS(".edit-box textarea"), " and cheese"), pressEnter)
	p.until("the edit waiting", `[...document.querySelectorAll("#message-list .msg-body")].some(e => e.textContent === "Bring bread and cheese(not sent yet)")`)
	p.msgAction("Typo hree", "delete")
	p.until("the delete waiting", `[...document.querySelectorAll("#message-list .msg-deleting")].some(e => e.textContent === "Typo hree")`)
	// Each message says why its changes wait.
	notes := p.eval(`[...document.querySelectorAll("#message-list .msg-queued")].map(e => e.textContent)`)
	want := "[You're offline: your reactions will be sent when Hearth is back. You're offline: your edit will be sent when Hearth is back. You're offline: your deletion will be sent when Hearth is back.]"
	if fmt.Sprint(notes) != want {
		t.Errorf("the waiting notes say %v, want %s", notes, want)
	}
	if n := p.eval(`hearth.changes.size`); n != float64(4) {
		t.Errorf("%v changes wait, want 4 (❤️ on, 👍 off, the edit, the delete; 😂 made and taken back is none)", n)
	}
	p.screenshot("reconnect-changes-offline")

	ts.start()
	p.until("all through", `hearth.connected && hearth.changes.size === 0 && document.querySelectorAll("#message-list .reaction.queued, #message-list .msg-queued, #message-list .msg-deleting").length === 0`)
	p.sees("Bring bread and cheese(edited)")
	p.until("the tombstone", `document.querySelectorAll("#message-list .msg-deleted").length === 1`)
	p.until("the reactions as the server has them", `[...document.querySelectorAll("#message-list .reaction")].map(e => e.textContent).join() === "❤️ 1"`)
	var page struct{ Messages []message }
	admin := loginClient(t, ts, "mum", "hearth-and-home")
	mustDo(t, admin, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
	got := map[string]string{}
	for _, m := range page.Messages {
		got[m.User+": "+m.Body] = fmt.Sprint(m.Reactions, " deleted=", m.Deleted, " edited=", !m.Edited.IsZero())
	}
	wantStored := map[string]string{
		"dad: Dinner at seven":        "map[❤️:[mum]] deleted=false edited=false",
		"mum: Bring bread and cheese": "map[] deleted=false edited=true",
		"mum: ":                       "map[] deleted=true edited=false",
	}
	if fmt.Sprint(got) != fmt.Sprint(wantStored) {
		t.Errorf("the server holds %v, want %v", got, wantStored)
	}

	// The room is archived: a reaction is refused, and the message says so
	// next to it, showing what the server has, with Retry and Discard.
	mustDo(t, admin, http.StatusOK, "PUT", "/api/admin/rooms/general", map[string]any{"archived": true}, nil)
	p.until("the room archived", `document.getElementById("composer-input").disabled`)
	p.eval(`document.querySelector('#message-list .reaction[data-emoji="❤️"]').click(); true`)
	p.untilOr("the refusal on the message", `[...document.querySelectorAll("#message-list .msg-failed")].map(e => e.textContent).join(" | ")`,
		`[...document.querySelectorAll("#message-list .msg-failed")].some(e => e.textContent.startsWith("Reaction ❤️ not sent: this room is archived") && e.textContent.endsWith("RetryDiscard"))`)
	p.until("the reaction as stored", chip("❤️ 1", ".mine:not(.queued)"))
	p.screenshot("reconnect-change-refused")
	p.clickText("discard", "#message-list .msg-failed button", "Discard")
	p.until("the refusal gone", `document.querySelectorAll("#message-list .msg-failed").length === 0 && hearth.changes.size === 0`)
}

// TestBrowserReconnectNothingMissed: what was said while the page's socket
// was down is all on screen once it is back, once each and in order, also
// when messages keep coming while it reconnects (live ones can arrive
// before the catch-up's answer).
func TestBrowserReconnectNothingMissed(t *testing.T) {
	f := newFamily(t)
	p := f.mumsPage(1280, 800, awaySockets)
	var want []string
	say := func(body string) {
		t.Helper()
		f.say("general", body)
		want = append(want, body)
	}
	say("before the trip")
	p.sees("before the trip")

	p.goAway()
	for i := range 5 {
		say(fmt.Sprint("while mum was out ", i))
	}
	p.comeHomeSoon()
	for i := range 40 {
		say(fmt.Sprint("as she comes home ", i))
	}
	p.until("connected again", `hearth.connected`)
	p.showsExactly("every message once, in order", want...)
}

// TestBrowserRoomLoadFails: a room whose messages cannot be loaded says so
// with a button that tries again, rather than staying blank.
func TestBrowserRoomLoadFails(t *testing.T) {
	f := newFamily(t)
	f.room("garden")
	f.say("garden", "the tomatoes are in")

	p := f.mumsPage(390, 844, failingFetch)
	p.eval(`window.hearthFail = "/api/rooms/garden/messages"; true`)
	p.do("open the menu", chromedp.Click(chromedp.ID("open-sidebar")))
	p.openRoom("garden")
	const line = `document.getElementById("history-state").textContent`
	p.untilOr("the failure said, with Try again", line, line+` === "The messages could not be loaded.Try again"`)
	p.everyWay("room-load-failed", 390, 844)
	p.eval(`window.hearthFail = ""; true`)
	p.do("try again", chromedp.Click(chromedp.CSS("#history-state button")))
	p.sees("the tomatoes are in")
	if v := p.eval(line); v == "The messages could not be loaded.Try again" {
		t.Errorf("loaded, the history line still says %q", v)
	}
}

// TestBrowserReconnectWhileRoomLoads: a room's first page is read by the
// server, then the world moves before the page reaches the screen: an
// edit to a message on that page comes by socket, or the socket drops and
// comes back (its catch-up passes over a room not loaded yet) while others
// talk. Once in, the room shows the edit and everything said, once each.
func TestBrowserReconnectWhileRoomLoads(t *testing.T) {
	f := newFamily(t)
	edit := func(room string, id uint64, body string) {
		t.Helper()
		f.sk.send(map[string]any{"type": "edit", "room": room, "id": id, "body": body})
		f.sk.expect(func(fr wireFrame) bool { return fr.Type == "update" && fr.ID == id })
	}
	f.room("garden")
	f.room("yard")
	first := f.say("garden", "the hose is leaking")
	f.say("garden", "I will fix it")
	yardFirst := f.say("yard", "the shed door sticks")

	p := f.mumsPage(1280, 800, awaySockets, heldAnswer)
	open := func(room string) {
		t.Helper()
		p.eval(`window.hearthHold = "/api/rooms/` + room + `/messages"; true`)
		p.openRoom(room)
		p.until("#"+room+"'s page read by the server, held from the page", `typeof window.hearthRelease === "function"`)
	}

	// An edit that overtakes the page holding its message.
	open("garden")
	edit("garden", first, "the hose was leaking")
	p.eval(`hearthRelease(); true`)
	p.showsExactly("#garden with the edit", "the hose was leaking(edited)", "I will fix it")

	// A drop and a return while the page is on its way.
	open("yard")
	p.goAway()
	f.say("yard", "while mum was out")
	edit("yard", yardFirst, "the shed door stuck")
	p.comeHome()
	f.say("yard", "she is back")
	// Any redraw while the page is on its way (a profile, typing) draws
	// the live message alone; the page must still be drawn above it.
	p.eval(`import("/js/render.js").then((m) => { m.renderMessages(); return true; })`)
	p.sees("she is back")
	p.eval(`hearthRelease(); true`)
	p.showsExactly("#yard with all that was said", "the shed door stuck(edited)", "while mum was out", "she is back")
}

// TestBrowserReconnectTwoTabsOffline: two tabs of the same person, both
// offline, each with a message typed and waiting; both tabs are closed
// before the network is back, each with a reaction made too. The next page
// to open sends both messages once each, and both reactions, and what an
// earlier release kept to send too.
func TestBrowserReconnectTwoTabsOffline(t *testing.T) {
	f := newFamily(t)
	dinner := f.say("general", "dinner at seven")
	kitchen := f.mumsPage(1280, 800, awaySockets)
	study := kitchen.newTab(1280, 800)
	study.beforeLoad(awaySockets)
	study.do("open", chromedp.Navigate(f.ts.URL), chromedp.WaitVisible(chromedp.ID("view-chat")))
	study.hook()
	study.until("connected", `hearth.connected`)
	for _, p := range []*page{kitchen, study} {
		p.goAway()
	}
	kitchen.say("typed in the kitchen")
	study.say("typed in the study")
	// And a reaction in each, to kid's message.
	for _, tab := range []struct {
		p     *page
		emoji string
	}{{kitchen, "👍"}, {study, "😮"}} {
		tab.p.msgAction("dinner at seven", "pick")
		tab.p.clickText("react "+tab.emoji, ".emoji-picker button", tab.emoji)
	}
	// Another account's queue on the same computer ("mum.x" starts like
	// mum's name) is not mum's to send.
	study.eval(`localStorage.setItem("hearth.pending.mum.x/c-other", JSON.stringify({cid: "c-other", room: "general", body: "not mum's", failed: null})); true`)
	for _, p := range []*page{kitchen, study} {
		p.until("waiting to be sent", `document.querySelectorAll("#message-list .msg.pending").length === 1 && !!document.querySelector("#message-list .reaction.queued")`)
		p.do("close the tab", chromedp.Navigate("about:blank"))
	}

	later := kitchen.newTab(1280, 800)
	later.do("open", chromedp.Navigate(f.ts.URL), chromedp.WaitVisible(chromedp.ID("view-chat")))
	later.sees("typed in the kitchen")
	later.sees("typed in the study")
	var page struct{ Messages []message }
	mustDo(t, f.kid, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
	var bodies []string
	for _, m := range page.Messages {
		bodies = append(bodies, m.Body)
	}
	if len(bodies) != 3 || !slices.Contains(bodies, "typed in the kitchen") || !slices.Contains(bodies, "typed in the study") {
		t.Errorf("stored: %q, want each tab's message once", bodies)
	}
	untilReactions := func() map[string][]string {
		deadline := time.Now().Add(10 * time.Second)
		for {
			mustDo(t, f.kid, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
			for _, m := range page.Messages {
				if m.ID == dinner && (len(m.Reactions) == 2 || time.Now().After(deadline)) {
					return m.Reactions
				}
			}
			if time.Now().After(deadline) {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got := untilReactions(); fmt.Sprint(got) != "map[👍:[mum] 😮:[mum]]" {
		t.Errorf("reactions on kid's message: %v, want each tab's", got)
	}
	// A queue kept by an earlier release (one list under mum's name) is
	// read and sent as well.
	later.eval(`localStorage.setItem("hearth.pending.mum", JSON.stringify([{cid: "c-earlier-release", room: "general", body: "typed before the upgrade", failed: null}])); true`)
	later.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	later.sees("typed before the upgrade")
	later.until("nothing of mum's kept to send", `!Object.keys(localStorage).some(k => k.startsWith("hearth.pending.mum/") || k.startsWith("hearth.changes.mum/"))`)
}
