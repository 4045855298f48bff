// export_test.go tests JSON-lines and HTML exports and an admin's download
// of one room's history.

package main

import (
	"bufio"
	"encoding/json"
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
