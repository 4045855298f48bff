// store_format_test.go tests database formats: a file from before formats
// were recorded is migrated (with a copy kept first), a file from a newer
// Hearth is refused by the server and every command without a byte
// changing, and a migration that fails leaves the file as it was.

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// formatZeroDatabase copies the golden format-0 database into a temp dir.
func formatZeroDatabase(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/golden/format-0.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hearth.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// setFormatOf writes format n into the file at path, as a release of that
// format would have.
func setFormatOf(t *testing.T, path string, n int) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyFormat, []byte(strconv.Itoa(n)))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsMatchTheFormat(t *testing.T) {
	if len(migrations) != databaseFormat {
		t.Fatalf("%d migrations for format %d", len(migrations), databaseFormat)
	}
	for i, m := range migrations {
		if m.to != i+1 {
			t.Errorf("migrations[%d] goes to format %d, want %d", i, m.to, i+1)
		}
	}
}

func TestFormatZeroIsMigrated(t *testing.T) {
	path := formatZeroDatabase(t)
	// An older release deleted a revoked bot's record, leaving only its
	// messages: "sprinkler" posted, then was revoked.
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &store{db: db, path: path}
	if err := st.loadRooms(); err != nil {
		t.Fatal(err)
	}
	req := &appendRequest{Bot: true, BotRoom: st.rooms["general"].Created, Msg: message{Room: "general", User: "sprinkler", Body: "The lawn is watered"}}
	if err := st.appendMessages([]*appendRequest{req}, time.Now()); err != nil || req.Err != nil {
		t.Fatal(err, req.Err)
	}
	db.Close()
	before, _ := os.ReadFile(path)

	st, err = openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, _ := formatOf(st.db); got != databaseFormat {
		t.Errorf("format after opening = %d, want %d", got, databaseFormat)
	}
	kept, err := os.ReadFile(path + ".before-format-0")
	if err != nil {
		t.Fatalf("no copy kept before migrating: %v", err)
	}
	if len(kept) == 0 || !bytes.Equal(dumpStore(t, path+".before-format-0"), dumpBytes(t, before)) {
		t.Error("the copy kept before migrating does not hold what the file held")
	}
	// Migration 1: the revoked bot's name is reserved, the live bot's kept.
	if u, _ := newUser("sprinkler", "long enough", false); st.createUser(u) == nil {
		t.Error("a person could take the name of a bot revoked before format 1")
	}
	bots, _ := st.listBots()
	if len(bots) != 1 || bots[0].Name != "washer" {
		t.Errorf("live bots after the migration: %+v", bots)
	}
	// Running the migration again changes nothing.
	count := func() int {
		n := 0
		st.db.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bucketBots).Stats().KeyN; return nil })
		return n
	}
	n := count()
	if err := st.db.Update(reserveOldBotNamesTx); err != nil || count() != n {
		t.Errorf("migration 1 run twice: %v, %d bot records, want %d", err, count(), n)
	}
}

func TestNewDatabaseRecordsItsFormat(t *testing.T) {
	st := newTestStore(t)
	if got, _ := formatOf(st.db); got != databaseFormat {
		t.Errorf("a new database has format %d, want %d", got, databaseFormat)
	}
	if _, err := os.Stat(st.path + ".before-format-0"); err == nil {
		t.Error("a new database was \"migrated\"")
	}
}

