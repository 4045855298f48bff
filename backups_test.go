// backups_test.go tests the backups a running server writes by itself:
// snapshots under message load hold every acknowledged message, rotation
// keeps exactly -backup-keep and touches nothing else, an unusable
// directory stops start-up, a failure (a removed directory, a full disk)
// is shown and leaves no file while chat goes on, "Back up now" through
// the API, and the schedule and the serialising of runs in fake time.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// ownBackups lists the names of the backups in dir (regular files
// named like Hearth's), oldest first.
func ownBackups(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if _, ok := ownBackup(e.Name(), false); ok && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names
}

// messagesIn returns the ids of every message of room in the database
// file at path, opened read-only as a restore would.
func messagesIn(t *testing.T, path, room string) map[uint64]bool {
	t.Helper()
	if err := checkBackup(path); err != nil {
		t.Fatalf("backup %s: %v", path, err)
	}
	db, err := openDB(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := map[uint64]bool{}
	st := &store{db: db, path: path}
	if err := st.eachMessage(room, func(m message) error { ids[m.ID] = true; return nil }); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return ids
}

type ackedMessage struct {
	id uint64
	at time.Time // when the sender had the acknowledgement
}

// TestScheduledBackupsHoldEveryAcknowledgedMessage runs a server that
// backs up every 150 ms while three people send messages through real
// sockets as fast as they are acknowledged. Every snapshot must open,
// check out and hold each message acknowledged before it started.
func TestScheduledBackupsHoldEveryAcknowledgedMessage(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, func(c *config) {
		c.BackupDir, c.BackupEvery, c.BackupKeep = dir, 150*time.Millisecond, 1000
		c.MsgRate, c.MsgBurst = 1e6, 1e6
	})
	ctx, stopLoad := context.WithCancel(context.Background())
	var (
		mu    sync.Mutex
		acked []ackedMessage
		load  sync.WaitGroup
	)
	for _, name := range []string{"ann", "bob", "cat"} {
		c := ts.loggedIn(name)
		s := c.dial()
		load.Add(1)
		go func() {
			defer load.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("%s-%d", name, i)
				s.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if err := s.ws.WriteJSON(map[string]string{"type": "send", "room": "general", "body": "message " + id, "client_id": id}); err != nil {
					t.Errorf("%s: send: %v", name, err)
					return
				}
				for {
					s.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
					var f wireFrame
					if err := s.ws.ReadJSON(&f); err != nil {
						t.Errorf("%s: waiting for the ack of %s: %v", name, id, err)
						return
					}
					if f.Type == "error" && f.ClientID == id {
						t.Errorf("%s: %s refused: %s", name, id, f.Message)
						return
					}
					if f.Type == "message" && f.ClientID == id {
						mu.Lock()
						acked = append(acked, ackedMessage{f.ID, time.Now()})
						mu.Unlock()
						break
					}
				}
			}
		}()
	}

	// Watch the status for new backups until three have been written
	// under load; each one's time is when its snapshot began.
	var (
		seen []backupInfo
		prev time.Time
	)
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d scheduled backups in 30 s, want 3", len(seen))
		}
		if last := ts.app.srv.backups.status().Last; last != nil && !last.Time.Equal(prev) {
			prev = last.Time
			mu.Lock()
			first := len(acked) > 0 && acked[0].at.Before(last.Time)
			mu.Unlock()
			if first { // a snapshot with nothing acknowledged before it proves nothing
				seen = append(seen, *last)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopLoad()
	load.Wait()
	ts.stop() // no run writes while the files are read

	for _, b := range seen {
		ids := messagesIn(t, b.Path, "general")
		before, missing := 0, 0
		for _, a := range acked {
			if a.at.Before(b.Time) {
				before++
				if !ids[a.id] {
					missing++
				}
			}
		}
		if missing > 0 {
			t.Errorf("%s (taken %s): %d of the %d messages acknowledged before it are missing", filepath.Base(b.Path), b.Time.Format(time.RFC3339Nano), missing, before)
		}
		t.Logf("%s: holds all %d messages acknowledged before it (%d stored)", filepath.Base(b.Path), before, len(ids))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestBackupRotationKeepsNewestAndTouchesNothingElse: with -backup-keep 3
// and five older backups in the directory, a run leaves exactly three
// (its own and the two newest before it), removes a stale .tmp of its
// own, and leaves every file not named like its backups as it was.
func TestBackupRotationKeepsNewestAndTouchesNothingElse(t *testing.T) {
	st := newTestStore(t)
	dir := t.TempDir()
	for _, day := range []string{"01", "02", "03", "04", "05"} {
		os.WriteFile(filepath.Join(dir, "hearth-202001"+day+"-030000.db"), []byte("an old backup"), 0o600)
	}
	stale := filepath.Join(dir, "hearth-20200106-030000.db.tmp")
	os.WriteFile(stale, []byte("cut short by a power cut"), 0o600)
	foreign := map[string]string{
		"notes.txt":                      "the router's password is on the fridge",
		"hearth-latest.db":               "a copy made by hand",
		"hearth-20200101-030000.db.bak":  "kept by someone",
		"myhearth-20190101-000000.db":    "another program's",
		"hearth-2019-01-01.db":           "not our pattern",
		"hearth-20190101-000000.db.gz":   "compressed by a cron job",
		"HEARTH-20190101-000000.DB":      "shouting",
		"hearth-20190101-000000.db.tmp~": "an editor's",
	}
	for name, content := range foreign {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
	}
	// A directory named like a backup is not one.
	os.Mkdir(filepath.Join(dir, "hearth-20180101-000000.db"), 0o700)

	b, err := newBackups(st, dir, 24*time.Hour, 3)
	if err != nil {
		t.Fatal(err)
	}
	if last := b.status().Last; last == nil || filepath.Base(last.Path) != "hearth-20200105-030000.db" {
		t.Errorf("last good backup at start = %+v, want the newest in the directory", last)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go b.run(ctx)
	t.Cleanup(func() { cancel(); <-b.stopped })

	info, err := b.now(ctx)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	messagesIn(t, info.Path, "general") // opens and checks out
	want := []string{"hearth-20200104-030000.db", "hearth-20200105-030000.db", filepath.Base(info.Path)}
	if got := ownBackups(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("backups left = %v, want %v", got, want)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale %s is still there (%v)", filepath.Base(stale), err)
	}
	for name, content := range foreign {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(data) != content {
			t.Errorf("%s: %q, %v; want it untouched", name, data, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "hearth-20180101-000000.db")); err != nil || !fi.IsDir() {
		t.Errorf("the directory named like a backup: %v", err)
	}
}

// TestUnusableBackupDirStopsStartUp: serve exits with an error naming the
// directory and why, before serving, when -backup-dir (or
// HEARTH_BACKUP_DIR) is missing, not a directory or read-only.
func TestUnusableBackupDirStopsStartUp(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) }) // serve sets its own
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	cases := []struct {
		name string
		dir  func(t *testing.T) string
		env  bool
		want string
	}{
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "usb") }, false, "no such directory"},
		{"missing, from the environment", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nas") }, true, "no such directory"},
		{"a file", func(t *testing.T) string { return file }, false, "not a directory"},
		{"read-only", func(t *testing.T) string {
			if os.Geteuid() != 0 {
				d := t.TempDir()
				os.Chmod(d, 0o500)
				t.Cleanup(func() { os.Chmod(d, 0o700) })
				return d
			}
			mnt := tmpfs(t, "1m")
			if mnt == "" {
				t.Skip("root ignores file modes and no read-only mount is possible here")
			}
			remount(t, mnt, "ro")
			return mnt
		}, false, "cannot create files there: open"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			args := []string{"serve", "-addr", "127.0.0.1:0", "-mdns=false", "-db", filepath.Join(t.TempDir(), "hearth.db")}
			if tc.env {
				t.Setenv("HEARTH_BACKUP_DIR", dir)
			} else {
				args = append(args, "-backup-dir", dir)
			}
			if err := serveFails(t, args); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("serve: %v; want an error naming %s and %q", err, dir, tc.want)
			}
		})
	}
	for _, bad := range [][]string{{"-backup-every", "0s"}, {"-backup-keep", "0"}} {
		args := append([]string{"serve", "-addr", "127.0.0.1:0", "-mdns=false", "-db", filepath.Join(t.TempDir(), "hearth.db"), "-backup-dir", t.TempDir()}, bad...)
		if err := serveFails(t, args); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("serve %s %s: %v, want an error naming the flag", bad[0], bad[1], err)
		}
	}
}

