// browser_app_test.go checks the web app as an app in headless Chromium:
// installable (manifest, icons, service worker), usable at 320 px, opening
// from the worker's cache while the server is away, and judging names and
// mentions with the server's own patterns.

package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserInstallableApp(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	p := newPage(t, browser, 320, 640)
	p.login(ts, "mum", "hearth-and-home")
	// Readable from 320 px wide: nothing sticks out sideways.
	if w := p.eval(`document.documentElement.scrollWidth`); w.(float64) > 320 {
		t.Errorf("at 320 px the page is %v px wide", w)
	}
	p.screenshot("chat-320")
	// Keyboard: the composer has focus after a Tab from the start, and
	// every control has a name.
	if unnamed := p.eval(`[...document.querySelectorAll("#view-chat button, #view-chat input, #view-chat textarea, #view-chat select")].filter(e => e.offsetParent !== null && !(e.getAttribute("aria-label") || e.textContent.trim() || e.labels?.length)).length`); unnamed != float64(0) {
		t.Errorf("%v visible controls have no accessible name", unnamed)
	}

	// The manifest names the app, its icons load, it opens standalone.
	manifest := p.eval(`fetch(document.querySelector("link[rel=manifest]").href).then(r => r.json())`).(map[string]any)
	if manifest["name"] != "Hearth" || manifest["display"] != "standalone" || manifest["start_url"] != "/" {
		t.Errorf("manifest = %v", manifest)
	}
	for _, icon := range manifest["icons"].([]any) {
		src := icon.(map[string]any)["src"].(string)
		if ok := p.eval(`fetch(` + jsString(src) + `).then(r => r.ok && r.headers.get("content-type").startsWith("image/"))`); ok != true {
			t.Errorf("icon %s does not load", src)
		}
	}
	// The service worker takes over and caches the shell, never the data.
	p.until("the service worker", `navigator.serviceWorker.controller !== null || (navigator.serviceWorker.ready.then(() => location.reload()), false)`)
	p.do("reload under the worker", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("controlled", `navigator.serviceWorker.controller !== null`)
	p.eval(`fetch("/api/rooms").then(r => r.json())`)
	// The worker's cache, whatever its name this release (sw.js's CACHE;
	// the worker drops every other one as it takes over).
	cached, _ := p.eval(`caches.keys().then(names => caches.open(names.find(n => n.startsWith("hearth-shell-")))).then(c => c.keys()).then(ks => ks.map(r => new URL(r.url).pathname).sort())`).([]any)
	have := map[any]bool{}
	for _, c := range cached {
		have[c] = true
		if strings.HasPrefix(c.(string), "/api/") {
			t.Errorf("cached %s: nothing from the API may be", c)
		}
	}
	for _, want := range append(clientModules(t), "/", "/style.css") {
		if !have[want] {
			t.Errorf("cached: %v, want %s among them", cached, want)
		}
	}
}

// TestBrowserOfflineShell opens the installed app while the server is
// away: the page and every module come from the service worker's cache,
// the app waits for the server without an error, and carries on by itself
// once the server is back.
func TestBrowserOfflineShell(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	p := newPage(t, browser, 390, 844)
	p.login(ts, "mum", "hearth-and-home")
	p.until("the service worker", `navigator.serviceWorker.controller !== null || (navigator.serviceWorker.ready.then(() => location.reload()), false)`)
	p.do("reload under the worker", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("controlled", `navigator.serviceWorker.controller !== null`)

	ts.stop()
	if status := p.eval(`fetch("/api/config").then(r => r.status, () => "unreachable")`); status != "unreachable" {
		t.Fatalf("with the server stopped, /api/config answers %v", status)
	}
	p.do("reload with the server away", chromedp.Reload())
	// The load event waits for the module graph: by now each module has
	// been fetched (through the worker, from its cache) and run.
	loaded := p.eval(`performance.getEntriesByType("resource").filter(e => new URL(e.name).pathname.startsWith("/js/")).map(e => new URL(e.name).pathname + " " + e.responseStatus).sort()`)
	var want []any
	for _, m := range clientModules(t) {
		want = append(want, m+" 200")
	}
	if fmt.Sprint(loaded) != fmt.Sprint(want) {
		t.Errorf("offline, the page loaded %v, want %v", loaded, want)
	}
	if v := p.eval(`!document.getElementById("view-loading").hidden && document.getElementById("view-chat").hidden`); v != true {
		t.Errorf("offline, the page does not show the waiting view")
	}
	p.screenshot("offline-shell")

	// Only code that ran can notice the server is back.
	ts.start()
	p.do("the chat, once the server is back", chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("reconnected", `document.getElementById("online-list").children.length > 0`)
}

// TestBrowserConfigPatterns runs the patterns of GET /api/config in
// JavaScript on the cases TestConfigPatterns gives Go: the browser must
// judge every name and find every mention as the server does.
func TestBrowserConfigPatterns(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	p := newPage(t, browser, 1280, 800)
	p.do("open the app", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("view-auth")))
	js, err := json.Marshal(map[string]any{"names": nameCases, "bodies": mentionCases})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := p.eval(`(async () => {
		const c = await (await fetch("/api/config")).json();
		const cases = ` + string(js) + `;
		const user = new RegExp(c.username_pattern), room = new RegExp(c.room_name_pattern), mention = new RegExp(c.mention_pattern, "g");
		return JSON.stringify({
			users: cases.names.map((n) => user.test(n)),
			rooms: cases.names.map((n) => room.test(n)),
			mentions: cases.bodies.map((b) => [...b.matchAll(mention)].map((m) => m[1])),
		});
	})()`).(string)
	var judged struct {
		Users, Rooms []bool
		Mentions     [][]string
	}
	if err := json.Unmarshal([]byte(got), &judged); err != nil {
		t.Fatalf("the page answered %q: %v", got, err)
	}
	for i, name := range nameCases {
		if want := validUsername(name) == nil; judged.Users[i] != want {
			t.Errorf("username %q: JavaScript says %v, validUsername %v", name, judged.Users[i], want)
		}
		if want := validRoomName(name) == nil; judged.Rooms[i] != want {
			t.Errorf("room name %q: JavaScript says %v, validRoomName %v", name, judged.Rooms[i], want)
		}
	}
	for i, body := range mentionCases {
		var want []string
		for _, m := range mentionPattern.FindAllStringSubmatch(body, -1) {
			want = append(want, m[1])
		}
		if !slices.Equal(judged.Mentions[i], want) {
			t.Errorf("mentions in %q: JavaScript finds %q, the server %q", body, judged.Mentions[i], want)
		}
	}
}
