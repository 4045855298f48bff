// disk_test.go tests the disk watch of disk.go with a free-space function
// the test controls: the states and their marks, one notice per change,
// and a real server that pauses uploads, refuses messages and recovers by
// itself as the free space moves. It also checks the compaction estimate
// of the admin facts against what hearth compact gives back. The same
// behaviour on a real, full file system is TestDiskLowAndFloorOnTmpfs
// (storage_test.go).

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNextDiskState(t *testing.T) {
	const low, floor = 1600, 160 // exits: low+100, floor+10
	cases := []struct {
		prev diskState
		free int64
		want diskState
	}{
		{diskUnknown, 5000, diskOK},
		{diskUnknown, 1599, diskLow},
		{diskUnknown, 159, diskFull},
		{diskOK, 1600, diskOK},
		{diskOK, 1599, diskLow},
		{diskOK, 100, diskFull},
		{diskLow, 1600, diskLow}, // must clear the mark by a sixteenth
		{diskLow, 1699, diskLow},
		{diskLow, 1700, diskOK},
		{diskLow, 160, diskLow},
		{diskLow, 159, diskFull},
		{diskFull, 160, diskFull}, // must clear the floor by a sixteenth
		{diskFull, 169, diskFull},
		{diskFull, 170, diskLow},
		{diskFull, 1650, diskLow},
		{diskFull, 1700, diskOK},
		{diskFull, 0, diskFull},
	}
	for _, tc := range cases {
		if got := nextDiskState(tc.prev, tc.free, low, floor); got != tc.want {
			t.Errorf("from %s with %d free: %s, want %s", tc.prev, tc.free, got, tc.want)
		}
	}
}

// fakeDisk is a free-space function whose answer the test sets.
type fakeDisk struct {
	free atomic.Int64
	fail atomic.Bool
}

func (f *fakeDisk) freeSpace(dir string) (int64, error) {
	if f.fail.Load() {
		return 0, errors.New("simulated: statfs failed")
	}
	return f.free.Load(), nil
}

func TestDiskWatchTellsEachChangeOnce(t *testing.T) {
	var fd fakeDisk
	var mu sync.Mutex
	var told []string
	d := newDiskWatch(t.TempDir(), 1000, 100, fd.freeSpace, func(n noticeFrame) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, n.Level)
		if n.Type != "notice" || n.Kind != "disk" || (n.Level != "ok") != (n.Message != "") {
			t.Errorf("notice %+v: want type notice, kind disk, a message unless ok", n)
		}
	})
	if got := d.current(); got.State != diskUnknown || got.Free != -1 {
		t.Errorf("before any check: %+v, want unknown, -1", got)
	}
	steps := []struct {
		free int64
		fail bool
		want diskState
	}{
		{5000, false, diskOK}, // the first reading, fine: nothing to tell
		{5000, false, diskOK},
		{999, false, diskLow},
		{990, false, diskLow},
		{50, false, diskFull},
		{40, false, diskFull},
		{5000, false, diskOK},
		{0, true, diskUnknown}, // unreadable: nothing is refused
		{0, true, diskUnknown},
		{50, false, diskFull},
	}
	for i, s := range steps {
		fd.free.Store(s.free)
		fd.fail.Store(s.fail)
		r := d.check()
		if r.State != s.want {
			t.Errorf("step %d (%d free): %s, want %s", i, s.free, r.State, s.want)
		}
		if s.fail && r.Free != -1 {
			t.Errorf("step %d: an unreadable disk reads %d free, want -1", i, r.Free)
		}
		if d.current() != r {
			t.Errorf("step %d: current %+v, want the last reading %+v", i, d.current(), r)
		}
	}
	if want := "[warning error ok ok error]"; fmt.Sprint(told) != want {
		t.Errorf("admins were told %v, want %s: one notice per change", told, want)
	}
	if diskUnknown.pausesUploads() || diskOK.pausesUploads() || !diskLow.pausesUploads() || !diskFull.pausesUploads() {
		t.Error("uploads pause when low or full, and only then")
	}

	// A server that starts on a full disk tells at once.
	told = nil
	d = newDiskWatch(t.TempDir(), 1000, 100, fd.freeSpace, func(n noticeFrame) { told = append(told, n.Level) })
	d.check()
	if fmt.Sprint(told) != "[error]" {
		t.Errorf("first reading below the floor told %v, want [error]", told)
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"268435456": 268435456, "256MiB": 256 << 20, "256M": 256 << 20, "256 mb": 256 << 20,
		"1.5G": 3 << 29, "2GiB": 2 << 30, "512KiB": 512 << 10, "0": 0, "100B": 100,
	} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1G", "12X", "9999999999T"} {
		if _, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q): no error", in)
		}
	}
	for n, want := range map[int64]string{100: "100 bytes", 32 << 20: "32 MiB", 3 << 29: "1.5 GiB", 1536: "1.5 KiB"} {
		if got := byteSize64(n); got != want {
			t.Errorf("byteSize64(%d) = %q, want %q", n, got, want)
		}
	}
	if got := defaultDiskLow(25 << 20); got != 256<<20 {
		t.Errorf("default low mark for 25 MiB uploads: %d, want 256 MiB", got)
	}
	if got := defaultDiskLow(1 << 30); got != 2<<30 {
		t.Errorf("default low mark for 1 GiB uploads: %d, want 2 GiB", got)
	}
}

