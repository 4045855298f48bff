// browser_push_test.go covers Web Push in the web client, in headless
// Chromium. Chromium cannot reach a real push service here, so pushes are
// handed to the service worker with CDP's ServiceWorker.deliverPushMessage,
// and what it shows is read back with registration.getNotifications(): the
// title, body and tag of a message's push, one notification per room (a
// second push replaces the first), a click opening its room in the open
// window, and the notifications of rooms read since closing when the page
// is shown again. The Notifications dialog is driven through what blocks
// or breaks push: a subscription the browser refuses, permission denied,
// an iPhone not installed, a test the server cannot send and a server that
// cannot reach the push services; and the settings that follow the person:
// room levels (moved from the old per-device choice, changed by the
// room's bell, followed from another device), hidden text, quiet hours.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/backgroundservice"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// setNotifications sets the page's permission to show notifications, as
// a person's answer to the browser's question would: "granted" or
// "denied" (its own browser context, the test server's origin).
func (p *page) setNotifications(origin string, setting browser.PermissionSetting) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission:       &browser.PermissionDescriptor{Name: "notifications"},
		Setting:          setting,
		Origin:           origin,
		BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID,
	})
	if err != nil {
		p.t.Fatalf("set the notification permission to %s: %v", setting, err)
	}
}

// beforeLoad runs js in the page before its own scripts, on every load
// from now on.
func (p *page) beforeLoad(js string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		p.t.Fatalf("add a script before load: %v", err)
	}
}

// pushWorker is the page's service worker as DevTools sees it: its
// registration, to deliver pushes to, and its push events, to wait until
// each push is handled (DevTools' Background Services record them).
type pushWorker struct {
	p        *page
	origin   string
	reg      serviceworker.RegistrationID
	finished chan string // the status of each push event completed
}

// watchWorker waits for the page's service worker to be active and starts
// watching its pushes.
func (p *page) watchWorker(origin string) *pushWorker {
	p.t.Helper()
	p.until("the service worker active", `navigator.serviceWorker.ready.then((r) => r.active && r.active.state === "activated")`)
	w := &pushWorker{p: p, origin: origin, finished: make(chan string, 64)}
	events := chromedp.Events(p.ctx, backgroundservice.BackgroundServiceEventReceived)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			if e := ev.BackgroundServiceEvent; e.Service == backgroundservice.ServiceNamePushMessaging && e.EventName == "Push event completed" {
				status := ""
				for _, m := range e.EventMetadata {
					if m.Key == "Status" {
						status = m.Value
					}
				}
				w.finished <- status
			}
		}
	}()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	for _, step := range []chromedp.Action[chromedp.Void]{
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, backgroundservice.StartObserving, backgroundservice.StartObservingParams{Service: backgroundservice.ServiceNamePushMessaging})
			return err
		}),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, backgroundservice.SetRecording, backgroundservice.SetRecordingParams{ShouldRecord: true, Service: backgroundservice.ServiceNamePushMessaging})
			return err
		}),
	} {
		if err := chromedp.Do(ctx, step); err != nil {
			p.t.Fatalf("watch the pushes: %v", err)
		}
	}
	registrations := chromedp.Events(ctx, serviceworker.WorkerRegistrationUpdated)
	if _, err := chromedp.Call(ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		p.t.Fatalf("ServiceWorker.enable: %v", err)
	}
	for ev, err := range registrations {
		if err != nil {
			p.t.Fatalf("waiting for the service worker's registration: %v", err)
		}
		for _, r := range ev.Registrations {
			if r.ScopeURL == origin+"/" && !r.IsDeleted {
				w.reg = r.RegistrationID
				return w
			}
		}
	}
	p.t.Fatal("the service worker's registration never showed")
	return nil
}

// deliver hands the service worker a push, as a push service would, and
// waits until its push event is over: Chromium's getNotifications(), asked
// while a notification is being shown, can forget it for good.
func (w *pushWorker) deliver(payload map[string]any) {
	w.p.t.Helper()
	data, err := json.Marshal(payload)
	if err != nil {
		w.p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(w.p.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
		Origin: w.origin, RegistrationID: w.reg, Data: string(data),
	}); err != nil {
		w.p.t.Fatalf("deliver a push: %v", err)
	}
	select {
	case status := <-w.finished:
		if status != "Success" {
			w.p.t.Errorf("the push event of %s ended with %q", data, status)
		}
	case <-ctx.Done():
		w.p.t.Fatalf("the push event of %s never ended", data)
	}
}

