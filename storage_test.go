// storage_test.go tests what happens when the disk is not on our side: a
// database file that is not one, truncated, corrupt or read-only; a write
// that fails under the committer; and a filesystem that fills up and then
// has room again. Each must end in a clear error, no panic, nothing lost or
// half-written, and the file as it was.

package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// goodDatabase writes a database with some history to path.
func goodDatabase(t *testing.T, path string) {
	t.Helper()
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []*appendRequest
	for i := range 3000 {
		reqs = append(reqs, &appendRequest{Msg: message{Room: "general", User: "ann", Body: strings.Repeat("x", 100) + fmt.Sprint(i)}})
	}
	if err := st.appendMessages(reqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(data)
}

// tmpfs mounts a small tmpfs on a new temp dir, or returns "" where the
// test environment does not permit it (not root, no CAP_SYS_ADMIN).
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("cannot mount a tmpfs here (%v: %s)", err, bytes.TrimSpace(out))
		return ""
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v: %s", dir, opts, err, out)
	}
}

func TestBadDatabaseFilesFailClearly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	goodDatabase(t, good)
	data, _ := os.ReadFile(good)

	type fileCase struct {
		name string
		path func(t *testing.T) string // prepares the file, returns the -db path
		want string                    // in the error
	}
	write := func(name string, content []byte) func(t *testing.T) string {
		return func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	flip := func(from, to int) []byte {
		b := bytes.Clone(data)
		for i := from; i < to; i++ {
			b[i] ^= 0x5a
		}
		return b
	}
	cases := []fileCase{
		{"not a bbolt file", write("notes.db", []byte("shopping list: milk, eggs, bread\n")), "not a Hearth database"},
		{"truncated to its meta pages", write("trunc.db", data[:8192+100]), "damaged"},
		{"truncated in half", write("half.db", data[:len(data)/2]), "damaged"},
		{"corrupt meta pages", write("meta.db", flip(0, 8192)), "damaged"},
		{"corrupt data pages", write("pages.db", flip(8192, len(data))), "damaged"},
		{"a directory", func(t *testing.T) string { return t.TempDir() }, "is a directory"},
		{"in a missing directory", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope", "h.db") }, "no such file or directory"},
		{"read-only file", func(t *testing.T) string {
			if os.Geteuid() != 0 {
				p := write("ro.db", data)(t)
				os.Chmod(p, 0o400)
				return p
			}
			mnt := tmpfs(t, "16m")
			if mnt == "" {
				t.Skip("root ignores file modes and no read-only mount is possible here")
			}
			p := filepath.Join(mnt, "ro.db")
			os.WriteFile(p, data, 0o600)
			remount(t, mnt, "ro")
			return p
		}, "read-only"},
		{"read-only directory", func(t *testing.T) string {
			if os.Geteuid() != 0 {
				d := t.TempDir()
				os.Chmod(d, 0o500)
				t.Cleanup(func() { os.Chmod(d, 0o700) })
				return filepath.Join(d, "new.db")
			}
			mnt := tmpfs(t, "1m")
			if mnt == "" {
				t.Skip("root ignores file modes and no read-only mount is possible here")
			}
			remount(t, mnt, "ro")
			return filepath.Join(mnt, "new.db")
		}, "read-only"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path(t)
			before := fileSum(t, path)
			for _, args := range [][]string{
				{"serve", "-addr", "127.0.0.1:0", "-db", path},
				{"user", "list", "-db", path},
			} {
				cmd := exec.Command(hearthBinary(t), args...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				done := make(chan error, 1)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					var exit *exec.ExitError
					if !errors.As(err, &exit) || exit.ExitCode() == 0 {
						t.Errorf("%s: exit %v, want a non-zero status", args[0], err)
					}
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					t.Fatalf("%s: still running after 10 s", args[0])
				}
				msg := stderr.String()
				if !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) {
					t.Errorf("%s: stderr %q, want the path and %q", args[0], msg, tc.want)
				}
				if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine ") {
					t.Errorf("%s: crashed: %s", args[0], msg)
				}
				if after := fileSum(t, path); after != before {
					t.Errorf("%s changed the file", args[0])
				}
			}
		})
	}
}

// failingAppender fails every commit while failing is set.
type failingAppender struct {
	messageAppender
	failing atomic.Bool
}

func (f *failingAppender) appendMessages(reqs []*appendRequest, now time.Time) error {
	if f.failing.Load() {
		return errors.New("simulated: no space left on device")
	}
	return f.messageAppender.appendMessages(reqs, now)
}

