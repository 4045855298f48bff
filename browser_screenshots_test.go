// browser_screenshots_test.go takes the README's screenshots: a family's
// week in Hearth, seeded through the real API, sockets and webhook (the
// older days straight into the store, which takes the time to write them
// at), on a desktop and a phone, light and dark. It runs only when asked:
//
//	HEARTH_SCREENSHOTS=docs go test -count=1 -run TestScreenshots .

package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestScreenshots writes docs/screenshot-{desktop,phone}{,-dark}.png under
// $HEARTH_SCREENSHOTS, the shots the README shows.
func TestScreenshots(t *testing.T) {
	if os.Getenv("HEARTH_SCREENSHOTS") == "" {
		t.Skip("set HEARTH_SCREENSHOTS=docs to retake the README's screenshots")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	const pw = "hearth-and-home"
	ts.addUser("mum", pw, true)
	for _, name := range []string{"dad", "kid", "gran"} {
		ts.addUser(name, pw, false)
	}
	mum, dad, kid, gran := loginClient(t, ts, "mum", pw), loginClient(t, ts, "dad", pw), loginClient(t, ts, "kid", pw), loginClient(t, ts, "gran", pw)
	mustDo(t, mum, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "shopping"}, nil)
	mustDo(t, dad, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "grans-80th", "private": true, "members": []string{"mum", "kid"}}, nil)
	mustDo(t, mum, http.StatusCreated, "POST", "/api/dms", map[string]string{"user": "kid"}, nil)
	mustDo(t, dad, http.StatusCreated, "POST", "/api/dms", map[string]string{"user": "mum"}, nil)
	var washer botResponse
	mustDo(t, mum, http.StatusCreated, "POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, &washer)

	// Whenever they are retaken, the shots show an evening: the browsers
	// get a time zone where it is now past six (and British English), and
	// the week before is written in that zone.
	offset := 18 - time.Now().UTC().Hour()
	if offset > 14 {
		offset -= 24
	}
	zone := time.FixedZone("evening", offset*3600)
	tzID := "Etc/GMT" // the sign of these IANA names is inverted
	if offset > 0 {
		tzID = fmt.Sprintf("Etc/GMT-%d", offset)
	} else if offset < 0 {
		tzID = fmt.Sprintf("Etc/GMT+%d", -offset)
	}

	// The week before now goes straight into the store, at its times.
	ts.stop()
	st, err := openStore(ts.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	seedWeek(t, st, time.Now().In(zone))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts.start()

	// Today happens live: sockets, a photo upload and the washing machine's
	// webhook, as curl sends it.
	socks := map[string]*socket{"mum": mum.dial(), "dad": dad.dial(), "kid": kid.dial(), "gran": gran.dial()}
	n := 0
	say := func(who, room, body string) uint64 {
		t.Helper()
		n++
		cid := fmt.Sprintf("shot-%d", n)
		socks[who].say(room, body, cid)
		return socks[who].ack(cid).ID
	}
	react := func(who, room string, id uint64, emoji string) {
		t.Helper()
		socks[who].send(map[string]any{"type": "react", "room": room, "id": id, "emoji": emoji})
		socks[who].expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == id && f.Room == room })
	}
	dm := dmName("mum", "kid")
	say("mum", dm, "Are you home yet?")
	home := say("kid", dm, "Just got in 🏠")
	react("mum", dm, home, "👍")
	say("mum", dm, "Good. Homework before Minecraft please 😉")
	done := say("kid", dm, "Already done! Can Sam stay for tea, @mum?")
	react("mum", dm, done, "❤️")
	say("mum", dm, "Of course. Pizza at 7 🍕")

	pizza := say("dad", "general", "Pizza tonight?")
	pepperoni := say("kid", "general", "YES. Pepperoni please 🍕")
	for _, who := range []string{"mum", "kid", "gran"} {
		react(who, "general", pizza, "👍")
	}
	react("dad", "general", pepperoni, "😂")
	curlHook(t, washer, "The washing machine is done")
	say("dad", "general", "@mum I'll hang it out, you order the pizza 😄")
	if status, _ := upload(t, mum, "general", "garden.png", sunsetPNG(t)); status != http.StatusCreated {
		t.Fatalf("upload the photo: status %d", status)
	}
	say("mum", "general", "The garden this evening 🌅")

	// Each page opens after all of it, while everyone is online, so it
	// shows no presence lines; before a shot, fonts and the photo are
	// loaded, the room is read, and nothing has focus or the pointer.
	open := func(width, height int64, who, room string) *page {
		p := newPage(t, browser, width, height)
		p.do("time zone and language", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tzID}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: "en-GB"})
			return err
		}))
		p.colorScheme("light")
		p.login(ts, who, pw)
		p.eval(`location.hash = ` + jsString(url.PathEscape(room)))
		p.until("the room open", `location.hash === "#" + `+jsString(url.PathEscape(room))+` && !document.getElementById("view-chat").hidden`)
		return p
	}
	settle := func(p *page, last string) {
		p.t.Helper()
		p.sees(last)
		p.until("fonts and images loaded", `document.fonts.status === "loaded" && [...document.querySelectorAll("#message-list img")].every(i => i.complete && i.naturalWidth > 0)`)
		p.eval(`document.activeElement.blur(), document.getElementById("messages").scrollTop = 1e9, true`)
		p.untilOr("the room on screen marked read", `[...document.querySelectorAll(".room-list [aria-current=true]")].map(b => b.textContent).join() + " hidden:" + document.hidden`,
			`!!document.querySelector(".room-list [aria-current=true]") && !document.querySelector(".room-list [aria-current=true] .badge")`)
		// The pointer rests on the room's title, where it hovers nothing.
		p.do("move the pointer away", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: 120, Y: 28})
			return err
		}))
	}

	desk := open(1280, 800, "mum", "general")
	settle(desk, "The garden this evening 🌅")
	desk.screenshot("screenshot-desktop")
	desk.colorScheme("dark")
	settle(desk, "The garden this evening 🌅")
	desk.screenshot("screenshot-desktop-dark")

	phone := open(390, 844, "kid", dm)
	settle(phone, "Of course. Pizza at 7 🍕")
	phone.screenshot("screenshot-phone")
	phone.eval(`location.hash = "general"`)
	phone.until("#general", `document.getElementById("room-title").textContent.includes("general")`)
	phone.colorScheme("dark")
	settle(phone, "The garden this evening 🌅")
	phone.screenshot("screenshot-phone-dark")
}

