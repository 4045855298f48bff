// backup_test.go tests hot backups, the backup, restore and compact
// commands, and that a restore round trip keeps every record.

package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// dumpDB lists every record of a database file: bucket path and key, to
// the value in hex.
func dumpDB(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := openDB(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]string{}
	var walk func(prefix string, b *bbolt.Bucket)
	walk = func(prefix string, b *bbolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			if v == nil && b.Bucket(k) != nil {
				walk(prefix+string(k)+"/", b.Bucket(k))
				return nil
			}
			out[prefix+hex.EncodeToString(k)] = hex.EncodeToString(v)
			return nil
		})
	}
	db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			walk(string(name)+"/", b)
			return nil
		})
	})
	return out
}

func sameRecords(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d records, want %d", what, len(b), len(a))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s: record %s differs", what, k)
			return
		}
	}
}

func TestHotBackupAndRestoreRoundTrip(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	admin := ts.newClient()
	admin.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	kid := ts.loggedIn("kid")
	s := kid.dial()
	for _, body := range []string{"one", "two", "three"} {
		s.say("general", body, "c-"+body)
		s.ack("c-" + body)
	}
	kid.do("POST", "/api/dms", map[string]string{"user": "mum"}, nil)
	upload(t, kid, "general", "cat.png", tinyPNG)

	if status, _ := kid.do("GET", "/api/admin/backup", nil, nil); status != http.StatusForbidden {
		t.Errorf("non-admin backup: %d", status)
	}
	// Over the command line, against the running server (its login is the
	// last write before the hot backup below).
	viaCLI := filepath.Join(t.TempDir(), "cli.db")
	if out, err := runCLI(t, "password-mum\n", "backup", "-url", ts.URL, "-user", "mum", viaCLI); err != nil {
		t.Fatalf("backup -url: %v %s", err, out)
	}
	// The hot backup, over HTTP while serving.
	resp, err := admin.http.Get(ts.URL + "/api/admin/backup")
	if err != nil {
		t.Fatal(err)
	}
	hot := filepath.Join(t.TempDir(), "hot.db")
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || int64(len(data)) != resp.ContentLength || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("backup: %d, %d bytes of %d", resp.StatusCode, len(data), resp.ContentLength)
	}
	os.WriteFile(hot, data, 0o600)
	if err := checkBackup(hot); err != nil {
		t.Fatalf("hot backup does not check: %v", err)
	}
	// With the server running, the offline commands refuse the file.
	if _, err := runCLI(t, "", "backup", "-db", ts.cfg.DBPath, filepath.Join(t.TempDir(), "x.db")); !errors.Is(err, errDatabaseInUse) {
		t.Errorf("offline backup of a held database: %v", err)
	}
	if _, err := runCLI(t, "", "restore", "-db", ts.cfg.DBPath, hot); !errors.Is(err, errDatabaseInUse) {
		t.Errorf("restore over a held database: %v", err)
	}
	ts.stop()

	live := dumpDB(t, ts.cfg.DBPath)
	// The audit log records each download after writing it: leave it out.
	audits := 0
	for k := range live {
		if strings.HasPrefix(k, "audit/") {
			delete(live, k)
			audits++
		}
	}
	if audits != 2 {
		t.Errorf("%d audit entries, want one per downloaded backup", audits)
	}
	withoutAudit := func(m map[string]string) map[string]string {
		for k := range m {
			if strings.HasPrefix(k, "audit/") {
				delete(m, k)
			}
		}
		return m
	}
	sameRecords(t, "hot backup", live, withoutAudit(dumpDB(t, hot)))
	sameRecords(t, "backup -url", live, withoutAudit(dumpDB(t, viaCLI)))
	offline := filepath.Join(t.TempDir(), "offline.db")
	if out, err := runCLI(t, "", "backup", "-db", ts.cfg.DBPath, offline); err != nil {
		t.Fatalf("backup -db: %v %s", err, out)
	}
	sameRecords(t, "backup -db", live, withoutAudit(dumpDB(t, offline)))

	// Restore into a fresh path, and over an existing database.
	fresh := filepath.Join(t.TempDir(), "restored.db")
	if out, err := runCLI(t, "", "restore", "-db", fresh, hot); err != nil {
		t.Fatalf("restore: %v %s", err, out)
	}
	sameRecords(t, "restored", live, withoutAudit(dumpDB(t, fresh)))
	other := filepath.Join(t.TempDir(), "other.db")
	goodDatabase(t, other)
	before, _ := os.ReadFile(other)
	if _, err := runCLI(t, "", "restore", "-db", other, hot); err != nil {
		t.Fatal(err)
	}
	sameRecords(t, "restored over", live, withoutAudit(dumpDB(t, other)))
	if kept, _ := os.ReadFile(other + ".before-restore"); !bytes.Equal(kept, before) {
		t.Error("the replaced database was not kept beside it")
	}

	// A server on the restored file: logins, history and files are there.
	ts.cfg.DBPath = fresh
	ts.start()
	var page struct{ Messages []message }
	if status, _ := kid.do("GET", "/api/rooms/general/messages", nil, &page); status != 200 || len(page.Messages) != 4 {
		t.Errorf("history on the restored database: %d, %d messages", status, len(page.Messages))
	}
}

func TestRestoreChecksTheBackupFirst(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "hearth.db")
	goodDatabase(t, target)
	before := fileSum(t, target)
	bad := map[string][]byte{
		"not a database": []byte("hello"),
		"truncated":      func() []byte { d, _ := os.ReadFile(target); return d[:len(d)/2] }(),
	}
	// A bbolt file that is not Hearth's.
	foreign := filepath.Join(dir, "foreign.db")
	db, _ := bbolt.Open(foreign, 0o600, nil)
	db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("something-else")); return err })
	db.Close()
	bad["another program's bbolt file"], _ = os.ReadFile(foreign)
	for name, data := range bad {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "backup.db")
			os.WriteFile(p, data, 0o600)
			if out, err := runCLI(t, "", "restore", "-db", target, p); err == nil || !strings.Contains(err.Error(), "nothing was replaced") {
				t.Errorf("restore of %s: %v %s", name, err, out)
			}
			if fileSum(t, target) != before {
				t.Error("the database was changed")
			}
		})
	}
}

func TestCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	goodDatabase(t, path)
	st, _ := openStore(path)
	// Deleting history leaves free pages for compact to drop.
	var reqs []*appendRequest
	for id := uint64(1); id <= 2000; id++ {
		reqs = append(reqs, &appendRequest{Op: opDelete, Msg: message{Room: "general", ID: id, User: "ann"}})
	}
	if err := st.appendMessages(reqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	records := dumpDB(t, path)
	before, _ := os.Stat(path)
	out, err := runCLI(t, "", "compact", "-db", path)
	if err != nil {
		t.Fatalf("compact: %v %s", err, out)
	}
	after, _ := os.Stat(path)
	if after.Size() >= before.Size() {
		t.Errorf("compact: %d → %d bytes", before.Size(), after.Size())
	}
	sameRecords(t, "compacted", records, dumpDB(t, path))
	t.Logf("%s", strings.TrimSpace(out))
}
