// photos.go owns what happens to a shared image around its upload: its
// location is taken out of a JPEG as the bytes stream in (unless the server
// is told to keep it), its thumbnails are made once its bytes are stored,
// and they are served at GET /api/files/{id}/thumb. The work on pixels and
// metadata is images.go's; the upload itself is files.go's, which calls the
// two hooks here.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// transformUpload is where an upload's bytes can be rewritten as they
// stream in, before they are stored: a is the file so far (ID, Name, Room,
// User, and Type sniffed from its first bytes), body the bytes as the
// client sends them, whole from the first. What it returns is stored, its
// size counted, and its image size read, instead. It must read body
// lazily, holding no more than a bounded window of it, so an upload's
// memory stays bounded; reading errors of body must come through.
//
// A JPEG loses its GPS metadata here (stripJPEGLocation: one header
// segment at a time, the image data untouched), as Signal and WhatsApp do:
// a photo taken at home tells where home is. With -keep-photo-location
// (config.KeepPhotoLocation) it is stored as sent.
func (s *server) transformUpload(a attachment, body io.Reader) io.Reader {
	if a.Type != "image/jpeg" || s.cfg.KeepPhotoLocation {
		return body
	}
	return stripJPEGLocation(body)
}

// afterUpload is called with an upload whose bytes are all stored, before
// the message that carries it is committed, on the upload's own goroutine,
// and returns the file as it will be committed: for an image, with the
// sides of the thumbnails made of it (a.Thumbs) and its size upright.
//
// Thumbnails are made here, before the commit, so that they exist when
// anyone sees the message and the client never has to wait for one or
// fall back to the original. That delays the upload's answer by the time a
// decode takes, which is bounded: images over maxImagePixels get no
// thumbnail, at most len(decodeSlots) decode at once, and a 12-megapixel
// phone photo takes a fraction of a second. An image that cannot be
// decoded is still shared, without thumbnails. An upload refused after
// this, like one cut short by a crash, takes its thumbnails with it.
func (s *server) afterUpload(a attachment) attachment {
	if !slices.Contains(inlineTypes, a.Type) {
		return a
	}
	if a.Type == "image/jpeg" {
		// Browsers show a JPEG turned by its EXIF orientation, so the
		// size the client lays out before it loads is the upright one:
		// a phone's portrait photo is usually stored on its side.
		o, err := readOrientation(newFileReader(s.st, a))
		if err != nil {
			slog.Error("read a photo's orientation", "file", a.ID, "err", err)
		}
		if o >= 5 {
			a.Width, a.Height = a.Height, a.Width
		}
	}
	thumbs, err := makeThumbnails(newFileReader(s.st, a), thumbSides)
	if err != nil {
		slog.Info("no thumbnails for an image", "file", a.ID, "type", a.Type, "err", err)
		return a
	}
	for _, th := range thumbs {
		if err := s.st.putThumb(a.ID, th.Side, th.Data); err != nil {
			slog.Error("store a thumbnail", "file", a.ID, "err", err)
			a.Thumbs = nil // those stored go with the file; none is listed
			return a
		}
		a.Thumbs = append(a.Thumbs, th.Side)
	}
	return a
}

// handleThumb serves a thumbnail of a shared image to those who may see
// its room, as handleFile serves the file: GET /api/files/{id}/thumb?size=N,
// where N is one of the file's Thumbs (320 or 640), as a JPEG, or a PNG for
// an image with transparency. It answers 404 for a file the user may not
// see and for a size the file has no thumbnail of. A thumbnail never
// changes, so browsers may keep it as long as they like.
func (s *server) handleThumb(w http.ResponseWriter, r *http.Request, sess session, u user) {
	a, ok := s.visibleFile(w, r, u)
	if !ok {
		return
	}
	side, err := strconv.Atoi(r.URL.Query().Get("size"))
	if err != nil || !slices.Contains(a.Thumbs, side) {
		writeError(w, http.StatusNotFound, "no such thumbnail")
		return
	}
	data, err := s.st.getThumb(a.ID, side)
	if err != nil {
		if !errors.Is(err, errFileNotFound) {
			slog.Error("load thumbnail", "file", a.ID, "err", err)
		}
		writeError(w, http.StatusNotFound, "no such thumbnail")
		return
	}
	h := w.Header()
	h.Set("Content-Type", http.DetectContentType(data)) // image/jpeg or image/png, as made
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("ETag", thumbETag(a, side))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", a.Time, bytes.NewReader(data))
}

// thumbETag is a thumbnail's strong ETag: its file's (fileETag), which
// never changes, and its size.
func thumbETag(a attachment, side int) string {
	return fmt.Sprintf(`"%s-thumb-%d"`, strings.Trim(fileETag(a), `"`), side)
}