// seedWeek writes the week before now into st (no server running), each
// message at its time in now's zone, with the reactions it got.
func seedWeek(t *testing.T, st *store, now time.Time) {
	t.Helper()
	at := func(daysAgo, hour, min int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()-daysAgo, hour, min, 0, 0, now.Location())
	}
	dm, mumDad := dmName("mum", "kid"), dmName("mum", "dad")
	week := []struct {
		room, user, body string
		when             time.Time
		reactions        map[string][]string
	}{
		{"general", "dad", "Bins go out tonight, it's recycling week ♻️", at(4, 7, 41), nil},
		{"general", "mum", "On it", at(4, 7, 55), nil},
		{"general", "gran", "Thank you all for the flowers, they're beautiful 🌷", at(3, 10, 2), map[string][]string{"❤️": {"mum", "kid", "dad"}}},
		{"general", "kid", "Home from school. Can Sam come over on Saturday?", at(3, 16, 12), nil},
		{"general", "mum", "If your room is tidy 😄", at(3, 16, 30), map[string][]string{"😂": {"dad"}}},
		{"general", "dad", "Who's picking up gran on Sunday?", at(2, 9, 15), nil},
		{"general", "mum", "I can, lunch is at one", at(2, 9, 20), nil},
		{"general", "gran", "I'll be ready at half twelve. Bringing a crumble 🥧", at(2, 9, 48), map[string][]string{"❤️": {"dad", "kid"}}},
		{"general", "kid", "Has anyone seen my football boots?", at(1, 19, 5), nil},
		{"general", "dad", "Under the stairs, where they always are", at(1, 19, 7), map[string][]string{"😂": {"mum", "gran"}}},
		{"general", "mum", "Morning! Dentist for @kid at 4, I'll pick you up from school", at(0, 7, 30), map[string][]string{"👍": {"kid"}}},
		{"shopping", "dad", "Milk, bread, bin bags", at(2, 18, 4), nil},
		{"shopping", "mum", "Washing-up liquid too", at(2, 18, 10), nil},
		{"shopping", "dad", "Got everything but the bin bags", at(0, 17, 40), nil},
		{"grans-80th", "dad", "Cake from the bakery on the corner? 🎂", at(1, 21, 3), nil},
		{"grans-80th", "kid", "Chocolate!!", at(1, 21, 5), nil},
		{dm, "kid", "Can I have £5 for the school trip?", at(2, 15, 40), nil},
		{dm, "mum", "It's in the kitchen drawer", at(2, 15, 52), map[string][]string{"❤️": {"kid"}}},
		{dm, "mum", "Don't forget your PE kit tomorrow", at(1, 12, 30), nil},
		{dm, "kid", "I won't!!", at(1, 12, 31), nil},
		{mumDad, "dad", "Running late, back by 7", at(1, 17, 55), nil},
	}
	commitAt := func(req *appendRequest, when time.Time) error {
		if err := st.appendMessages([]*appendRequest{req}, when); err != nil {
			return err
		}
		return req.Err
	}
	for _, m := range week {
		req := &appendRequest{Op: opSend, Msg: message{Room: m.room, User: m.user, Body: m.body}}
		if err := commitAt(req, m.when); err != nil {
			t.Fatalf("seed %q: %v", m.body, err)
		}
		for emoji, users := range m.reactions {
			for i, u := range users {
				r := &appendRequest{Op: opReact, Msg: message{Room: m.room, ID: req.Msg.ID, User: u}, Emoji: emoji}
				if err := commitAt(r, m.when.Add(time.Duration(i+1)*time.Minute)); err != nil {
					t.Fatalf("seed %s on %q: %v", emoji, m.body, err)
				}
			}
		}
	}
}