// serveFails runs a command line that must end with an error at start-up,
// failing the test if it is still serving after 10 s.
func serveFails(t *testing.T, args []string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := runCLI(t, "", args...); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%v is serving, want it refused at start-up", args)
		return nil
	}
}

// backupStatusOf reads GET /api/admin/backups.
func backupStatusOf(t *testing.T, c *client) backupStatus {
	t.Helper()
	var s backupStatus
	if status, body := c.do("GET", "/api/admin/backups", nil, &s); status != http.StatusOK {
		t.Fatalf("GET /api/admin/backups: %d %s", status, body)
	}
	return s
}

// TestBackupFailureIsShownAndChatGoesOn removes the backup directory from
// under a running server (a USB drive pulled out): "Back up now" answers
// the reason, the status, the metrics and the log show it, nothing is
// left behind, and messages are still sent and acknowledged. With the
// directory back, the next run succeeds and the failure is cleared.
func TestBackupFailureIsShownAndChatGoesOn(t *testing.T) {
	var logged bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	dir := filepath.Join(t.TempDir(), "usb")
	os.Mkdir(dir, 0o700)
	ts := newTestServer(t, func(c *config) { c.BackupDir = dir })
	ts.addUser("mum", "password-mum", true)
	admin := ts.newClient()
	admin.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	kid := ts.loggedIn("kid")
	s := kid.dial()

	os.RemoveAll(dir)
	failures := metricBackupFailures.Get()
	status, body := admin.do("POST", "/api/admin/backups/run", nil, nil)
	if status != http.StatusInternalServerError || !strings.Contains(body, "no such file or directory") || !strings.Contains(body, dir) {
		t.Errorf("back up now into a removed directory: %d %s; want 500 with the path and the reason", status, body)
	}
	st := backupStatusOf(t, admin)
	if st.Failure == nil || !strings.Contains(st.Failure.Error, "no such file or directory") || time.Since(st.Failure.Time) > time.Minute {
		t.Errorf("status failure = %+v, want the reason and a recent time", st.Failure)
	}
	if st.Last != nil {
		t.Errorf("status last = %+v, want none", st.Last)
	}
	if got := metricBackupFailures.Get(); got != failures+1 {
		t.Errorf("hearth_backup_failures_total = %d, want %d", got, failures+1)
	}
	if !strings.Contains(logged.String(), "backup failed") {
		t.Errorf("the failure is not in the log:\n%s", logged.String())
	}
	s.say("general", "still here", "c-after-failure")
	s.ack("c-after-failure")

	os.Mkdir(dir, 0o700) // plugged back in
	var after backupStatus
	if status, body := admin.do("POST", "/api/admin/backups/run", nil, &after); status != http.StatusOK {
		t.Fatalf("back up now with the directory back: %d %s", status, body)
	}
	if after.Failure != nil || after.Last == nil || filepath.Dir(after.Last.Path) != dir {
		t.Errorf("status after a success = %+v, want a last backup in %s and no failure", after, dir)
	}
	metricsBody := metricsText(t, ts)
	if !strings.Contains(metricsBody, fmt.Sprintf("hearth_backup_last_success_timestamp_seconds %d", after.Last.Time.Unix())) {
		t.Errorf("/metrics has no last success at %d:\n%s", after.Last.Time.Unix(), grepLines(metricsBody, "hearth_backup"))
	}
}

