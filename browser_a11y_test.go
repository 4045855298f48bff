// browser_a11y_test.go checks Hearth's pages for accessibility in headless
// Chromium. axe-core (vendored in testdata/axe) runs on the setup page (a
// link unused and used), the join, reset and login pages, the chat (with
// messages, reactions, a photo, a file, a code block, a bot, a DM, a private
// room, unread badges, a message's actions and the emoji picker, a display
// name in Hebrew and profile pictures), the photo viewer and the
// microphone's bar, every dialog (profile cards and the Account dialog with
// a picture to use among them), each tab of the admin console,
// /help/https and /trust, light and dark, 1280 and 390 px wide: a serious
// or critical violation fails the test. It also checks where the
// keyboard's focus goes after reacting to a message and after closing
// search.

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's script, read once.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

// axeViolation is one rule axe-core found broken, with the nodes that
// break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target string `json:"target"`
		Why    string `json:"why"`
	} `json:"nodes"`
}

// axeRun runs axe-core over the page as it is now (injecting it first if
// the page has not got it) and returns its serious and critical violations.
func (p *page) axeRun() []axeViolation {
	p.t.Helper()
	src, err := axeSource()
	if err != nil {
		p.t.Fatalf("read axe-core: %v", err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	if loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`)); err != nil {
		p.t.Fatalf("axe-core: %v", err)
	} else if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			p.t.Fatalf("inject axe-core: %v", err)
		}
	}
	const run = `axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations
		.filter((v) => v.impact === "serious" || v.impact === "critical")
		.map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({
			target: n.target.join(" "),
			why: [...n.any, ...n.all, ...n.none].map((c) => c.message).join("; "),
		}))})))`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](run, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe.run: %v", err)
	}
	return vs
}

// axe fails the test (without stopping it) on every serious or critical
// violation axe-core finds on the page, naming the view, the rule, its
// impact and the selectors of the nodes that break it.
func (p *page) axe(view string) {
	p.t.Helper()
	for _, v := range p.axeRun() {
		var b strings.Builder
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n\t%s: %s", n.Target, n.Why)
		}
		p.t.Errorf("%s: %s (%s): %s%s", view, v.ID, v.Impact, v.Help, b.String())
	}
}

// everyWay looks at the page as it is now on a desktop and on 390 and 320
// px phones, light and dark: a screenshot of each (named after view) and
// axe-core over each. It leaves the page light, width × height.
func (p *page) everyWay(view string, width, height int64) {
	p.t.Helper()
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {390, 844}, {320, 640}} {
		p.do(fmt.Sprintf("%d px wide", size.w), chromedp.EmulateViewport(size.w, size.h))
		for _, scheme := range []string{"light", "dark"} {
			p.colorScheme(scheme)
			name := fmt.Sprintf("%s-%d-%s", view, size.w, scheme)
			p.screenshot(name)
			p.axe(name)
		}
	}
	p.colorScheme("light")
	p.do("back", chromedp.EmulateViewport(width, height))
}

// TestBrowserAxe runs axe-core over every page and dialog of Hearth, light
// and dark, on a desktop and a phone.
func TestBrowserAxe(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)

	// A server with no accounts: its printed setup link.
	fresh := newTestServer(t, nil)
	m := regexp.MustCompile(`/setup\?token=(\S+)`).FindStringSubmatch(fresh.output.String())
	if m == nil {
		t.Fatalf("no setup link in %q", fresh.output.String())
	}
	setupLink := fresh.URL + "/setup?token=" + m[1]
	// One whose setup is done.
	used := newTestServer(t, nil)
	u := regexp.MustCompile(`/setup\?token=(\S+)`).FindStringSubmatch(used.output.String())
	if u == nil {
		t.Fatalf("no setup link in %q", used.output.String())
	}
	mustDo(t, used.newClient(), http.StatusCreated, "POST", "/api/setup", map[string]string{"token": u[1], "username": "mum", "password": "hearth-and-home"}, nil)
	usedLink := used.URL + "/setup?token=" + u[1]
	// One with its own certificate authority, for /trust.
	local := newTestServer(t, func(c *config) { c.TLSLocal = true })

	// The household's server, with a week's worth of things on screen.
	ts := newTestServer(t, nil)
	const pw = "hearth-and-home"
	ts.addUser("mum", pw, true)
	ts.addUser("dad", pw, false)
	ts.addUser("kid", pw, false)
	mum, dad, kid := loginClient(t, ts, "mum", pw), loginClient(t, ts, "dad", pw), loginClient(t, ts, "kid", pw)
	mustDo(t, mum, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "garden"}, nil)
	mustDo(t, dad, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "grans-80th", "private": true, "members": []string{"mum", "kid"}}, nil)
	mustDo(t, mum, http.StatusCreated, "POST", "/api/dms", map[string]string{"user": "kid"}, nil)
	var washer botResponse
	mustDo(t, mum, http.StatusCreated, "POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, &washer)
	socks := map[string]*socket{"mum": mum.dial(), "dad": dad.dial(), "kid": kid.dial()}
	n := 0
	say := func(who, room, body string) uint64 {
		t.Helper()
		n++
		cid := fmt.Sprintf("a11y-%d", n)
		socks[who].say(room, body, cid)
		return socks[who].ack(cid).ID
	}
	react := func(who, room string, id uint64, emoji string) {
		t.Helper()
		socks[who].send(map[string]any{"type": "react", "room": room, "id": id, "emoji": emoji})
		socks[who].expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == id && f.Room == room })
	}
	pizza := say("dad", "general", "Pizza tonight? See https://example.com/menu")
	react("mum", "general", pizza, "👍")
	react("kid", "general", pizza, "👍")
	react("kid", "general", pizza, "😂")
	say("kid", "general", "YES. *Pepperoni* please, @mum")
	say("dad", "general", "The wifi password: `correct-horse`, and the router's script:\n```\nssh admin@192.168.1.1 'nvram set wl0_ssid=hearth-family-network-upstairs && nvram commit && reboot'\n```")
	curlHook(t, washer, "The washing machine is done")
	if status, _ := upload(t, mum, "general", "garden.png", sunsetPNG(t)); status != http.StatusCreated {
		t.Fatalf("upload the photo: status %d", status)
	}
	if status, _ := upload(t, dad, "general", "shopping-list.txt", []byte("milk\neggs\n")); status != http.StatusCreated {
		t.Fatalf("upload the file: status %d", status)
	}
	dm := dmName("mum", "kid")
	home := say("kid", dm, "Just got in 🏠")
	react("mum", dm, home, "❤️")
	say("mum", dm, "Homework before Minecraft please")
	say("dad", "grans-80th", "Cake from the bakery on Friday?")
	say("kid", "garden", "The tomatoes are red")
	mustDo(t, mum, http.StatusCreated, "POST", "/api/invites", map[string]any{"hours": 72, "max_uses": 1}, nil)
	// Kid has a display name in Hebrew with an emoji, and a picture; dad
	// a time zone for his card.
	mustDo(t, kid, http.StatusOK, "PUT", "/api/me/profile", map[string]string{"display_name": kidShown}, nil)
	mustDo(t, dad, http.StatusOK, "PUT", "/api/me/profile", map[string]string{"zone": "America/New_York"}, nil)
	if status, _, body := sendPicture(t, kid, "PUT", "/api/me/avatar", "image/jpeg", gpsPhoto(t)); status != http.StatusOK {
		t.Fatalf("kid's picture: %d %s", status, body)
	}

	for _, scheme := range []string{"light", "dark"} {
		for _, width := range []int64{1280, 390} {
			t.Run(fmt.Sprintf("%s-%d", scheme, width), func(t *testing.T) {
				p := newPage(t, browser, width, 844)
				p.colorScheme(scheme)

				p.do("the setup link", chromedp.Navigate(setupLink))
				p.until("the setup form", `document.getElementById("auth-title").textContent === "Set up Hearth"`)
				p.axe("setup")
				p.do("a used setup link", chromedp.Navigate(usedLink))
				p.until("the used link's note", `!document.getElementById("auth-dead").hidden`)
				p.axe("used setup link")

				var inv inviteResponse
				mustDo(t, mum, http.StatusCreated, "POST", "/api/invites", map[string]any{"hours": 24, "max_uses": 1}, &inv)
				p.do("an invite link", chromedp.Navigate(inv.URL))
				p.until("the join form", `document.getElementById("auth-lead").textContent.startsWith("mum invited you")`)
				p.axe("join")
				var reset struct{ URL string }
				mustDo(t, mum, http.StatusCreated, "POST", "/api/admin/users/dad/reset", nil, &reset)
				p.do("a reset link", chromedp.Navigate(reset.URL))
				p.until("the reset form", `document.getElementById("auth-lead").textContent.startsWith("For dad")`)
				p.axe("reset")
				p.do("the HTTPS help", chromedp.Navigate(ts.URL+"/help/https"))
				p.axe("/help/https")
				p.do("the trust page", chromedp.Navigate("http://"+local.addr+"/trust"))
				p.axe("/trust")

				p.do("the login page", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("view-auth")))
				p.axe("login")
				p.fillAuth("mum", pw, false)
				p.eval(`location.hash = "general"`)
				p.sees("The washing machine is done")
				p.until("the photo drawn", `[...document.querySelectorAll("#message-list img.thumb")].every(i => i.complete && i.naturalWidth > 0)`)
				p.until("#garden unread", `!!document.querySelector("#room-list .badge")`)
				p.axe("chat #general")
				// One main landmark, the conversation (axe counts its lack as moderate).
				if got := p.eval(`[...document.querySelectorAll("main, [role=main]")].filter((e) => !e.closest("[hidden]")).map((e) => e.getAttribute("aria-label")).join()`); got != "Conversation" {
					t.Errorf("the chat's main landmarks: %q, want the conversation alone", got)
				}
				p.screenshot(fmt.Sprintf("a11y-chat-%s-%d", scheme, width))
				// The photo viewer, opened from the photo, and the bar the
				// microphone opens (here waiting for, or refused, the
				// microphone; recording in browser_media_test.go).
				p.eval(`document.querySelector("#message-list .thumb-link").click()`)
				p.until("the photo viewer", `document.getElementById("dialog-viewer").open && document.getElementById("viewer-img").complete`)
				p.axe("the photo viewer")
				p.eval(`document.getElementById("dialog-viewer").close()`)
				p.eval(`document.getElementById("record").click()`)
				p.until("the microphone's bar", `!document.getElementById("record-bar").hidden`)
				p.axe("the microphone's bar")
				p.press("Escape", "Escape", 27, 0)
				p.until("the microphone's bar gone", `document.getElementById("record-bar").hidden`)
				p.msgAction("Pepperoni", "pick")
				p.until("the emoji picker", `!!document.querySelector(".emoji-picker button")`)
				p.axe("a message's actions and the emoji picker")
				p.eval(`document.querySelectorAll(".emoji-picker").forEach((e) => e.remove())`)
				if width < 760 {
					p.eval(`document.getElementById("open-sidebar").click()`)
					p.until("the drawer open", `document.getElementById("sidebar").classList.contains("open")`)
					p.axe("the sidebar drawer")
					p.eval(`document.getElementById("scrim").click()`)
				}
				p.eval(`location.hash = ` + jsString(dm))
				p.sees("Homework before Minecraft please")
				p.axe("a DM")
				p.eval(`location.hash = "grans-80th"`)
				p.sees("Cake from the bakery on Friday?")
				p.axe("a private room")

				// Every dialog, opened the way a click opens it.
				dialog := func(name, open, ready string) {
					t.Helper()
					p.eval(`document.querySelectorAll("dialog[open]").forEach((d) => d.close())`)
					p.eval(open)
					p.until(name+" open and filled", ready)
					p.axe(name)
				}
				dialog("the members dialog", `document.getElementById("open-members").click()`, `document.querySelectorAll("#members-list input").length > 0`)
				dialog("the new room dialog", `document.getElementById("new-room").click()`, `document.getElementById("dialog-room").open`)
				dialog("the new DM dialog", `document.getElementById("new-dm").click()`, `document.querySelectorAll("#dm-people li").length > 0`)
				dialog("the search dialog", `document.getElementById("open-search").click(); document.getElementById("search-input").value = "pizza"; document.getElementById("search-form").requestSubmit()`,
					`document.querySelectorAll("#search-results li").length > 0`)
				dialog("the notifications dialog", `document.getElementById("open-notify").click()`, `document.getElementById("notify-text").textContent !== ""`)
				dialog("the account dialog", `document.getElementById("open-account").click()`, `document.getElementById("dialog-account").open`)
				p.eval(fakePicture("account-file"))
				p.until("a picture previewed", `!document.getElementById("account-use").hidden`)
				p.axe("the account dialog with a picture to use")
				p.eval(`location.hash = "general"`)
				p.sees("The washing machine is done")
				dialog("a profile card", `document.querySelector('#message-list .msg-user[data-user="kid"]').click()`,
					`document.getElementById("dialog-profile").open && document.querySelector("#profile-picture img").complete`)
				dialog("a profile card with a local time", `document.querySelector('#message-list .msg-user[data-user="dad"]').click()`,
					`document.getElementById("dialog-profile").open && document.getElementById("profile-time").textContent !== ""`)
				dialog("the devices dialog", `document.getElementById("open-sessions").click()`, `document.querySelectorAll("#session-list li").length > 0`)
				dialog("the invites dialog", `document.getElementById("open-invites").click()`, `document.querySelectorAll("#invite-list li").length > 0`)
				for _, tab := range []string{"people", "invites", "rooms", "bots", "server", "log"} {
					dialog("the admin console's "+tab+" tab", `document.getElementById("open-admin").click(); document.querySelector('#dialog-admin [data-tab="`+tab+`"]').click()`,
						`document.querySelector('#dialog-admin [data-tab="`+tab+`"]').getAttribute("aria-selected") === "true" && document.querySelectorAll("#admin-list li").length > 0`)
				}
				// What the console's tabs open in place: a new bot's token, an
				// invite's QR code, the question before disabling someone and
				// the choice of a room's download.
				p.eval(`document.querySelector('#dialog-admin [data-tab="bots"]').click()`)
				p.until("the bot form", `!!document.querySelector("#admin-notice form input")`)
				p.eval(`document.querySelector("#admin-notice form input").value = "bins-` + scheme + fmt.Sprint(width) + `"; document.querySelector("#admin-notice form").requestSubmit()`)
				p.until("the new token", `!!document.querySelector("#admin-notice .bot-created")`)
				p.axe("a new bot's token")
				p.eval(`document.querySelector('#dialog-admin [data-tab="invites"]').click()`)
				p.until("an invite's QR button", `!!document.querySelector("#admin-list li.invite button[aria-expanded]")`)
				p.eval(`document.querySelector("#admin-list li.invite button[aria-expanded]").click()`)
				p.until("the QR code drawn", `(() => { const i = document.querySelector("#admin-list .join-card img"); return !!i && i.complete && i.naturalWidth > 0 })()`)
				p.axe("an invite's QR code")
				p.eval(`document.querySelector('#dialog-admin [data-tab="people"]').click()`)
				p.clickText("kid's Disable", "#admin-list li:has(.item-title) button", "Disable")
				p.until("the question", `!!document.querySelector("#admin-list .inline-confirm")`)
				p.axe("the question before disabling")
				p.eval(`document.querySelector('#dialog-admin [data-tab="rooms"]').click()`)
				p.clickText("a room's Download history", "#admin-list button", "Download history")
				p.until("the choice", `!!document.querySelector("#admin-list .inline-confirm a")`)
				p.axe("the choice of a room's download")
				p.eval(`document.querySelectorAll("dialog[open]").forEach((d) => d.close())`)
				if width < 760 {
					p.eval(`document.getElementById("open-sidebar").click()`)
				}
				p.eval(`document.getElementById("open-menu").click()`)
				p.until("the menu open", `document.getElementById("me-menu").matches(":popover-open")`)
				p.axe("the sidebar's menu")
			})
		}
	}
}

// TestBrowserFocusAfterReaction reacts to a message with the keyboard only:
// after picking an emoji, after taking a reaction back (its chip goes) and
// after Escape closes the picker, the focus is on the message or on one of
// its buttons, never dropped to the page's body.
func TestBrowserFocusAfterReaction(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	sk := kid.dial()
	sk.say("general", "dinner at 6?", "k-1")
	sk.ack("k-1")
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.sees("dinner at 6?")
	onMessage := `(() => { const e = document.activeElement; const li = e.closest("#message-list .msg"); return !!li && li.textContent.includes("dinner at 6?") })()`

	// To the message with the arrow keys, Tab past its writer's name
	// (which opens her profile card) to its reaction button.
	p.eval(`document.getElementById("messages").focus()`)
	p.press("ArrowUp", "ArrowUp", 38, 0)
	p.until("the message focused", `document.activeElement.matches(".msg") && document.activeElement.textContent.includes("dinner at 6?")`)
	p.press("Tab", "Tab", 9, 0)
	if got := p.eval(`document.activeElement.dataset.user`); got != "kid" {
		t.Fatalf("Tab from the message focused %v, want its writer's name", p.eval(focused))
	}
	p.press("Tab", "Tab", 9, 0)
	if got := p.eval(focused); got != "pick" {
		t.Fatalf("Tab from the writer's name focused %v, want the message's reaction button", got)
	}

	// Escape closes the picker and gives the focus back to its button or
	// its message.
	p.press("Enter", "Enter", 13, 0)
	p.until("the picker, its first emoji focused", `document.activeElement.matches(".emoji-picker button")`)
	p.press("Escape", "Escape", 27, 0)
	p.until("the picker closed", `!document.querySelector(".emoji-picker")`)
	p.untilOr("the focus on the message after Escape", focused, onMessage)
	toPick := func() {
		t.Helper()
		for i := 0; p.eval(focused) != "pick"; i++ {
			if i == 3 {
				t.Fatalf("Tab did not reach the reaction button; focus is on %v", p.eval(focused))
			}
			p.press("Tab", "Tab", 9, 0)
		}
	}
	toPick()

	// Picking an emoji: the reaction shows and the focus stays with the message.
	p.press("Enter", "Enter", 13, 0)
	p.until("the picker again", `document.activeElement.matches(".emoji-picker button")`)
	emoji, _ := p.eval(`document.activeElement.textContent`).(string)
	p.press("Enter", "Enter", 13, 0)
	p.until("the reaction shown", `[...document.querySelectorAll("#message-list .reaction.mine")].some(b => b.textContent.startsWith(`+jsString(emoji)+`))`)
	p.untilOr("the focus on the message after reacting", focused, onMessage)
	p.screenshot("focus-after-reaction")

	// Enter on the reaction's chip takes it back: the chip goes, the focus
	// stays on the message.
	p.eval(`document.querySelector("#message-list .reaction.mine").focus()`)
	p.press("Enter", "Enter", 13, 0)
	p.until("the reaction gone", `!document.querySelector("#message-list .reaction")`)
	p.untilOr("the focus on the message after taking the reaction back", focused, onMessage)

	// A chip that stays (someone else reacted the same) keeps the focus,
	// on that chip and not the first one.
	id, _ := p.eval(`Number(document.querySelector("#message-list .msg[data-id]").dataset.id)`).(float64)
	mum := loginClient(t, ts, "mum", "hearth-and-home").dial()
	for _, r := range []struct {
		s     *socket
		emoji string
	}{{sk, "👍"}, {sk, "😂"}, {mum, "😂"}} {
		r.s.send(map[string]any{"type": "react", "room": "general", "id": uint64(id), "emoji": r.emoji})
		r.s.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == uint64(id) })
	}
	p.until("two chips, mine second", `[...document.querySelectorAll("#message-list .reaction")].map((b) => b.textContent + (b.classList.contains("mine") ? "*" : "")).join(" ") === "👍 1 😂 2*"`)
	p.eval(`document.querySelector("#message-list .reaction.mine").focus()`)
	p.press("Enter", "Enter", 13, 0)
	p.until("mine taken back", `!document.querySelector("#message-list .reaction.mine")`)
	if got := p.eval(`document.activeElement.matches("#message-list .reaction") && document.activeElement.textContent`); got != "😂 1" {
		t.Errorf("after taking back a shared reaction, focus is on %v, want its chip", p.eval(focused))
	}
}

// TestBrowserFocusAfterSearch closes search with Escape and with its Close
// button: the focus goes back where it was, the composer (after Ctrl+K),
// the sidebar's search button, or a message, also one drawn anew while the
// search was open.
func TestBrowserFocusAfterSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	sk := ts.loggedIn("kid").dial()
	for _, width := range []int64{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			p := newPage(t, browser, width, 844)
			p.login(ts, "mum", "hearth-and-home")
			escape := func() {
				t.Helper()
				for i := 0; p.eval(`document.getElementById("dialog-search").open`) == true; i++ {
					if i == 2 {
						t.Fatal("two Escapes did not close the search")
					}
					p.press("Escape", "Escape", 27, 0)
				}
			}

			// Ctrl+K from the composer, Escape: back in the composer.
			p.eval(`document.getElementById("composer-input").focus()`)
			p.press("k", "KeyK", 75, ctrlKey)
			p.until("the search box", `document.activeElement.id === "search-input"`)
			p.do("type", chromedp.KeyEvent("pizza"))
			escape()
			if got := p.eval(focused); got != "composer-input" {
				t.Errorf("after Escape, focus is on %v, want the composer", got)
			}

			// The sidebar's search button, Escape: back on the button.
			if width < 760 {
				p.eval(`document.getElementById("open-sidebar").click()`)
				p.until("the drawer open", `document.getElementById("sidebar").classList.contains("open")`)
			}
			p.eval(`document.getElementById("open-search").focus()`)
			p.press("Enter", "Enter", 13, 0)
			p.until("the search box again", `document.activeElement.id === "search-input"`)
			escape()
			if got := p.eval(focused); got != "open-search" {
				t.Errorf("after Escape, focus is on %v, want the search button", got)
			}

			// Ctrl+K, the Close button: back in the composer.
			p.eval(`document.getElementById("scrim").click(); document.getElementById("composer-input").focus()`)
			p.press("k", "KeyK", 75, ctrlKey)
			p.until("the search box a third time", `document.activeElement.id === "search-input"`)
			p.eval(`document.querySelector("#dialog-search [data-close]").click()`)
			if got := p.eval(focused); got != "composer-input" {
				t.Errorf("after Close, focus is on %v, want the composer", got)
			}

			// Ctrl+K from a message that is drawn anew while the search is
			// open (someone reacts): back on that message.
			body := fmt.Sprintf("lunch at %d?", width)
			sk.say("general", body, body)
			id := sk.ack(body).ID
			p.sees(body)
			p.eval(`[...document.querySelectorAll("#message-list .msg")].find((e) => e.textContent.includes(` + jsString(body) + `)).focus()`)
			p.press("k", "KeyK", 75, ctrlKey)
			p.until("the search box a fourth time", `document.activeElement.id === "search-input"`)
			sk.send(map[string]any{"type": "react", "room": "general", "id": id, "emoji": "👍"})
			p.until("the reaction drawn", `[...document.querySelectorAll("#message-list .msg")].some((e) => e.textContent.includes(`+jsString(body)+`) && e.querySelector(".reaction"))`)
			escape()
			p.untilOr("the focus back on the message", focused, `document.activeElement.matches(".msg") && document.activeElement.textContent.includes(`+jsString(body)+`)`)
		})
	}
}
