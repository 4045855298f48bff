// browser_messages_test.go drives headless Chromium through what a message
// looks like and how people answer one: replying (the Reply button on a
// desktop, a swipe on a phone) with the quote on both sides, jumping from a
// quote to an original 200 messages back that is not loaded, a quote whose
// original is deleted; the formatting people type elsewhere, built as
// elements, never as HTML, and nothing formatted inside code; long messages
// folded with "Show more"; day dividers, and the time of a grouped message
// on focus and on a long press.

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// msgJS finds the newest message whose body contains text, as li.
func msgJS(text string) string {
	return `[...document.querySelectorAll("#message-list .msg[data-id]")].reverse().find(li => li.querySelector(".msg-body").textContent.includes(` + jsString(text) + `))`
}

// touch sends one touch event at (x, y) (none for the end).
func (p *page) touch(typ input.DispatchTouchEventType, x, y float64) {
	p.t.Helper()
	var points []*input.TouchPoint
	if typ != input.DispatchTouchEventTypeTouchEnd {
		points = []*input.TouchPoint{{X: x, Y: y}}
	}
	p.do("touch "+string(typ), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: points})
		return err
	}))
}

// enableTouch makes the page a touch screen, as a phone's is.
func (p *page) enableTouch() {
	p.do("emulate touch", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 1})
		return err
	}))
}

// point returns the middle of the body of the message containing text.
func (p *page) point(text string) (x, y float64) {
	p.t.Helper()
	p.eval(`(() => { const b = ` + msgJS(text) + `.querySelector(".msg-body"); b.scrollIntoView({ block: "center" }); })()`)
	xy, ok := p.eval(`(() => { const r = ` + msgJS(text) + `.querySelector(".msg-body").getBoundingClientRect(); return [r.left + Math.min(40, r.width / 2), r.top + r.height / 2]; })()`).([]any)
	if !ok || len(xy) != 2 {
		p.t.Fatalf("no message %q to touch", text)
	}
	return xy[0].(float64), xy[1].(float64)
}

// seed is a message written into the store while the server is down, at a
// time of the test's choosing.
type seed struct {
	user, body string
	at         time.Time
}