// metricsText reads /metrics from loopback.
func metricsText(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

func grepLines(text, word string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, word) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// TestFullDiskBackupLeavesNothing backs up onto a real file system too
// small for the database: the run fails with "no space left on device"
// and leaves no .tmp and no .db behind.
func TestFullDiskBackupLeavesNothing(t *testing.T) {
	mnt := tmpfs(t, "64k")
	if mnt == "" {
		t.Skip("no tmpfs to fill here")
	}
	path := filepath.Join(t.TempDir(), "big.db")
	goodDatabase(t, path) // several hundred KiB
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := newBackups(st, mnt, 24*time.Hour, 7)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go b.run(ctx)
	t.Cleanup(func() { cancel(); <-b.stopped })
	if _, err := b.now(ctx); err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("backup onto a full disk: %v, want no space left on device", err)
	}
	if entries, _ := os.ReadDir(mnt); len(entries) > 0 {
		t.Errorf("left on the full disk: %v", entries)
	}
	if f := b.status().Failure; f == nil || !strings.Contains(f.Error, "no space left on device") {
		t.Errorf("status failure = %+v", f)
	}
}

// TestBackUpNowThroughTheAPI: an admin's POST /api/admin/backups/run
// writes a sound backup holding what was sent before, answers the status
// with it, and is audited; others are refused; without -backup-dir the
// status says off and a run is refused.
func TestBackUpNowThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, func(c *config) { c.BackupDir = dir })
	ts.addUser("mum", "password-mum", true)
	admin := ts.newClient()
	admin.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	kid := ts.loggedIn("kid")
	s := kid.dial()
	s.say("general", "before the backup", "c-1")
	sent := s.ack("c-1")

	for _, req := range []struct{ method, path string }{{"GET", "/api/admin/backups"}, {"POST", "/api/admin/backups/run"}} {
		if status, _ := kid.do(req.method, req.path, nil, nil); status != http.StatusForbidden {
			t.Errorf("%s %s as a non-admin: %d, want 403", req.method, req.path, status)
		}
	}
	if got := ownBackups(t, dir); len(got) != 0 {
		t.Errorf("a refused request wrote %v", got)
	}

	var st backupStatus
	if status, body := admin.do("POST", "/api/admin/backups/run", nil, &st); status != http.StatusOK {
		t.Fatalf("back up now: %d %s", status, body)
	}
	if !st.Enabled || st.Dir != dir || st.Keep != 7 || st.EverySeconds != 86400 || st.Last == nil || st.Failure != nil || st.Next == nil {
		t.Fatalf("status = %+v", st)
	}
	if fi, err := os.Stat(st.Last.Path); err != nil || fi.Size() != st.Last.Bytes {
		t.Errorf("%s: %v, size %d bytes; want %d", st.Last.Path, err, fi.Size(), st.Last.Bytes)
	}
	if !messagesIn(t, st.Last.Path, "general")[sent.ID] {
		t.Errorf("the backup lacks message %d, acknowledged before it", sent.ID)
	}
	if got := backupStatusOf(t, admin); got.Last == nil || got.Last.Path != st.Last.Path {
		t.Errorf("GET status last = %+v, want %s", got.Last, st.Last.Path)
	}
	var audit struct{ Entries []auditEntry }
	admin.do("GET", "/api/admin/audit", nil, &audit)
	if len(audit.Entries) == 0 || audit.Entries[0].Action != "back up now" || audit.Entries[0].Target != st.Last.Path || audit.Entries[0].Admin != "mum" {
		t.Errorf("audit log = %+v, want mum's back up now first", audit.Entries)
	}

	off := newTestServer(t, nil)
	off.addUser("dad", "password-dad", true)
	dad := off.newClient()
	dad.do("POST", "/api/login", map[string]string{"username": "dad", "password": "password-dad"}, nil)
	if got := backupStatusOf(t, dad); got.Enabled {
		t.Errorf("status without -backup-dir = %+v, want off", got)
	}
	if status, body := dad.do("POST", "/api/admin/backups/run", nil, nil); status != http.StatusConflict || !strings.Contains(body, "-backup-dir") {
		t.Errorf("back up now without -backup-dir: %d %s, want 409 naming the flag", status, body)
	}
	if strings.Contains(metricsText(t, off), "hearth_backup_last_success") {
		t.Error("/metrics has a last backup time with backups off")
	}
}

