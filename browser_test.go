// browser_test.go drives real headless Chromium through what a family does
// on day one: set up the admin from the printed link, invite a second
// person, chat both ways, restart the server and find both still logged in
// with history. Set HEARTH_SCREENSHOTS=DIR to keep screenshots.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// findChromium returns the browser to drive. Under CI=true a missing
// browser fails the test; elsewhere it skips.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found; .ci/run installs Debian's chromium")
	}
	t.Skip("no Chromium found (apt-get install chromium); skipping the browser test")
	return ""
}

// newBrowser starts headless Chromium for the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(findChromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return browserCtx
}

// page is one tab in its own browser context: its own cookies, like a
// second person's browser.
type page struct {
	t   *testing.T
	ctx context.Context
}

// Any exception the page's script does not catch fails the test when the
// page closes: a module that throws, or fails to load, is a bug even where
// no check happens to look.
func newPage(t *testing.T, browserCtx context.Context, width, height int64) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		cancel()
		t.Fatalf("new page: %v", err)
	}
	var (
		mu         sync.Mutex
		exceptions []string
	)
	done := make(chan struct{})
	messages := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				exceptions = append(exceptions, fmt.Sprintf("%s (%s:%d)", m.Text, m.URL, m.Line+1))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, e := range exceptions {
			t.Errorf("uncaught in the page: %s", e)
		}
	})
	return &page{t: t, ctx: ctx}
}

// do runs steps with a deadline.
func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// until waits for a JavaScript condition to hold.
func (p *page) until(what, js string) {
	p.t.Helper()
	p.do(what, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[any](js, chromedp.WithPollingTimeout(15*time.Second))(ctx, t)
		return err
	}))
}

// untilOr is until, reporting the value of the debug expression on failure.
func (p *page) untilOr(what, debug, js string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[any](js, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		p.t.Fatalf("%s: %v; the page shows: %v", what, err, p.eval(debug))
	}
}

func (p *page) eval(js string) any {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// screenshot saves the page under $HEARTH_SCREENSHOTS, if set.
func (p *page) screenshot(name string) {
	dir := os.Getenv("HEARTH_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
}

func (p *page) colorScheme(scheme string) {
	p.do("emulate "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// fill types into the auth form and submits it.
func (p *page) fillAuth(username, password string, confirm bool) {
	p.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.ID("auth-username")),
		chromedp.SendKeys(chromedp.ID("auth-username"), username),
		chromedp.SendKeys(chromedp.ID("auth-password"), password),
	}
	if confirm {
		steps = append(steps, chromedp.SendKeys(chromedp.ID("auth-confirm"), password))
	}
	steps = append(steps, chromedp.Click(chromedp.ID("auth-submit")), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.do("submit the form as "+username, steps...)
	p.until("the socket's hello", `document.getElementById("online-list").children.length > 0`)
}

// say types a message, with Shift+Enter between lines, and presses Enter.
func (p *page) say(text string) {
	p.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			steps = append(steps, chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)))
		}
		steps = append(steps, chromedp.SendKeys(chromedp.ID("composer-input"), line))
	}
	steps = append(steps, pressEnter)
	p.do("send "+text, steps...)
}

// pressEnter sends Enter's key down and up without the separate "char"
// event of chromedp.KeyEvent: a real browser drops that character when the
// page cancels the key down, as the composer does, but CDP would type it.
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		})
		if err != nil {
			return err
		}
	}
	return nil
})

// sees waits until a message with exactly this body is on screen.
func (p *page) sees(body string) {
	p.t.Helper()
	p.untilOr("message "+body+" on screen", `[...document.querySelectorAll("#message-list .msg .msg-body")].slice(-4).map(e => e.textContent).join(" | ")`, `[...document.querySelectorAll("#message-list .msg:not(.pending) .msg-body")].some(e => e.textContent === `+jsString(body)+`)`)
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "$", `\$`)
	return "`" + r.Replace(s) + "`"
}

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
	mum.do("create an invite",
		chromedp.Click(chromedp.ID("open-invites")),
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
	mum.do("open devices", chromedp.Click(chromedp.ID("open-sessions")), chromedp.WaitVisible(chromedp.ID("dialog-sessions")))
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

// login fills the login form as name.
func (p *page) login(ts *testServer, name, password string) {
	p.t.Helper()
	p.do("open the app", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("view-auth")))
	p.fillAuth(name, password, false)
}