func TestFailedCommitIsReportedNotAcknowledged(t *testing.T) {
	var fa *failingAppender
	ts := newTestServer(t, nil)
	ts.stop()
	ts.wrapAppender = func(st *store) messageAppender {
		fa = &failingAppender{messageAppender: st}
		return fa
	}
	ts.start()
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa, sb := ann.dial(), bob.dial()
	sa.say("general", "before", "c-1")
	sa.ack("c-1")

	fa.failing.Store(true)
	sa.say("general", "during", "c-2")
	f := sa.expect(func(f wireFrame) bool { return f.ClientID == "c-2" })
	if f.Type != "error" || f.Code != "store_failed" {
		t.Fatalf("failed commit answered with %+v, want an error frame store_failed", f)
	}
	// Space returns; the server kept running and the resend is stored.
	fa.failing.Store(false)
	sa.say("general", "during", "c-2")
	if got := sa.ack("c-2"); got.ID != 2 {
		t.Errorf("resend stored as id %d, want 2 (nothing was stored by the failed commit)", got.ID)
	}
	// bob never saw anything uncommitted.
	var seen []string
	for len(seen) < 2 {
		f := sb.expect(func(f wireFrame) bool { return f.Type == "message" })
		seen = append(seen, f.ClientID)
	}
	if fmt.Sprint(seen) != "[c-1 c-2]" {
		t.Errorf("bob saw %v, want [c-1 c-2], each once", seen)
	}
}