// sunsetPNG draws a photo for the chat: an evening sky over hills, 640×360.
func sunsetPNG(t *testing.T) []byte {
	t.Helper()
	const w, h = 640, 360
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	mix := func(a, b color.NRGBA, f float64) color.NRGBA {
		f = math.Max(0, math.Min(1, f))
		l := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*f + 0.5) }
		return color.NRGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
	}
	top, middle, horizon := color.NRGBA{58, 64, 140, 255}, color.NRGBA{214, 110, 130, 255}, color.NRGBA{255, 196, 120, 255}
	sunX, sunY, sunR := 430.0, 196.0, 30.0
	hills := []struct {
		base, amp, freq, phase float64
		col                    color.NRGBA
	}{
		{236, 24, 0.010, 0.5, color.NRGBA{122, 104, 150, 255}},
		{272, 18, 0.016, 2.0, color.NRGBA{86, 122, 96, 255}},
		{310, 15, 0.022, 4.1, color.NRGBA{52, 92, 62, 255}},
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fy := float64(y) / 250
			c := mix(top, middle, fy*1.6)
			if fy > 0.6 {
				c = mix(middle, horizon, (fy-0.6)*2.5)
			}
			d := math.Hypot(float64(x)-sunX, float64(y)-sunY)
			c = mix(c, color.NRGBA{255, 236, 170, 255}, 0.55*math.Exp(-d/90))
			c = mix(c, color.NRGBA{255, 244, 214, 255}, sunR+0.5-d)
			for _, hl := range hills {
				edge := hl.base - hl.amp*math.Sin(float64(x)*hl.freq+hl.phase) - 0.4*hl.amp*math.Sin(float64(x)*hl.freq*2.7+hl.phase*1.3)
				shade := mix(hl.col, color.NRGBA{20, 30, 25, 255}, (float64(y)-edge)/200)
				c = mix(c, shade, float64(y)-edge+0.5) // antialiased edge
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
