// files.go owns files and images shared in rooms: uploads (streamed into
// the database as they arrive, so one backup holds everything and memory
// holds about a chunk of each), and serving them, with HTTP ranges, to the
// members of their room only, images inline, anything else as a download.
// What happens to an image's bytes (GPS removed, thumbnails) is photos.go's.

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
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// inlineTypes are served inline (shown as images); every other file is an
// attachment to download. SVG is not among them: it can carry script.
var inlineTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

const maxFileName = 200

// maxUploadsAtOnce is how many uploads one user may have in flight: a few
// photos dropped together go through, while many slow bodies cannot tie up
// the server's disk and connections.
const maxUploadsAtOnce = 2

// sniffLen is as much of a file as http.DetectContentType reads.
const sniffLen = 512

// handleUpload stores the request body as a file in the room and posts a
// message carrying it: POST /api/rooms/{room}/files?name=NAME, the bytes as
// the body. The type is sniffed from the bytes, never taken from the client.
//
// The body is written into the database as it arrives, one chunk (1 MiB)
// a write transaction, so an upload holds about one chunk in memory
// whatever its size. Until the last byte is in, the file is an upload
// (store_files.go): no message, and GET /api/files/{id} answers 404. Then
// the message that carries it goes through the committer like any other,
// and its commit makes the file visible. Whatever stops an upload before
// that (a refusal, the client leaving, the limit, the quota, the disk)
// deletes what it wrote; a crash leaves it to the start-up sweep.
func (s *server) handleUpload(w http.ResponseWriter, r *http.Request, sess session, u user) {
	// The server's ReadTimeout is too short for a file on a slow link.
	if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTimeout(s.cfg.MaxUpload))); err != nil {
		slog.Warn("extend an upload's read deadline", "err", err)
	}
	rm, ok := s.visibleRoom(w, r.PathValue("room"), u)
	if !ok {
		return
	}
	// A declared size is refused before a byte of the body is read. The web
	// client sends the file itself as the body (no multipart), so
	// Content-Length is the file's size and needs no allowance for framing.
	tooBig := "files can be at most " + byteSize64(s.cfg.MaxUpload)
	if r.ContentLength > s.cfg.MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, tooBig)
		return
	}
	if r.ContentLength == 0 {
		writeError(w, http.StatusBadRequest, "the file is empty")
		return
	}
	release, ok := s.admitUpload(w, u)
	if !ok {
		return
	}
	defer release()
	// An upload posts a chat message, so it spends the sender's message
	// allowance; checked before the body is read, so a refused upload costs
	// the server nothing.
	if !s.posts.allow(u.Name) {
		writeError(w, http.StatusTooManyRequests, "slow down: too many messages")
		return
	}
	// The quota is checked against the declared size here, before the
	// body; a body of unknown size is stopped as soon as it passes.
	id, allowance, err := s.st.beginUpload(u.Name, r.ContentLength, u.QuotaBytes, time.Now())
	var quotaErr *quotaError
	switch {
	case errors.As(err, &quotaErr):
		writeError(w, http.StatusRequestEntityTooLarge, quotaErr.Error())
		return
	case err != nil:
		s.fail(w, "begin upload", err)
		return
	}
	// Until the message's commit has made the file visible, the upload is
	// deleted on the way out; abortUpload leaves a committed file alone.
	pending := true
	defer func() {
		if pending {
			if err := s.st.abortUpload(id); err != nil {
				slog.Error("delete an unfinished upload", "id", id, "err", err)
			}
		}
	}()

	a := attachment{ID: id, Name: cleanFileName(r.URL.Query().Get("name")), Room: rm.Name, User: u.Name, ChunkSize: chunkSize}
	body := io.Reader(clientBody{http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)})
	head := make([]byte, sniffLen)
	n, err := fill(body, head)
	if err != nil && err != io.EOF {
		s.uploadFailed(w, err, tooBig)
		return
	}
	if n == 0 {
		writeError(w, http.StatusBadRequest, "the file is empty")
		return
	}
	a.Type = sniffType(head[:n])
	a.Voice, a.DurationMS = voiceOf(r.URL.Query(), &a.Type)
	body = s.transformUpload(a, io.MultiReader(bytes.NewReader(head[:n]), body))
	a.Size, a.Chunks, err = s.st.writeChunks(id, body, func(index int, before int64, chunk []byte) error {
		if allowance >= 0 && before+int64(len(chunk)) > allowance {
			return &quotaError{Quota: u.QuotaBytes, Used: u.QuotaBytes - allowance}
		}
		if s.disk.check().State.pausesUploads() {
			return errDiskLow
		}
		// The size of an image is in its first bytes: its first chunk
		// holds them for any image a phone makes.
		if index == 0 && slices.Contains(inlineTypes, a.Type) {
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(chunk)); err == nil {
				a.Width, a.Height = cfg.Width, cfg.Height
			}
		}
		return nil
	})
	if err != nil {
		s.uploadFailed(w, err, tooBig)
		return
	}
	if a.Size == 0 { // all of it taken out by transformUpload
		writeError(w, http.StatusBadRequest, "the file is empty")
		return
	}
	a = s.afterUpload(a)

	p := &pendingSend{req: appendRequest{
		Msg:    message{Room: rm.Name, User: u.Name, Body: a.Name, ClientID: truncate(r.URL.Query().Get("client_id"), maxClientIDLen)},
		Upload: &fileUpload{File: a},
	}, done: make(chan struct{})}
	if !s.commitAndAnswer(w, p) {
		// Answered before its commit, which may still come: the upload
		// is deleted (if the commit did not make it a file) once the
		// committer is done with it or has stopped.
		pending = false
		go func() {
			select {
			case <-p.done:
			case <-s.com.done:
			}
			if err := s.st.abortUpload(id); err != nil {
				slog.Error("delete an unfinished upload", "id", id, "err", err)
			}
		}()
		return
	}
	// Stored unless refused, or a resend of a message stored already
	// (whose file is another).
	pending = p.err != nil || p.req.Err != nil || p.req.Dup
}