func TestDiskFullThenSpaceReturns(t *testing.T) {
	mnt := tmpfs(t, "2m")
	if mnt == "" {
		t.Skip("needs a small tmpfs to fill; the simulated failure is covered by TestFailedCommitIsReportedNotAcknowledged")
	}
	ts := newTestServer(t, func(c *config) {
		c.DBPath = filepath.Join(mnt, "hearth.db")
		c.MsgBurst, c.MsgRate = 100000, 100000
		// No floor: this is bbolt failing to write, the last line of
		// defence; the floor that comes first is TestDiskLowAndFloorOnTmpfs.
		c.DiskFloor = 0
	})
	ann := ts.loggedIn("ann")
	s := ann.dial()
	body := strings.Repeat("lorem ipsum ", 340) // about 4 KB
	acked := map[string]uint64{}
	var failed string
	for i := 0; failed == "" && i < 2000; i++ {
		cid := fmt.Sprint("c-", i)
		s.say("general", body, cid)
		f := s.expect(func(f wireFrame) bool { return f.ClientID == cid })
		switch {
		case f.Type == "message":
			acked[cid] = f.ID
		case f.Type == "error" && f.Code == "store_failed":
			failed = cid
		default:
			t.Fatalf("unexpected answer %+v", f)
		}
	}
	if failed == "" {
		t.Fatal("the disk never filled")
	}
	t.Logf("disk full after %d messages", len(acked))

	remount(t, mnt, "size=64m")
	s.say("general", body, failed)
	got := s.ack(failed)
	if got.ID != uint64(len(acked)+1) {
		t.Errorf("after space returned, %s stored as id %d, want %d", failed, got.ID, len(acked)+1)
	}
	// The server restarts cleanly on that file, with everything acknowledged.
	ts.restart()
	msgs, err := ts.store().history("general", historyQuery{Forward: true, Limit: maxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var all []message
	for len(msgs) > 0 {
		all = append(all, msgs...)
		msgs, _ = ts.store().history("general", historyQuery{Forward: true, After: msgs[len(msgs)-1].ID, Limit: maxPageSize})
	}
	if len(all) != len(acked)+1 {
		t.Errorf("stored %d messages, want %d", len(all), len(acked)+1)
	}
	for i, m := range all {
		if m.ID != uint64(i+1) {
			t.Fatalf("ids %d at %d: want 1..n without gaps or repeats", m.ID, i)
		}
	}
}

// TestDiskLowAndFloorOnTmpfs is the disk watch (disk.go) on a real file
// system that fills up: uploads pause while free space is under the low
// mark and messages still go through; under the floor, sends are refused
// with the reason before bbolt runs out of space, and nothing is half
// written; when the file system grows, both come back by themselves within
// the watcher's interval.
func TestDiskLowAndFloorOnTmpfs(t *testing.T) {
	mnt := tmpfs(t, "16m")
	if mnt == "" {
		t.Skip("needs a small tmpfs to fill; the same logic with a simulated disk is TestDiskMarksOnAServer")
	}
	free0, err := freeDiskSpace(mnt)
	if err != nil {
		t.Fatal(err)
	}
	// Just above the floor, under the low mark from the start.
	floor, low := free0-2<<20, free0+1<<20
	const interval = 100 * time.Millisecond
	ts := newTestServer(t, func(c *config) {
		c.DBPath = filepath.Join(mnt, "hearth.db")
		c.MsgBurst, c.MsgRate = 100000, 100000
		c.DiskLow, c.DiskFloor, c.DiskCheck = low, floor, interval
	})
	admin := adminClient(t, ts)
	ann := ts.loggedIn("ann")
	s, sm := ann.dial(), admin.dial()
	if sm.hello.Notice == nil || sm.hello.Notice.Level != "warning" {
		t.Errorf("an admin's hello on a low disk has notice %+v, want a warning", sm.hello.Notice)
	}
	if status, body := uploadFile(t, ann, "general", "photo.png", tinyPNG); status != http.StatusInsufficientStorage || !strings.Contains(body, diskLowMessage) {
		t.Errorf("upload on a low disk: %d %s, want 507 with %q", status, body, diskLowMessage)
	}

	// Messages go through until the floor, then are refused with the
	// reason: never bbolt's own failure.
	body := strings.Repeat("lorem ipsum ", 340) // about 4 KB
	acked := 0
	var refused string
	for i := 0; refused == "" && i < 2000; i++ {
		cid := fmt.Sprint("c-", i)
		s.say("general", body, cid)
		f := s.expect(func(f wireFrame) bool { return f.ClientID == cid })
		switch {
		case f.Type == "message":
			acked++
		case f.Type == "error" && f.Code == "store_failed" && strings.Contains(f.Message, "the server's disk is full"):
			refused = cid
		default:
			t.Fatalf("answer to %s: %+v, want the message or store_failed saying the disk is full", cid, f)
		}
	}
	if refused == "" {
		t.Fatal("the floor was never reached")
	}
	if acked == 0 {
		t.Fatal("no message went through above the floor")
	}
	t.Logf("floor reached after %d messages", acked)
	if n := sm.expect(func(f wireFrame) bool { return f.Type == "notice" }); n.Level != "error" {
		t.Errorf("admin told %+v at the floor, want a disk error", n)
	}
	s.say("general", body, refused)
	if f := s.expect(func(f wireFrame) bool { return f.ClientID == refused }); f.Code != "store_failed" {
		t.Errorf("a resend under the floor answered %+v, want store_failed", f)
	}

	// The file system grows: the watcher sees it without being asked.
	remount(t, mnt, "size=64m")
	start := time.Now()
	eventually(t, 10*interval, "the watcher to see the space", func() bool { return ts.app.srv.disk.current().State == diskOK })
	t.Logf("recovered %v after the remount", time.Since(start).Round(time.Millisecond))
	if n := sm.expect(func(f wireFrame) bool { return f.Type == "notice" }); n.Level != "ok" {
		t.Errorf("admin told %+v when space came back, want ok", n)
	}
	s.say("general", body, refused)
	if got := s.ack(refused); got.ID != uint64(acked+1) {
		t.Errorf("after space came back, %s stored as id %d, want %d", refused, got.ID, acked+1)
	}
	if status, body := uploadFile(t, ann, "general", "photo.png", tinyPNG); status != http.StatusCreated {
		t.Errorf("upload after space came back: %d %s", status, body)
	}

	// Nothing half-written: the file checks out and holds exactly what was
	// acknowledged, ids without gaps.
	ts.stop()
	if err := checkBackup(ts.cfg.DBPath); err != nil {
		t.Fatal(err)
	}
	ts.start()
	msgs, err := ts.store().history("general", historyQuery{Forward: true, Limit: maxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var all []message
	for len(msgs) > 0 {
		all = append(all, msgs...)
		msgs, _ = ts.store().history("general", historyQuery{Forward: true, After: msgs[len(msgs)-1].ID, Limit: maxPageSize})
	}
	if len(all) != acked+2 { // and the upload's message
		t.Errorf("stored %d messages, want %d", len(all), acked+2)
	}
	for i, m := range all {
		if m.ID != uint64(i+1) {
			t.Fatalf("id %d at %d: want 1..n without gaps or repeats", m.ID, i)
		}
	}
}
