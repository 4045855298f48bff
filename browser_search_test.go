// browser_search_test.go drives search by word prefixes in headless
// Chromium: "lasag" finds lasagne and LASAGNA, newest first, with the
// found start of each word in a <mark>; Enter on a result jumps to the
// message, far back in the history or already loaded, which stands out
// (a background clearly unlike the page's, light and dark) with its hits
// marked.

package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// targetState is the jumped-to message: its text, its marks, and how far
// its background is from the conversation's (the sum of the RGB
// channels' differences; 0 when it has none).
const targetState = `(() => {
	const t = document.querySelector("#message-list .msg.target");
	if (!t) return "no target";
	const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
	const bg = rgb(getComputedStyle(t).backgroundColor), page = rgb(getComputedStyle(document.querySelector(".chat-main")).backgroundColor);
	const diff = bg.length >= 3 && (bg.length < 4 || bg[3] > 0.5) ? Math.round([0, 1, 2].reduce((s, i) => s + Math.abs(bg[i] - page[i]), 0)) : 0;
	const r = t.getBoundingClientRect(), box = document.getElementById("messages").getBoundingClientRect();
	return [t.querySelector(".msg-body").textContent, [...t.querySelectorAll(".msg-body mark")].map(m => m.textContent).join("+"), diff >= 40, r.top >= box.top && r.bottom <= box.bottom].join(" | ");
})()`

func TestBrowserSearchPrefixes(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 200 })
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	sk := kid.dial()
	sent := 0
	say := func(body string) {
		t.Helper()
		sent++
		cid := fmt.Sprint("k-", sent)
		sk.say("general", body, cid)
		sk.ack(cid)
	}
	say("Lasagne for dinner tonight? Gran's lasagne recipe")
	// The lasagne is far back: not loaded when mum opens the room, even if
	// an older page is fetched while the room first scrolls to its newest
	// (a page is 50; with 70 here, one such page loaded it, found it at
	// hand and left nothing to go back to: a flake under load).
	for i := range 160 {
		say(fmt.Sprintf("chatter %d", i))
	}
	say("LASAGNA again, and a salad")
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.sees("LASAGNA again, and a salad")

	search := func(q string) {
		t.Helper()
		p.press("k", "KeyK", 75, ctrlKey)
		p.until("the search box", `document.activeElement.id === "search-input"`)
		p.eval(`document.getElementById("search-input").value = ""`)
		p.do("search "+q, chromedp.KeyEvent(q))
		p.press("Enter", "Enter", 13, 0)
	}
	search("lasag")
	p.untilOr("two results", `[...document.querySelectorAll("#search-results li")].map(e => e.textContent).join(" / ")`,
		`document.querySelectorAll("#search-results li").length === 2`)
	// Newest first; in each, the start of every word the term begins is
	// marked, in the message's own case.
	got := p.eval(`[...document.querySelectorAll("#search-results .result-text")].map(e => e.textContent + " [" + [...e.querySelectorAll("mark")].map(m => m.textContent).join("+") + "]").join(" / ")`)
	if want := "LASAGNA again, and a salad [LASAG] / Lasagne for dinner tonight? Gran's lasagne recipe [Lasag+lasag]"; got != want {
		t.Errorf("results: %v\nwant %v", got, want)
	}
	p.screenshot("search-prefix-results")
	p.colorScheme("dark")
	p.screenshot("search-prefix-results-dark")
	p.colorScheme("light")

	// Enter on the older result: the room loads the window around it, and
	// the message stands out with its hits marked.
	for i := 0; p.eval(`document.activeElement.matches("#search-results li") && document.activeElement.textContent.includes("Gran")`) != true; i++ {
		if i == 6 {
			t.Fatalf("Tab did not reach the lasagne result; focus is on %v", p.eval(`document.activeElement.outerHTML.slice(0, 80)`))
		}
		p.press("Tab", "Tab", 9, 0)
	}
	p.press("Enter", "Enter", 13, 0)
	p.untilOr("the lasagne message, highlighted and marked", targetState,
		targetState+` === "Lasagne for dinner tonight? Gran's lasagne recipe | Lasag+lasag | true | true"`)
	p.screenshot("search-prefix-jump")
	p.colorScheme("dark")
	p.untilOr("highlighted in the dark too", targetState, targetState+`.endsWith("| Lasag+lasag | true | true")`)
	p.screenshot("search-prefix-jump-dark")
	p.colorScheme("light")

	// Two terms, both prefixes, on a message already loaded; the marks go
	// to both words.
	p.do("back to the newest", chromedp.Click(chromedp.ID("jump-latest")))
	p.sees("LASAGNA again, and a salad")
	search("sal LASAG")
	p.until("one result", `document.querySelectorAll("#search-results li").length === 1`)
	p.do("open it", chromedp.Click(chromedp.CSS("#search-results li")))
	p.untilOr("LASAGNA highlighted, both words marked", targetState, targetState+` === "LASAGNA again, and a salad | LASAG+sal | true | true"`)

	// A result on a phone: the text wraps, the marks are there.
	phone := newPage(t, browser, 390, 844)
	phone.colorScheme("dark")
	phone.login(ts, "mum", "hearth-and-home")
	phone.do("open the drawer", chromedp.Click(chromedp.ID("open-sidebar")))
	phone.until("the drawer open", `document.getElementById("sidebar").getBoundingClientRect().left === 0`)
	phone.do("search", chromedp.Click(chromedp.ID("open-search")), chromedp.SendKeys(chromedp.ID("search-input"), "lasag gran"), chromedp.Click(chromedp.CSS("#search-form button")))
	phone.until("one result, marked", `document.querySelectorAll("#search-results li").length === 1 && document.querySelectorAll("#search-results mark").length === 3`)
	if w := phone.eval(`document.documentElement.scrollWidth`); w != float64(390) {
		t.Errorf("the phone's page is %v px wide with results", w)
	}
	phone.screenshot("search-prefix-phone-dark")
	phone.do("open it", chromedp.Click(chromedp.CSS("#search-results li")))
	phone.untilOr("highlighted on the phone", targetState, targetState+` === "Lasagne for dinner tonight? Gran's lasagne recipe | Lasag+Gran+lasag | true | true"`)
	phone.until("the drawer closed", `document.getElementById("sidebar").getBoundingClientRect().right <= 0`)
	phone.screenshot("search-prefix-jump-phone-dark")
}