// clickText clicks the first element matching css whose text contains text.
func (p *page) clickText(what, css, text string) {
	p.t.Helper()
	p.until(what, `[...document.querySelectorAll(`+jsString(css)+`)].some(e => e.textContent.includes(`+jsString(text)+`))`)
	p.eval(`[...document.querySelectorAll(` + jsString(css) + `)].find(e => e.textContent.includes(` + jsString(text) + `)).click()`)
}

// msgAction clicks an action button of the message whose body contains text.
func (p *page) msgAction(text, action string) {
	p.t.Helper()
	// A message of one's own gets its actions once acknowledged, which may
	// be after the others already see it.
	p.until("the "+action+" action on "+text, `[...document.querySelectorAll("#message-list .msg")].some(e => e.querySelector(".msg-body").textContent.includes(`+jsString(text)+`) && e.querySelector('[data-action=`+action+`]'))`)
	p.eval(`(() => {
		const li = [...document.querySelectorAll("#message-list .msg")].find(e => e.querySelector(".msg-body").textContent.includes(` + jsString(text) + `));
		li.querySelector('[data-action=` + action + `]').click();
	})()`)
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
	os.WriteFile(photo, tinyPNG, 0o644)

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
	admin := ts.newClient()
	admin.do("POST", "/api/login", map[string]string{"username": "mum", "password": "hearth-and-home"}, nil)
	if status, body := admin.do("POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, &created); status != http.StatusCreated {
		t.Fatalf("create bot: %d %s", status, body)
	}
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-sS", "-d", "The washing machine is done", "-H", "Authorization: Bearer "+created.Token, created.HookURL).CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v %s", err, out)
		}
	} else {
		req, _ := http.NewRequest("POST", created.HookURL, strings.NewReader("The washing machine is done"))
		req.Header.Set("Authorization", "Bearer "+created.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("hook: %v %v", resp, err)
		}
		resp.Body.Close()
	}
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
	gran.do("open notifications", chromedp.Click(chromedp.CSS("#dialog-search [data-close]")),
		chromedp.Click(chromedp.ID("open-notify")), chromedp.WaitVisible(chromedp.ID("dialog-notify")))
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
	cached, _ := p.eval(`caches.open("hearth-shell-v2").then(c => c.keys()).then(ks => ks.map(r => new URL(r.url).pathname).sort())`).([]any)
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

func TestBrowserAdminConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("kid", "pizza-every-day", false)
	mum := newPage(t, browser, 1280, 800)
	mum.login(ts, "mum", "hearth-and-home")
	kid := newPage(t, browser, 390, 844)
	kid.login(ts, "kid", "pizza-every-day")

	mum.do("open the console", chromedp.Click(chromedp.ID("open-admin")), chromedp.WaitVisible(chromedp.ID("dialog-admin")))
	mum.until("the people", `document.querySelectorAll("#admin-list li").length === 2`)
	mum.screenshot("admin-people")
	// Disabling the kid logs every device of theirs out at once.
	kidButton := func(label string) {
		t.Helper()
		// Found and clicked in one go: the list is redrawn after each action.
		mum.until("kid's "+label+" button clicked", `(() => {
			const li = [...document.querySelectorAll("#admin-list li")].find(li => li.querySelector(".item-title").textContent.startsWith("kid"));
			const b = li && [...li.querySelectorAll("button")].find(b => b.textContent === `+jsString(label)+`);
			if (!b || b.disabled) return false;
			b.click();
			return true;
		})()`)
	}
	kidButton("Disable")
	kid.until("the login form", `!document.getElementById("view-auth").hidden`)
	mum.until("kid shown disabled", `[...document.querySelectorAll("#admin-list .pill")].some(p => p.textContent === "disabled")`)
	kidButton("Enable")
	mum.until("kid shown enabled", `document.querySelectorAll("#admin-list li").length === 2 && ![...document.querySelectorAll("#admin-list .pill")].some(p => p.textContent === "disabled")`)
	// A reset link, opened by the kid, sets a new password and logs in.
	kidButton("Reset password")
	mum.until("the link", `(document.querySelector("#admin-notice input") || {}).value`)
	link, _ := mum.eval(`document.querySelector("#admin-notice input").value`).(string)
	kid.do("open the reset link", chromedp.Navigate(link))
	kid.until("the reset form", `document.getElementById("auth-title").textContent === "Choose a new password"`)
	kid.do("choose a password",
		chromedp.SendKeys(chromedp.ID("auth-password"), "a-brand-new-one"),
		chromedp.SendKeys(chromedp.ID("auth-confirm"), "a-brand-new-one"),
		chromedp.Click(chromedp.ID("auth-submit")), chromedp.WaitVisible(chromedp.ID("view-chat")))
	// Everything was written to the log.
	mum.do("the log", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="log"]`)))
	mum.until("three entries", `document.querySelectorAll("#admin-list li").length === 3`)
	mum.screenshot("admin-log")
	mum.do("the server", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="server"]`)))
	mum.until("the facts", `!!document.querySelector("#admin-list .facts")`)
	mum.screenshot("admin-server")

	// The join card: a fresh invite as a QR code, whose link a phone opens.
	mum.do("the invites", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="invites"]`)))
	mum.until("the join card button", `[...document.querySelectorAll("#admin-notice button")].some(b => b.textContent === "Show a join card")`)
	mum.eval(`[...document.querySelectorAll("#admin-notice button")].find(b => b.textContent === "Show a join card").click()`)
	mum.until("the QR code drawn", `(() => { const i = document.querySelector(".join-card-big img"); return !!i && i.complete && i.naturalWidth > 100 })()`)
	mum.screenshot("join-card")
	cardLink, _ := mum.eval(`document.querySelector(".join-card-big input").value`).(string)
	guest := newPage(t, browser, 390, 844)
	guest.do("open the card's link", chromedp.Navigate(cardLink))
	guest.until("the join form", `document.getElementById("auth-lead").textContent.startsWith("mum invited you")`)
	mum.do("the invites again", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="invites"]`)))
	mum.until("the card's invite listed", `[...document.querySelectorAll("#admin-list input")].some(i => i.value === `+jsString(cardLink)+`)`)

	// Bots are listed and revoked from the console too.
	mc := ts.newClient()
	mc.do("POST", "/api/login", map[string]string{"username": "mum", "password": "hearth-and-home"}, nil)
	mc.do("POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, nil)
	mum.do("the bots", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="bots"]`)))
	mum.until("the bot listed", `[...document.querySelectorAll("#admin-list .item-title")].some(e => e.textContent === "washer → #general")`)
	mum.eval(`[...document.querySelectorAll("#admin-list button")].find(b => b.textContent === "Revoke").click()`)
	eventually(t, 5*time.Second, "the bot revoked", func() bool {
		var list struct{ Bots []bot }
		mc.do("GET", "/api/bots", nil, &list)
		return len(list.Bots) == 0
	})

	// Renaming a room the kid has open: the kid's view follows, with what
	// was said, and what the kid sends next lands under the new name.
	kc := ts.newClient()
	kc.do("POST", "/api/login", map[string]string{"username": "kid", "password": "a-brand-new-one"}, nil)
	kc.do("POST", "/api/rooms", map[string]any{"name": "games"}, nil)
	kid.until("#games listed", `[...document.querySelectorAll("#room-list button")].some(b => b.textContent.includes("games"))`)
	kid.eval(`location.hash = "games"`)
	kid.until("#games on screen", `document.getElementById("room-title").textContent.includes("games")`)
	kid.say("chess tonight?")
	kid.sees("chess tonight?")
	mum.do("the rooms", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="rooms"]`)))
	mum.until("games listed", `[...document.querySelectorAll("#admin-list .item-title")].some(e => e.textContent.startsWith("#games"))`)
	mum.eval(`[...[...document.querySelectorAll("#admin-list li")].find(li => li.querySelector(".item-title").textContent.startsWith("#games")).querySelectorAll("button")].find(b => b.textContent === "Rename").click()`)
	mum.until("the rename field, focused", `document.activeElement.matches("#admin-list .inline-form input") && document.activeElement.value === "games"`)
	mum.screenshot("admin-rename")
	mum.do("type the new name", chromedp.KeyEvent("board-games"))
	mum.press("Enter", "Enter", 13, 0)
	mum.until("the new name listed", `[...document.querySelectorAll("#admin-list .item-title")].some(e => e.textContent.startsWith("#board-games"))`)
	// Retention the same way; Escape backs out of the row's form, not the dialog.
	retention := `[...[...document.querySelectorAll("#admin-list li")].find(li => li.querySelector(".item-title").textContent.startsWith("#general")).querySelectorAll("button")].find(b => b.textContent === "Retention").click()`
	mum.eval(retention)
	mum.until("the retention fields", `document.activeElement.matches("#admin-list .inline-form input[type=number]")`)
	mum.press("Escape", "Escape", 27, 0)
	mum.until("the buttons back, the dialog open", `!document.querySelector("#admin-list .inline-form") && document.getElementById("dialog-admin").open`)
	mum.eval(retention)
	mum.until("the retention fields again", `document.activeElement.matches("#admin-list .inline-form input[type=number]")`)
	mum.do("keep 30 days", chromedp.KeyEvent("30"))
	mum.press("Enter", "Enter", 13, 0)
	mum.until("general keeps 30 days", `[...document.querySelectorAll("#admin-list .item-sub")].some(e => e.textContent.includes("keeps 30 days"))`)
	kid.untilOr("the kid's view renamed", `document.getElementById("room-title").textContent + " " + location.hash`,
		`document.getElementById("room-title").textContent.includes("board-games") && location.hash === "#board-games" && document.body.textContent.includes("#games is now called #board-games")`)
	kid.sees("chess tonight?")
	kid.say("or cards")
	kid.sees("or cards")
	var page struct{ Messages []message }
	if kc.do("GET", "/api/rooms/board-games/messages", nil, &page); len(page.Messages) != 2 || page.Messages[1].Body != "or cards" {
		t.Errorf("history after the rename: %+v", page.Messages)
	}
	kid.screenshot("renamed-room")

	// Renamed while the kid's page was away: on reconnecting, the old name
	// leaves the list and the page moves to a room that exists.
	ts.stop()
	st, err := openStore(ts.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.renameRoom("board-games", "chess"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	ts.start()
	kid.untilOr("the old name gone", `[...document.querySelectorAll("#room-list button")].map(b => b.textContent).join("|")`,
		`(() => { const names = [...document.querySelectorAll("#room-list button")].map(b => b.textContent); return names.some(n => n.includes("chess")) && !names.some(n => n.includes("board-games")) })()`)
	kid.until("moved to general", `document.getElementById("room-title").textContent.includes("general")`)
}

// press sends one key, down and up, as a keyboard does, with modifiers
// (a bit field: Alt 1, Ctrl 2, Meta 4, Shift 8).
func (p *page) press(key, code string, keyCode int64, modifiers int64) {
	p.t.Helper()
	text := ""
	if key == "Enter" {
		text = "\r" // a key down with text is what activates a focused button
	}
	p.do("press "+key, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
			params := input.DispatchKeyEventParams{
				Type: typ, Key: key, Code: code, WindowsVirtualKeyCode: keyCode, NativeVirtualKeyCode: keyCode, Modifiers: modifiers,
			}
			if typ == input.DispatchKeyEventTypeKeyDown {
				params.Text = text
			}
			_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, params)
			if err != nil {
				return err
			}
		}
		return nil
	}))
}