// seedMessages stops the server, appends msgs to room in order, each
// committed at its time, and starts the server again. It returns their ids.
func seedMessages(t *testing.T, ts *testServer, room string, msgs []seed) []uint64 {
	t.Helper()
	ts.stop()
	st, err := openStore(ts.cfg.DBPath)
	if err != nil {
		t.Fatalf("open the store to seed it: %v", err)
	}
	var ids []uint64
	for _, s := range msgs {
		req := &appendRequest{Op: opSend, Msg: message{Room: room, User: s.user, Body: s.body}}
		if err := st.appendMessages([]*appendRequest{req}, s.at.UTC()); err != nil || req.Err != nil {
			t.Fatalf("seed %q: %v %v", s.body, err, req.Err)
		}
		ids = append(ids, req.Msg.ID)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts.start()
	return ids
}

// TestBrowserReplies: the kid answers on a phone with a swipe and mum on a
// desktop with the Reply button; both see the quotes. After 200 more
// messages mum reloads, clicks the quote of an answer whose original is
// long out of view (not loaded), and lands on the original, highlighted.
// Once the original is deleted, its quote says "deleted message", live and
// after a reload; Escape cancels a reply being written.
func TestBrowserReplies(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 1000 })
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("kid", "pizza-every-day", false)
	mum := newPage(t, browser, 1280, 800)
	mum.login(ts, "mum", "hearth-and-home")
	kid := newPage(t, browser, 390, 844)
	kid.enableTouch()
	kid.login(ts, "kid", "pizza-every-day")

	mum.say("Who is coming to gran's on Sunday?")
	kid.sees("Who is coming to gran's on Sunday?")
	mum.until("the question acknowledged", `!!`+msgJS("Who is coming to gran's"))
	question, _ := strconv.Atoi(mum.eval(msgJS("Who is coming to gran's") + `.dataset.id`).(string))

	// The kid swipes the question right, as on any phone, and answers.
	x, y := kid.point("Who is coming to gran's")
	kid.touch(input.DispatchTouchEventTypeTouchStart, x, y)
	for dx := 20.0; dx <= 100; dx += 20 {
		kid.touch(input.DispatchTouchEventTypeTouchMove, x+dx, y+2)
	}
	kid.touch(input.DispatchTouchEventTypeTouchEnd, 0, 0)
	kid.untilOr("the reply bar", `document.getElementById("reply-bar").textContent`,
		`!document.getElementById("reply-bar").hidden && document.getElementById("reply-bar").textContent.includes("Replying to mum") && document.activeElement.id === "composer-input"`)
	if v := kid.eval(`(() => { const li = ` + msgJS("Who is coming to gran's") + `; return li.style.transform + "|" + li.className; })()`); v != "|msg first" && !strings.HasPrefix(v.(string), "|msg first") {
		t.Errorf("after the swipe the message is left as %v", v)
	}
	kid.screenshot("reply-bar-phone")
	kid.say("Me! 🙋")
	quoteOf := func(text string) string {
		return `(() => { const q = ` + msgJS(text) + `?.querySelector(".reply-quote"); return q ? q.querySelector(".reply-user").textContent + ": " + q.querySelector(".reply-text").textContent : ""; })()`
	}
	for _, p := range []*page{mum, kid} {
		p.sees("Me! 🙋")
		p.untilOr("the quote above the answer", quoteOf("Me! 🙋"), quoteOf("Me! 🙋")+` === "mum: Who is coming to gran's on Sunday?"`)
	}
	if v := kid.eval(`document.getElementById("reply-bar").hidden`); v != true {
		t.Error("the reply bar stays after sending")
	}

	// Mum answers the answer with the Reply button; a reply started and
	// cancelled with Escape sends nothing of the kind.
	mum.msgAction("Me! 🙋", "reply")
	mum.until("the reply bar", `document.getElementById("reply-bar").textContent.includes("Replying to kid")`)
	mum.press("Escape", "Escape", 27, 0)
	mum.until("the reply bar gone", `document.getElementById("reply-bar").hidden`)
	mum.msgAction("Me! 🙋", "reply")
	mum.untilOr("the reply bar", `document.getElementById("reply-bar").textContent`, `document.querySelector("#reply-bar .reply-bar-label").textContent === "Replying to kid" && document.querySelector("#reply-bar .reply-text").textContent === "Me! 🙋"`)
	mum.screenshot("reply-bar-desktop")
	mum.say("Lovely, bring the cake")
	kid.untilOr("mum's quote of the answer", quoteOf("Lovely, bring the cake"), quoteOf("Lovely, bring the cake")+` === "kid: Me! 🙋"`)

	// 200 messages later the question is long gone from mum's screen.
	filler := ts.newClient()
	mustDo(t, filler, 200, "POST", "/api/login", map[string]string{"username": "kid", "password": "pizza-every-day"}, nil)
	fs := filler.dial()
	for i := range 200 {
		fs.say("general", fmt.Sprintf("filler %d", i), fmt.Sprintf("f-%d", i))
	}
	fs.ack("f-199")
	kid.sees("filler 199")
	// The kid answers the question again, from far below it (from another
	// device: the page draws only the messages around the reader).
	fs.send(map[string]any{"type": "send", "room": "general", "body": "Can Rex come too?", "client_id": "f-rex", "reply_to": question})
	rex := fs.ack("f-rex")
	// Mum has read it all (on another device, say): her reload opens at the newest.
	mustDo(t, loginClient(t, ts, "mum", "hearth-and-home"), 200, "POST", "/api/rooms/general/read", map[string]any{"id": rex.ID}, nil)
	mum.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	mum.sees("Can Rex come too?")
	mum.until("the quote after a reload", quoteOf("Can Rex come too?")+` === "mum: Who is coming to gran's on Sunday?"`)
	if v := mum.eval(fmt.Sprintf(`import("/js/state.js").then(({ state }) => state.rooms.get("general").msgs.has(%d))`, question)); v != false {
		t.Fatal("the question is loaded already; the jump would prove nothing")
	}
	mum.screenshot("replies-desktop")
	mum.colorScheme("dark")
	mum.screenshot("replies-desktop-dark")
	mum.colorScheme("light")
	mum.eval(msgJS("Can Rex come too?") + `.querySelector(".reply-quote").click()`)
	mum.untilOr("the question on screen, highlighted",
		`[...document.querySelectorAll("#message-list .msg.target .msg-body")].map(b => b.textContent).join("|")`,
		`(() => {
			const li = `+msgJS("Who is coming to gran's")+`;
			if (!li || !li.classList.contains("target")) return false;
			const r = li.getBoundingClientRect(), box = document.getElementById("messages").getBoundingClientRect();
			return r.top >= box.top && r.bottom <= box.bottom && document.activeElement === li;
		})()`)
	if v := mum.eval(`document.getElementById("jump-latest").hidden`); v != false {
		t.Error("no way back to the newest messages after the jump")
	}
	mum.screenshot("reply-jump-desktop")

	// Mum deletes the question: the kid's quotes of it say so at once.
	mum.eval(`window.confirm = () => true`)
	mum.msgAction("Who is coming to gran's", "delete")
	kid.untilOr("the quote of a deleted message", quoteOf("Can Rex come too?"), quoteOf("Can Rex come too?")+` === "mum: deleted message"`)
	kid.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	kid.sees("Can Rex come too?")
	kid.untilOr("the quote after a reload", quoteOf("Can Rex come too?"), quoteOf("Can Rex come too?")+` === "mum: deleted message"`)
	kid.screenshot("replies-phone")
	kid.colorScheme("dark")
	kid.screenshot("replies-phone-dark")
	// On the narrowest phone the bar and the quotes still fit.
	kid.do("a 320 px phone", chromedp.EmulateViewport(320, 640))
	kid.msgAction("Can Rex come too?", "reply")
	kid.until("the reply bar", `!document.getElementById("reply-bar").hidden`)
	if v := kid.eval(`document.documentElement.scrollWidth <= 320 && document.getElementById("reply-bar").getBoundingClientRect().right <= 320`); v != true {
		t.Error("the reply bar is wider than a 320 px phone")
	}
	kid.screenshot("reply-bar-320-dark")
}