// shownNotification is what registration.getNotifications() says of one.
type shownNotification struct {
	Title    string `json:"title"`
	Body     string `json:"body"`
	Tag      string `json:"tag"`
	Icon     string `json:"icon"`
	Renotify bool   `json:"renotify"`
	Room     string `json:"room"`
	ID       int    `json:"id"`
}

const shownJS = `navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((ns) => ns.map((n) => ({
	title: n.title, body: n.body, tag: n.tag, icon: n.icon, renotify: n.renotify, room: (n.data && n.data.room) || "", id: (n.data && n.data.id) || 0,
})))`

// shown lists the notifications the page's service worker shows now.
func (p *page) shown() []shownNotification {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	ns, err := chromedp.Run(ctx, chromedp.Evaluate[[]shownNotification](shownJS, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("read the notifications: %v", err)
	}
	return ns
}

// untilShown waits until the notifications shown, as "tag: body" sorted by
// tag, are want. It polls on a timer: a hidden page gets no animation
// frames, which until waits for; and not too often, as each look may
// forget a notification being shown at that moment (deliver).
func (p *page) untilShown(what, want string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	js := shownJS + `.then((ns) => ns.map((n) => n.tag + ": " + n.body).sort().join(" | ") === ` + jsString(want) + `)`
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](js, chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		p.t.Fatalf("%s: %v; shown: %+v", what, err, p.shown())
	}
}

// untilHidden is until for a hidden page (polling on a timer).
func (p *page) untilHidden(what, js string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// hide opens another tab in front of the page, in its window, as a person
// switching tabs does: the page is hidden (and tells the server so). The
// function it returns closes that tab, and the page is shown again.
func (p *page) hide() (show func()) {
	p.t.Helper()
	ctx, cancel := chromedp.NewContext(p.ctx, chromedp.WithNewWindow(false))
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		p.t.Fatalf("open a tab in front: %v", err)
	}
	p.untilHidden("the page hidden behind the other tab", `document.visibilityState === "hidden"`)
	return func() {
		p.t.Helper()
		cancel()
		p.until("the page shown again", `document.visibilityState === "visible"`)
	}
}

// inWorker evaluates js in the page's service worker (its global scope),
// awaiting a promise.
func (p *page) inWorker(origin, js string) any {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	targets, err := chromedp.CallBrowser(ctx, target.GetTargets, target.GetTargetsParams{})
	if err != nil {
		p.t.Fatalf("list targets: %v", err)
	}
	var id target.ID
	for _, ti := range targets.TargetInfos {
		if ti.Type == "service_worker" && ti.URL == origin+"/sw.js" && ti.BrowserContextID == chromedp.FromContext(p.ctx).BrowserContextID {
			id = ti.TargetID
		}
	}
	if id == "" {
		p.t.Fatal("the service worker has no target")
	}
	wctx, wcancel := chromedp.NewContext(p.ctx, chromedp.WithTargetID(id), chromedp.WithDetachOnCancel())
	defer wcancel()
	tctx, tcancel := context.WithTimeout(wctx, 15*time.Second)
	defer tcancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[any](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("in the service worker, %s: %v", js, err)
	}
	return v
}

