// store_messages_test.go tests history in the store: ids per room, client_id
// deduplication, refusals that touch one request only, and history pages.

package main

import (
	"errors"
	"fmt"
	"testing"
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