// errDiskLow stops an upload when free space falls under the low mark
// while it is under way.
var errDiskLow = errors.New("disk space is low: uploads are paused")

// uploadFailed answers an upload stopped while its body was read: by its
// size, its uploader's quota, the disk, the store, or the client.
func (s *server) uploadFailed(w http.ResponseWriter, err error, tooBig string) {
	var maxErr *http.MaxBytesError
	var quotaErr *quotaError
	switch {
	case errors.As(err, &maxErr):
		writeError(w, http.StatusRequestEntityTooLarge, tooBig)
	case errors.As(err, &quotaErr):
		writeError(w, http.StatusRequestEntityTooLarge, quotaErr.Error())
	case errors.Is(err, errDiskLow):
		writeError(w, http.StatusInsufficientStorage, diskLowMessage)
	case errors.Is(err, syscall.ENOSPC):
		s.disk.check() // so that what follows is refused early
		writeError(w, http.StatusInsufficientStorage, diskLowMessage)
	case errors.As(err, new(*bodyError)):
		writeError(w, http.StatusBadRequest, "reading the upload: "+err.Error())
	default: // the database, not the client
		s.fail(w, "store upload", err)
	}
}

// clientBody reads an upload's body, marking its errors (the client gone,
// the limit passed) as bodyErrors, to tell them from the store's.
type clientBody struct{ r io.Reader }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyError{err}
	}
	return n, err
}

// bodyError is an error reading an upload's body.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// removeOldSpools deletes the temporary files that releases before
// format 4 spooled uploads into, beside the database at dbPath, which a
// crash of such a release may have left. Call it only while holding the
// database, before serving.
func removeOldSpools(dbPath string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+".upload-*"))
	for _, name := range stale {
		if err := os.Remove(name); err != nil {
			slog.Error("remove an old upload spool", "err", err)
		}
	}
}