// In a synctest bubble: with no backup in the directory the first is
// written backupStartDelay after start, then one every interval; a
// failure is tried again after backupRetry; a newer backup already there
// puts the first off until a whole interval after it; stopping ends the
// goroutine and later requests are refused.
func TestBackupSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newTestStore(t)
		dir := t.TempDir()
		b, err := newBackups(st, dir, 24*time.Hour, 7)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go b.run(ctx)
		count := func(want int, when string) {
			t.Helper()
			synctest.Wait()
			if got := ownBackups(t, dir); len(got) != want {
				t.Errorf("%s: %d backups (%v), want %d", when, len(got), got, want)
			}
		}
		time.Sleep(backupStartDelay - time.Second)
		count(0, "just before the start delay")
		time.Sleep(time.Second)
		count(1, "at the start delay")
		if next := b.status().Next; next == nil || !next.Equal(time.Now().Add(24*time.Hour)) {
			t.Errorf("next = %v, want a day from now", next)
		}
		time.Sleep(24*time.Hour - time.Second)
		count(1, "a second before the interval")
		time.Sleep(time.Second)
		count(2, "after the interval")

		// The drive goes away: a failure, tried again an hour later.
		os.RemoveAll(dir)
		time.Sleep(24 * time.Hour)
		synctest.Wait()
		if f := b.status().Failure; f == nil {
			t.Fatal("no failure recorded with the directory gone")
		}
		os.Mkdir(dir, 0o700)
		time.Sleep(backupRetry - time.Second)
		count(0, "before the retry")
		time.Sleep(time.Second)
		count(1, "at the retry")
		if f := b.status().Failure; f != nil {
			t.Errorf("failure %+v still shown after a success", f)
		}

		cancel()
		<-b.stopped
		if _, err := b.now(context.Background()); !errors.Is(err, errBackupsStopped) {
			t.Errorf("now after stop: %v, want errBackupsStopped", err)
		}

		// Restarted an hour after that backup: the next is due 23 h on.
		b, err = newBackups(st, dir, 24*time.Hour, 7)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
		go b.run(ctx)
		time.Sleep(23*time.Hour - time.Second)
		count(1, "a second before a day after the newest")
		time.Sleep(time.Second)
		count(2, "a day after the newest")
	})
}

