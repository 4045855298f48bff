// photos_test.go tests photos.go through a real server: a photo uploaded
// with a location is stored without it (and with it under
// -keep-photo-location), its thumbnails are made before its message is
// seen and served to its room's members only, with the caching headers.
// The fixtures are exif_test.go's and images_test.go's.

package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// getBytes fetches path as c and returns the status, headers and body.
func getBytes(t *testing.T, c *client, path string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", c.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// phonePhoto is a photo as a phone stores a portrait shot: 480×360 on its
// side with Exif orientation 6 (so 360×480 upright), camera, time and a
// GPS position.
func phonePhoto(t *testing.T) []byte {
	return jpegWith(t, storedAs(quadrants(360, 480), 6), segment(0xE1, exifPayload(binary.LittleEndian, 6, true)))
}

func TestPhotoUploadLosesLocation(t *testing.T) {
	in := phonePhoto(t)
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep-photo-location=%v", keep), func(t *testing.T) {
			ts := newTestServer(t, func(c *config) { c.KeepPhotoLocation = keep })
			ann := ts.loggedIn("ann")
			status, m := upload(t, ann, "general", "garden.jpg", in)
			if status != http.StatusCreated || m.File == nil {
				t.Fatalf("upload: %d %+v", status, m)
			}
			if m.File.Size != int64(len(in)) || m.File.Type != "image/jpeg" {
				t.Errorf("file %+v, want %d bytes of image/jpeg", m.File, len(in))
			}
			status, _, got := getBytes(t, ann, fmt.Sprintf("/api/files/%d", m.File.ID))
			if status != http.StatusOK {
				t.Fatalf("download: %d", status)
			}
			if keep {
				if !bytes.Equal(got, in) {
					t.Error("with -keep-photo-location the photo changed")
				}
				return
			}
			tags, ok := readExif(t, got)
			if !ok || tags.gps != nil || tags.ifd0[0x8825] != nil {
				t.Errorf("the stored photo has GPS: %v", tags.gps)
			}
			if bytes.Contains(got, gpsLatitude(binary.LittleEndian).value) {
				t.Error("the latitude's bytes are stored")
			}
			if string(tags.ifd0[0x010F]) != "Hearth Optics\x00" || len(tags.exif[0x9003]) == 0 {
				t.Errorf("the camera or the time went: %q %q", tags.ifd0[0x010F], tags.exif[0x9003])
			}
			sos := sosOffset(t, in)
			if len(got) != len(in) || !bytes.Equal(got[sos:], in[sos:]) {
				t.Error("the image data changed")
			}
		})
	}
}

