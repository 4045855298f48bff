// files.go owns files and images shared in rooms: uploads (kept in the
// database, so one backup holds everything), and serving them to the
// members of their room only, images inline, anything else as a download.

package main

import (
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image.DecodeConfig for the sizes of shared images
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// The body is spooled to a temporary file as it arrives, so a slow or large
// upload holds no memory while it is sent; only the commit that stores it
// with its message holds the file's bytes at once (see putFileTx).
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
	tooBig := "files can be at most " + byteSize(int(s.cfg.MaxUpload))
	if r.ContentLength > s.cfg.MaxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, tooBig)
		return
	}
	if r.ContentLength == 0 {
		writeError(w, http.StatusBadRequest, "the file is empty")
		return
	}
	// A fresh reading, not the watcher's last: a few uploads can fill a
	// disk between two of its readings.
	if s.disk.check().State.pausesUploads() {
		writeError(w, http.StatusInsufficientStorage, diskLowMessage)
		return
	}
	release, ok := s.uploading.acquire(u.Name, maxUploadsAtOnce)
	if !ok {
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("you are already sending %d files: wait for one to finish", maxUploadsAtOnce))
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
	name := cleanFileName(r.URL.Query().Get("name"))
	f, size, err := s.spoolUpload(w, r)
	if err != nil {
		var maxErr *http.MaxBytesError
		var pathErr *fs.PathError
		switch {
		case errors.As(err, &maxErr):
			writeError(w, http.StatusRequestEntityTooLarge, tooBig)
		case errors.As(err, &pathErr): // the temporary file, not the client
			s.fail(w, "spool upload", err)
		default:
			writeError(w, http.StatusBadRequest, "reading the upload: "+err.Error())
		}
		return
	}
	removeSpool := func() {
		f.Close()
		if err := os.Remove(f.Name()); err != nil {
			slog.Error("remove spooled upload", "err", err)
		}
	}
	keep := false // the committer may still read it: see below
	defer func() {
		if !keep {
			removeSpool()
		}
	}()
	if size == 0 {
		writeError(w, http.StatusBadRequest, "the file is empty")
		return
	}
	head := make([]byte, min(size, sniffLen))
	if _, err := f.ReadAt(head, 0); err != nil {
		s.fail(w, "read spooled upload", err)
		return
	}
	a := attachment{Name: name, Type: sniffType(head), Size: size, Room: rm.Name}
	if slices.Contains(inlineTypes, a.Type) {
		if cfg, _, err := image.DecodeConfig(io.NewSectionReader(f, 0, size)); err == nil {
			a.Width, a.Height = cfg.Width, cfg.Height
		}
	}
	// The file is stored with its message, in the message's transaction:
	// an upload refused (the room archived, renamed or deleted meanwhile,
	// the sender no longer a member) or a resend already stored stores no
	// file.
	p := &pendingSend{req: appendRequest{
		Msg:    message{Room: rm.Name, User: u.Name, Body: name, ClientID: truncate(r.URL.Query().Get("client_id"), maxClientIDLen)},
		Upload: &fileUpload{File: a, Data: f},
	}, done: make(chan struct{})}
	if !s.commitAndAnswer(w, p) {
		// Answered before its commit: the committer may yet read the
		// spool, so it stays until the commit is done with it.
		keep = true
		go func() {
			select {
			case <-p.done:
			case <-s.com.done:
			}
			removeSpool()
		}()
	}
}

// spoolUpload copies the request body, at most MaxUpload bytes, into a new
// temporary file beside the database (mode 0600, as os.CreateTemp makes
// it), and returns it with its size. On success the caller closes and
// removes the file; on failure nothing is left behind.
func (s *server) spoolUpload(w http.ResponseWriter, r *http.Request) (*os.File, int64, error) {
	f, err := os.CreateTemp(filepath.Dir(s.st.path), uploadSpoolPattern(s.st.path))
	if err != nil {
		return nil, 0, fmt.Errorf("files: spool an upload: %w", err)
	}
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload))
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, n, err
	}
	return f, n, nil
}

// uploadSpoolPattern names the temporary files of uploads to the database
// at dbPath: hidden, and named after the database so that two databases in
// one directory never take each other's.
func uploadSpoolPattern(dbPath string) string {
	return "." + filepath.Base(dbPath) + ".upload-*"
}

// removeStaleUploads deletes upload spools a crash left beside the database
// at dbPath. Call it only while holding the database, before serving.
func removeStaleUploads(dbPath string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(dbPath), uploadSpoolPattern(dbPath)))
	for _, name := range stale {
		if err := os.Remove(name); err != nil {
			slog.Error("remove a stale upload spool", "err", err)
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
	t := http.DetectContentType(data)
	if i := strings.IndexByte(t, ';'); i >= 0 && !strings.HasPrefix(t, "text/") {
		t = t[:i]
	}
	return t
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
	h.Set("Content-Disposition", fmt.Sprintf("%s; filename*=UTF-8''%s", disposition, url.PathEscape(cleanFileName(a.Name)))) // names stored before it cleaned them too
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "private, max-age=86400")
	// A file is never a page: no script, no plugins, even if opened directly.
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	w.Write(data)
}