// In a synctest bubble: "Back up now" while a run is writing waits for
// that run and answers with it; there is one snapshot, not two, and the
// two never overlap. A request after it makes a new one.
func TestBackupRunsAreSerialisedNotDuplicated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newTestStore(t)
		dir := t.TempDir()
		b, err := newBackups(st, dir, 24*time.Hour, 7)
		if err != nil {
			t.Fatal(err)
		}
		release := make(chan struct{})
		snapshots := 0
		b.snapshot = func(w io.Writer) (int64, error) {
			snapshots++ // only run calls it: a race here would fail -race
			<-release
			return st.writeBackup(w)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go b.run(ctx)

		type result struct {
			info backupInfo
			err  error
		}
		first, second := make(chan result, 1), make(chan result, 1)
		go func() { info, err := b.now(ctx); first <- result{info, err} }()
		synctest.Wait() // the first run is writing
		if !b.status().Running {
			t.Error("status does not say a backup is running")
		}
		go func() { info, err := b.now(ctx); second <- result{info, err} }()
		synctest.Wait() // the second request waits for it
		close(release)
		a, c := <-first, <-second
		if a.err != nil || c.err != nil || a.info != c.info {
			t.Errorf("results: %+v and %+v, want the same backup twice", a, c)
		}
		if snapshots != 1 {
			t.Errorf("%d snapshots for two requests during one run, want 1", snapshots)
		}
		time.Sleep(time.Second) // a new name
		if _, err := b.now(ctx); err != nil {
			t.Fatal(err)
		}
		if snapshots != 2 {
			t.Errorf("%d snapshots after a later request, want 2", snapshots)
		}
		if got := ownBackups(t, dir); len(got) != 2 {
			t.Errorf("backups = %v, want 2", got)
		}
	})
}

// backupStatus must read as PROTOCOL.md documents it.
func TestBackupStatusJSON(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	data, _ := json.Marshal(backupStatus{Enabled: true, Dir: "/mnt/usb", EverySeconds: 86400, Keep: 7, Next: &at,
		Last: &backupInfo{Path: "/mnt/usb/hearth-20250102-030405.db", Bytes: 1 << 20, Time: at}, Failure: &backupFailure{Time: at, Error: "no space left on device"}})
	want := `{"enabled":true,"dir":"/mnt/usb","every_seconds":86400,"keep":7,"running":false,"next":"2025-01-02T03:04:05Z",` +
		`"last":{"path":"/mnt/usb/hearth-20250102-030405.db","bytes":1048576,"time":"2025-01-02T03:04:05Z"},` +
		`"failure":{"time":"2025-01-02T03:04:05Z","error":"no space left on device"}}`
	if string(data) != want {
		t.Errorf("status JSON =\n%s\nwant\n%s", data, want)
	}
	if data, _ := json.Marshal((*backups)(nil).status()); string(data) != `{"enabled":false,"running":false}` {
		t.Errorf("off: %s", data)
	}
}