// TestBrowserSearchWindowWhileTalking: a search result opens a window of
// the room's past while the others keep talking. Scrolled down to the
// newest, the room holds every message from the window's start on, once
// each and with no hole (those said during the jump, during each page,
// and while the last page turned it live again); a message sent from the
// window shows, at the newest.
func TestBrowserSearchWindowWhileTalking(t *testing.T) {
	f := newFamily(t)
	kid, sk := f.kid, f.sk
	postMany(t, sk, "general", "old", 300, func(i int) string {
		if i == 20 {
			return "the lost lasagne recipe"
		}
		return familyText(i)
	})
	var found struct{ Results []struct{ ID uint64 } }
	mustDo(t, kid, 200, "GET", "/api/search?q=lasagne+recipe", nil, &found)
	if len(found.Results) != 1 {
		t.Fatalf("search found %d", len(found.Results))
	}
	target := found.Results[0].ID

	p := f.mumsPage(1280, 800)
	// A message sent from a window of the past shows, at the newest.
	p.eval(fmt.Sprintf(`import("/js/history.js").then((h) => { h.jumpTo("general", %d, ["lasagne"]); return true; })`, target))
	p.until("the window of the past", `hearth.rooms.get("general").detached && !!document.querySelector("#message-list .msg.target")`)
	p.say("found it, it was under the bread")
	p.sees("found it, it was under the bread")
	if v := p.eval(`hearth.rooms.get("general").detached`); v != false {
		t.Error("sent from a search result, the room still shows the past")
	}

	// Again, and scrolling down as fast as pages come, while kid talks.
	p.eval(fmt.Sprintf(`import("/js/history.js").then((h) => {
		h.jumpTo("general", %d, ["lasagne"]);
		window.scroller = setInterval(() => {
			const b = document.getElementById("messages");
			b.scrollTop = b.scrollHeight;
			b.dispatchEvent(new Event("scroll"));
		}, 20);
		return true;
	})`, target))
	for i := range 60 {
		f.say("general", fmt.Sprint("talking meanwhile ", i))
	}
	var newest struct{ Messages []struct{ ID uint64 } }
	mustDo(t, kid, 200, "GET", "/api/rooms/general/messages?limit=1", nil, &newest)
	last := newest.Messages[0].ID
	held := `(() => { const r = hearth.rooms.get("general"); return JSON.stringify({detached: r.detached, first: r.ids[0], last: r.ids[r.ids.length - 1], n: r.ids.length, holes: r.ids.filter((id, i) => i > 0 && id !== r.ids[i - 1] + 1).length}); })()`
	p.untilOr("live again, at the newest", held, fmt.Sprintf(`(() => { const r = hearth.rooms.get("general"); return !r.detached && r.ids[r.ids.length - 1] === %d; })()`, last))
	p.eval(`clearInterval(window.scroller); true`)
	got := p.eval(held).(string)
	var h struct {
		Detached    bool
		First, Last uint64
		N, Holes    int
	}
	if err := json.Unmarshal([]byte(got), &h); err != nil {
		t.Fatal(err)
	}
	if h.Holes != 0 || h.First > target || uint64(h.N) != h.Last-h.First+1 {
		t.Errorf("the room holds %s: want every message from the window's start (at or before %d) to %d, once each", got, target, last)
	}
}