// A file from a newer Hearth is refused, by the server and by every command
// that reads it, with both formats named, and not one byte changes.
func TestNewerFormatIsRefused(t *testing.T) {
	path := formatZeroDatabase(t)
	setFormatOf(t, path, databaseFormat+6)
	before, _ := os.ReadFile(path)
	out := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{
		{"serve", "-addr", "127.0.0.1:0", "-db", path, "-mdns=false"},
		{"user", "list", "-db", path},
		{"user", "add", "-db", path, "gramps"},
		{"backup", "-db", path, out},
		{"export", "-db", path},
		{"export", "-db", path, "-html", out + "-html"},
		{"compact", "-db", path},
		{"restore", "-db", filepath.Join(t.TempDir(), "restored.db"), path},
	} {
		t.Run(args[0]+" "+args[1], func(t *testing.T) {
			output, err := runCLI(t, "a long password\n", args...)
			if !errors.Is(err, errNewerFormat) && (err == nil || !strings.Contains(err.Error(), "newer Hearth")) {
				t.Fatalf("err = %v (output %q), want the newer-format refusal", err, output)
			}
			msg := err.Error()
			for _, want := range []string{"format " + strconv.Itoa(databaseFormat+6), "up to format " + strconv.Itoa(databaseFormat), "install the newer release or restore a backup"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatal("the newer file changed")
			}
		})
	}
	if matches, _ := filepath.Glob(path + ".*"); len(matches) != 0 {
		t.Errorf("files made beside the refused database: %v", matches)
	}
}

// A migration that fails leaves the file as it was: one that fails inside
// its transaction writes nothing; one that fails after earlier migrations
// committed has the copy put back.
func TestFailedMigrationLeavesTheFileAsItWas(t *testing.T) {
	defer func(old []migration) { migrations = old }(migrations)
	failing := migration{2, "injected failure", func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put([]byte("half"), []byte("way")); err != nil {
			return err
		}
		return errors.New("injected failure halfway")
	}}
	for _, tc := range []struct {
		name string
		list []migration
	}{
		{"the first fails", []migration{{1, failing.what, failing.run}}},
		{"the second fails after the first committed", []migration{migrations[0], failing}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			migrations = tc.list
			path := formatZeroDatabase(t)
			before, _ := os.ReadFile(path)
			_, err := openStore(path)
			if err == nil || !strings.Contains(err.Error(), "injected failure halfway") || !strings.Contains(err.Error(), "as it was") {
				t.Fatalf("err = %v, want the migration's failure, saying the file is as it was", err)
			}
			if !bytes.Equal(dumpStore(t, path), dumpBytes(t, before)) {
				t.Error("the file's records changed")
			}
			migrations = tc.list[:0]
		})
	}
}

// dumpStore lists every key and value of the database at path.
func dumpStore(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dumpBytes(t, data)
}

// dumpBytes lists every key and value of a database file's contents.
func dumpBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dump.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out bytes.Buffer
	var walk func(prefix string, b *bbolt.Bucket)
	walk = func(prefix string, b *bbolt.Bucket) {
		var keys []string
		b.ForEach(func(k, v []byte) error {
			if v == nil {
				walk(prefix+string(k)+"/", b.Bucket(k))
				return nil
			}
			keys = append(keys, prefix+string(k)+"="+string(v))
			return nil
		})
		slices.Sort(keys)
		for _, k := range keys {
			out.WriteString(k + "\n")
		}
	}
	db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error { walk(string(name)+"/", b); return nil })
	})
	return out.Bytes()
}

// TestFormatFourMigration: migration 4 gives a format-3 database the
// buckets of chunked files, uploads, thumbnails and profile pictures, and
// names who shared each file already stored (whose bytes stay in blobs);
// run again, it changes nothing.
func TestFormatFourMigration(t *testing.T) {
	data, err := os.ReadFile("testdata/golden/format-3.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hearth.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := formatOf(st.db); got != 4 {
		t.Errorf("format = %d, want 4", got)
	}
	st.db.View(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketChunks, bucketUploads, bucketThumbs, bucketAvatars} {
			if tx.Bucket(name) == nil {
				t.Errorf("no %s bucket after migration 4", name)
			}
		}
		return nil
	})
	files, err := listJSON[attachment](st, bucketFiles, "file")
	if err != nil || len(files) == 0 {
		t.Fatalf("files: %v %v", files, err)
	}
	for _, a := range files {
		if a.User == "" || a.Chunks != 0 {
			t.Errorf("file %+v after migration 4: want its sharer named, its bytes still in blobs", a)
		}
	}
	st.Close()

	before := dumpStore(t, path)
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(migrations[3].run); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if !bytes.Equal(dumpStore(t, path), before) {
		t.Error("migration 4 run again changed the database")
	}
}