// TestBrowserFormatting: a message with every construct people type is
// shown as elements (strong, em, s, blockquote, lists, code, pre, links
// that open safely, mentions), with nothing formatted inside code; HTML in
// formatting stays text; a long message is folded with "Show more", which
// unfolds it in place, and one that fits is not.
func TestBrowserFormatting(t *testing.T) {
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

	mum.say(strings.Join([]string{
		"**Shopping** for *Sunday* and _Monday_, ~~not Tuesday~~, ask @kid",
		"> gran said: **no** sprouts",
		"- milk",
		"- `2 eggs`",
		"1. shop",
		"2. cook",
		"recipe https://example.com/pie_(best). file_name_here stays",
		"```",
		"**not bold** _not italic_ https://not.a.link",
		"```",
	}, "\n"))
	last := `[...document.querySelectorAll("#message-list .msg:not(.pending) .msg-body")].at(-1)`
	kid.until("the formatted message", `!!`+last+`?.querySelector("pre")`)
	checks := map[string]string{
		"bold":                `b.querySelector(":scope > strong")?.textContent === "Shopping"`,
		"two italics":         `[...b.querySelectorAll(":scope > em")].map(e => e.textContent).join() === "Sunday,Monday"`,
		"strike":              `b.querySelector(":scope > s")?.textContent === "not Tuesday"`,
		"mention":             `b.querySelector(":scope > .mention")?.textContent === "@kid"`,
		"quote":               `b.querySelector("blockquote")?.textContent === "gran said: no sprouts" && b.querySelector("blockquote > strong")?.textContent === "no"`,
		"bullets":             `[...b.querySelectorAll("ul > li")].map(e => e.textContent).join() === "milk,2 eggs" && b.querySelector("ul > li > code")?.textContent === "2 eggs"`,
		"numbers":             `[...b.querySelectorAll("ol > li")].map(e => e.textContent).join() === "shop,cook"`,
		"safe link":           `(a => a && a.href === "https://example.com/pie_(best)" && a.rel === "noopener noreferrer nofollow" && a.target === "_blank")(b.querySelector("a"))`,
		"one link":            `b.querySelectorAll("a").length === 1`,
		"snake_case as typed": `b.textContent.includes("file_name_here stays")`,
		"code block as typed": `b.querySelector("pre > code")?.textContent === "**not bold** _not italic_ https://not.a.link" && !b.querySelector("pre strong, pre em, pre a")`,
	}
	for name, js := range checks {
		if v := kid.eval(`(b => ` + js + `)(` + last + `)`); v != true {
			t.Errorf("%s: not as expected; the body is %v", name, kid.eval(`(b => b.innerHTML)(`+last+`)`))
		}
	}
	kid.screenshot("formatting-phone")
	mum.screenshot("formatting-desktop")
	mum.colorScheme("dark")
	mum.screenshot("formatting-desktop-dark")
	mum.colorScheme("light")

	// HTML inside formatting is text, in a quote, a list and emphasis alike.
	hostile := "**<img src=x onerror=\"window.pwned=1\">** _<script>window.pwned=2</script>_\n> <img src=x onerror=\"window.pwned=3\">\n- <b onmouseover=\"window.pwned=4\">x</b>"
	kid.say(hostile)
	mum.until("the hostile message", last+`?.textContent.includes("window.pwned=4")`)
	if v := mum.eval(`(b => !window.pwned && !document.querySelector("#message-list img, #message-list script, #message-list b") && b.querySelector("strong").textContent === '<img src=x onerror="window.pwned=1">' && b.querySelector("em").textContent === "<script>window.pwned=2</script>")(` + last + `)`); v != true {
		t.Errorf("HTML in formatting became elements: %v", mum.eval(`(b => b.innerHTML)(`+last+`)`))
	}

	// A message of 40 lines is folded to 20 with "Show more"; a long line
	// is folded on the phone but fits unfolded on the desktop.
	c := loginClient(t, ts, "mum", "hearth-and-home")
	s := c.dial()
	lines := make([]string, 40)
	for i := range lines {
		lines[i] = fmt.Sprintf("line %d of the packing list", i+1)
	}
	s.say("general", strings.Join(lines, "\n"), "long-1")
	long := s.ack("long-1")
	s.say("general", strings.Repeat("la ", 420)+"end", "long-2")
	s.ack("long-2")
	s.say("general", "a short one after", "short-1")
	s.ack("short-1")
	for _, p := range []*page{mum, kid} {
		p.sees("a short one after")
	}
	folded := func(text string) string {
		return `(li => li.querySelector(".msg-body").classList.contains("clamped") && li.querySelector(".show-more")?.textContent === "Show more" && li.querySelector(".msg-body").scrollHeight > li.querySelector(".msg-body").clientHeight)(` + msgJS(text) + `)`
	}
	for _, p := range []*page{mum, kid} {
		if v := p.eval(folded("line 1 of the packing list")); v != true {
			t.Error("the 40-line message is not folded with Show more")
		}
		if v := p.eval(`!` + msgJS("a short one after") + `.querySelector(".show-more")`); v != true {
			t.Error("a short message offers Show more")
		}
	}
	if v := kid.eval(folded("la la la")); v != true {
		t.Error("the long line is not folded on the phone")
	}
	if v := mum.eval(`(li => !li.querySelector(".show-more") && !li.querySelector(".clamped"))(` + msgJS("la la la") + `)`); v != true {
		t.Error("the long line, which fits the desktop, is folded there")
	}
	kid.screenshot("folded-phone")
	// Show more unfolds it where it is: its top stays put on screen.
	top := mum.eval(`(li => { li.scrollIntoView({ block: "start" }); return li.getBoundingClientRect().top; })(` + msgJS("line 1 of the packing list") + `)`)
	mum.eval(msgJS("line 1 of the packing list") + `.querySelector(".show-more").click()`)
	mum.until("unfolded", `(li => !li.querySelector(".clamped") && li.querySelector(".show-more").textContent === "Show less" && li.querySelector(".msg-body").textContent.includes("line 40 of"))(`+msgJS("line 1 of the packing list")+`)`)
	if after := mum.eval(msgJS("line 1 of the packing list") + `.getBoundingClientRect().top`); fmt.Sprint(after) != fmt.Sprint(top) {
		t.Errorf("the message's top moved from %v to %v when unfolded", top, after)
	}
	mum.screenshot("unfolded-desktop")
	// Unfolded it stays through a redraw of it (a reaction).
	s.send(map[string]any{"type": "react", "room": "general", "id": long.ID, "emoji": "👍"})
	mum.until("the reaction, still unfolded", `(li => !!li.querySelector(".reaction") && !li.querySelector(".clamped") && li.querySelector(".show-more").textContent === "Show less")(`+msgJS("line 1 of the packing list")+`)`)
}