func TestServeRefusesDiskMarksInTheWrongOrder(t *testing.T) {
	err := run([]string{"serve", "-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "h.db"), "-disk-low", "16MiB", "-disk-floor", "32MiB"}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-disk-low (16 MiB) must be above -disk-floor (32 MiB)") {
		t.Errorf("serve with the low mark under the floor: %v", err)
	}
	err = run([]string{"serve", "-db", filepath.Join(t.TempDir(), "h.db"), "-disk-low", "plenty"}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not a size") {
		t.Errorf("serve with -disk-low plenty: %v", err)
	}
}

// uploadFile posts data as a file and returns the status and the answer.
func uploadFile(t *testing.T, c *client, room, name string, data []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", c.ts.URL+"/api/rooms/"+room+"/files?name="+name, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func TestDiskMarksOnAServer(t *testing.T) {
	const low, floor = 64 << 20, 8 << 20
	var fd fakeDisk
	fd.free.Store(1 << 30)
	ts := newTestServer(t, func(c *config) {
		c.DiskLow, c.DiskFloor, c.FreeSpace = low, floor, fd.freeSpace
		c.DiskCheck = 20 * time.Millisecond
		c.MsgBurst, c.MsgRate = 1000, 1000
	})
	admin := adminClient(t, ts)
	ann := ts.loggedIn("ann")
	sa, sm := ann.dial(), admin.dial()
	if sm.hello.Notice != nil || sa.hello.Notice != nil {
		t.Fatalf("hello carries a notice with the disk fine: %+v", sm.hello.Notice)
	}
	sa.say("general", "before", "c-1")
	first := sa.ack("c-1")

	// Low: uploads are paused, with the reason, and admins are told; chat goes on.
	fd.free.Store(low - 1)
	if status, body := uploadFile(t, ann, "general", "a.txt", []byte("hello")); status != http.StatusInsufficientStorage || !strings.Contains(body, diskLowMessage) {
		t.Errorf("upload on a low disk: %d %s, want 507 and %q", status, body, diskLowMessage)
	}
	n := sm.expect(func(f wireFrame) bool { return f.Type == "notice" })
	if n.Kind != "disk" || n.Level != "warning" || !strings.Contains(n.Message, "uploads are paused") {
		t.Errorf("admin told %+v, want a disk warning that uploads are paused", n)
	}
	if late := admin.dial(); late.hello.Notice == nil || late.hello.Notice.Level != "warning" {
		t.Errorf("an admin connecting now has notice %+v in the hello, want the warning", late.hello.Notice)
	}
	if ann.dial().hello.Notice != nil {
		t.Error("a non-admin's hello carries the notice")
	}
	sa.say("general", "still chatting", "c-2")
	sa.ack("c-2")

	// Below the floor: sends, edits and reactions are refused with the
	// reason and nothing stored; a delete still goes through.
	fd.free.Store(floor - 1)
	sa.say("general", "lost?", "c-3")
	f := sa.expect(func(f wireFrame) bool { return f.ClientID == "c-3" })
	if f.Type != "error" || f.Code != "store_failed" || !strings.Contains(f.Message, "the server's disk is full") {
		t.Errorf("send below the floor answered %+v, want store_failed saying the disk is full", f)
	}
	sa.send(map[string]any{"type": "edit", "room": "general", "id": first.ID, "body": "edited", "client_id": "e-1"})
	if f := sa.expect(func(f wireFrame) bool { return f.ClientID == "e-1" }); f.Code != "store_failed" {
		t.Errorf("edit below the floor answered %+v, want store_failed", f)
	}
	n = sm.expect(func(f wireFrame) bool { return f.Type == "notice" })
	if n.Level != "error" || !strings.Contains(n.Message, "new messages are refused") {
		t.Errorf("admin told %+v, want a disk error that messages are refused", n)
	}
	if status, body := admin.do("POST", "/api/rooms", map[string]any{"name": "attic"}, nil); status != http.StatusInsufficientStorage || !strings.Contains(body, "disk is full") {
		t.Errorf("creating a room below the floor: %d %s, want 507", status, body)
	}
	st := ts.store()
	sa.send(map[string]any{"type": "delete", "room": "general", "id": first.ID, "client_id": "d-1"})
	if f := sa.expect(func(f wireFrame) bool { return f.Type == "update" || f.ClientID == "d-1" }); f.Type != "update" || !f.Deleted {
		t.Errorf("delete below the floor answered %+v, want the update of a deleted message", f)
	}
	msgs, err := st.history("general", historyQuery{Forward: true, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].Body != "still chatting" {
		t.Errorf("stored %+v, want the two messages sent before the floor and nothing after", msgs)
	}

	// Space returns: the watcher notices by itself, without a send to
	// trigger it, and both kinds of refusal end.
	fd.free.Store(1 << 30)
	n = sm.expect(func(f wireFrame) bool { return f.Type == "notice" })
	if n.Level != "ok" {
		t.Errorf("admin told %+v when space came back, want level ok", n)
	}
	sa.say("general", "lost?", "c-3")
	if got := sa.ack("c-3"); got.ID != 3 {
		t.Errorf("resend stored as id %d, want 3", got.ID)
	}
	if status, body := uploadFile(t, ann, "general", "a.txt", []byte("hello")); status != http.StatusCreated {
		t.Errorf("upload after space came back: %d %s", status, body)
	}
	if admin.dial().hello.Notice != nil {
		t.Error("the notice is still in an admin's hello after space came back")
	}

	var facts struct {
		Disk struct {
			State      string `json:"state"`
			FreeBytes  *int64 `json:"free_bytes"`
			LowBytes   int64  `json:"low_bytes"`
			FloorBytes int64  `json:"floor_bytes"`
		} `json:"disk"`
		Reclaimable *int64 `json:"reclaimable_bytes"`
		Compact     string `json:"compact_command"`
	}
	if status, body := admin.do("GET", "/api/admin/facts", nil, &facts); status != http.StatusOK {
		t.Fatalf("facts: %d %s", status, body)
	}
	abs, _ := filepath.Abs(ts.cfg.DBPath)
	if facts.Disk.State != "ok" || facts.Disk.FreeBytes == nil || *facts.Disk.FreeBytes != 1<<30 || facts.Disk.LowBytes != low || facts.Disk.FloorBytes != floor ||
		facts.Reclaimable == nil || facts.Compact != "hearth compact -db "+abs {
		t.Errorf("facts %+v, want the disk ok with 1 GiB free, the marks, an estimate and the command for %s", facts, abs)
	}

	// Unreadable: nothing is refused for lack of space.
	fd.fail.Store(true)
	eventually(t, 5*time.Second, "the watcher to read an unknown state", func() bool { return ts.app.srv.disk.current().State == diskUnknown })
	sa.say("general", "blind", "c-4")
	sa.ack("c-4")
	admin.do("GET", "/api/admin/facts", nil, &facts)
	if facts.Disk.State != "unknown" || facts.Disk.FreeBytes != nil {
		t.Errorf("facts on an unreadable disk: %+v, want unknown and free_bytes null", facts.Disk)
	}
}

func TestCompactEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a database of some megabytes")
	}
	path := filepath.Join(t.TempDir(), "h.db")
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.createRoom(room{Name: "attic", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	fresh := st.reclaimable()
	for i := range 10 {
		var reqs []*appendRequest
		for j := range 500 {
			room := "attic"
			if j%10 == 0 {
				room = "general"
			}
			reqs = append(reqs, &appendRequest{Msg: message{Room: room, User: "ann", Body: strings.Repeat("all work and no play ", 40) + fmt.Sprint(i, j)}})
		}
		if err := st.appendMessages(reqs, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.commitAlone(&appendRequest{Op: opDeleteRoom, Msg: message{Room: "attic", User: "ann"}}, "delete attic"); err != nil {
		t.Fatal(err)
	}
	estimate := st.reclaimable()
	st.Close()
	// As an admin would see it after a restart: bbolt counts its free
	// pages again at open.
	st, err = openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if again := st.reclaimable(); again != estimate {
		t.Errorf("estimate %d after reopening, %d before", again, estimate)
	}
	st.Close()
	before, _ := os.Stat(path)
	if err := run([]string{"compact", "-db", path}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	reclaimed := before.Size() - after.Size()
	t.Logf("file %d bytes, estimate %d (fresh database: %d), compact reclaimed %d", before.Size(), estimate, fresh, reclaimed)
	if estimate < before.Size()/2 {
		t.Errorf("estimate %d of a %d-byte file after deleting nine tenths of it", estimate, before.Size())
	}
	// bbolt allocates files in powers of two up to 16 MiB: the compacted
	// file may keep a tail of its own, so "about" is within a quarter.
	if diff := reclaimed - estimate; diff > estimate/4 || -diff > estimate/4 {
		t.Errorf("compact reclaimed %d bytes, estimate %d: want within a quarter", reclaimed, estimate)
	}
}

func TestCompactCommandFor(t *testing.T) {
	for path, want := range map[string]string{
		"/var/lib/hearth/hearth.db":   "hearth compact -db /var/lib/hearth/hearth.db",
		"/srv/our house/hearth.db":    "hearth compact -db '/srv/our house/hearth.db'",
		"/srv/mum's/hearth.db":        `hearth compact -db '/srv/mum'\''s/hearth.db'`,
		"/srv/$HOME;rm -rf/hearth.db": "hearth compact -db '/srv/$HOME;rm -rf/hearth.db'",
	} {
		if got := compactCommandFor(path); got != want {
			t.Errorf("compactCommandFor(%q) = %s, want %s", path, got, want)
		}
	}
	wd, _ := os.Getwd()
	if got, want := compactCommandFor("hearth.db"), "hearth compact -db "+filepath.Join(wd, "hearth.db"); got != want {
		t.Errorf("relative path: %s, want %s", got, want)
	}
}