// TestBrowserPushShowsNotification delivers pushes to the service worker
// of a page hidden behind another tab (the server pushes only then) and
// reads back what it shows: one notification per room, a second push for
// the room replacing the first, the page's own notification of a DM and
// the DM's push sharing one; a click opens the room in the open page; and
// when the page is shown again, the notifications of rooms read meanwhile
// close, and the rest close as their rooms are read.
func TestBrowserPushShowsNotification(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browserCtx := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	mustDo(t, kid, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "kitchen"}, nil)
	mustDo(t, kid, http.StatusCreated, "POST", "/api/dms", map[string]string{"user": "mum"}, nil)
	sk := kid.dial()

	p := newPage(t, browserCtx, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.setNotifications(ts.URL, browser.PermissionSettingGranted)
	p.eval(`location.hash = "kitchen"`)
	p.until("in the kitchen", `document.getElementById("room-title").textContent === "kitchen"`)
	worker := p.watchWorker(ts.URL)
	show := p.hide()

	// A mention in #general: the page, hidden and with no push
	// subscription, shows it itself; then its push takes the same place
	// (one tag per room), with its title, body, icon and where a click goes.
	sk.say("general", "pick me up at 5, @mum", "k-1")
	said := sk.ack("k-1")
	p.untilShown("the page's own notification of the mention", "room:general: pick me up at 5, @mum")
	worker.deliver(map[string]any{
		"type": "message", "room": "general", "dm": false, "title": "kid in #general", "from": "kid",
		"body": "pick me up at 5, @mum (pushed)", "id": said.ID, "mention": true, "unread": 1, "tag": "room:general", "renotify": true,
	})
	p.untilShown("the push in its place", "room:general: pick me up at 5, @mum (pushed)")
	n := p.shown()[0]
	if n.Title != "kid in #general" || n.Room != "general" || n.ID != int(said.ID) || !n.Renotify || !strings.HasSuffix(n.Icon, "/icon-192.png") {
		t.Errorf("the notification: %+v", n)
	}

	// A second push for the room replaces the first. (The message does
	// not mention mum: the page does not show it itself.)
	sk.say("general", "make it 6", "k-2")
	later := sk.ack("k-2")
	worker.deliver(map[string]any{
		"type": "message", "room": "general", "title": "kid in #general", "from": "kid",
		"body": "make it 6", "id": later.ID, "mention": false, "unread": 2, "tag": "room:general", "renotify": false,
	})
	p.untilShown("the room's notification replaced", "room:general: make it 6")

	// A DM: the page shows it itself (no push subscription here), and the
	// DM's push then takes the same place: one notification for the DM.
	sk.say("@kid+mum", "are you there?", "k-3")
	dm := sk.ack("k-3")
	p.untilShown("the page's own notification of the DM", "room:@kid+mum: are you there? | room:general: make it 6")
	worker.deliver(map[string]any{
		"type": "message", "room": "@kid+mum", "dm": true, "title": "kid", "from": "kid",
		"body": "are you there? (pushed)", "id": dm.ID, "mention": false, "unread": 3, "tag": "room:@kid+mum", "renotify": true,
	})
	p.untilShown("the DM's push in its place", "room:@kid+mum: are you there? (pushed) | room:general: make it 6")

	// A click (the worker's handler, run on the notification as shown:
	// no protocol command clicks a notification) switches the open page
	// to the room, and the notification goes.
	p.inWorker(ts.URL, `self.registration.getNotifications({tag: "room:general"}).then(([n]) => clicked(n)).then(() => true)`)
	p.untilHidden("the page switched to #general", `document.getElementById("room-title").textContent === "general" && location.hash === "#general"`)
	p.untilShown("the clicked notification closed", "room:@kid+mum: are you there? (pushed)")

	// A test push has no room; a push of #kitchen, read here before.
	worker.deliver(map[string]any{"type": "test", "title": "Hearth", "body": "Notifications work on this device.", "tag": "test", "unread": 3})
	worker.deliver(map[string]any{
		"type": "message", "room": "kitchen", "title": "kid in #kitchen", "from": "kid",
		"body": "kettle's on", "id": 999, "unread": 3, "tag": "room:kitchen", "renotify": false,
	})
	p.untilShown("the test's and the kitchen's", "room:@kid+mum: are you there? (pushed) | room:kitchen: kettle's on | test: Notifications work on this device.")

	// Shown again: #kitchen has nothing unread, so its notification goes;
	// the DM's stays while the DM is unread, and goes once it is read.
	show()
	p.untilShown("the read room's notification closed on showing", "room:@kid+mum: are you there? (pushed) | test: Notifications work on this device.")
	p.eval(`location.hash = "@kid+mum"`)
	p.sees("are you there?")
	p.untilShown("the DM's notification closed once read", "test: Notifications work on this device.")
}

// fakePush replaces the browser's push subscription (Chromium here has no
// push service to subscribe with): subscribe fails with window.pushFails
// when set, and otherwise gives a subscription to an endpoint no server
// answers at, which the page then sends to Hearth.
const fakePush = `(() => {
	let sub = null;
	const url64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
	const b64 = (n) => url64(crypto.getRandomValues(new Uint8Array(n)));
	// A real P-256 public key, as a browser's subscription has.
	const point = async () => {
		const pair = await crypto.subtle.generateKey({name: "ECDH", namedCurve: "P-256"}, true, ["deriveBits"]);
		return url64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
	};
	PushManager.prototype.subscribe = async function (opts) {
		if (window.pushFails) throw new DOMException(window.pushFails, "AbortError");
		const json = {endpoint: "https://127.0.0.1:1/push/" + b64(12), expirationTime: null, keys: {p256dh: await point(), auth: b64(16)}};
		sub = {endpoint: json.endpoint, options: {applicationServerKey: opts.applicationServerKey.buffer || opts.applicationServerKey, userVisibleOnly: true},
			toJSON: () => json, unsubscribe: async () => { sub = null; return true; }};
		return sub;
	};
	PushManager.prototype.getSubscription = async function () { return sub; };
})()`

