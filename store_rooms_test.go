// store_rooms_test.go tests room records in the store: a rename moves
// every record the room holds.

package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRenameRoomMovesEveryRecord renames a room and back: in between no
// key or value anywhere in the file names the old room (keys end with the
// room they index), and afterwards every record is what it was.
func TestRenameRoomMovesEveryRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rename.db")
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"attic", "cellar"} {
		if err := st.createRoom(room{Name: name, Private: true, Members: []string{"ann", "bob"}}); err != nil {
			t.Fatal(err)
		}
	}
	var last uint64
	for i := range 300 {
		last = appendOne(t, st, "attic", "ann", fmt.Sprintf("boxes of photos %d", i), fmt.Sprintf("c-%d", i)).Msg.ID
		appendOne(t, st, "cellar", "bob", "attic photos here too", fmt.Sprintf("c-%d", i))
	}
	a, err := st.putFile(attachment{Name: "box.png", Type: "image/png", Size: 3, Room: "attic"}, strings.NewReader("png"))
	if err != nil {
		t.Fatal(err)
	}
	a.Room = "" // as handleUpload does: the message says which room
	req := &appendRequest{Msg: message{Room: "attic", User: "ann", Body: "box.png", File: &a}}
	if err := st.appendMessages([]*appendRequest{req}, time.Now()); err != nil || req.Err != nil {
		t.Fatal(err, req.Err)
	}
	if _, err := st.setRead("bob", "attic", last); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before := dumpDB(t, path)

	rename := func(from, to string) {
		t.Helper()
		st, err := openStore(path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.renameRoom(from, to); err != nil {
			t.Fatalf("rename %s to %s: %v", from, to, err)
		}
		if _, err := st.renameRoom(to, "cellar"); !errors.Is(err, errRoomExists) {
			t.Errorf("rename onto cellar: %v", err)
		}
		if _, err := st.renameRoom(from, "elsewhere"); !errors.Is(err, errRoomNotFound) {
			t.Errorf("rename the old name again: %v", err)
		}
	}
	rename("attic", "loft")
	during := dumpDB(t, path)
	if len(during) != len(before) {
		t.Errorf("renamed: %d records, had %d", len(during), len(before))
	}
	for k, v := range during {
		key, _ := hex.DecodeString(k[strings.LastIndex(k, "/")+1:])
		value, _ := hex.DecodeString(v)
		if strings.Contains(k, "attic/") || bytes.HasSuffix(key, []byte("attic")) || bytes.Contains(value, []byte(`"attic"`)) {
			t.Errorf("still names attic: %s = %q", k, value)
		}
	}
	rename("loft", "attic")
	sameRecords(t, "renamed and back", before, dumpDB(t, path))
}
