// files_test.go tests uploads: stored in the database, served with the
// right type and disposition to members only, limited in size, gone with
// their message.

package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// tinyPNG is a 1x1 PNG.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")

func upload(t *testing.T, c *client, room, name string, data []byte) (int, message) {
	t.Helper()
	req, _ := http.NewRequest("POST", c.ts.URL+"/api/rooms/"+room+"/files?name="+name, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m message
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, m
}

func TestFiles(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MaxUpload = 1 << 16 })
	ann, bob, carol := ts.loggedIn("ann"), ts.loggedIn("bob"), ts.loggedIn("carol")
	ann.do("POST", "/api/rooms", map[string]any{"name": "pics", "private": true, "members": []string{"bob"}}, nil)
	sb := bob.dial()

	status, img := upload(t, ann, "pics", "cat.png", tinyPNG)
	if status != http.StatusCreated || img.File == nil || img.File.Type != "image/png" || img.File.Size != int64(len(tinyPNG)) {
		t.Fatalf("upload: %d %+v", status, img)
	}
	if f := sb.expect(func(f wireFrame) bool { return f.Type == "message" }); f.ID != img.ID {
		t.Errorf("bob saw %+v", f)
	}
	get := func(c *client, id uint64) *http.Response {
		resp, err := c.http.Get(fmt.Sprintf("%s/api/files/%d", ts.URL, id))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get(bob, img.File.ID)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, tinyPNG) || resp.Header.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("image: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := get(carol, img.File.ID); resp.StatusCode != http.StatusNotFound {
		t.Errorf("non-member fetching the image: %d", resp.StatusCode)
	}

	// Anything else is a download, typed by its bytes, never by its name.
	_, page := upload(t, ann, "general", "totally-an-image.png", []byte("<html><script>alert(1)</script></html>"))
	resp = get(carol, page.File.ID)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("html upload served as %q, %q, CSP %q", ct, resp.Header.Get("Content-Disposition"), resp.Header.Get("Content-Security-Policy"))
	}

	if status, _ := upload(t, ann, "general", "big.bin", make([]byte, 1<<16+1)); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d", status)
	}
	if status, _ := upload(t, carol, "pics", "x.png", tinyPNG); status != http.StatusNotFound {
		t.Errorf("upload to a room carol cannot see: %d", status)
	}
	if status, _ := upload(t, ann, "general", "empty", nil); status != http.StatusBadRequest {
		t.Errorf("empty upload: %d", status)
	}

	// Survives a restart; deleting the message deletes the file.
	ts.restart()
	if resp := get(bob, img.File.ID); resp.StatusCode != 200 {
		t.Errorf("after restart: %d", resp.StatusCode)
	}
	sa := ann.dial()
	sa.send(map[string]any{"type": "delete", "room": "pics", "id": img.ID})
	sa.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == img.ID })
	if resp := get(bob, img.File.ID); resp.StatusCode != http.StatusNotFound {
		t.Errorf("file of a deleted message: %d", resp.StatusCode)
	}
}