// TestBrowserDaysAndTimes: messages from yesterday and today are divided by
// "Yesterday" and "Today"; a grouped message shows no time until it has
// focus (desktop) or a long press (phone); older days are named by their
// weekday, then by their date.
func TestBrowserDaysAndTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("kid", "pizza-every-day", false)
	now := time.Now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	today := func(ago time.Duration) time.Time { // in today, however early it is
		if at := now.Add(-ago); at.After(midnight) {
			return at
		}
		return midnight.Add(time.Second)
	}
	seedMessages(t, ts, "general", []seed{
		{"kid", "yesterday's first", midnight.Add(-3 * time.Hour)},
		{"kid", "yesterday's second", midnight.Add(-3*time.Hour + time.Minute)},
		{"kid", "good morning", today(90 * time.Second)},
		{"kid", "anyone up?", today(60 * time.Second)},
		{"kid", "hello??", today(30 * time.Second)},
	})
	mum := newPage(t, browser, 1280, 800)
	mum.login(ts, "mum", "hearth-and-home")
	mum.sees("hello??")
	order := `[...document.querySelectorAll("#message-list > li")].map(li => li.classList.contains("day") ? "[" + li.textContent + "]" : li.querySelector(".msg-body")?.textContent).filter(Boolean).join(" ")`
	if got, want := mum.eval(order), "[Yesterday] yesterday's first yesterday's second [Today] good morning anyone up? hello??"; got != want {
		t.Errorf("the list reads %q, want %q", got, want)
	}
	// "anyone up?" follows kid's "good morning" within minutes: grouped,
	// no header, its time hidden until it has focus.
	timeOf := func(text string) string {
		return `(t => t ? getComputedStyle(t).visibility + " " + t.textContent : "none")(` + msgJS(text) + `.querySelector(".msg-side-time"))`
	}
	if v := mum.eval(msgJS("anyone up?") + `.matches(".msg:not(.first)")`); v != true {
		t.Fatal("the second message of a run is not grouped")
	}
	mum.eval(`document.getElementById("composer-input").focus()`)
	if v := mum.eval(timeOf("anyone up?")); !strings.HasPrefix(v.(string), "hidden ") {
		t.Errorf("a grouped message's time is %q before focus", v)
	}
	mum.eval(msgJS("anyone up?") + `.focus()`)
	if v := mum.eval(timeOf("anyone up?")).(string); !strings.HasPrefix(v, "visible ") || !strings.ContainsAny(v, "0123456789") {
		t.Errorf("a grouped message's time is %q on focus", v)
	}
	mum.screenshot("days-desktop")

	// On a phone, a long press shows it.
	kid := newPage(t, browser, 320, 640)
	kid.enableTouch()
	kid.login(ts, "kid", "pizza-every-day")
	kid.sees("hello??")
	x, y := kid.point("anyone up?")
	kid.touch(input.DispatchTouchEventTypeTouchStart, x, y)
	kid.untilOr("the time after a long press", timeOf("anyone up?"), `getComputedStyle(`+msgJS("anyone up?")+`.querySelector(".msg-side-time")).visibility === "visible"`)
	kid.touch(input.DispatchTouchEventTypeTouchEnd, 0, 0)
	kid.screenshot("days-phone")
	kid.colorScheme("dark")
	kid.screenshot("days-phone-dark")

	// Older days: the weekday within a week, then the date, with its year
	// when it is another year's.
	labels := mum.eval(`import("/js/dom.js").then(({ dayLabel }) => {
		const now = new Date(2026, 4, 15, 9, 0); // a Friday
		return [new Date(2026, 4, 14, 23, 0), new Date(2026, 4, 11, 8, 0), new Date(2026, 4, 8, 8, 0), new Date(2025, 11, 31, 8, 0)]
			.map((d) => dayLabel(d, now)).join(" | ");
	})`)
	if got, want := labels, "Yesterday | Monday | Friday, May 8 | December 31, 2025"; got != want {
		t.Errorf("day labels %q, want %q", got, want)
	}
}
