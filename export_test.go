// export_test.go tests JSON-lines and HTML exports and an admin's download
// of one room's history.

package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExports(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	kid := ts.loggedIn("kid")
	s := kid.dial()
	s.say("general", "<script>alert('hi')</script> plain text", "c-1")
	s.ack("c-1")
	s.say("general", "second", "c-2")
	s.ack("c-2")
	upload(t, kid, "general", "cake.png", tinyPNG)
	kid.do("POST", "/api/dms", map[string]string{"user": "mum"}, nil)
	s.say("@kid+mum", "just us", "c-3")
	s.ack("c-3")

	// An admin downloads one room.
	resp, err := admin.http.Get(ts.URL + "/api/admin/rooms/general/export")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if resp.StatusCode != 200 || len(lines) != 3 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("room export: %d, %d lines", resp.StatusCode, len(lines))
	}
	if status, _ := kid.do("GET", "/api/admin/rooms/general/export", nil, nil); status != 403 {
		t.Errorf("non-admin export: %d", status)
	}
	ts.stop()

	// The whole database as JSON lines.
	out, err := runCLI(t, "", "export", "-db", ts.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	var rooms []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		rooms = append(rooms, m.Room)
	}
	if strings.Join(rooms, ",") != "@kid+mum,general,general,general" {
		t.Errorf("exported rooms %v", rooms)
	}

	// The HTML archive: escaped text, the image beside it.
	dir := t.TempDir()
	if _, err := runCLI(t, "", "export", "-db", ts.cfg.DBPath, "-html", dir); err != nil {
		t.Fatal(err)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "room-*.html"))
	files, _ := filepath.Glob(filepath.Join(dir, "files", "*"))
	if len(pages) != 2 || len(files) != 1 {
		t.Fatalf("archive: pages %v, files %v", pages, files)
	}
	all := ""
	for _, p := range pages {
		data, _ := os.ReadFile(p)
		all += string(data)
	}
	if strings.Contains(all, "<script>alert") || !strings.Contains(all, "&lt;script&gt;") || !strings.Contains(all, `<img src="files/`) || !strings.Contains(all, "just us") {
		t.Errorf("archive pages do not hold what they should:\n%s", all)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Error("no index.html")
	}
}

