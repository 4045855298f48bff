// export_test.go tests JSON-lines and HTML exports and an admin's download
// of one room's history.

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
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