// press's modifier bits.
const (
	ctrlKey  = 2
	shiftKey = 8
)

// focused describes the element with focus, for checks and failures.
const focused = `(() => { const e = document.activeElement; return e.id || e.dataset.action || (e.matches(".msg") ? "msg:" + e.querySelector(".msg-body").textContent : e.tagName + ":" + e.textContent.trim()) })()`

// TestBrowserKeyboard uses Hearth with the keyboard only: Tab reaches the
// rooms and the composer, the arrow keys walk the messages and open their
// actions, a message arriving keeps the place and an open editor, Ctrl+K
// searches and Escape closes.
func TestBrowserKeyboard(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	kid.do("POST", "/api/rooms", map[string]any{"name": "garden"}, nil)
	sk := kid.dial()
	sk.say("garden", "the tomatoes are red", "k-1")
	sk.ack("k-1")
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")

	// Tab from the top of the page reaches #garden; Enter opens it.
	p.eval(`document.activeElement.blur()`)
	for i := 0; ; i++ {
		if i == 30 {
			t.Fatalf("30 Tabs did not reach #garden; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, 0)
		if p.eval(`document.activeElement.matches("#room-list button") && document.activeElement.textContent.includes("garden")`) == true {
			break
		}
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("#garden open", `document.getElementById("room-title").textContent.includes("garden")`)
	p.sees("the tomatoes are red")
	p.say("who picks them?")
	p.sees("who picks them?")

	// From the composer, Shift+Tab reaches the messages; the arrow keys
	// walk them, newest first.
	for i := 0; p.eval(focused) != "messages"; i++ {
		if i == 4 {
			t.Fatalf("Shift+Tab from the composer did not reach the messages; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, shiftKey)
	}
	p.press("ArrowUp", "ArrowUp", 38, 0)
	if got := p.eval(focused); got != "msg:who picks them?" {
		t.Fatalf("ArrowUp from the list focused %v", got)
	}
	p.press("ArrowUp", "ArrowUp", 38, 0)
	if got := p.eval(focused); got != "msg:the tomatoes are red" {
		t.Errorf("second ArrowUp focused %v", got)
	}
	p.press("ArrowDown", "ArrowDown", 40, 0)
	// Its actions show while it has focus, and Tab goes into them.
	if p.eval(`getComputedStyle(document.activeElement.querySelector(".msg-actions")).display`) == "none" {
		t.Error("a focused message hides its actions")
	}
	for i := 0; p.eval(focused) != "edit"; i++ {
		if i == 8 {
			t.Fatalf("Tab did not reach Edit; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, 0)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the editor", `document.activeElement.matches(".edit-box textarea")`)
	p.do("type an edit", chromedp.KeyEvent(" 🍅"))
	p.screenshot("keyboard-edit")

	// A message arriving adds its node and leaves the others alone: the
	// editor stays, with the draft.
	p.eval(`window.tomatoes = [...document.querySelectorAll("#message-list .msg")].find(e => e.textContent.includes("the tomatoes are red")), true`)
	sk.say("garden", "me!", "k-2")
	sk.ack("k-2")
	p.sees("me!")
	if p.eval(`window.tomatoes.isConnected`) != true {
		t.Error("a message arriving redrew the messages before it")
	}
	if got := p.eval(`document.activeElement.matches(".edit-box textarea") && document.activeElement.value`); got != "who picks them? 🍅" {
		t.Fatalf("after a redraw the editor holds %v", got)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the edit saved", `[...document.querySelectorAll("#message-list .msg-body")].some(e => e.textContent === "who picks them? 🍅(edited)")`)
	if got := p.eval(focused); got != "msg:who picks them? 🍅(edited)" {
		t.Errorf("after saving, focus is on %v", got)
	}
	sk.expect(func(f wireFrame) bool { return f.Type == "update" && f.Body == "who picks them? 🍅" })
	if p.eval(`window.tomatoes.isConnected`) != true {
		t.Error("an edit redrew other messages than the edited one")
	}

	// Escape from the messages goes to the composer.
	p.press("Escape", "Escape", 27, 0)
	if got := p.eval(focused); got != "composer-input" {
		t.Errorf("Escape from a message focused %v", got)
	}

	// Ctrl+K searches; Enter on a result opens it; Escape closes.
	p.press("k", "KeyK", 75, ctrlKey)
	p.until("the search box", `document.activeElement.id === "search-input"`)
	p.do("search", chromedp.KeyEvent("tomatoes"))
	p.press("Enter", "Enter", 13, 0)
	p.until("a result", `document.querySelectorAll("#dialog-search li").length === 1`)
	for i := 0; p.eval(`document.activeElement.matches("#dialog-search li")`) != true; i++ {
		if i == 4 {
			t.Fatalf("Tab from the search box did not reach the result; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, 0)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the search closed on the result", `!document.getElementById("dialog-search").open && document.querySelector("#message-list .target")`)
	p.press("k", "KeyK", 75, ctrlKey)
	p.until("the search box again", `document.getElementById("dialog-search").open`)
	// The box still holds "tomatoes": the first Escape clears it (the
	// browser's way with search boxes), the second closes.
	for i := 0; p.eval(`document.getElementById("dialog-search").open`) == true; i++ {
		if i == 2 {
			t.Fatal("two Escapes did not close the search")
		}
		p.press("Escape", "Escape", 27, 0)
	}
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
	p.until("nothing pending or refused", `document.querySelectorAll("#message-list .msg.pending, #message-list .msg.failed").length === 0 && localStorage.getItem("hearth.pending.mum") === "[]"`)
	var page struct{ Messages []message }
	c := ts.newClient()
	c.do("POST", "/api/login", map[string]string{"username": "mum", "password": "hearth-and-home"}, nil)
	if c.do("GET", "/api/rooms/general/messages", nil, &page); len(page.Messages) != 1 || page.Messages[0].Body != "second try" {
		t.Errorf("the server holds %+v, want only the retried message", page.Messages)
	}
}