// userGate counts what each user has in flight, to cap it. Its zero value
// is ready; a user's entry goes when their count is back to zero, so the map
// holds only users with something in flight. Safe for concurrent use.
type userGate struct {
	mu sync.Mutex
	n  map[string]int // guarded by mu
}

// acquire takes one of user's max places, or returns ok=false when all are
// taken. release gives it back and must be called exactly once.
func (g *userGate) acquire(user string, max int) (release func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n[user] >= max {
		return nil, false
	}
	if g.n == nil {
		g.n = make(map[string]int)
	}
	g.n[user]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.n[user]--; g.n[user] <= 0 {
			delete(g.n, user)
		}
	}, true
}

// userRates is the message allowance per user: every socket of theirs and
// every upload spend from the same bucket, so more tabs or a burst of
// uploads add no allowance.
// Full buckets are forgotten by prune, so the map holds only recent
// senders. Safe for concurrent use.
type userRates struct {
	every rate.Limit
	burst int

	mu sync.Mutex
	m  map[string]*rate.Limiter // guarded by mu
}

func newUserRates(every rate.Limit, burst int) *userRates {
	return &userRates{every: every, burst: burst, m: make(map[string]*rate.Limiter)}
}

// allow spends one of user's messages, or returns false when none is left.
func (l *userRates) allow(user string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[user]
	if !ok {
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[user] = lim
	}
	return lim.Allow()
}

// prune forgets users whose allowance is full again.
func (l *userRates) prune() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for user, lim := range l.m {
		if lim.Tokens() >= float64(l.burst) {
			delete(l.m, user)
		}
	}
}

// sniffType decides a file's Content-Type from its bytes.
func sniffType(data []byte) string {
	if t := isoMediaType(data); t != "" {
		return t
	}
	t := http.DetectContentType(data)
	if i := strings.IndexByte(t, ';'); i >= 0 && !strings.HasPrefix(t, "text/") {
		t = t[:i]
	}
	return t
}

// mediaTypes are the videos and sounds phones and browsers record, played
// in the page from GET /api/files/{id} (so served inline, and seekable
// through Range).
var mediaTypes = []string{"video/mp4", "video/webm", "video/quicktime", "audio/mp4", "audio/webm", "audio/ogg", "audio/mpeg", "audio/wave"}

// isoMediaType names an ISO base media file (MP4, QuickTime, M4A) by its
// ftyp box's major brand: net/http's sniffer knows only "mp4" brands, so an
// iPhone's video ("qt  ") and Safari's voice messages ("M4A ") would be
// bytes to download instead of something to play.
func isoMediaType(data []byte) string {
	if len(data) < 12 || string(data[4:8]) != "ftyp" {
		return ""
	}
	switch brand := string(data[8:12]); {
	case brand == "qt  ":
		return "video/quicktime"
	case brand == "M4A " || brand == "M4B ":
		return "audio/mp4"
	case strings.HasPrefix(brand, "mp4"), strings.HasPrefix(brand, "iso"), strings.HasPrefix(brand, "avc"),
		strings.HasPrefix(brand, "3gp"), brand == "MSNV", brand == "M4V ", brand == "dash":
		return "video/mp4"
	}
	return ""
}

// maxVoiceDuration bounds the length a client may claim for a recording.
const maxVoiceDuration = int64(time.Hour / time.Millisecond)

// voiceOf reads an upload's voice=1 and duration_ms=N, which the client
// sends for a recording it made. Only a sound (or a WebM or MP4, which is
// how browsers record sound) can be one; its type then says audio, since
// the sniffer cannot tell a WebM of sound from one of video.
func voiceOf(q url.Values, typ *string) (voice bool, durationMS int64) {
	if q.Get("voice") != "1" {
		return false, 0
	}
	switch *typ {
	case "video/webm":
		*typ = "audio/webm"
	case "video/mp4":
		*typ = "audio/mp4"
	case "application/ogg":
		*typ = "audio/ogg"
	}
	if !strings.HasPrefix(*typ, "audio/") {
		return false, 0
	}
	if d, err := strconv.ParseInt(q.Get("duration_ms"), 10, 64); err == nil && d > 0 && d <= maxVoiceDuration {
		durationMS = d
	}
	return true, durationMS
}

