// files.go owns files and images shared in rooms: uploads (kept in the
// database, so one backup holds everything), and serving them to the
// members of their room only, images inline, anything else as a download.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image.DecodeConfig for the sizes of shared images
	_ "image/jpeg"
	_ "image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// inlineTypes are served inline (shown as images); every other file is an
// attachment to download. SVG is not among them: it can carry script.
var inlineTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

const maxFileName = 200

// handleUpload stores the request body as a file in the room and posts a
// message carrying it: POST /api/rooms/{room}/files?name=NAME, the bytes as
// the body. The type is sniffed from the bytes, never taken from the client.
func (s *server) handleUpload(w http.ResponseWriter, r *http.Request, sess session, u user) {
	rm, ok := s.visibleRoom(w, r.PathValue("room"), u)
	if !ok {
		return
	}
	name := cleanFileName(r.URL.Query().Get("name"))
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "files can be at most "+byteSize(int(s.cfg.MaxUpload)))
		} else {
			writeError(w, http.StatusBadRequest, "reading the upload: "+err.Error())
		}
		return
	}
	if len(data) == 0 {
		writeError(w, http.StatusBadRequest, "the file is empty")
		return
	}
	a := attachment{Name: name, Type: sniffType(data), Size: int64(len(data)), Room: rm.Name}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && slices.Contains(inlineTypes, a.Type) {
		a.Width, a.Height = cfg.Width, cfg.Height
	}
	a, err = s.st.putFile(a, data)
	if err != nil {
		slog.Error("store upload", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	a.Room = "" // the message says which room
	p := &pendingSend{req: appendRequest{Msg: message{Room: rm.Name, User: u.Name, Body: name, File: &a, ClientID: truncate(r.URL.Query().Get("client_id"), maxClientIDLen)}}, done: make(chan struct{})}
	s.commitAndAnswer(w, p)
	// A refused upload (the room archived, renamed or deleted meanwhile), or
	// a resend whose message already has its file, leaves this copy
	// unreferenced: it goes, so it cannot outlive its room.
	select {
	case <-p.done:
		if p.err != nil || p.req.Err != nil || p.req.Dup {
			if err := s.st.deleteFile(a.ID); err != nil {
				slog.Error("drop an unreferenced upload", "err", err)
			}
		}
	default: // answered before its commit: it may yet be stored
	}
}

// sniffType decides a file's Content-Type from its bytes.
func sniffType(data []byte) string {
	t := http.DetectContentType(data)
	if i := strings.IndexByte(t, ';'); i >= 0 && !strings.HasPrefix(t, "text/") {
		t = t[:i]
	}
	return t
}

// cleanFileName keeps a file name displayable and harmless in a header.
func cleanFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == '"' {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	if name == "" || name == "." || name == ".." {
		name = "file"
	}
	return truncate(name, maxFileName)
}

// handleFile serves a file to those who may see its room.
func (s *server) handleFile(w http.ResponseWriter, r *http.Request, sess session, u user) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such file")
		return
	}
	a, data, err := s.st.getFile(id)
	if err != nil {
		if !errors.Is(err, errFileNotFound) {
			slog.Error("load file", "err", err)
		}
		writeError(w, http.StatusNotFound, "no such file")
		return
	}
	if rm, ok := s.st.room(a.Room); !ok || !rm.visibleTo(u.Name) {
		writeError(w, http.StatusNotFound, "no such file")
		return
	}
	disposition := "attachment"
	if slices.Contains(inlineTypes, a.Type) {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", a.Type)
	h.Set("Content-Disposition", fmt.Sprintf("%s; filename*=UTF-8''%s", disposition, url.PathEscape(a.Name)))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "private, max-age=86400")
	// A file is never a page: no script, no plugins, even if opened directly.
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	w.Write(data)
}
