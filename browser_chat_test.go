// browser_chat_test.go drives headless Chromium through what a family
// does on day one and every day after: set up the admin from the printed
// link, invite a second person, chat both ways, restart the server and find
// both still logged in with history; direct messages, mentions, reactions,
// edits, photos, a bot and search; and a message the server refuses.

package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserSetupInviteChatRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	m := regexp.MustCompile(`/setup\?token=(\S+)`).FindStringSubmatch(ts.output.String())
	if m == nil {
		t.Fatalf("no setup link in %q", ts.output.String())
	}

	// Mum opens the printed link on her laptop and creates the admin.
	mum := newPage(t, browser, 1280, 800)
	mum.do("open the setup link", chromedp.Navigate(ts.URL+"/setup?token="+m[1]))
	mum.until("the setup form", `document.getElementById("auth-title").textContent === "Set up Hearth"`)
	mum.screenshot("setup")
	mum.fillAuth("mum", "hearth-and-home", true)
	if path := mum.eval(`location.pathname`); path != "/" {
		t.Errorf("after setup the page is at %v, want /", path)
	}

	// She creates an invite link in the UI.
	mum.menu("open-invites")
	mum.do("create an invite",
		chromedp.WaitVisible(chromedp.ID("dialog-invites")),
		chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")),
	)
	mum.until("the invite link", `(document.querySelector("#invite-list input") || {}).value`)
	link, _ := mum.eval(`document.querySelector("#invite-list input").value`).(string)
	if !strings.HasPrefix(link, ts.URL+"/join?code=") {
		t.Fatalf("invite link = %q", link)
	}
	mum.screenshot("invites")
	mum.do("close the dialog", chromedp.Click(chromedp.CSS("#dialog-invites [data-close]")))

	// The kid opens it on a phone, in a browser of its own.
	kid := newPage(t, browser, 390, 844)
	kid.do("open the invite", chromedp.Navigate(link))
	kid.until("the invite names who sent it", `document.getElementById("auth-lead").textContent.startsWith("mum invited you")`)
	kid.fillAuth("kid", "pizza-every-day", true)

	// They talk, both ways, live.
	mum.until("kid's arrival announced", `[...document.querySelectorAll("#message-list .event")].some(e => e.textContent.startsWith("kid joined"))`)
	mum.say("Dinner at seven 🍝")
	kid.sees("Dinner at seven 🍝")
	kid.say("Can we have pizza?\nPlease!")
	mum.sees("Can we have pizza?\nPlease!")

	// Hostile text is shown as text: no element, no script.
	hostile := `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`
	kid.say(hostile)
	mum.sees(hostile)
	if v := mum.eval(`!!window.pwned || document.querySelector("#message-list img, #message-list script") !== null`); v != false {
		t.Error("user text was rendered as HTML")
	}
	// URLs become safe links.
	mum.say("recipe: https://example.com/pizza?x=1.")
	kid.until("the link", `(document.querySelector('#message-list a[href="https://example.com/pizza?x=1"]') || {}).rel === "noopener noreferrer nofollow"`)

	mum.screenshot("chat-desktop")
	kid.screenshot("chat-phone")
	mum.colorScheme("dark")
	mum.screenshot("chat-desktop-dark")
	kid.colorScheme("dark")
	kid.screenshot("chat-phone-dark")
	kid.do("open the drawer", chromedp.Click(chromedp.ID("open-sidebar")))
	kid.until("the drawer open", `document.getElementById("sidebar").getBoundingClientRect().left >= 0`)
	kid.screenshot("drawer-phone-dark")
	kid.do("close the drawer", chromedp.Click(chromedp.ID("close-sidebar")))

	// The server goes away for a moment: the pages say so, come back by
	// themselves and catch up on what was said meanwhile, exactly once.
	ts.stop()
	mum.until("the offline state", `document.getElementById("conn-status").textContent.startsWith("Offline")`)
	mum.screenshot("reconnecting")
	ts.start()
	grandpa := ts.newClient()
	if status, body := grandpa.do("POST", "/api/login", map[string]string{"username": "mum", "password": "hearth-and-home"}, nil); status != 200 {
		t.Fatalf("login from Go: %d %s", status, body)
	}
	gs := grandpa.dial()
	gs.say("general", "Said while you were away", "c-away")
	gs.ack("c-away")
	for _, p := range []*page{mum, kid} {
		p.sees("Said while you were away")
		p.until("back online", `document.getElementById("conn-status").textContent === ""`)
		if n := p.eval(`[...document.querySelectorAll("#message-list .msg-body")].filter(e => e.textContent === "Said while you were away").length`); n != float64(1) {
			t.Errorf("the caught-up message is shown %v times, want once", n)
		}
	}

	// Mum sees her two devices (this browser and the Go client) and logs
	// the other one out: its socket closes at once.
	mum.menu("open-sessions")
	mum.do("open devices", chromedp.WaitVisible(chromedp.ID("dialog-sessions")))
	mum.until("two devices listed", `document.querySelectorAll("#session-list li").length === 2`)
	mum.screenshot("devices")
	mum.do("log the other device out", chromedp.Click(chromedp.CSS("#session-list li:not(:has(.tag)) button")))
	if code := gs.closed(2 * time.Second); code != closeSessionEnded {
		t.Errorf("the logged-out device's socket closed with %d, want %d", code, closeSessionEnded)
	}
	mum.until("one device left", `document.querySelectorAll("#session-list li").length === 1`)
	mum.do("close devices", chromedp.Click(chromedp.CSS("#dialog-sessions [data-close]")))

	// The server restarts; both reload and are still in, with history.
	ts.restart()
	for _, p := range []*page{mum, kid} {
		p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
		p.until("reconnected", `document.getElementById("online-list").children.length > 0`)
		p.sees("Dinner at seven 🍝")
		p.sees("Can we have pizza?\nPlease!")
	}
	// And chat goes on after the restart.
	kid.say("Still here after the restart")
	mum.sees("Still here after the restart")

	// A page without a session shows the login form, not the chat.
	stranger := newPage(t, browser, 1280, 800)
	stranger.do("open the app", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("view-auth")))
	stranger.until("the login title", `document.getElementById("auth-title").textContent === "Welcome back"`)
	stranger.colorScheme("light")
	stranger.screenshot("login")
}

