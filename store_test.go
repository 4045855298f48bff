// store_test.go tests the bbolt layer on real files: ids, client_id
// dedup, history pages, sessions, invites and keys across reopen.

package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func appendOne(t *testing.T, st *store, roomName, userName, body, clientID string) appendRequest {
	t.Helper()
	req := &appendRequest{Msg: message{Room: roomName, User: userName, Body: body, ClientID: clientID}}
	if err := st.appendMessages([]*appendRequest{req}, time.Now()); err != nil {
		t.Fatalf("appendMessages: %v", err)
	}
	return *req
}

func TestAppendAssignsIncreasingIDsPerRoom(t *testing.T) {
	st := newTestStore(t)
	if err := st.createRoom(room{Name: "kitchen"}); err != nil {
		t.Fatal(err)
	}
	var reqs []*appendRequest
	for i := range 10 {
		roomName := []string{"general", "kitchen"}[i%2]
		reqs = append(reqs, &appendRequest{Msg: message{Room: roomName, User: "ann", Body: fmt.Sprint(i)}})
	}
	if err := st.appendMessages(reqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	last := map[string]uint64{}
	for _, r := range reqs {
		if r.Err != nil || r.Dup {
			t.Fatalf("request %q: err=%v dup=%v", r.Msg.Body, r.Err, r.Dup)
		}
		if r.Msg.ID <= last[r.Msg.Room] {
			t.Errorf("room %s: id %d after %d, want strictly increasing", r.Msg.Room, r.Msg.ID, last[r.Msg.Room])
		}
		last[r.Msg.Room] = r.Msg.ID
		if r.Msg.TS.IsZero() || r.Msg.TS.Location() != time.UTC {
			t.Errorf("ts = %v, want a UTC time", r.Msg.TS)
		}
	}
	if last["general"] != 5 || last["kitchen"] != 5 {
		t.Errorf("last ids = %v, want 5 in each room (ids are per room)", last)
	}
}

func TestAppendDeduplicatesClientID(t *testing.T) {
	st := newTestStore(t)
	first := appendOne(t, st, "general", "ann", "hello", "c-1")
	again := appendOne(t, st, "general", "ann", "hello (resent)", "c-1")
	if !again.Dup || again.Msg.ID != first.Msg.ID || again.Msg.Body != "hello" {
		t.Fatalf("resend = %+v, want the stored message %d marked Dup", again, first.Msg.ID)
	}
	// The same client_id from another user, or in another room, is new.
	other := appendOne(t, st, "general", "bob", "hi", "c-1")
	if other.Dup || other.Msg.ID == first.Msg.ID {
		t.Errorf("another user's c-1 was treated as a duplicate: %+v", other)
	}
	// Within one batch, the second copy is a duplicate of the first.
	a := &appendRequest{Msg: message{Room: "general", User: "cy", Body: "x", ClientID: "c-9"}}
	b := &appendRequest{Msg: message{Room: "general", User: "cy", Body: "x", ClientID: "c-9"}}
	if err := st.appendMessages([]*appendRequest{a, b}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if a.Dup || !b.Dup || a.Msg.ID != b.Msg.ID {
		t.Errorf("in-batch duplicate: a=%+v b=%+v", a, b)
	}
	msgs, err := st.history("general", historyQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 {
		t.Errorf("history has %d messages, want 3 (nothing stored twice)", len(msgs))
	}
}

func TestAppendUnknownRoomRefusesOnlyThatRequest(t *testing.T) {
	st := newTestStore(t)
	bad := &appendRequest{Msg: message{Room: "nowhere", User: "ann", Body: "x"}}
	good := &appendRequest{Msg: message{Room: "general", User: "ann", Body: "y"}}
	if err := st.appendMessages([]*appendRequest{bad, good}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(bad.Err, errRoomNotFound) {
		t.Errorf("bad.Err = %v, want errRoomNotFound", bad.Err)
	}
	if good.Err != nil || good.Msg.ID != 1 {
		t.Errorf("good = %+v, want stored with id 1", good)
	}
}

func TestHistoryPages(t *testing.T) {
	st := newTestStore(t)
	reqs := make([]*appendRequest, 120)
	for i := range reqs {
		reqs[i] = &appendRequest{Msg: message{Room: "general", User: "ann", Body: fmt.Sprint(i + 1)}}
	}
	if err := st.appendMessages(reqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		q        historyQuery
		from, to uint64 // expected ids, inclusive; 0,0 for none
	}{
		{"latest", historyQuery{Limit: 50}, 71, 120},
		{"before", historyQuery{Before: 71, Limit: 50}, 21, 70},
		{"before near start", historyQuery{Before: 21, Limit: 50}, 1, 20},
		{"before first", historyQuery{Before: 1, Limit: 50}, 0, 0},
		{"before past end", historyQuery{Before: 1000, Limit: 10}, 111, 120},
		{"after zero", historyQuery{Forward: true, After: 0, Limit: 50}, 1, 50},
		{"after", historyQuery{Forward: true, After: 100, Limit: 50}, 101, 120},
		{"after last", historyQuery{Forward: true, After: 120, Limit: 50}, 0, 0},
		{"limit one", historyQuery{Limit: 1}, 120, 120},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := st.history("general", tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var want []uint64
			for id := tc.from; tc.from != 0 && id <= tc.to; id++ {
				want = append(want, id)
			}
			var got []uint64
			for _, m := range msgs {
				got = append(got, m.ID)
				if m.Body != fmt.Sprint(m.ID) || m.Room != "general" || m.Type != "message" {
					t.Errorf("message %d = %+v", m.ID, m)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ids = %v, want %v", got, want)
			}
		})
	}
	if _, err := st.history("nowhere", historyQuery{Limit: 5}); !errors.Is(err, errRoomNotFound) {
		t.Errorf("unknown room: err = %v, want errRoomNotFound", err)
	}
}

func TestSessionsExpireAndList(t *testing.T) {
	st := newTestStore(t)
	now := time.Now().UTC()
	live := session{Key: "live", User: "ann", LastSeen: now, Expires: now.Add(time.Hour)}
	old := session{Key: "old", User: "ann", LastSeen: now.Add(-time.Hour), Expires: now.Add(-time.Second)}
	bobs := session{Key: "bobs", User: "bob", LastSeen: now, Expires: now.Add(time.Hour)}
	for _, s := range []session{live, old, bobs} {
		if err := st.putSession(s); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.listSessions("ann")
	if err != nil || len(list) != 2 || list[0].Key != "live" {
		t.Fatalf("listSessions(ann) = %+v, %v; want live then old", list, err)
	}
	expired, err := st.deleteExpiredSessions(now)
	if err != nil || len(expired) != 1 || expired[0] != "old" {
		t.Fatalf("deleteExpiredSessions = %v, %v; want [old]", expired, err)
	}
	if _, err := st.getSession("old"); !errors.Is(err, errSessionNotFound) {
		t.Errorf("old session still there: %v", err)
	}
	if _, err := st.getSession("live"); err != nil {
		t.Errorf("live session gone: %v", err)
	}
}

func TestRedeemInvite(t *testing.T) {
	st := newTestStore(t)
	now := time.Now().UTC()
	inv := invite{Code: "abc", Created: now, Expires: now.Add(time.Hour), MaxUses: 2}
	if err := st.putInvite(inv); err != nil {
		t.Fatal(err)
	}
	mk := func(name string) user { return user{Name: name, Hash: []byte("x"), Created: now} }
	if err := st.redeemInvite("abc", mk("ann"), now); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := st.redeemInvite("abc", mk("ann"), now); !errors.Is(err, errUserExists) {
		t.Fatalf("taken name: %v, want errUserExists", err)
	}
	if err := st.redeemInvite("abc", mk("bob"), now); err != nil {
		t.Fatalf("second use: %v", err)
	}
	if err := st.redeemInvite("abc", mk("cy"), now); !errors.Is(err, errInviteInvalid) {
		t.Errorf("third use of a 2-use invite: %v, want errInviteInvalid", err)
	}
	if err := st.redeemInvite("abc", mk("cy"), now.Add(2*time.Hour)); !errors.Is(err, errInviteInvalid) {
		t.Errorf("expired invite: %v, want errInviteInvalid", err)
	}
	if err := st.redeemInvite("nope", mk("cy"), now); !errors.Is(err, errInviteInvalid) {
		t.Errorf("unknown invite: %v, want errInviteInvalid", err)
	}
	if _, err := st.getUser("cy"); !errors.Is(err, errUserNotFound) {
		t.Errorf("cy was created by a refused invite: %v", err)
	}
}

func TestCookieKeysSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	gen := func(n int) []byte { calls++; return bytes.Repeat([]byte{byte(calls)}, n) }
	h1, b1, err := st.cookieKeys(gen)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h2, b2, err := st.cookieKeys(gen)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h1, h2) || !bytes.Equal(b1, b2) || calls != 2 {
		t.Errorf("keys changed across reopen (generator called %d times, want 2)", calls)
	}
	if len(h1) != 64 || len(b1) != 32 {
		t.Errorf("key sizes %d/%d, want 64/32", len(h1), len(b1))
	}
}

// In a synctest bubble, so bbolt's wait for the lock takes fake time.
func TestOpenHeldDatabaseFailsFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "held.db")
		st, err := openStore(path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		start := time.Now()
		_, err = openStore(path)
		if !errors.Is(err, errDatabaseInUse) {
			t.Fatalf("second open: %v, want errDatabaseInUse", err)
		}
		if d := time.Since(start); d == 0 || d > openTimeout {
			t.Errorf("second open gave up after %v, want after trying for up to %v", d, openTimeout)
		}
	})
}

