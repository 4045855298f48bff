// backups.go owns the backups a running server writes by itself into
// -backup-dir: one goroutine (run, started by newApp) writes a snapshot
// every -backup-every and keeps the newest -backup-keep, and an admin's
// "Back up now" asks that same goroutine for one, so runs never overlap.
//
// A snapshot is taken in one read transaction (store.writeBackup, as the
// hot backup download is): chat's commits go on meanwhile and nothing here
// ever holds bbolt's write lock. Each one is written to
// DIR/hearth-YYYYMMDD-HHMMSS.db.tmp (UTC), synced, checked as a restore
// would check it (checkBackup), renamed to .db and the directory synced,
// so a .db in DIR is always whole and sound. Only then are the oldest
// hearth-*.db beyond the count deleted. A failed run removes its .tmp, is
// logged and counted (hearth_backup_failures_total) and shown to admins;
// it never stops the server. Nothing in DIR that is not named like
// Hearth's own backups is ever touched.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

const (
	// backupPrefix, backupTimeLayout and backupExt make a backup's name:
	// hearth-20250102-030405.db, its UTC start time. Only names that
	// parse back to a time are Hearth's (ownBackup).
	backupPrefix     = "hearth-"
	backupTimeLayout = "20060102-150405"
	backupExt        = ".db"
	// backupTmpExt marks a backup still being written.
	backupTmpExt = ".tmp"
	// backupStartDelay is how long after start-up the first backup waits
	// when one is due: long enough for reconnecting clients to settle.
	backupStartDelay = time.Minute
	// backupRetry is how soon a failed backup is tried again (sooner when
	// -backup-every is shorter): an unplugged drive may be back.
	backupRetry = time.Hour
)

// errBackupsStopped answers a request for a backup once the server is
// stopping.
var errBackupsStopped = errors.New("backups: the server is stopping")

// backupInfo describes one backup file.
type backupInfo struct {
	Path  string    `json:"path"`
	Bytes int64     `json:"bytes"`
	Time  time.Time `json:"time"` // when its snapshot was taken
}

// backupFailure is the latest run's failure.
type backupFailure struct {
	Time  time.Time `json:"time"`
	Error string    `json:"error"`
}

// backupStatus is what GET /api/admin/backups answers.
type backupStatus struct {
	Enabled      bool           `json:"enabled"`
	Dir          string         `json:"dir,omitempty"`
	EverySeconds int64          `json:"every_seconds,omitempty"`
	Keep         int            `json:"keep,omitempty"`
	Running      bool           `json:"running"`
	Next         *time.Time     `json:"next,omitempty"`    // when the next scheduled run starts
	Last         *backupInfo    `json:"last,omitempty"`    // the newest good backup
	Failure      *backupFailure `json:"failure,omitempty"` // set when the latest run failed
}

// backupResult is one run's outcome, for whoever asked for it.
type backupResult struct {
	info backupInfo
	err  error
}

// backups writes scheduled and requested backups into one directory. The
// run goroutine is the only one that writes there; handlers ask it through
// requests and read the status under mu.
type backups struct {
	st    *store // never changes
	dir   string // never changes
	every time.Duration
	keep  int
	// snapshot writes the database to w: st.writeBackup, except in tests
	// that make writing fail or wait. Set before run starts.
	snapshot func(w io.Writer) (int64, error)

	requests chan chan backupResult // "Back up now": run answers on the channel
	stopped  chan struct{}          // closed when run returns

	mu      sync.Mutex     // guards the fields below; run writes them, handlers read
	running bool           // a run is under way
	next    time.Time      // when the next scheduled run starts
	last    *backupInfo    // the newest good backup, found in dir at start or written since
	failure *backupFailure // the latest run's failure; nil after a success
}

// newBackups checks that dir exists and that Hearth can create files in
// it, so a missing mount or a read-only drive stops start-up with the
// reason instead of failing at the first backup. The newest backup already
// there counts as the last good one.
func newBackups(st *store, dir string, every time.Duration, keep int) (*backups, error) {
	if every <= 0 {
		return nil, fmt.Errorf("-backup-every %v: must be more than 0", every)
	}
	if keep < 1 {
		return nil, fmt.Errorf("-backup-keep %d: keep at least 1", keep)
	}
	if err := checkBackupDir(dir); err != nil {
		return nil, err
	}
	b := &backups{
		st: st, dir: dir, every: every, keep: keep,
		snapshot: st.writeBackup,
		requests: make(chan chan backupResult),
		stopped:  make(chan struct{}),
	}
	if own, err := b.list(); err == nil && len(own) > 0 {
		newest := own[len(own)-1]
		b.last = &newest
		slog.Info("backups", "dir", dir, "every", every, "keep", keep, "newest", newest.Path)
	} else {
		slog.Info("backups", "dir", dir, "every", every, "keep", keep, "newest", "none")
	}
	return b, nil
}

