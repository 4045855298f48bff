// files_test.go tests uploads: stored in the database, served with the
// right type and disposition to members only, limited in size, gone with
// their message.

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
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
	if _, _, err := ts.store().getFile(1); !errors.Is(err, errFileNotFound) {
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
	if _, _, err := ts.store().getFile(first.File.ID); err != nil {
		t.Errorf("the stored message's file: %v", err)
	}
	if _, _, err := ts.store().getFile(first.File.ID + 1); !errors.Is(err, errFileNotFound) {
		t.Errorf("the resend's copy is kept: %v", err)
	}
}