func TestThumbnails(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob, carol := ts.loggedIn("ann"), ts.loggedIn("bob"), ts.loggedIn("carol")
	ann.do("POST", "/api/rooms", map[string]any{"name": "family", "private": true, "members": []string{"bob"}}, nil)
	sb := bob.dial()

	status, m := upload(t, ann, "family", "portrait.jpg", phonePhoto(t))
	if status != http.StatusCreated || m.File == nil {
		t.Fatalf("upload: %d %+v", status, m)
	}
	f := m.File
	if f.Width != 360 || f.Height != 480 || !slices.Equal(f.Thumbs, []int{320, 640}) {
		t.Errorf("file %d×%d thumbs %v, want 360×480 (upright) and [320 640]", f.Width, f.Height, f.Thumbs)
	}
	// Whoever sees the message can fetch its thumbnails at once, and the
	// room's history lists them.
	sb.expect(func(fr wireFrame) bool { return fr.Type == "message" && fr.ID == m.ID })
	if status, _, _ := getBytes(t, bob, fmt.Sprintf("/api/files/%d/thumb?size=320", f.ID)); status != http.StatusOK {
		t.Errorf("thumb as the message arrives: %d", status)
	}
	var page struct{ Messages []message }
	bob.do("GET", "/api/rooms/family/messages", nil, &page)
	if len(page.Messages) != 1 || page.Messages[0].File == nil || !slices.Equal(page.Messages[0].File.Thumbs, []int{320, 640}) {
		t.Errorf("history: %+v", page.Messages)
	}

	thumb := func(c *client, id uint64, size string, header ...string) (int, http.Header, []byte) {
		t.Helper()
		return getBytes(t, c, fmt.Sprintf("/api/files/%d/thumb?size=%s", id, size), header...)
	}
	for _, tc := range []struct {
		size string
		w, h int
	}{{"320", 240, 320}, {"640", 360, 480}} { // 640: the whole photo, upright
		status, h, data := thumb(bob, f.ID, tc.size)
		if status != http.StatusOK || h.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("thumb %s: %d %s", tc.size, status, h.Get("Content-Type"))
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width != tc.w || cfg.Height != tc.h {
			t.Errorf("thumb %s is %d×%d (%v), want %d×%d", tc.size, cfg.Width, cfg.Height, err, tc.w, tc.h)
		}
		if cc := h.Get("Cache-Control"); !strings.Contains(cc, "private") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("Cache-Control %q", cc)
		}
		etag := h.Get("ETag")
		if etag == "" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("ETag %q, nosniff %q", etag, h.Get("X-Content-Type-Options"))
		}
		if status, _, _ := thumb(bob, f.ID, tc.size, "If-None-Match", etag); status != http.StatusNotModified {
			t.Errorf("thumb %s with its ETag: %d, want 304", tc.size, status)
		}
	}
	if _, h320, _ := thumb(bob, f.ID, "320"); h320.Get("ETag") == "" {
		t.Error("no ETag")
	} else if _, h640, _ := thumb(bob, f.ID, "640"); h640.Get("ETag") == h320.Get("ETag") {
		t.Error("both sizes have one ETag")
	}

	// Files without thumbnails, and people who may not see the room.
	_, text := upload(t, ann, "general", "notes.txt", []byte("not a picture"))
	_, small := upload(t, ann, "general", "dot.png", tinyPNG)
	_, bomb := upload(t, ann, "general", "bomb.png", pngHeader(100000, 100000))
	if text.File.Thumbs != nil || bomb.File.Thumbs != nil || !slices.Equal(small.File.Thumbs, []int{320}) {
		t.Errorf("thumbs: text %v, bomb %v, 1×1 PNG %v (want none, none, [320])", text.File.Thumbs, bomb.File.Thumbs, small.File.Thumbs)
	}
	for _, tc := range []struct {
		name string
		c    *client
		id   uint64
		size string
	}{
		{"not a member", carol, f.ID, "320"},
		{"a size not made", bob, f.ID, "100"},
		{"no size", bob, f.ID, ""},
		{"no such file", bob, f.ID + 1000, "320"},
		{"not an image", ann, text.File.ID, "320"},
		{"too large to decode", ann, bomb.File.ID, "320"},
		{"larger than a small image", ann, small.File.ID, "640"},
	} {
		if status, _, _ := thumb(tc.c, tc.id, tc.size); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", tc.name, status)
		}
	}
	if status, _, _ := thumb(ann, small.File.ID, "320"); status != http.StatusOK {
		t.Errorf("the 1×1 PNG's thumbnail: %d", status)
	}
}

// TestThumbnailKeepsTransparency: a PNG with transparency gets PNG
// thumbnails, served as such.
func TestThumbnailKeepsTransparency(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	m := image.NewNRGBA(image.Rect(0, 0, 400, 200)) // transparent left half
	for y := range 200 {
		for x := 200; x < 400; x++ {
			m.Set(x, y, green)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	_, msg := upload(t, ann, "general", "sticker.png", buf.Bytes())
	if msg.File == nil || !slices.Equal(msg.File.Thumbs, []int{320, 640}) {
		t.Fatalf("file %+v", msg.File)
	}
	status, h, data := getBytes(t, ann, fmt.Sprintf("/api/files/%d/thumb?size=320", msg.File.ID))
	if status != http.StatusOK || h.Get("Content-Type") != "image/png" {
		t.Fatalf("thumb: %d %s", status, h.Get("Content-Type"))
	}
	th, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := th.At(10, 80).RGBA(); th.Bounds().Dx() != 320 || a != 0 {
		t.Errorf("thumb %v, alpha at the left %d", th.Bounds(), a)
	}
}