// checkBackupDir says why dir cannot hold backups, if it cannot: it must
// exist (a drive that is not mounted is not quietly replaced by a new
// directory on the system disk) and Hearth must be able to create a file
// in it, which it does and removes again.
func checkBackupDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("-backup-dir %s: no such directory (is the drive mounted? create the directory first)", dir)
	case err != nil:
		return fmt.Errorf("-backup-dir %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("-backup-dir %s: not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".hearth-write-check-*")
	if err != nil {
		return fmt.Errorf("-backup-dir %s: Hearth cannot create files there: %w", dir, err)
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("-backup-dir %s: Hearth cannot remove files there: %w", dir, err)
	}
	return nil
}

// run writes a backup when one is due and when asked, until ctx is done.
// The first is due backupStartDelay after start, or a full interval after
// the newest backup in dir if that is later; each next one an interval
// after the last run, or backupRetry after a failure. A run already under
// way when ctx is done stops and leaves no file.
func (b *backups) run(ctx context.Context) {
	defer close(b.stopped)
	b.mu.Lock()
	last := b.last
	b.mu.Unlock()
	wait := min(backupStartDelay, b.every)
	if last != nil {
		wait = max(wait, min(time.Until(last.Time.Add(b.every)), b.every))
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	b.setNext(time.Now().Add(wait))
	for {
		var asked []chan backupResult
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case reply := <-b.requests:
			asked = append(asked, reply)
		}
		res := b.backUp(ctx)
		// Those who asked while it ran share it: one request, one run.
		for more := true; more; {
			select {
			case reply := <-b.requests:
				asked = append(asked, reply)
			default:
				more = false
			}
		}
		if ctx.Err() == nil {
			wait = b.every
			if res.err != nil {
				wait = min(backupRetry, b.every)
			}
			timer.Reset(wait)
			b.setNext(time.Now().Add(wait)) // before the answers, which show it
		}
		for _, reply := range asked {
			reply <- res
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// now asks run for a backup and waits for it. A run under way when it asks
// answers for it too. It returns errBackupsStopped once the server stops,
// and ctx's error if ctx ends first (the run goes on).
func (b *backups) now(ctx context.Context) (backupInfo, error) {
	reply := make(chan backupResult, 1) // run never waits for us
	select {
	case b.requests <- reply:
	case <-b.stopped:
		return backupInfo{}, errBackupsStopped
	case <-ctx.Done():
		return backupInfo{}, ctx.Err()
	}
	select {
	case res := <-reply:
		return res.info, res.err
	case <-ctx.Done():
		return backupInfo{}, ctx.Err()
	}
}

// backUp writes one backup and records the outcome. Only run calls it.
func (b *backups) backUp(ctx context.Context) backupResult {
	b.mu.Lock()
	b.running = true
	b.mu.Unlock()
	start := time.Now()
	info, err := b.write(ctx, start)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = false
	switch {
	case err != nil && ctx.Err() != nil:
		slog.Info("backup stopped: the server is stopping", "dir", b.dir)
		err = errBackupsStopped
	case err != nil:
		metricBackupFailures.Inc()
		b.failure = &backupFailure{Time: start.UTC(), Error: err.Error()}
		slog.Error("backup failed", "dir", b.dir, "err", err)
	default:
		b.last, b.failure = &info, nil
		slog.Info("backup written", "path", info.Path, "bytes", info.Bytes, "took", time.Since(start).Round(time.Millisecond))
	}
	return backupResult{info, err}
}

// write writes the database as it is at start into dir, checks it and
// renames it into place, then deletes the oldest backups beyond keep. On
// failure nothing is left of it: a .db appears only once it checked out.
func (b *backups) write(ctx context.Context, start time.Time) (backupInfo, error) {
	b.removeStale()
	name := backupPrefix + start.UTC().Format(backupTimeLayout) + backupExt
	path := filepath.Join(b.dir, name)
	tmp := path + backupTmpExt
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return backupInfo{}, fmt.Errorf("backup: %w", err) // the PathError names tmp
	}
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp)
		}
	}()
	n, err := b.snapshot(ctxWriter{ctx, f})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return backupInfo{}, fmt.Errorf("backup: write %s: %w", tmp, err)
	}
	if err := checkBackup(tmp); err != nil {
		return backupInfo{}, fmt.Errorf("backup: the copy does not check out: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return backupInfo{}, fmt.Errorf("backup: %w", err)
	}
	renamed = true
	if err := syncDir(b.dir); err != nil {
		return backupInfo{}, fmt.Errorf("backup: sync %s: %w", b.dir, err)
	}
	b.prune()
	return backupInfo{Path: path, Bytes: n, Time: start.UTC()}, nil
}

