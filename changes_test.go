// changes_test.go tests what happens to messages after they are sent:
// edits, deletes, reactions, their revs and catch-up, and the typing
// indicator, on real sockets and across a restart.

package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestEditDeleteAndReact(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	mum := ts.newClient()
	mum.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa, sb, sm := ann.dial(), bob.dial(), mum.dial()

	sa.say("general", "dinner at 6", "c-1")
	orig := sa.ack("c-1")
	update := func(s *socket) wireFrame {
		t.Helper()
		return s.expect(func(f wireFrame) bool { return f.Type == "update" || f.Type == "error" })
	}
	// both reads the update on ann's and bob's sockets and returns bob's.
	both := func() wireFrame { update(sa); return update(sb) }

	// Edit one's own: everyone sees the new body, marked edited, a later rev.
	sa.send(map[string]any{"type": "edit", "room": "general", "id": orig.ID, "body": "dinner at 7"})
	if f := both(); f.Type != "update" || f.ID != orig.ID || f.Body != "dinner at 7" || f.Edited.IsZero() || f.Rev <= orig.Rev {
		t.Errorf("bob saw %+v", f)
	}

	refusals := []struct {
		name  string
		s     *socket
		frame map[string]any
		code  string
	}{
		{"edit someone else's", sb, map[string]any{"type": "edit", "room": "general", "id": orig.ID, "body": "hijack", "client_id": "r1"}, "forbidden"},
		{"delete someone else's", sb, map[string]any{"type": "delete", "room": "general", "id": orig.ID, "client_id": "r2"}, "forbidden"},
		{"edit a missing message", sa, map[string]any{"type": "edit", "room": "general", "id": 999, "body": "x", "client_id": "r3"}, "unknown_message"},
		{"react with what is not one emoji", sb, map[string]any{"type": "react", "room": "general", "id": orig.ID, "emoji": "🍕🍕", "client_id": "r4"}, "bad_emoji"},
		{"no id", sb, map[string]any{"type": "delete", "room": "general", "client_id": "r5"}, "unknown_message"},
		{"edit to nothing", sa, map[string]any{"type": "edit", "room": "general", "id": orig.ID, "body": "  ", "client_id": "r6"}, "empty"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.send(tc.frame)
			f := tc.s.expect(func(f wireFrame) bool { return f.Type == "error" || f.Type == "update" })
			if f.Type != "error" || f.Code != tc.code || f.ClientID != tc.frame["client_id"] {
				t.Errorf("got %+v, want error %s", f, tc.code)
			}
		})
	}

	// Reactions toggle and are counted per user.
	sb.send(map[string]any{"type": "react", "room": "general", "id": orig.ID, "emoji": "👍"})
	if f := both(); fmt.Sprint(f.Reactions) != "map[👍:[bob]]" {
		t.Errorf("after bob's 👍: %v", f.Reactions)
	}
	sa.send(map[string]any{"type": "react", "room": "general", "id": orig.ID, "emoji": "👍"})
	if f := both(); fmt.Sprint(f.Reactions["👍"]) != "[bob ann]" {
		t.Errorf("after ann's 👍: %v", f.Reactions)
	}
	sb.send(map[string]any{"type": "react", "room": "general", "id": orig.ID, "emoji": "👍"})
	if f := both(); fmt.Sprint(f.Reactions["👍"]) != "[ann]" {
		t.Errorf("after bob took his back: %v", f.Reactions)
	}

	// An admin may delete anyone's; a deleted message keeps its id, loses
	// its body and reactions, and cannot be changed again.
	sb.say("general", "oops, wrong chat", "c-2")
	bobs := sb.ack("c-2")
	sm.send(map[string]any{"type": "delete", "room": "general", "id": bobs.ID})
	if f := both(); !f.Deleted || f.Body != "" || f.ID != bobs.ID {
		t.Errorf("admin delete: %+v", f)
	}
	sa.send(map[string]any{"type": "delete", "room": "general", "id": orig.ID})
	both()
	sb.send(map[string]any{"type": "react", "room": "general", "id": orig.ID, "emoji": "😂", "client_id": "r7"})
	if f := update(sb); f.Type != "error" || f.Code != "unknown_message" {
		t.Errorf("reacting to a deleted message: %+v", f)
	}

	// History shows it all, after a restart too.
	ts.restart()
	var page struct {
		Messages []message
		Rev      uint64
	}
	bob.do("GET", "/api/rooms/general/messages", nil, &page)
	if len(page.Messages) != 2 || !page.Messages[0].Deleted || !page.Messages[1].Deleted {
		t.Errorf("history after restart: %+v", page.Messages)
	}
}