func TestBrowserConversations(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("kid", "pizza-every-day", false)
	ts.addUser("gran", "knitting-needles", false)
	photo := filepath.Join(t.TempDir(), "cake.png")
	if err := os.WriteFile(photo, tinyPNG, 0o644); err != nil {
		t.Fatal(err)
	}

	mum := newPage(t, browser, 1280, 800)
	mum.login(ts, "mum", "hearth-and-home")
	kid := newPage(t, browser, 390, 844)
	kid.login(ts, "kid", "pizza-every-day")

	// Mum starts a direct conversation with the kid and mentions them.
	mum.do("open a new DM", chromedp.Click(chromedp.ID("new-dm")), chromedp.WaitVisible(chromedp.ID("dialog-dm")))
	mum.clickText("pick kid", "#dm-people button", "kid")
	mum.until("the DM on screen", `document.getElementById("room-title").textContent === "kid"`)
	mum.say("Pizza tonight, @kid?")
	// The kid sees the DM appear with a mention badge, and the mention marked.
	kid.do("open the drawer", chromedp.Click(chromedp.ID("open-sidebar")))
	kid.until("the DM with a mention badge", `(document.querySelector("#dm-list .badge.mention") || {}).textContent === "1"`)
	kid.screenshot("dm-badge-phone")
	kid.clickText("open the DM", "#dm-list button", "mum")
	kid.sees("Pizza tonight, @kid?")
	kid.until("the mention highlighted", `!!document.querySelector("#message-list .msg.mentions-me .mention")`)

	// The kid reacts; mum edits; both see it live.
	kid.msgAction("Pizza tonight", "pick")
	kid.clickText("react", ".emoji-picker button", "👍")
	mum.until("the reaction", `[...document.querySelectorAll(".reaction")].some(e => e.textContent === "👍 1")`)
	mum.msgAction("Pizza tonight", "edit")
	mum.do("edit the text", chromedp.SendKeys(chromedp.CSS(".edit-box textarea"), " With extra cheese!"), pressEnter)
	kid.sees("Pizza tonight, @kid? With extra cheese!(edited)")

	// The kid shares a photo; it shows inline for both.
	kid.do("share a photo", chromedp.SetUploadFiles(chromedp.ID("file-input"), []string{photo}))
	for _, p := range []*page{mum, kid} {
		p.until("the photo", `(document.querySelector("#message-list img.thumb") || {}).naturalWidth === 1`)
	}
	// Mum says something by mistake and deletes it.
	mum.say("oops, wrong chat")
	kid.sees("oops, wrong chat")
	mum.eval(`window.confirm = () => true`)
	mum.msgAction("oops, wrong chat", "delete")
	kid.until("the tombstone", `[...document.querySelectorAll(".msg-deleted")].length === 1`)
	mum.screenshot("dm-desktop")
	kid.screenshot("dm-phone")

	// A bot posts into general with one curl line (or Go's HTTP client where
	// curl is not installed).
	var created botResponse
	admin := loginClient(t, ts, "mum", "hearth-and-home")
	mustDo(t, admin, http.StatusCreated, "POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, &created)
	curlHook(t, created, "The washing machine is done")
	mum.clickText("go to general", "#room-list button", "general")
	mum.sees("The washing machine is done")
	mum.until("the bot tag", `!!document.querySelector("#message-list .bot-tag")`)

	// Search finds the DM's message and jumps to it.
	mum.do("search", chromedp.Click(chromedp.ID("open-search")), chromedp.SendKeys(chromedp.ID("search-input"), "cheese"), chromedp.Click(chromedp.CSS("#search-form button")))
	mum.until("a result", `document.querySelectorAll("#search-results li").length === 1`)
	mum.screenshot("search")
	mum.do("open the result", chromedp.Click(chromedp.CSS("#search-results li")))
	mum.until("back in the DM", `document.getElementById("room-title").textContent === "kid"`)

	// Gran, not in the DM, sees none of it, by any way.
	gran := newPage(t, browser, 1280, 800)
	gran.login(ts, "gran", "knitting-needles")
	if n := gran.eval(`document.querySelectorAll("#dm-list li").length`); n != float64(0) {
		t.Errorf("gran's DM list has %v entries", n)
	}
	gran.do("search", chromedp.Click(chromedp.ID("open-search")), chromedp.SendKeys(chromedp.ID("search-input"), "cheese"), chromedp.Click(chromedp.CSS("#search-form button")))
	gran.until("no results", `document.getElementById("search-state").textContent === "Nothing found."`)
	if status := gran.eval(`fetch("/api/rooms/@kid+mum/messages").then(r => r.status)`); status != float64(404) {
		t.Errorf("gran fetching the DM: %v", status)
	}

	// Notifications are never asked for on load; the button explains and
	// offers to turn them on.
	if perm := gran.eval(`Notification.permission`); perm != "default" {
		t.Errorf("notification permission after load = %v: asked without a click?", perm)
	}
	gran.do("close the search", chromedp.Click(chromedp.CSS("#dialog-search [data-close]")))
	gran.menu("open-notify")
	gran.do("open notifications", chromedp.WaitVisible(chromedp.ID("dialog-notify")))
	gran.until("an explanation and a button", `document.getElementById("notify-text").textContent.length > 20 && !document.getElementById("notify-enable").hidden`)

	// All of it survives a restart.
	ts.restart()
	kid.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	kid.until("reconnected", `document.getElementById("online-list").children.length > 0`)
	kid.until("the DM", `document.getElementById("room-title").textContent === "mum"`)
	kid.sees("Pizza tonight, @kid? With extra cheese!(edited)")
	kid.until("the reaction and the photo", `[...document.querySelectorAll(".reaction")].some(e => e.textContent === "👍 1") && !!document.querySelector("img.thumb")`)
	kid.until("the tombstone", `document.querySelectorAll(".msg-deleted").length === 1`)
}

// TestBrowserRefusedSend: a message the server refuses stays on screen,
// saying so, with Retry (which sends it again) and Discard.
func TestBrowserRefusedSend(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")

	// Typed while the server is away, both wait as pending.
	ts.stop()
	p.until("the offline state", `document.getElementById("conn-status").textContent.startsWith("Offline")`)
	p.say("first try")
	p.say("second try")
	p.until("two pending", `document.querySelectorAll("#message-list .msg.pending").length === 2`)
	// Both are refused, as the server refuses a send to a room closed
	// meanwhile: the outbox gets the error frames the socket would pass it.
	p.eval(`Promise.all([import("/js/state.js"), import("/js/outbox.js")]).then(([{ state }, outbox]) => {
		for (const cid of [...state.pending.keys()]) outbox.refused({ type: "error", code: "unknown_room", message: "no such room", client_id: cid });
	})`)
	p.until("two refused", `[...document.querySelectorAll("#message-list .msg.failed .msg-failed")].filter(e => e.textContent.startsWith("Not sent: no such room")).length === 2`)

	// Back online, a refused message is not sent again by itself.
	ts.start()
	p.until("back online", `document.getElementById("conn-status").textContent === ""`)
	failedButton := func(body, label string) string {
		return `(() => {
			const li = [...document.querySelectorAll("#message-list .msg.failed")].find(li => li.querySelector(".msg-body").textContent === ` + jsString(body) + `);
			const b = li && [...li.querySelectorAll("button")].find(b => b.textContent === ` + jsString(label) + `);
			if (b) b.click();
			return !!b;
		})()`
	}
	p.until("first try discarded", failedButton("first try", "Discard"))
	p.until("second try retried", failedButton("second try", "Retry"))
	p.sees("second try")
	p.until("nothing pending or refused", `document.querySelectorAll("#message-list .msg.pending, #message-list .msg.failed").length === 0 && !Object.keys(localStorage).some(k => k.startsWith("hearth.pending.mum"))`)
	var page struct{ Messages []message }
	c := loginClient(t, ts, "mum", "hearth-and-home")
	mustDo(t, c, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
	if len(page.Messages) != 1 || page.Messages[0].Body != "second try" {
		t.Errorf("the server holds %+v, want only the retried message", page.Messages)
	}
}