// dialogSays is the device part of the Notifications dialog, as read.
const dialogSays = `document.getElementById("notify-text").textContent + " / " + document.getElementById("notify-error").textContent + " / " + document.getElementById("notify-reach").hidden`

// openNotifications opens the dialog from the sidebar's menu.
func (p *page) openNotifications() {
	p.t.Helper()
	p.eval(`document.querySelectorAll("dialog[open]").forEach((d) => d.close())`)
	p.menu("open-notify")
	p.do("the notifications dialog", chromedp.WaitVisible(chromedp.ID("dialog-notify")))
}

// TestBrowserNotificationsDialogExplains drives the dialog through what
// blocks or breaks push on a device, and checks it says so: a
// subscription the browser refuses (with its reason), one Hearth keeps
// (the device listed, Turn off and the test offered), a test the server
// cannot send (its error shown), a server that cannot reach the push
// services, notifications blocked (how to allow them again), and an
// iPhone where Hearth is not on the Home Screen. At 320 px the dialog fits
// the screen and scrolls inside it.
func TestBrowserNotificationsDialogExplains(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browserCtx := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("dad", "slippers-by-the-fire", false)

	p := newPage(t, browserCtx, 320, 640)
	p.beforeLoad(fakePush)
	p.login(ts, "mum", "hearth-and-home")
	p.setNotifications(ts.URL, browser.PermissionSettingGranted)
	p.until("the service worker", `navigator.serviceWorker.ready.then((r) => !!r.active)`)

	// The browser refuses to subscribe: the dialog says so, with why.
	p.eval(`window.pushFails = "Registration failed - push service not available"; true`)
	p.openNotifications()
	p.untilOr("Turn on offered", dialogSays, `!document.getElementById("notify-enable").hidden && document.getElementById("notify-text").textContent === "This device shows notifications only while Hearth is open. Turn them on to get them also while it is closed."`)
	p.eval(`document.getElementById("notify-enable").click()`)
	p.untilOr("the refusal explained", dialogSays, `document.getElementById("notify-error").textContent === "Notifications could not be turned on: this browser could not subscribe to its push service (Registration failed - push service not available)."`)
	if v := p.eval(`!document.getElementById("notify-enable").hidden && document.getElementById("notify-disable").hidden`); v != true {
		t.Error("after a refused subscription the dialog does not offer Turn on again")
	}
	p.screenshot("notify-refused-320")

	// Subscribed: listed as this device, with Turn off and the test.
	p.eval(`window.pushFails = ""; true`)
	p.eval(`document.getElementById("notify-enable").focus(); document.getElementById("notify-enable").click()`)
	p.untilOr("on", dialogSays, `document.getElementById("notify-text").textContent === "This device gets notifications, also while Hearth is closed." && document.getElementById("notify-error").textContent === ""`)
	p.untilOr("this device listed", `document.getElementById("notify-devices").textContent`, `[...document.querySelectorAll("#notify-devices li")].some((li) => li.textContent.includes("THIS DEVICE") && li.querySelector("button"))`)
	if v := p.eval(`document.getElementById("notify-enable").hidden && !document.getElementById("notify-disable").hidden && !document.getElementById("notify-test").hidden`); v != true {
		t.Error("subscribed, the dialog does not offer Turn off and the test")
	}
	// Turn on went from under the keyboard's focus: its neighbour has it.
	if v := p.eval(`document.activeElement.id`); v != "notify-disable" {
		t.Errorf("after Turn on went, the focus is on %q, want Turn off", v)
	}
	p.colorScheme("dark")
	p.screenshot("notify-on-320-dark")
	p.colorScheme("light")

	// An admin replaces the push keys (a backup leaked): the server forgets
	// every device, and this one subscribes again by itself, with the new
	// key, the next time it asks the server, without a question.
	mum := loginClient(t, ts, "mum", "hearth-and-home")
	var reset struct {
		PublicKey string `json:"public_key"`
	}
	mustDo(t, mum, http.StatusOK, "POST", "/api/admin/push/reset", nil, &reset)
	p.eval(`import("/js/push.js").then((m) => m.loadPush()); true`)
	p.until("subscribed again with the new key", `fetch("/api/push").then((r) => r.json()).then((s) => s.public_key === `+strconv.Quote(reset.PublicKey)+` && s.subscriptions.some((d) => d.this_device))`)
	if v := p.eval(`navigator.serviceWorker.ready.then((r) => r.pushManager.getSubscription()).then((sub) => btoa(String.fromCharCode(...new Uint8Array(sub.options.applicationServerKey))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""))`); v != reset.PublicKey {
		t.Errorf("subscribed again with key %v, want the new %s", v, reset.PublicKey)
	}

	// The test cannot reach the push service: the server's error shows.
	p.eval(`document.getElementById("notify-test").click()`)
	p.untilOr("the test's error", `document.getElementById("notify-test-result").textContent`, `document.getElementById("notify-test-result").textContent.startsWith("The test failed: ") && document.getElementById("notify-test-result").classList.contains("form-error")`)
	got := p.eval(`document.getElementById("notify-test-result").textContent`).(string)
	var status struct {
		Reachable *bool `json:"reachable"`
	}
	mustDo(t, mum, http.StatusOK, "GET", "/api/push", nil, &status)
	if !strings.Contains(got, "push service") {
		t.Errorf("the test's error: %q, want the server's reason", got)
	}

	// The server could not reach the push services: the dialog says what
	// that means and what still works.
	if status.Reachable != nil && !*status.Reachable {
		p.openNotifications()
		p.untilOr("the internet explained", dialogSays, `!document.getElementById("notify-reach").hidden && document.getElementById("notify-reach").textContent.startsWith("Phone notifications need the Hearth server to reach the internet")`)
	} else {
		t.Errorf("after a push to an endpoint nothing answers at, GET /api/push says reachable %v", status.Reachable)
	}

	// At 320 px the dialog stays within the screen and scrolls inside.
	fits := p.eval(`(() => { const d = document.getElementById("dialog-notify").getBoundingClientRect(); return d.left >= 0 && d.right <= innerWidth && d.top >= 0 && d.bottom <= innerHeight && document.documentElement.scrollWidth <= innerWidth })()`)
	if fits != true {
		t.Errorf("the dialog does not fit 320 px: %v", p.eval(`JSON.stringify(document.getElementById("dialog-notify").getBoundingClientRect())`))
	}
	if v := p.eval(`(() => { const d = document.getElementById("dialog-notify"); return d.scrollHeight > d.clientHeight && getComputedStyle(d).overflowY !== "visible" })()`); v != true {
		t.Error("the dialog is taller than 640 px and does not scroll")
	}

	// Turn off: the server forgets this device.
	p.eval(`document.getElementById("notify-disable").click()`)
	p.untilOr("off", dialogSays, `!document.getElementById("notify-enable").hidden && document.getElementById("notify-devices").textContent === "None yet."`)

	// Blocked in the browser: how to allow notifications again.
	p.setNotifications(ts.URL, browser.PermissionSettingDenied)
	p.openNotifications()
	p.untilOr("the way back explained", dialogSays, `document.getElementById("notify-text").textContent.startsWith("Notifications are blocked for Hearth") && document.querySelectorAll("#notify-text li").length === 4 && document.getElementById("notify-enable").hidden`)
	p.screenshot("notify-denied-320")

	// An iPhone whose Safari has not installed Hearth: no push, so first
	// the Home Screen.
	phone := newPage(t, browserCtx, 390, 844)
	phone.do("an iPhone", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"})
		return err
	}))
	phone.beforeLoad(`delete window.PushManager; Object.defineProperty(navigator, "standalone", {value: false});`)
	phone.login(ts, "dad", "slippers-by-the-fire")
	phone.openNotifications()
	phone.untilOr("the Home Screen first", dialogSays, `document.getElementById("notify-text").textContent.includes("Add to Home Screen") && document.getElementById("notify-text").textContent.includes("iOS 16.4") && document.getElementById("notify-enable").hidden`)
}