func TestCatchUpSinceRevSeesEditsToOldMessages(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 100 })
	ann := ts.loggedIn("ann")
	s := ann.dial()
	for i := 1; i <= 5; i++ {
		s.say("general", fmt.Sprint("m", i), fmt.Sprint("c-", i))
		s.ack(fmt.Sprint("c-", i))
	}
	var page struct {
		Messages []message
		Rev      uint64
	}
	ann.do("GET", "/api/rooms/general/messages", nil, &page)
	seen := page.Rev
	if seen != 5 {
		t.Fatalf("rev after 5 messages = %d", seen)
	}
	// While "away": an old message is edited twice, one deleted, one new.
	s.send(map[string]any{"type": "edit", "room": "general", "id": 2, "body": "m2 v2"})
	s.send(map[string]any{"type": "edit", "room": "general", "id": 2, "body": "m2 v3"})
	s.send(map[string]any{"type": "delete", "room": "general", "id": 4})
	s.say("general", "m6", "c-6")
	s.ack("c-6")

	status, body := ann.do("GET", fmt.Sprintf("/api/rooms/general/messages?since=%d", seen), nil, &page)
	if status != 200 {
		t.Fatalf("since: %d %s", status, body)
	}
	var got []string
	for _, m := range page.Messages {
		got = append(got, fmt.Sprintf("%d:%s:%v", m.ID, m.Body, m.Deleted))
	}
	// Each changed message once, as it is now, in the order of its last change.
	if want := "[2:m2 v3:false 4::true 6:m6:false]"; fmt.Sprint(got) != want {
		t.Errorf("changes = %v, want %s", got, want)
	}
	if page.Rev != 9 {
		t.Errorf("caught up to rev %d, want 9", page.Rev)
	}
	// Paging with a small limit: superseded revs are skipped, not counted.
	status, _ = ann.do("GET", fmt.Sprintf("/api/rooms/general/messages?since=%d&limit=1", seen), nil, &page)
	if status != 200 || len(page.Messages) != 1 || page.Messages[0].Body != "m2 v3" || page.Rev != 7 {
		t.Errorf("first page of 1: %d %+v rev %d", status, page.Messages, page.Rev)
	}
	// Caught up, nothing new: a list, empty, not null (a client walks it).
	if status, body := ann.do("GET", "/api/rooms/general/messages?since=9", nil, nil); status != 200 || !strings.Contains(body, `"messages":[]`) {
		t.Errorf("nothing changed since 9: %d %s, want an empty list", status, body)
	}
	for _, q := range []string{"?since=x", "?since=1&after=2", "?since=1&before=3"} {
		if status, _ := ann.do("GET", "/api/rooms/general/messages"+q, nil, nil); status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, status)
		}
	}
}

func TestTypingIsRelayedThrottledAndNeverStored(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob, carol := ts.loggedIn("ann"), ts.loggedIn("bob"), ts.loggedIn("carol")
	ann.do("POST", "/api/rooms", map[string]any{"name": "duo", "private": true, "members": []string{"bob"}}, nil)
	sa, sb, sc := ann.dial(), bob.dial(), carol.dial()

	sa.send(map[string]any{"type": "typing", "room": "general"})
	if f := sb.expect(func(f wireFrame) bool { return f.Type == "typing" }); f.User != "ann" || f.Room != "general" {
		t.Errorf("typing frame %+v", f)
	}
	// Within typingEvery a second one is not relayed; the private room's
	// typing reaches its member only.
	sa.send(map[string]any{"type": "typing", "room": "general"})
	sa.send(map[string]any{"type": "typing", "room": "duo"})
	if f := sb.expect(func(f wireFrame) bool { return f.Type == "typing" }); f.Room != "duo" {
		t.Errorf("bob's next typing frame: %+v, want duo's (general's repeat is throttled)", f)
	}
	noFrameFor(t, sc, sa, func(f wireFrame) bool { return f.Type == "typing" && f.Room == "duo" })
	if msgs, _ := ts.store().history("general", historyQuery{Limit: 10}); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Body, "marker") {
		t.Errorf("history holds %+v; typing is never stored", msgs)
	}
}