func TestAccountCacheNeverServesAWrittenRecord(t *testing.T) {
	st := newTestStore(t)
	u, _ := newUser("ann", "long enough", false)
	st.createUser(u)
	s := session{Key: "k", User: "ann", Expires: time.Now().Add(time.Hour)}
	st.putSession(s)
	if _, got, err := st.getSessionAndUser("k"); err != nil || got.Admin {
		t.Fatalf("first read: %+v %v", got, err)
	}
	// Cached now; every kind of write must show through.
	st.updateUser("ann", func(u *user) { u.Admin = true })
	if _, got, _ := st.getSessionAndUser("k"); !got.Admin {
		t.Error("updateUser not seen")
	}
	st.touchSession("k", time.Now(), 2*time.Hour, "10.0.0.1")
	if got, _, _ := st.getSessionAndUser("k"); got.RemoteAddr != "10.0.0.1" {
		t.Error("touchSession not seen")
	}
	st.deleteSession("k")
	if _, _, err := st.getSessionAndUser("k"); !errors.Is(err, errSessionNotFound) {
		t.Errorf("deleted session still read: %v", err)
	}
	st.putSession(session{Key: "old", User: "ann", Expires: time.Now().Add(-time.Second)})
	st.getSessionAndUser("old")
	st.deleteExpiredSessions(time.Now())
	if _, _, err := st.getSessionAndUser("old"); !errors.Is(err, errSessionNotFound) {
		t.Errorf("reaped session still read: %v", err)
	}
}

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