// TestBrowserNotificationSettings: the levels follow the person. The
// choice a device kept moves to the server when Hearth opens (unless one
// was chosen there), the room's bell saves to the server, another
// device's change moves the bell, and the dialog's settings (hidden text,
// quiet hours in this device's zone, who breaks through) are saved.
func TestBrowserNotificationSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browserCtx := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("dad", "slippers-by-the-fire", false)
	mum := loginClient(t, ts, "mum", "hearth-and-home")
	mustDo(t, mum, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "kitchen"}, nil)
	mustDo(t, mum, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "garden"}, nil)
	// Chosen on another device already: the old choice here does not win.
	mustDo(t, mum, http.StatusOK, "PUT", "/api/notifications/rooms/garden", map[string]string{"level": "all"}, nil)

	p := newPage(t, browserCtx, 1280, 800)
	p.do("open the app", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("view-auth")))
	p.eval(`localStorage.setItem("hearth.notify.kitchen", "none"); localStorage.setItem("hearth.notify.garden", "none"); localStorage.setItem("hearth.notify.gone", "all"); true`)
	p.fillAuth("mum", "hearth-and-home", false)
	p.until("the old choices gone from the device", `!Object.keys(localStorage).some((k) => k.startsWith("hearth.notify."))`)
	var s browserNotifySettings
	mustDo(t, mum, http.StatusOK, "GET", "/api/notifications", nil, &s)
	if s.Rooms["kitchen"] != "none" || s.Rooms["garden"] != "all" || s.Rooms["gone"] != "" {
		t.Errorf("after the move the server keeps %v, want kitchen none (moved), garden all (kept)", s.Rooms)
	}
	p.eval(`location.hash = "kitchen"`)
	p.until("the kitchen's bell off", `document.getElementById("room-title").textContent === "kitchen" && document.getElementById("notify-level").value === "none"`)

	// The bell saves to the server.
	p.eval(`location.hash = "general"`)
	p.until("general's default", `document.getElementById("room-title").textContent === "general" && document.getElementById("notify-level").value === "mentions"`)
	p.eval(`const s = document.getElementById("notify-level"); s.value = "all"; s.dispatchEvent(new Event("change")); true`)
	eventually(t, 5*time.Second, "general saved as all", func() bool {
		mustDo(t, mum, http.StatusOK, "GET", "/api/notifications", nil, &s)
		return s.Rooms["general"] == "all"
	})
	// Changed on another device: the bell follows.
	mustDo(t, mum, http.StatusOK, "PUT", "/api/notifications/rooms/general", map[string]string{"level": "none"}, nil)
	p.until("the bell follows the other device", `document.getElementById("notify-level").value === "none"`)

	// The dialog's settings.
	p.openNotifications()
	p.until("dad offered", `[...document.querySelectorAll("#notify-people input")].map((i) => i.value).join() === "dad"`)
	p.eval(`document.getElementById("notify-hide").click();
		document.getElementById("quiet-on").click();
		document.getElementById("quiet-from").value = "21:30";
		document.getElementById("quiet-to").value = "06:45";
		document.querySelector("#notify-people input").click();
		document.querySelector("#notify-settings button[type=submit]").click(); true`)
	p.untilOr("saved", `document.getElementById("notify-saved").textContent`, `document.getElementById("notify-saved").textContent === "Saved."`)
	p.screenshot("notify-settings-1280")
	zone := p.eval(`Intl.DateTimeFormat().resolvedOptions().timeZone`).(string)
	mustDo(t, mum, http.StatusOK, "GET", "/api/notifications", nil, &s)
	if !s.HideText || !s.Quiet.Enabled || s.Quiet.From != "21:30" || s.Quiet.To != "06:45" || s.Quiet.Zone != zone || fmt.Sprint(s.Breakthrough) != "[dad]" {
		t.Errorf("saved: %+v, want hidden text, quiet 21:30-06:45 in %s, dad breaking through", s, zone)
	}
	p.axe("the notifications dialog with settings")
}

// browserNotifySettings is GET /api/notifications.
type browserNotifySettings struct {
	Rooms    map[string]string `json:"rooms"`
	HideText bool              `json:"hide_text"`
	Quiet    struct {
		Enabled bool   `json:"enabled"`
		From    string `json:"from"`
		To      string `json:"to"`
		Zone    string `json:"zone"`
	} `json:"quiet"`
	Breakthrough []string `json:"breakthrough"`
}