// cleanFileName keeps a file name displayable and harmless in a header. It
// drops bidirectional controls and zero-width characters too, which can
// make "invoice\u202egnp.exe" look like "invoiceexe.png".
func cleanFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == '"' || hiddenInName(r) {
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

// hiddenInName reports whether r is invisible yet able to change how a
// name reads: a control character, or a format character (Unicode Cf:
// bidirectional controls such as U+202E, zero-width characters, soft
// hyphens, tag characters) or a line or paragraph separator (Zl, Zp).
func hiddenInName(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// visibleFile finds the file of the request's {id}, if u may see its
// room; otherwise it answers 404, the same for a file that does not exist
// and one in a room u may not see.
func (s *server) visibleFile(w http.ResponseWriter, r *http.Request, u user) (attachment, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such file")
		return attachment{}, false
	}
	a, err := s.st.getFile(id)
	if err != nil {
		if !errors.Is(err, errFileNotFound) {
			slog.Error("load file", "err", err)
		}
		writeError(w, http.StatusNotFound, "no such file")
		return attachment{}, false
	}
	if rm, ok := s.st.room(a.Room); !ok || !rm.visibleTo(u.Name) {
		writeError(w, http.StatusNotFound, "no such file")
		return attachment{}, false
	}
	return a, true
}

// admitUpload lets one more upload of u's in, or answers why not: the disk
// is nearly full (a fresh reading, not the watcher's last: a few uploads can
// fill a disk between two of its readings), or they already send
// maxUploadsAtOnce. The caller calls release when done.
func (s *server) admitUpload(w http.ResponseWriter, u user) (release func(), ok bool) {
	if s.disk.check().State.pausesUploads() {
		writeError(w, http.StatusInsufficientStorage, diskLowMessage)
		return nil, false
	}
	release, ok = s.uploading.acquire(u.Name, maxUploadsAtOnce)
	if !ok {
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("you are already sending %d files: wait for one to finish", maxUploadsAtOnce))
		return nil, false
	}
	return release, true
}

// handleFile serves a file to those who may see its room, through
// http.ServeContent over the file's chunks: Range requests (206, several
// ranges, 416 for one that cannot be met), If-Range, and conditional GETs
// on the ETag and Last-Modified, while only what is sent is read.
func (s *server) handleFile(w http.ResponseWriter, r *http.Request, sess session, u user) {
	a, ok := s.visibleFile(w, r, u)
	if !ok {
		return
	}
	body := newFileReader(s.st, a)
	disposition := "attachment"
	if slices.Contains(inlineTypes, a.Type) || slices.Contains(mediaTypes, a.Type) {
		disposition = "inline"
	}
	h := w.Header()
	h.Set("Content-Type", a.Type)
	h.Set("Content-Disposition", fmt.Sprintf("%s; filename*=UTF-8''%s", disposition, url.PathEscape(cleanFileName(a.Name)))) // names stored before it cleaned them too
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", fileETag(a))
	// A file is never a page: no script, no plugins, even if opened directly.
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	http.ServeContent(w, r, "", a.Time, body) // a zero Time (files before format 4) sends no Last-Modified
}

// fileETag is a file's strong ETag: a stored file never changes. It names
// the time the file was stored as well as its id, so that after a restore
// from an older backup, a new file that takes an id again is not mistaken
// for the one a browser cached.
func fileETag(a attachment) string {
	if a.Time.IsZero() {
		return fmt.Sprintf(`"hearth-file-%d"`, a.ID)
	}
	return fmt.Sprintf(`"hearth-file-%d-%x"`, a.ID, a.Time.UnixMilli())
}
