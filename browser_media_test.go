// browser_media_test.go drives headless Chromium through photos, files and
// voice messages: an upload's progress bar moving to its end (a 30 MB file
// made in the page, sent with the network throttled), Cancel in the middle
// of one (nothing is posted, and the server lets go of it), a refused
// upload's Retry sending the same file once the room takes it again, the
// server's limit said in plain words; a video playing in place, and a
// sound file in the voice messages' player; the
// photo viewer by keyboard (Enter, →, Escape and the focus back on the
// photo last shown) and by swipe on a phone; and a voice message recorded
// with Chromium's fake microphone over HTTPS, then played on another
// person's screen, with the recording bar's Escape and the plain-HTTP
// explanation.

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"
)

// throttleUploads limits what the page sends to bytesPerSecond (-1: no
// limit), as a slow home connection would.
func (p *page) throttleUploads(bytesPerSecond float64) {
	p.t.Helper()
	p.do("throttle uploads", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: bytesPerSecond}},
		})
		return err
	}))
}

// shareMade shares a file of n zero bytes, made in the page, through the
// file picker's input as a person's pick would arrive.
func (p *page) shareMade(name string, n int) {
	p.t.Helper()
	p.eval(fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array(%d)], %s));
		const input = document.getElementById("file-input");
		input.files = dt.files;
		input.dispatchEvent(new Event("change"));
	})()`, n, jsString(name)))
}

// watchProgress records in the page every fraction the upload bars show,
// as often as the page paints.
const watchProgress = `(() => {
	window.seenProgress = [];
	const look = () => {
		const b = document.querySelector("#message-list progress.upload-progress[value]");
		if (b) {
			const f = b.value / b.max;
			if (seenProgress[seenProgress.length - 1] !== f) seenProgress.push(f);
		}
		requestAnimationFrame(look);
	};
	look();
})()`

// fileMessages lists the names of the files posted in room, as the server
// has them.
func fileMessages(t *testing.T, c *client, room string) []string {
	t.Helper()
	var got struct{ Messages []message }
	mustDo(t, c, http.StatusOK, "GET", "/api/rooms/"+room+"/messages", nil, &got)
	var names []string
	for _, m := range got.Messages {
		if m.File != nil {
			names = append(names, m.File.Name)
		}
	}
	return names
}

// TestBrowserUploadProgress: a 30 MB file goes up with its progress bar
// moving to the end, then shows as a message; one cancelled half-way is
// never posted and the server lets it go; one the server refuses (an
// archived room) says why and offers Retry, which sends the same file once
// the room is open again; one over the server's limit says the limit.
func TestBrowserUploadProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	const pw = "hearth-and-home"
	ts.addUser("mum", pw, true)
	admin := loginClient(t, ts, "mum", pw)
	mustDo(t, admin, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "garden"}, nil)
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", pw)

	// 30 MB at 12 MB/s: the bar has time to be seen moving.
	p.throttleUploads(12 << 20)
	p.eval(watchProgress)
	p.shareMade("holiday-video.bin", 30<<20)
	p.untilOr("the file posted", `[...document.querySelectorAll("#message-list .file-link")].map(a => a.textContent).join()`,
		`[...document.querySelectorAll("#message-list .msg:not(.pending) .file-link")].some(a => a.textContent.includes("holiday-video.bin · 30.0 MB"))`)
	p.until("the upload's row gone", `!document.querySelector("#message-list .msg.upload")`)
	seen, _ := p.eval(`seenProgress`).([]any)
	var inside []float64
	last := 0.0
	for _, v := range seen {
		f := v.(float64)
		if f < last {
			t.Errorf("the bar went back: %v", seen)
			break
		}
		last = f
		if f > 0 && f < 1 {
			inside = append(inside, f)
		}
	}
	if len(inside) < 3 || last < 0.9 {
		t.Errorf("the bar showed %v: want it seen moving (3 steps between 0 and 1) and reaching the end", seen)
	}

	// Cancel half-way through, at 1 MB/s: no message, and the server lets
	// go of the upload (and deletes what it had).
	p.throttleUploads(1 << 20)
	p.shareMade("cancel-me.bin", 30<<20)
	p.untilOr("the upload under way", `document.querySelector("#message-list .msg.upload")?.textContent`,
		`(() => { const b = document.querySelector("#message-list progress.upload-progress[value]"); return !!b && b.value > 1 << 20; })()`)
	eventually(t, 5*time.Second, "the server receiving the upload", func() bool { return ts.inFlight("mum") == 1 })
	if label := p.eval(`(() => { const b = document.querySelector("#message-list progress.upload-progress"); return b.labels[0]?.textContent || ""; })()`); label != "Sending cancel-me.bin" {
		t.Errorf("the bar's label reads %q", label)
	}
	p.screenshot("upload-progress")
	p.eval(`[...document.querySelectorAll("#message-list .msg.upload button")].find(b => b.textContent === "Cancel").click()`)
	p.until("the upload's row gone", `!document.querySelector("#message-list .msg.upload")`)
	eventually(t, 10*time.Second, "the server letting go of the cancelled upload", func() bool { return ts.inFlight("mum") == 0 })
	if names := fileMessages(t, admin, "general"); strings.Contains(strings.Join(names, ","), "cancel-me") {
		t.Errorf("the cancelled upload was posted: %v", names)
	}
	p.throttleUploads(-1)

	// A room archived meanwhile refuses the file: the page says why and
	// keeps it; once the room is open again, Retry sends the same file.
	p.eval(`location.hash = "garden"`)
	p.until("#garden open", `document.getElementById("room-title").textContent === "garden"`)
	mustDo(t, admin, http.StatusOK, "PUT", "/api/admin/rooms/garden", map[string]any{"archived": true}, nil)
	p.shareMade("seed-list.txt", 2048)
	p.untilOr("the refusal with Retry", `document.querySelector("#message-list .msg.upload")?.textContent`,
		`(() => { const li = document.querySelector("#message-list .msg.upload.failed"); return !!li && li.textContent.includes("Not sent") && [...li.querySelectorAll("button")].some(b => b.textContent === "Retry"); })()`)
	failed := p.eval(`document.querySelector("#message-list .msg.upload.failed .msg-failed").textContent`)
	p.screenshot("upload-failed")
	mustDo(t, admin, http.StatusOK, "PUT", "/api/admin/rooms/garden", map[string]any{"archived": false}, nil)
	p.eval(`[...document.querySelectorAll("#message-list .msg.upload button")].find(b => b.textContent === "Retry").click()`)
	p.untilOr("the retried file posted", `document.querySelector("#message-list .msg.upload")?.textContent`,
		`[...document.querySelectorAll("#message-list .msg:not(.pending) .file-link")].some(a => a.textContent.includes("seed-list.txt · 2 KB"))`)
	p.until("the upload's row gone", `!document.querySelector("#message-list .msg.upload")`)
	if names := fileMessages(t, admin, "garden"); len(names) != 1 || names[0] != "seed-list.txt" {
		t.Errorf("after Retry #garden holds %v, want the file once (the refusal said %q)", names, failed)
	}

	// A file over the server's limit: the page says what the limit is.
	small := newTestServer(t, func(c *config) { c.MaxUpload = 1 << 20 })
	small.addUser("mum", pw, true)
	q := newPage(t, browser, 390, 844)
	q.login(small, "mum", pw)
	q.shareMade("too-big.bin", 3<<20)
	q.untilOr("the refusal", `document.querySelector("#message-list .msg.upload")?.textContent`,
		`document.querySelector("#message-list .msg.upload.failed .msg-failed")?.textContent.includes("files can be at most 1")`)
}

// portraitPNG is a plain photo taller than wide, w×h.
func portraitPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(40 + 160*y/h), 120, uint8(200 - 120*x/w), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBrowserPhotoViewer: two photos in a room, by keyboard only: Tab to
// the first, Enter opens the viewer on it (the original, its name, who
// shared it, a download link), → goes to the second, Escape closes, and
// the focus is on the second photo in the chat. On a 320 px phone the
// viewer fits the screen and a swipe goes from one photo to the other.
func TestBrowserPhotoViewer(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	const pw = "hearth-and-home"
	ts.addUser("mum", pw, true)
	dad := ts.loggedIn("dad")
	status, sunset := upload(t, dad, "general", "sunset.png", sunsetPNG(t))
	if status != http.StatusCreated {
		t.Fatalf("upload the first photo: %d", status)
	}
	status, tall := upload(t, dad, "general", "tall.png", portraitPNG(t, 300, 400))
	if status != http.StatusCreated {
		t.Fatalf("upload the second photo: %d", status)
	}
	viewer := `(() => [document.getElementById("dialog-viewer").open, document.getElementById("viewer-name").textContent, document.getElementById("viewer-count").textContent].join("|"))()`

	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", pw)
	p.until("both photos drawn", `[...document.querySelectorAll("#message-list img.thumb")].filter(i => i.complete && i.naturalWidth > 0).length === 2`)
	// Drawn at their size before they load: the attachment's, scaled to
	// the chat's box (320×240 at most), from the server's thumbnails (320
	// px, and 640 for screens of 2× density).
	for _, f := range []*attachment{sunset.File, tall.File} {
		if !slices.Equal(f.Thumbs, []int{320, 640}) {
			t.Errorf("%s has thumbnails %v, want [320 640]", f.Name, f.Thumbs)
		}
		got := p.eval(fmt.Sprintf(`(() => { const i = document.querySelector('#message-list a[data-file="%d"] img'); return [i.getAttribute("width"), i.getAttribute("height"), i.getAttribute("src"), i.getAttribute("srcset")].join(" "); })()`, f.ID))
		scale := min(1, 320/float64(f.Width), 240/float64(f.Height))
		thumb := fmt.Sprintf("/api/files/%d/thumb?size=", f.ID)
		want := fmt.Sprintf("%d %d %s320 %s320 1x, %s640 2x", int(float64(f.Width)*scale+0.5), int(float64(f.Height)*scale+0.5), thumb, thumb, thumb)
		if got != want {
			t.Errorf("photo %s drawn as %v, want %s", f.Name, got, want)
		}
	}
	// A file stored before thumbnails existed has none: the original.
	if got := p.eval(`import("/js/media.js").then(({ photoSources }) => JSON.stringify(photoSources({ id: 7, name: "old.jpg", type: "image/jpeg" })))`); got != `{"src":"/api/files/7"}` {
		t.Errorf("a photo without thumbnails is drawn from %v", got)
	}

	// To the first photo with the keyboard: the messages, ↑↑, then Tab
	// (past what the message shows before its body, such as its author).
	p.eval(`document.getElementById("messages").focus()`)
	p.press("ArrowUp", "ArrowUp", 38, 0)
	p.press("ArrowUp", "ArrowUp", 38, 0)
	for i := 0; i < 4 && p.eval(`document.activeElement.matches(".thumb-link")`) != true; i++ {
		p.press("Tab", "Tab", 9, 0)
	}
	if got := p.eval(`document.activeElement.matches(".thumb-link") && document.activeElement.dataset.file`); got != fmt.Sprint(sunset.File.ID) {
		t.Fatalf("Tab from the first photo's message focused %v", p.eval(`document.activeElement.outerHTML.slice(0, 120)`))
	}
	p.press("Enter", "Enter", 13, 0)
	p.untilOr("the viewer on the first photo", viewer, viewer+` === "true|sunset.png|1 of 2"`)
	p.until("the original loaded", fmt.Sprintf(`(() => { const i = document.getElementById("viewer-img"); return i.complete && i.naturalWidth === 640 && i.getAttribute("src") === "/api/files/%d"; })()`, sunset.File.ID))
	if got := p.eval(`document.getElementById("viewer-who").textContent`).(string); !strings.HasPrefix(got, "Shared by dad · ") {
		t.Errorf("the viewer says %q of who shared it", got)
	}
	if got := p.eval(`(() => { const a = document.getElementById("viewer-download"); return a.getAttribute("href") + " " + a.download; })()`); got != fmt.Sprintf("/api/files/%d sunset.png", sunset.File.ID) {
		t.Errorf("the download link: %v", got)
	}
	if got := p.eval(`document.getElementById("dialog-viewer").contains(document.activeElement)`); got != true {
		t.Error("the focus is not in the viewer")
	}
	p.axe("the photo viewer")
	p.press("ArrowRight", "ArrowRight", 39, 0)
	p.untilOr("the second photo", viewer, viewer+` === "true|tall.png|2 of 2"`)
	p.until("the second original loaded", `(() => { const i = document.getElementById("viewer-img"); return i.complete && i.naturalWidth === 300; })()`)
	if got := p.eval(`[document.getElementById("viewer-prev").hidden, document.getElementById("viewer-next").hidden].join()`); got != "false,true" {
		t.Errorf("at the last photo, previous and next hidden: %v", got)
	}
	p.press("ArrowRight", "ArrowRight", 39, 0) // past the last: stays
	p.screenshot("viewer-desktop")
	p.press("Escape", "Escape", 27, 0)
	p.until("the viewer closed", `!document.getElementById("dialog-viewer").open`)
	// The dialog is closed at once, its close event (where the viewer puts
	// the focus) comes in a task after: the focus gets there by then.
	p.untilOr("after Escape, the focus on the second photo", `document.activeElement.outerHTML.slice(0, 120)`,
		fmt.Sprintf(`document.activeElement.matches(".thumb-link") && document.activeElement.dataset.file === "%d"`, tall.File.ID))

	// A 320 px phone, dark: the viewer fits, and a swipe left goes on.
	phone := newPage(t, browser, 320, 640)
	phone.enableTouch()
	phone.colorScheme("dark")
	phone.login(ts, "mum", pw)
	phone.until("both photos drawn", `[...document.querySelectorAll("#message-list img.thumb")].filter(i => i.complete && i.naturalWidth > 0).length === 2`)
	phone.eval(fmt.Sprintf(`document.querySelector('#message-list a[data-file="%d"]').click()`, sunset.File.ID))
	phone.untilOr("the viewer on the first photo", viewer, viewer+` === "true|sunset.png|1 of 2"`)
	phone.until("the original loaded", `document.getElementById("viewer-img").complete`)
	if out := phone.eval(`[...document.querySelectorAll("#dialog-viewer *")].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < -0.5 || r.right > innerWidth + 0.5); }).map(e => e.id || e.className)`); len(out.([]any)) > 0 {
		t.Errorf("at 320 px, sticking out of the viewer: %v", out)
	}
	phone.screenshot("viewer-phone-dark")
	phone.axe("the photo viewer on a phone, dark")
	x, y := 160.0, 360.0
	phone.touch(input.DispatchTouchEventTypeTouchStart, x, y)
	for dx := 30.0; dx <= 150; dx += 30 {
		phone.touch(input.DispatchTouchEventTypeTouchMove, x-dx, y+4)
	}
	phone.touch(input.DispatchTouchEventTypeTouchEnd, 0, 0)
	phone.untilOr("the second photo after a swipe", viewer, viewer+` === "true|tall.png|2 of 2"`)
}

// TestBrowserVoiceMessage: over HTTPS, with Chromium's fake microphone
// (a beep), mum records a voice message of about a second and sends it;
// dad, in his own browser, gets a voice player whose audio loads and
// plays. On a phone, holding the microphone records until it is let go,
// and sliding left cancels. A recording cancelled with Escape sends
// nothing, and on plain HTTP (not localhost) the microphone says why it
// cannot record and links to the HTTPS help.
func TestBrowserVoiceMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// A name for the plain-HTTP server that is not localhost, so the
		// page is not a secure context.
		chromedp.Flag("host-resolver-rules", "MAP hearth.test 127.0.0.1"),
	)
	ts := newTestServer(t, func(c *config) { c.TLSLocal = true })
	const pw = "hearth-and-home"
	ts.addUser("mum", pw, true)
	ts.addUser("dad", pw, false)
	open := func(name string, w, h int64) *page {
		p := newPage(t, browser, w, h)
		// The test's browser does not trust the test's CA; a family's
		// device would, after /trust.
		p.do("accept the test CA", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true})
			return err
		}))
		p.do("open Hearth over HTTPS", chromedp.Navigate("https://"+ts.addr), chromedp.WaitVisible(chromedp.ID("view-auth")))
		p.fillAuth(name, pw, false)
		return p
	}
	mum, dad := open("mum", 1280, 800), open("dad", 1280, 800)
	if v := mum.eval(`location.protocol + " " + isSecureContext`); v != "https: true" {
		t.Fatalf("the page is %v", v)
	}

	// Escape while recording: the bar goes, nothing is sent.
	mum.eval(`document.getElementById("record").click()`)
	mum.untilOr("recording", `document.getElementById("record-bar").textContent`, `!!document.getElementById("record-time")`)
	mum.press("Escape", "Escape", 27, 0)
	mum.until("the bar gone", `document.getElementById("record-bar").hidden && !document.querySelector("#message-list .msg.upload")`)

	// Record about a second, by click, and send.
	mum.eval(`document.getElementById("record").focus()`)
	mum.press("Enter", "Enter", 13, 0)
	mum.untilOr("recording", `document.getElementById("record-bar").textContent`, `!!document.getElementById("record-time") && document.getElementById("record").getAttribute("aria-label") === "Stop recording and send"`)
	mum.axe("the recording bar")
	mum.screenshot("voice-recording")
	mum.until("a second recorded", `document.getElementById("record-time").textContent === "0:01"`)
	mum.eval(`document.querySelector('#record-bar [data-rec="send"]').click()`)
	mum.until("the bar gone", `document.getElementById("record-bar").hidden`)

	player := `document.querySelector("#message-list .msg:not(.pending) .voice")`
	for _, p := range []*page{mum, dad} {
		p.untilOr("the voice message", `document.getElementById("message-list").lastElementChild?.textContent`, `!!`+player)
	}
	// The server keeps it as a recording: a sound (the sniffer says video
	// of any WebM), with the length the page timed; the player shows it.
	var f attachment
	raw := dad.eval(`import("/js/state.js").then(({ state }) => JSON.stringify([...state.rooms.get("general").msgs.values()].find(m => m.file).file))`).(string)
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		t.Fatalf("the attachment %s: %v", raw, err)
	}
	if !strings.HasPrefix(f.Name, "voice-") || !strings.HasSuffix(f.Name, ".webm") || f.Type != "audio/webm" || !f.Voice || f.DurationMS < 900 || f.DurationMS > 5000 {
		t.Errorf("the recording is kept as %s, want voice-….webm, audio/webm, voice, about a second", raw)
	}
	length := fmt.Sprintf("0:%02d", f.DurationMS/1000)
	dad.untilOr("the length shown", player+`.querySelector(".voice-time").textContent`, player+`.querySelector(".voice-time").textContent === `+jsString(length))
	dad.until("the audio loaded", player+`.querySelector("audio").readyState >= 1`)
	dad.axe("a voice message")
	dad.screenshot("voice-message")
	dad.eval(player + `.querySelector(".voice-play").click()`)
	dad.untilOr("the audio playing", player+`.querySelector("audio").currentTime`, player+`.querySelector("audio").currentTime > 0.2`)
	if got := dad.eval(player + `.querySelector(".voice-play").getAttribute("aria-label")`); got != "Pause voice message" {
		t.Errorf("while it plays, its button says %v", got)
	}

	// On a phone: holding the microphone records until it is let go;
	// sliding left while holding cancels.
	phone := open("mum", 390, 844)
	phone.enableTouch()
	voices := `document.querySelectorAll("#message-list .msg:not(.pending) .voice").length`
	phone.until("the first voice message", voices+` === 1`)
	mic := func() (x, y float64) {
		xy := phone.eval(`(() => { const r = document.getElementById("record").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`).([]any)
		return xy[0].(float64), xy[1].(float64)
	}
	x, y := mic()
	phone.touch(input.DispatchTouchEventTypeTouchStart, x, y)
	phone.untilOr("recording while held", `document.getElementById("record-bar").textContent`, `!!document.getElementById("record-time") && document.getElementById("record-bar").textContent.includes("slide left to cancel")`)
	phone.until("a second held", `document.getElementById("record-time").textContent === "0:01"`)
	phone.screenshot("voice-holding-phone")
	phone.touch(input.DispatchTouchEventTypeTouchEnd, 0, 0)
	phone.untilOr("sent on letting go", voices, voices+` === 2`)
	x, y = mic()
	phone.touch(input.DispatchTouchEventTypeTouchStart, x, y)
	phone.until("recording again", `!!document.getElementById("record-time")`)
	for dx := 30.0; dx <= 120; dx += 30 {
		phone.touch(input.DispatchTouchEventTypeTouchMove, x-dx, y)
	}
	phone.until("cancelled by sliding", `document.getElementById("record-bar").hidden`)
	phone.touch(input.DispatchTouchEventTypeTouchEnd, 0, 0)
	if got := phone.eval(`document.querySelectorAll("#message-list .msg.upload").length + " " + ` + voices); got != "0 2" {
		t.Errorf("after sliding away: uploads and voice messages %v, want none more", got)
	}

	// On plain HTTP under a name that is not localhost the page is no
	// secure context: the microphone says so and links to the help.
	plain := newTestServer(t, nil)
	plain.addUser("gran", pw, false)
	_, port, _ := strings.Cut(plain.addr, ":")
	insecure := newPage(t, browser, 390, 844)
	insecure.do("open Hearth over plain HTTP", chromedp.Navigate((&url.URL{Scheme: "http", Host: "hearth.test:" + port}).String()), chromedp.WaitVisible(chromedp.ID("view-auth")))
	insecure.fillAuth("gran", pw, false)
	insecure.eval(`document.getElementById("record").click()`)
	insecure.untilOr("the explanation", `document.getElementById("record-bar").textContent`,
		`document.getElementById("record-bar").textContent.includes("secure (HTTPS)") && document.querySelector('#record-bar a[href="/help/https"]')`)
	insecure.axe("the microphone on plain HTTP")
	insecure.screenshot("voice-insecure")
	insecure.press("Escape", "Escape", 27, 0)
	insecure.until("the note closed", `document.getElementById("record-bar").hidden`)
}

// chimeWAV is two seconds of a 440 Hz tone, as a WAV file.
func chimeWAV() []byte {
	const rate, n = 8000, 16000
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + n*2))
	b.WriteString("WAVEfmt ")
	w(uint32(16))       // the format chunk's size
	w(uint16(1))        // PCM
	w(uint16(1))        // mono
	w(uint32(rate))     // samples a second
	w(uint32(rate * 2)) // bytes a second
	w(uint16(2))        // bytes a sample
	w(uint16(16))       // bits a sample
	b.WriteString("data")
	w(uint32(n * 2))
	for i := range n {
		w(int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return b.Bytes()
}

// TestBrowserVideoAndSound: a video (WebM, recorded in the page from a
// canvas, as a phone's camera would make one) plays in place: a <video>
// with the browser's controls that loads only its metadata first, in a box
// that takes the video's own shape (4:3 here) once that is known, and
// plays. A sound file (WAV) gets the voice messages' player, under its
// name.
func TestBrowserVideoAndSound(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	ts := newTestServer(t, nil)
	const pw = "hearth-and-home"
	ts.addUser("mum", pw, true)
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", pw)
	// A second and a half of colours, 320×240.
	p.eval(`(async () => {
		const c = document.createElement("canvas");
		c.width = 320; c.height = 240;
		const g = c.getContext("2d");
		const rec = new MediaRecorder(c.captureStream(30), { mimeType: "video/webm" });
		const chunks = [];
		rec.ondataavailable = (e) => chunks.push(e.data);
		let n = 0;
		const draw = setInterval(() => { g.fillStyle = "hsl(" + (n++ * 12) + " 70% 50%)"; g.fillRect(0, 0, 320, 240); }, 33);
		const stopped = new Promise((r) => { rec.onstop = r; });
		rec.start();
		await new Promise((r) => setTimeout(r, 1500)); // the clip's length
		rec.stop();
		await stopped;
		clearInterval(draw);
		const dt = new DataTransfer();
		dt.items.add(new File(chunks, "clip.webm", { type: "video/webm" }));
		const input = document.getElementById("file-input");
		input.files = dt.files;
		input.dispatchEvent(new Event("change"));
	})()`)
	video := `document.querySelector("#message-list .msg:not(.pending) video")`
	p.untilOr("the video in the chat", `document.getElementById("message-list").lastElementChild?.textContent`, `!!`+video)
	if got := p.eval(`(() => { const v = ` + video + `; return [v.controls, v.preload, v.getAttribute("src").startsWith("/api/files/")].join(); })()`); got != "true,metadata,true" {
		t.Errorf("the video element: controls, preload, src: %v", got)
	}
	p.until("its metadata", video+`.readyState >= 1`)
	p.untilOr("its box in the video's shape", `(() => { const r = `+video+`.parentElement.getBoundingClientRect(); return r.width + "×" + r.height; })()`,
		`(() => { const r = `+video+`.parentElement.getBoundingClientRect(); return Math.round(r.width) === 320 && Math.round(r.height) === 240; })()`)
	p.screenshot("video")
	p.eval(video + `.play()`)
	p.untilOr("the video playing", video+`.currentTime`, video+`.currentTime > 0.2`)

	if status, _ := upload(t, loginClient(t, ts, "mum", pw), "general", "chime.wav", chimeWAV()); status != http.StatusCreated {
		t.Fatalf("upload the sound: %d", status)
	}
	sound := `document.querySelector("#message-list .msg:not(.pending) .sound")`
	p.untilOr("the sound's player", `document.getElementById("message-list").lastElementChild?.textContent`, `!!`+sound)
	if got := p.eval(sound + `.querySelector(".sound-name").textContent + "|" + ` + sound + `.querySelector(".voice").getAttribute("aria-label")`); got != "chime.wav|Sound: chime.wav" {
		t.Errorf("the sound is drawn as %v", got)
	}
	p.untilOr("its length", sound+`.querySelector(".voice-time").textContent`, sound+`.querySelector(".voice-time").textContent === "0:02"`)
	p.eval(sound + `.querySelector(".voice-play").click()`)
	p.untilOr("the sound playing", sound+`.querySelector("audio").currentTime`, sound+`.querySelector("audio").currentTime > 0.2`)
	if got := p.eval(video + `.paused`); got != true {
		t.Error("the video plays on while the sound plays")
	}
	p.screenshot("video-and-sound")
}