// ctxWriter stops a snapshot when the server stops: its next write fails.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (cw ctxWriter) Write(p []byte) (int, error) {
	if err := cw.ctx.Err(); err != nil {
		return 0, err
	}
	return cw.w.Write(p)
}

// syncDir makes a rename in dir durable. Windows has no way to sync a
// directory (NTFS journals its metadata).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ownBackup reports whether name is one of Hearth's backups, and when it
// was taken: hearth-YYYYMMDD-HHMMSS.db exactly, or with tmp, the same name
// with .tmp after it.
func ownBackup(name string, tmp bool) (time.Time, bool) {
	ext := backupExt
	if tmp {
		ext += backupTmpExt
	}
	stamp, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, false
	}
	if stamp, ok = strings.CutSuffix(stamp, ext); !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(backupTimeLayout, stamp)
	return t, err == nil
}

// list returns the backups in dir, oldest first: regular files named like
// Hearth's own, nothing else.
func (b *backups) list() ([]backupInfo, error) {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, err
	}
	var out []backupInfo
	for _, e := range entries { // ReadDir sorts by name, which is by time
		t, ok := ownBackup(e.Name(), false)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, backupInfo{Path: filepath.Join(b.dir, e.Name()), Bytes: fi.Size(), Time: t})
	}
	return out, nil
}

// prune deletes the oldest backups beyond keep. A file it cannot delete is
// logged and left.
func (b *backups) prune() {
	own, err := b.list()
	if err != nil {
		slog.Warn("backup: list old backups", "dir", b.dir, "err", err)
		return
	}
	for _, old := range own[:max(0, len(own)-b.keep)] {
		if err := os.Remove(old.Path); err != nil {
			slog.Warn("backup: delete an old backup", "path", old.Path, "err", err)
		} else {
			slog.Info("backup: deleted an old backup", "path", old.Path)
		}
	}
}

// removeStale deletes the .tmp of a run that a crash or power cut
// interrupted: only run writes one, and it is not running another now.
func (b *backups) removeStale() {
	entries, _ := os.ReadDir(b.dir)
	for _, e := range entries {
		if _, ok := ownBackup(e.Name(), true); ok && e.Type().IsRegular() {
			os.Remove(filepath.Join(b.dir, e.Name()))
		}
	}
}

func (b *backups) setNext(t time.Time) {
	b.mu.Lock()
	b.next = t
	b.mu.Unlock()
}

// status is what admins see; on a nil *backups (no -backup-dir) it says
// backups are off. Any goroutine may call it.
func (b *backups) status() backupStatus {
	if b == nil {
		return backupStatus{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := backupStatus{
		Enabled: true, Dir: b.dir, EverySeconds: int64(b.every / time.Second), Keep: b.keep,
		Running: b.running, Failure: b.failure,
	}
	if b.last != nil {
		last := *b.last
		s.Last = &last
	}
	if !b.next.IsZero() {
		next := b.next.UTC()
		s.Next = &next
	}
	return s
}

// lastGood is the newest good backup's time in Unix seconds and its size,
// or zeros before the first. Any goroutine may call it.
func (b *backups) lastGood() (unix float64, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		return 0, 0
	}
	return float64(b.last.Time.Unix()), b.last.Bytes
}

// handleAdminBackups answers the automatic backups' status.
func (s *server) handleAdminBackups(w http.ResponseWriter, r *http.Request, sess session, u user) {
	writeJSON(w, http.StatusOK, s.backups.status())
}

// handleAdminBackupNow runs a backup into -backup-dir now and answers the
// status after it, or 500 with the reason it failed (an admin needs "no
// space left on device", not "internal error"). One already under way
// answers for this request too.
func (s *server) handleAdminBackupNow(w http.ResponseWriter, r *http.Request, sess session, u user) {
	if s.backups == nil {
		writeError(w, http.StatusConflict, "automatic backups are off: start Hearth with -backup-dir DIR")
		return
	}
	info, err := s.backups.now(r.Context())
	switch {
	case errors.Is(err, errBackupsStopped):
		writeError(w, http.StatusServiceUnavailable, "the server is stopping")
	case r.Context().Err() != nil:
		// The admin went away; the backup goes on and is logged.
	case err != nil:
		s.record(u.Name, "back up now", s.backups.dir, "failed: "+err.Error())
		writeError(w, http.StatusInternalServerError, "the backup failed: "+err.Error())
	default:
		s.record(u.Name, "back up now", info.Path, byteSize(int(info.Bytes)))
		writeJSON(w, http.StatusOK, s.backups.status())
	}
}