// TestHTMLExportIsPrivate: the archive holds DMs and private rooms, so it
// is its owner's only (directories 0700, files 0600, also over an earlier
// export), and no uploaded file becomes a page or script beside it.
func TestHTMLExportIsPrivate(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	ts.loggedIn("bob")
	ann.do("POST", "/api/rooms", map[string]any{"name": "secrets", "private": true, "members": []string{"bob"}}, nil)
	ann.do("POST", "/api/dms", map[string]string{"user": "bob"}, nil)
	s := ann.dial()
	s.say("@ann+bob", "just us", "c-1")
	s.ack("c-1")
	for _, f := range []struct {
		room, name string
		data       []byte
	}{
		{"secrets", "evil.html", []byte("<html><script>alert(document.cookie)</script></html>")},
		{"secrets", "evil.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{"@ann+bob", "evil.js", []byte("fetch('room-0.html')")},
		{"@ann+bob", "page.xhtml", []byte(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>`)},
		{"general", "cat.htm", tinyPNG},
		{"general", "photo.png", tinyPNG},
		{"general", "notes.txt", []byte("milk, eggs")},
	} {
		if status, _ := upload(t, ann, url.PathEscape(f.room), f.name, f.data); status != http.StatusCreated {
			t.Fatalf("upload %s to %s: %d", f.name, f.room, status)
		}
	}
	ts.stop()

	dir := filepath.Join(t.TempDir(), "archive")
	export := func() {
		t.Helper()
		if out, err := runCLI(t, "", "export", "-db", ts.cfg.DBPath, "-html", dir); err != nil {
			t.Fatalf("export: %v: %s", err, out)
		}
	}
	export()
	// Modes an earlier export (or an older Hearth) left are set again.
	os.Chmod(filepath.Join(dir, "files"), 0o755)
	os.Chmod(filepath.Join(dir, "index.html"), 0o644)
	export()

	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700 | fs.ModeDir
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
		rel, _ := filepath.Rel(dir, path)
		names = append(names, rel)
		if page := filepath.Dir(rel) == "." && strings.HasSuffix(rel, ".html"); page {
			return nil // the archive's own pages
		}
		for _, ext := range []string{".html", ".htm", ".svg", ".xhtml", ".xht", ".js", ".mjs"} {
			if strings.HasSuffix(strings.ToLower(rel), ext) {
				t.Errorf("%s: an exported file that a browser would run", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"files/1-evil.html.bin", "files/5-cat.htm.png", "files/6-photo.png", "files/7-notes.txt"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s among %v", want, names)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "files", "*")); len(files) != 7 {
		t.Errorf("archived files %v, want the 7 uploads", files)
	}
}

// TestAdminExportHTML downloads one room as a single HTML page: what was
// said escaped, photos inside as data: URIs, other files linked to the
// server, DMs named by their people, written to the audit log; only admins
// may, and only rooms that exist.
func TestAdminExportHTML(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	kid := ts.loggedIn("kid")
	s := kid.dial()
	s.say("general", "<script>alert('hi')</script> & <b>bold</b>", "h-1")
	s.ack("h-1")
	if status, _ := upload(t, kid, "general", "cake.png", tinyPNG); status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	_, list := upload(t, kid, "general", "list.txt", []byte("milk\n"))
	get := func(c *client, path string) (*http.Response, string) {
		t.Helper()
		resp, err := c.http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, page := get(admin, "/api/admin/rooms/general/export?format=html")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="hearth-general.html"` {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []string{
		"<h1>#general</h1>",
		"&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;",
		`<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(tinyPNG) + `" alt="cake.png">`,
		`<a href="` + ts.URL + "/api/files/" + fmt.Sprint(list.File.ID) + `" download>list.txt</a>`,
		"3 messages.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>bold") {
		t.Errorf("the page carries what was said as HTML:\n%s", page)
	}

	kid.do("POST", "/api/dms", map[string]string{"user": "mum"}, nil)
	if _, dm := get(admin, "/api/admin/rooms/@kid+mum/export?format=html"); !strings.Contains(dm, "<h1>DM kid and mum</h1>") {
		t.Errorf("the DM's page:\n%s", dm)
	}
	if resp, _ := get(admin, "/api/admin/rooms/nowhere/export?format=html"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown room: %d", resp.StatusCode)
	}
	if resp, _ := get(kid, "/api/admin/rooms/general/export?format=html"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a non-admin: %d", resp.StatusCode)
	}
	var audit struct{ Entries []auditEntry }
	mustDo(t, admin, http.StatusOK, "GET", "/api/admin/audit", nil, &audit)
	if !slices.ContainsFunc(audit.Entries, func(e auditEntry) bool {
		return e.Action == "export room" && e.Target == "general" && e.Detail == "3 messages, HTML"
	}) {
		t.Errorf("the audit log: %+v", audit.Entries)
	}
}

// TestRoomHTMLKeepsPhotosInBounds: past the limits a photo is a link to
// the server's copy, not a data: URI.
func TestRoomHTMLKeepsPhotosInBounds(t *testing.T) {
	ts := newTestServer(t, nil)
	kid := ts.loggedIn("kid")
	_, small := upload(t, kid, "general", "small.png", tinyPNG)
	rm, _ := ts.store().room("general")
	var b strings.Builder
	if _, err := writeRoomHTML(ts.store(), rm, "https://hearth.example", &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `src="data:image/png;base64,`) {
		t.Errorf("a small photo is not inside:\n%s", b.String())
	}
	// The same photo, recorded as bigger than one may be.
	m := small
	m.File.Size = maxInlineImage + 1
	var big strings.Builder
	if err := writeRoomPage(ts.store(), "#general", []message{m}, "https://hearth.example", &big); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(big.String(), "data:") || !strings.Contains(big.String(), `<a href="https://hearth.example/api/files/`+fmt.Sprint(m.File.ID)+`"><img src="https://hearth.example/api/files/`) {
		t.Errorf("a photo past the limit:\n%s", big.String())
	}
}

// TestExportsStreamChunkedFiles: a photo of several chunks comes out whole,
// read through the store's reader, both beside an HTML archive and inside
// one room's page as a data: URI.
func TestExportsStreamChunkedFiles(t *testing.T) {
	ts := newTestServer(t, nil)
	kid := ts.loggedIn("kid")
	photo := append(slices.Clone(tinyPNG), randomBytes(2*chunkSize+300, 5)...) // sniffed as a PNG
	status, m := upload(t, kid, "general", "big.png", photo)
	if status != http.StatusCreated || m.File == nil || m.File.Type != "image/png" {
		t.Fatalf("upload: %d %+v", status, m)
	}
	if a, _ := ts.store().getFile(m.File.ID); a.Chunks != 3 {
		t.Fatalf("stored in %d chunks, want 3", a.Chunks)
	}

	dir := filepath.Join(t.TempDir(), "archive")
	if _, err := exportHTML(ts.store(), dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "files", archiveFileName(m.File)))
	if err != nil || !slices.Equal(got, photo) {
		t.Errorf("archived photo: %d bytes (%v), want the %d uploaded", len(got), err, len(photo))
	}

	rm, _ := ts.store().room("general")
	var page strings.Builder
	if _, err := writeRoomHTML(ts.store(), rm, "https://hearth.example", &page); err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(page.String(), `src="data:image/png;base64,`)
	encoded, _, _ := strings.Cut(rest, `"`)
	inside, err := base64.StdEncoding.DecodeString(html.UnescapeString(encoded)) // html/template writes + as &#43;
	if !ok || err != nil || !slices.Equal(inside, photo) {
		t.Errorf("the photo inside the page: %d bytes (%v), want the %d uploaded", len(inside), err, len(photo))
	}
}
