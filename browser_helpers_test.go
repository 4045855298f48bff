// browser_helpers_test.go holds what every browser test drives Chromium
// with: finding and starting headless Chromium, a page (one tab with its own
// cookies) that fails the test on any uncaught exception, and the steps a
// person takes on it: log in, type, press keys, click a message's action,
// wait for what the screen shows. Set HEARTH_SCREENSHOTS=DIR to keep the
// screenshots the tests take along the way.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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

// newBrowser starts headless Chromium for the test, with extra flags if
// the test needs some (a fake microphone, say).
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
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
	opts = append(opts, extra...)
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
	return openTab(t, ctx, cancel, width, height)
}

// newTab opens another tab beside p, in its browser profile (the same
// cookies and storage): a second tab of the same person.
func (p *page) newTab(width, height int64) *page {
	p.t.Helper()
	ctx, cancel := chromedp.NewContext(p.ctx)
	return openTab(p.t, ctx, cancel, width, height)
}

// openTab readies the tab of ctx: its size, and a test failure for
// whatever the page throws and does not catch.
func openTab(t *testing.T, ctx context.Context, cancel context.CancelFunc, width, height int64) *page {
	t.Helper()
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
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

// showsExactly waits until the messages drawn are these bodies, in this
// order, each once.
func (p *page) showsExactly(what string, bodies ...string) {
	p.t.Helper()
	const shown = `JSON.stringify([...document.querySelectorAll("#message-list .msg .msg-body")].map(e => e.textContent))`
	want, _ := json.Marshal(bodies)
	p.untilOr(what, shown, shown+` === `+jsString(string(want)))
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "$", `\$`)
	return "`" + r.Replace(s) + "`"
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

// mustDo is c.do for a test's setup: any answer but want fails the test,
// with the answer's body.
func mustDo(t *testing.T, c *client, want int, method, path string, in, out any) {
	t.Helper()
	if status, body := c.do(method, path, in, out); status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, body)
	}
}

// loginClient is a new Go client logged in as name.
func loginClient(t *testing.T, ts *testServer, name, password string) *client {
	t.Helper()
	c := ts.newClient()
	mustDo(t, c, http.StatusOK, "POST", "/api/login", map[string]string{"username": name, "password": password}, nil)
	return c
}

// curlHook posts body to a bot's hook as the README says to, with curl (or
// Go's HTTP client where curl is not installed), and fails the test unless
// the server answers 201.
func curlHook(t *testing.T, created botResponse, body string) {
	t.Helper()
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-sS", "-w", "\n%{http_code}", "-d", body, "-H", "Authorization: Bearer "+created.Token, created.HookURL).CombinedOutput()
		if err != nil || !strings.HasSuffix(string(out), "\n201") {
			t.Fatalf("curl: %v; it printed %s", err, out)
		}
		return
	}
	req, err := http.NewRequest("POST", created.HookURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+created.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("hook: %v", err)
	}
	defer resp.Body.Close()
	if raw, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("hook: status %d: %s", resp.StatusCode, raw)
	}
}

// menu opens the sidebar's menu (on a phone, the drawer first) and clicks
// its item with this id, as a person does.
func (p *page) menu(id string) {
	p.t.Helper()
	if p.eval(`matchMedia("(max-width: 760px)").matches`) == true {
		p.eval(`document.getElementById("open-sidebar").click()`)
		p.until("the drawer open", `document.getElementById("sidebar").getBoundingClientRect().left === 0`)
	}
	p.do("open the menu for "+id, chromedp.Click(chromedp.ID("open-menu")), chromedp.WaitVisible(chromedp.ID("me-menu")), chromedp.Click(chromedp.ID(id)))
}

// --- what tests do to a page's network ---

// awaySockets, given to every document of a page, lets the test take the
// page's socket away from the server and give it back: while
// window.hearthAway is set, the page's sockets knock at a path that refuses
// them, as when the phone is off the home network.
const awaySockets = `window.RealWebSocket ||= WebSocket;
window.WebSocket = function (url) { return new RealWebSocket(window.hearthAway ? url.replace(/\/ws$/, "/away") : url); };`

// goAway takes the page's socket away from the server (the page needs
// awaySockets and hook) and waits until the page knows.
func (p *page) goAway() {
	p.t.Helper()
	p.eval(`window.hearthAway = true; hearth.ws && hearth.ws.close(); true`)
	p.until("the socket gone", `!hearth.connected && hearth.retry > 0`)
}

// comeHome gives the socket back and says the network is back, as a
// browser does: the page reconnects at once. It waits for the hello.
func (p *page) comeHome() {
	p.t.Helper()
	p.comeHomeSoon()
	p.until("connected again", `hearth.connected`)
}

// comeHomeSoon is comeHome in 10 ms, without waiting: for saying things
// while the page comes back.
func (p *page) comeHomeSoon() {
	p.t.Helper()
	p.eval(`setTimeout(() => { window.hearthAway = false; window.dispatchEvent(new Event("online")); }, 10); true`)
}

// failingFetch, given to every document of a page, makes the page's
// requests whose URL contains window.hearthFail fail as on a network
// glitch, while the socket stays up.
const failingFetch = `window.realFetch ||= fetch;
window.fetch = (url, opts) => window.hearthFail && String(url).includes(window.hearthFail) ? Promise.reject(new TypeError("Failed to fetch")) : realFetch(url, opts);`

// heldAnswer, given to every document of a page, holds the answer to the
// page's next request whose URL contains window.hearthHold until the test
// calls window.hearthRelease(): the server has read it, the page has not.
const heldAnswer = `window.fetchBeforeHold ||= fetch;
window.fetch = (url, opts) => {
  const answer = fetchBeforeHold(url, opts);
  if (!window.hearthHold || !String(url).includes(window.hearthHold)) return answer;
  window.hearthHold = "";
  return answer.then((res) => new Promise((resolve) => { window.hearthRelease = () => { window.hearthRelease = null; resolve(res); }; }));
};`

// family is the cast of the tests of reading and coming back: a browser,
// a server without message limits, mum (an admin, for a page) and kid,
// logged in with a socket open, who says things.
type family struct {
	t       *testing.T
	browser context.Context
	ts      *testServer
	kid     *client
	sk      *socket
	said    int
}

func newFamily(t *testing.T) *family {
	t.Helper()
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	f := &family{t: t, browser: newBrowser(t)}
	f.ts = newTestServer(t, func(c *config) { c.MsgBurst, c.MsgRate = 1e6, 1e6 })
	f.ts.addUser("mum", "hearth-and-home", true)
	f.kid = f.ts.loggedIn("kid")
	f.sk = f.kid.dial()
	return f
}

// room has kid make a public room.
func (f *family) room(name string) {
	f.t.Helper()
	mustDo(f.t, f.kid, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": name}, nil)
}

// say has kid say body in room and returns the message's id once stored.
func (f *family) say(room, body string) uint64 {
	f.t.Helper()
	f.said++
	cid := fmt.Sprint("kid-", f.said)
	f.sk.say(room, body, cid)
	return f.sk.ack(cid).ID
}

// mumsPage opens a page of width × height with scripts given to every
// document, logs mum in and waits for her socket.
func (f *family) mumsPage(width, height int64, scripts ...string) *page {
	f.t.Helper()
	p := newPage(f.t, f.browser, width, height)
	for _, js := range scripts {
		p.beforeLoad(js)
	}
	p.login(f.ts, "mum", "hearth-and-home")
	p.hook()
	p.until("connected", `hearth.connected`)
	return p
}