func TestCleanFileName(t *testing.T) {
	for in, want := range map[string]string{
		"photo.jpg":          "photo.jpg",
		"../../etc/passwd":   "....etcpasswd",
		"a\"b\r\nc":          "abc",
		"":                   "file",
		"..":                 "file",
		"  spaced name.pdf ": "spaced name.pdf",
		// Bidirectional controls and zero-width characters go: they can
		// make an .exe read as a .png.
		"invoice\u202egnp.exe": "invoicegnp.exe",
		"a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i": "abcdefghi",
		"l\u200eo\u200fo\u061ck":                                    "look",
		"z\u200bw\u200cj\u200d\u2060\ufeff.txt":                     "zwj.txt",
		"\u202e":                                                    "file",
		"soft\u00adhy\u2028ph\u2029en\U000E0041\u180e.txt":          "softhyphen.txt", // Cf, Zl, Zp
		"c1\u0085control":                                           "c1control",
		"café 📷.jpg":                                                "café 📷.jpg",
	} {
		if got := cleanFileName(in); got != want {
			t.Errorf("cleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRefusedAndResentUploadsLeaveNoFile: an upload whose message is
// refused (an archived room) or is a resend of one already stored keeps no
// copy of its bytes.
func TestRefusedAndResentUploadsLeaveNoFile(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	ann := ts.loggedIn("ann")
	ann.do("POST", "/api/rooms", map[string]any{"name": "attic"}, nil)
	admin.do("PUT", "/api/admin/rooms/attic", map[string]bool{"archived": true}, nil)
	if status, _ := upload(t, ann, "attic", "box.png", tinyPNG); status != http.StatusConflict {
		t.Errorf("upload to an archived room: %d, want 409", status)
	}
	if _, err := ts.store().getFile(1); !errors.Is(err, errFileNotFound) {
		t.Errorf("the refused upload's file is kept: %v", err)
	}

	send := func() message {
		t.Helper()
		status, m := upload(t, ann, "general", "box.png&client_id=c-box", tinyPNG)
		if status != http.StatusCreated || m.File == nil {
			t.Fatalf("upload: %d %+v", status, m)
		}
		return m
	}
	first, again := send(), send()
	if again.ID != first.ID || again.File.ID != first.File.ID {
		t.Errorf("the resend made a second message: %+v then %+v", first, again)
	}
	if _, err := ts.store().getFile(first.File.ID); err != nil {
		t.Errorf("the stored message's file: %v", err)
	}
	if _, err := ts.store().getFile(first.File.ID + 1); !errors.Is(err, errFileNotFound) {
		t.Errorf("the resend's copy is kept: %v", err)
	}
}

// TestServedFileNameIsCleaned: a name stored before names were cleaned is
// cleaned when it is served.
func TestServedFileNameIsCleaned(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	a, err := ts.store().putFile(attachment{Name: "invoice\u202egnp.exe", Type: "application/octet-stream", Size: 3, Room: "general"}, strings.NewReader("MZ!"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ann.http.Get(fmt.Sprintf("%s/api/files/%d", ts.URL, a.ID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.Header.Get("Content-Disposition"), "attachment; filename*=UTF-8''invoicegnp.exe"; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
	// So does history: a message stored with such a name before shows it
	// cleaned.
	a.Name = "invoice\u202egnp.exe"
	if err := ts.store().appendMessages([]*appendRequest{{Msg: message{Room: "general", User: "ann", Body: "bill", File: &a}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	var page struct{ Messages []message }
	ann.do("GET", "/api/rooms/general/messages", nil, &page)
	if len(page.Messages) != 1 || page.Messages[0].File == nil || page.Messages[0].File.Name != "invoicegnp.exe" {
		t.Errorf("history shows %+v, want the file named invoicegnp.exe", page.Messages)
	}
}

// TestUploadDeclaredTooBig: a Content-Length over the limit is refused
// before the body is read, so the answer comes without the body being sent.
func TestUploadDeclaredTooBig(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MaxUpload = 1 << 20 })
	ann := ts.loggedIn("ann")
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Claims a terabyte, sends three bytes, and waits.
	fmt.Fprintf(conn, "POST /api/rooms/general/files?name=big.bin HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n"+
		"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\nabc", ts.addr, ann.cookieHeader(), int64(1)<<40)
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer while the body is unsent: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "files can be at most 1 MiB") {
		t.Errorf("status = %d (%s), want 413", resp.StatusCode, body)
	}
}

// pendingUpload is an upload whose body the test is still sending.
type pendingUpload struct {
	body   *io.PipeWriter
	status chan int // the answer's status, 0 if the request failed
}

// startUpload begins an upload that declares size bytes and sends none yet.
func startUpload(t *testing.T, c *client, room, name string, size int64) *pendingUpload {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", c.ts.URL+"/api/rooms/"+room+"/files?name="+name, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	p := &pendingUpload{body: pw, status: make(chan int, 1)}
	go func() {
		resp, err := c.http.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			p.status <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		p.status <- resp.StatusCode
	}()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	return p
}

// send writes n bytes of the body.
func (p *pendingUpload) send(t *testing.T, n int) {
	t.Helper()
	chunk := bytes.Repeat([]byte("hearth! "), 8<<10) // 64 KiB
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := p.body.Write(chunk[:k]); err != nil {
			t.Fatalf("sending the body: %v", err)
		}
		n -= k
	}
}

// finish sends the last n bytes and returns the answer's status.
func (p *pendingUpload) finish(t *testing.T, n int) int {
	t.Helper()
	p.send(t, n)
	p.body.Close()
	select {
	case status := <-p.status:
		return status
	case <-time.After(10 * time.Second):
		t.Fatal("no answer to the upload within 10s")
		return 0
	}
}

// inFlight is how many uploads user has under way.
func (ts *testServer) inFlight(user string) int {
	g := &ts.app.srv.uploading
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n[user]
}

// TestUploadsAtOnce: a user has at most two uploads under way; a third is
// refused with 429 and a reason, while others upload as usual.
func TestUploadsAtOnce(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	first, second := startUpload(t, ann, "general", "a.txt", 2), startUpload(t, ann, "general", "b.txt", 2)
	eventually(t, 5*time.Second, "two uploads under way", func() bool { return ts.inFlight("ann") == 2 })

	req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/general/files?name=c.txt", strings.NewReader("c"))
	resp, err := ann.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "already sending 2 files") {
		t.Errorf("third upload: %d %s, want 429", resp.StatusCode, body)
	}
	if status, _ := upload(t, bob, "general", "bob.png", tinyPNG); status != http.StatusCreated {
		t.Errorf("bob's upload while ann's are under way: %d", status)
	}

	if status := first.finish(t, 2); status != http.StatusCreated {
		t.Errorf("first upload: %d", status)
	}
	if status, _ := upload(t, ann, "general", "d.png", tinyPNG); status != http.StatusCreated {
		t.Errorf("upload once one finished: %d", status)
	}
	if status := second.finish(t, 2); status != http.StatusCreated {
		t.Errorf("second upload: %d", status)
	}
	eventually(t, 5*time.Second, "the gate to forget ann", func() bool {
		g := &ts.app.srv.uploading
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.n) == 0
	})
}

// TestUploadStreamsIntoChunks: uploads under way are written into the
// database chunk by chunk as they arrive, holding no more than a chunk or
// so in memory, and stay invisible (no message, 404) until their last byte
// is in; then each is one file and one message, and no upload is left.
func TestUploadStreamsIntoChunks(t *testing.T) {
	const size = 8 * chunkSize
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	heap := func(gc bool) uint64 {
		if gc {
			runtime.GC()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap(true)

	// Two uploads send all but their last byte, and wait.
	ups := []*pendingUpload{startUpload(t, ann, "general", "a.bin", size+1), startUpload(t, ann, "general", "b.bin", size+1)}
	for _, up := range ups {
		up.send(t, size)
	}
	eventually(t, 10*time.Second, "the server to store both bodies", func() bool {
		c := countChunks(t, ts.store())
		return c.uploads == 2 && c.bytes == 2*size
	})
	if live := int64(heap(true)) - int64(base); live > 4*chunkSize {
		t.Errorf("two uploads of %d MiB under way hold %d KiB of live heap, want under %d KiB", size>>20, live>>10, 4*chunkSize>>10)
	}
	for id := uint64(1); id <= 2; id++ {
		if _, err := ts.store().getFile(id); !errors.Is(err, errFileNotFound) {
			t.Errorf("file %d is visible before its last byte: %v", id, err)
		}
		if resp, err := bob.http.Get(fmt.Sprintf("%s/api/files/%d", ts.URL, id)); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET file %d under way: %v %v, want 404", id, resp.StatusCode, err)
		}
	}
	var page struct{ Messages []message }
	bob.do("GET", "/api/rooms/general/messages", nil, &page)
	if len(page.Messages) != 0 {
		t.Errorf("messages before the uploads finished: %+v", page.Messages)
	}

	for _, up := range ups {
		if status := up.finish(t, 1); status != http.StatusCreated {
			t.Errorf("upload: %d", status)
		}
	}
	for id := uint64(1); id <= 2; id++ {
		if a, err := ts.store().getFile(id); err != nil || a.Size != size+1 || a.Chunks != 9 || a.User != "ann" {
			t.Errorf("file %d: %+v, %v; want %d bytes in 9 chunks, by ann", id, a, err, size+1)
		}
	}
	if c := countChunks(t, ts.store()); c.uploads != 0 || c.chunks != 18 || c.bytes != 2*(size+1) {
		t.Errorf("after both finished: %+v, want no upload and 18 chunks of %d bytes", c, 2*(size+1))
	}
	bob.do("GET", "/api/rooms/general/messages", nil, &page)
	if len(page.Messages) != 2 || page.Messages[0].File == nil || page.Messages[0].File.Chunks != 0 || page.Messages[0].File.User != "" {
		t.Errorf("messages %+v, want two carrying their files' descriptions only", page.Messages)
	}
}

// TestUploadsSpendMessageAllowance: an upload posts a message, so it is
// refused once the sender's message allowance is spent, storing nothing.
func TestUploadsSpendMessageAllowance(t *testing.T) {
	const burst = 3
	ts := newTestServer(t, func(c *config) { c.MsgRate, c.MsgBurst = rate.Every(time.Hour), burst })
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	for i := range burst {
		if status, _ := upload(t, ann, "general", fmt.Sprintf("%d.png", i), tinyPNG); status != http.StatusCreated {
			t.Fatalf("upload %d within the burst: %d", i, status)
		}
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/general/files?name=over.png", bytes.NewReader(tinyPNG))
	resp, err := ann.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "too many messages") {
		t.Errorf("upload over the burst: %d %s, want 429", resp.StatusCode, body)
	}
	if _, err := ts.store().getFile(burst + 1); !errors.Is(err, errFileNotFound) {
		t.Errorf("the refused upload's file is stored: %v", err)
	}
	n := 0
	ts.store().eachMessage("general", func(message) error { n++; return nil })
	if n != burst {
		t.Errorf("general holds %d messages, want %d", n, burst)
	}
	if status, _ := upload(t, bob, "general", "bob.png", tinyPNG); status != http.StatusCreated {
		t.Errorf("bob's allowance is his own: %d", status)
	}
}

// Sockets and uploads spend one allowance per user: messages sent on two
// tabs use it up, and the upload after them is refused; more tabs give
// no more.
func TestSocketsAndUploadsShareOneAllowance(t *testing.T) {
	const burst = 4
	ts := newTestServer(t, func(c *config) { c.MsgRate, c.MsgBurst = rate.Every(time.Hour), burst })
	ann := ts.loggedIn("ann")
	tab1, tab2 := ann.dial(), ann.dial()
	for i := range burst / 2 {
		tab1.say("general", "one", fmt.Sprint("a", i))
		tab1.ack(fmt.Sprint("a", i))
		tab2.say("general", "two", fmt.Sprint("b", i))
		tab2.ack(fmt.Sprint("b", i))
	}
	tab2.say("general", "over", "b-over")
	if f := tab2.expect(func(f wireFrame) bool { return f.ClientID == "b-over" }); f.Code != "rate_limited" {
		t.Errorf("a second tab's send past the user's burst: %+v, want rate_limited", f)
	}
	if status, _ := upload(t, ann, "general", "late.png", tinyPNG); status != http.StatusTooManyRequests {
		t.Errorf("an upload after the sockets spent the allowance: %d, want 429", status)
	}
}

// TestVoiceAndVideoUploads checks what phones and the voice recorder send:
// an ftyp box names MP4, QuickTime and M4A files (net/http's sniffer knows
// only "mp4" brands), a recording says voice=1 and its length, and both
// are served inline, seekable, to be played in the page.
func TestVoiceAndVideoUploads(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	ftyp := func(brand string) []byte {
		b := append([]byte{0, 0, 0, 24}, "ftyp"+brand+"\x00\x00\x02\x00isommp41"...)
		return append(b, bytes.Repeat([]byte{0}, 2000)...)
	}
	webm := append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01, 0x42, 0xF2, 0x81, 0x04, 0x42, 0xF3, 0x81, 0x08, 0x42, 0x82, 0x84}, "webm"...)
	webm = append(webm, bytes.Repeat([]byte{0}, 2000)...)
	cases := []struct {
		name, query string
		data        []byte
		wantType    string
		wantVoice   bool
		wantMS      int64
	}{
		{"iPhone video", "", ftyp("qt  "), "video/quicktime", false, 0},
		{"Android video", "", ftyp("isom"), "video/mp4", false, 0},
		{"Chrome voice", "&voice=1&duration_ms=4210", webm, "audio/webm", true, 4210},
		{"Safari voice", "&voice=1&duration_ms=900", ftyp("M4A "), "audio/mp4", true, 900},
		{"a claimed length past an hour is dropped", "&voice=1&duration_ms=99999999", webm, "audio/webm", true, 0},
		{"a length that is not a number is dropped", "&voice=1&duration_ms=-5", webm, "audio/webm", true, 0},
		{"a photo is never a voice message", "&voice=1&duration_ms=10", tinyPNG, "image/png", false, 0},
		{"a WebM without voice=1 stays a video", "", webm, "video/webm", false, 0},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, m := upload(t, ann, "general", fmt.Sprintf("f%d%s", i, c.query), c.data)
			if status != http.StatusCreated || m.File == nil {
				t.Fatalf("upload: %d", status)
			}
			if f := m.File; f.Type != c.wantType || f.Voice != c.wantVoice || f.DurationMS != c.wantMS {
				t.Errorf("file %+v, want type %s voice %v duration %d", f, c.wantType, c.wantVoice, c.wantMS)
			}
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/files/%d", ts.URL, m.File.ID), nil)
			req.Header.Set("Range", "bytes=10-19")
			resp, err := ann.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			inline := strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline")
			if resp.StatusCode != http.StatusPartialContent || !inline {
				t.Errorf("GET: %d, disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
			}
		})
	}
}
