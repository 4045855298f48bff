// committer_test.go tests group commit: nobody sees a message before it is
// committed, a resend stores once, and a restart keeps sessions, history
// and ids.

package main

import (
	"fmt"
	"net/http"
	"testing"
)

func TestMessageDeliveredToEveryoneAfterCommit(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa, sb := ann.dial(), bob.dial()
	sa.say("general", "dinner is ready", "c-1")
	got := sa.ack("c-1")
	if got.User != "ann" || got.Body != "dinner is ready" || got.ID != 1 || got.Room != "general" || got.TS.IsZero() {
		t.Errorf("ack = %+v", got)
	}
	seen := sb.expect(func(f wireFrame) bool { return f.Type == "message" })
	if seen.ID != got.ID || seen.Body != got.Body {
		t.Errorf("bob saw %+v, want %+v", seen, got)
	}
	// Acknowledged means stored.
	msgs, err := ts.store().history("general", historyQuery{Limit: 10})
	if err != nil || len(msgs) != 1 || msgs[0].Body != "dinner is ready" {
		t.Errorf("history = %+v, %v", msgs, err)
	}
}

func TestResendWithClientIDStoresOnce(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	s := ann.dial()
	s.say("general", "milk please", "c-42")
	first := s.ack("c-42")
	// The connection drops before the client trusts the ack; it resends
	// on a new socket.
	s.ws.Close()
	s2 := ann.dial()
	s2.say("general", "milk please", "c-42")
	again := s2.ack("c-42")
	if again.ID != first.ID {
		t.Errorf("resend got id %d, want the stored %d", again.ID, first.ID)
	}
	msgs, _ := ts.store().history("general", historyQuery{Limit: 10})
	if len(msgs) != 1 {
		t.Errorf("stored %d messages, want 1", len(msgs))
	}
}

func TestRestartKeepsSessionsHistoryAndIDs(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	s := ann.dial()
	for i := 1; i <= 3; i++ {
		s.say("general", fmt.Sprint("before restart ", i), fmt.Sprint("c-", i))
		s.ack(fmt.Sprint("c-", i))
	}

	ts.restart()

	// The old cookie still opens the socket: keys and sessions are on disk.
	if status, body := ann.do("GET", "/api/me", nil, nil); status != http.StatusOK {
		t.Fatalf("/api/me after restart: %d %s", status, body)
	}
	s2 := ann.dial()
	var page struct{ Messages []message }
	if status, _ := ann.do("GET", "/api/rooms/general/messages", nil, &page); status != 200 || len(page.Messages) != 3 {
		t.Fatalf("history after restart: status %d, %d messages, want 3", status, len(page.Messages))
	}
	s2.say("general", "after restart", "c-4")
	if got := s2.ack("c-4"); got.ID != 4 {
		t.Errorf("first id after restart = %d, want 4", got.ID)
	}
	// And client_id dedup survives too.
	s2.say("general", "before restart 2", "c-2")
	if got := s2.ack("c-2"); got.ID != 2 {
		t.Errorf("resend of c-2 after restart got id %d, want 2", got.ID)
	}
}
