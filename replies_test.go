// replies_test.go covers replies end to end over real sockets and a real
// bbolt file: a send's reply_to is stored and delivered with a quote of the
// original, read back from history after a restart and in the JSON lines
// export; a reply to an unknown id, to an id of another room or to a
// deleted message is refused; an original deleted later leaves the reply
// with its reply_to and a quote that says so; records stored before
// replies decode unchanged.

package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReplies(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("ann", "password-ann", true)
	ts.addUser("bob", "password-bob", false)
	ann, bob := loginClient(t, ts, "ann", "password-ann"), loginClient(t, ts, "bob", "password-bob")
	as, bs := ann.dial(), bob.dial()

	as.say("general", "Dinner at seven?\nOr eight.", "c-q")
	question := as.ack("c-q")
	as.say("general", "and bring bread", "c-bread")
	bread := as.ack("c-bread")

	// Bob answers the question: both see the reply with its quote.
	bs.send(map[string]any{"type": "send", "room": "general", "body": "Seven!", "client_id": "c-a", "reply_to": question.ID})
	answer := bs.ack("c-a")
	seen := as.expect(func(f wireFrame) bool { return f.Type == "message" && f.ID == answer.ID })
	for who, f := range map[string]wireFrame{"bob": answer, "ann": seen} {
		if f.ReplyTo != question.ID || f.Reply == nil || f.Reply.User != "ann" || f.Reply.Body != "Dinner at seven?\nOr eight." || f.Reply.Deleted {
			t.Errorf("%s got reply_to %d, reply %+v; want %d quoting ann", who, f.ReplyTo, f.Reply, question.ID)
		}
	}
	// A resend of the same client_id is answered from the store, quote and all.
	bs.send(map[string]any{"type": "send", "room": "general", "body": "Seven!", "client_id": "c-a", "reply_to": question.ID})
	if again := bs.ack("c-a"); again.ID != answer.ID || again.ReplyTo != question.ID || again.Reply == nil {
		t.Errorf("resend answered with id %d reply_to %d reply %+v", again.ID, again.ReplyTo, again.Reply)
	}

	// Refusals: the error names the send, and nothing is stored.
	mustDo(t, ann, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "games"}, nil)
	as.say("games", "chess?", "c-g")
	as.ack("c-g") // id 1 of games; general's ids go past it
	as.send(map[string]any{"type": "delete", "room": "general", "id": bread.ID})
	as.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == bread.ID && f.Deleted })
	for _, tc := range []struct {
		name, room string
		id         uint64
	}{
		{"unknown id", "general", 999},
		{"an id of another room", "games", answer.ID},
		{"a deleted message", "general", bread.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cid := "c-refused-" + strings.ReplaceAll(tc.name, " ", "-")
			bs.send(map[string]any{"type": "send", "room": tc.room, "body": "what?", "client_id": cid, "reply_to": tc.id})
			f := bs.expect(func(f wireFrame) bool { return f.ClientID == cid })
			if f.Type != "error" || f.Code != "unknown_message" {
				t.Errorf("reply to %s: got %s %q %q, want error unknown_message", tc.name, f.Type, f.Code, f.Message)
			}
		})
	}
	var page struct{ Messages []wireFrame }
	mustDo(t, bob, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
	for _, m := range page.Messages {
		if m.Body == "what?" {
			t.Errorf("a refused reply was stored: %+v", m)
		}
	}

	// Ann deletes her question: the answer stays a reply, its quote says
	// the original was deleted, and the original is a tombstone.
	as.send(map[string]any{"type": "delete", "room": "general", "id": question.ID})
	as.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == question.ID && f.Deleted })
	checkHistory := func(when string) {
		t.Helper()
		var page struct{ Messages []wireFrame }
		mustDo(t, bob, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
		byID := map[uint64]wireFrame{}
		for _, m := range page.Messages {
			byID[m.ID] = m
		}
		if q := byID[question.ID]; !q.Deleted || q.Body != "" {
			t.Errorf("%s: the original is %+v, want a tombstone", when, q)
		}
		a := byID[answer.ID]
		if a.ReplyTo != question.ID || a.Reply == nil || !a.Reply.Deleted || a.Reply.User != "ann" || a.Reply.Body != "" {
			t.Errorf("%s: the answer has reply_to %d, reply %+v; want %d, a deleted quote by ann", when, a.ReplyTo, a.Reply, question.ID)
		}
		// Catch-up by rev carries the same.
		var changes struct{ Messages []wireFrame }
		mustDo(t, bob, http.StatusOK, "GET", "/api/rooms/general/messages?since=0", nil, &changes)
		for _, m := range changes.Messages {
			if m.ID == answer.ID && (m.ReplyTo != question.ID || m.Reply == nil || !m.Reply.Deleted) {
				t.Errorf("%s: catch-up has the answer as %+v", when, m)
			}
		}
	}
	checkHistory("after the delete")
	ts.restart()
	bob = loginClient(t, ts, "bob", "password-bob")
	checkHistory("after a restart")

	// The JSON lines export keeps reply_to.
	ann = loginClient(t, ts, "ann", "password-ann")
	resp, err := ann.http.Get(ts.URL + "/api/admin/rooms/general/export")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	found := false
	for sc := bufio.NewScanner(resp.Body); sc.Scan(); {
		var m message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		if m.ID == answer.ID {
			found = m.ReplyTo == question.ID
		}
	}
	if !found {
		t.Errorf("the export has no line for message %d with reply_to %d", answer.ID, question.ID)
	}
}

// TestReplyChanges: an edit of a reply keeps what it answers, an edit of
// the original shows in the quote, and deleting the reply forgets whom it
// answered.
func TestReplyChanges(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	as, bs := ann.dial(), bob.dial()
	as.say("general", "Who took the car keys?", "c-q")
	question := as.ack("c-q")
	bs.send(map[string]any{"type": "send", "room": "general", "body": "Not me", "client_id": "c-a", "reply_to": question.ID})
	answer := bs.ack("c-a")

	// An edit frame's reply_to is not read: the answer still answers the question.
	bs.send(map[string]any{"type": "edit", "room": "general", "id": answer.ID, "body": "Not me, ask gran", "reply_to": answer.ID})
	edited := bs.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == answer.ID })
	if edited.ReplyTo != question.ID || edited.Reply == nil || edited.Reply.Body != "Who took the car keys?" {
		t.Errorf("edited reply: reply_to %d reply %+v", edited.ReplyTo, edited.Reply)
	}
	as.send(map[string]any{"type": "edit", "room": "general", "id": question.ID, "body": "Who took the van keys?"})
	as.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == question.ID })
	var page struct{ Messages []wireFrame }
	mustDo(t, bob, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
	if a := page.Messages[len(page.Messages)-1]; a.ID != answer.ID || a.Reply == nil || a.Reply.Body != "Who took the van keys?" {
		t.Errorf("after the original's edit the answer reads %+v, reply %+v", a, a.Reply)
	}

	bs.send(map[string]any{"type": "delete", "room": "general", "id": answer.ID})
	gone := bs.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == answer.ID })
	if !gone.Deleted || gone.ReplyTo != 0 || gone.Reply != nil {
		t.Errorf("a deleted reply still says reply_to %d, reply %+v", gone.ReplyTo, gone.Reply)
	}
}

// TestReplyPreviewCut: the quote carries at most replyPreviewLen bytes of
// the original, cut between characters.
func TestReplyPreviewCut(t *testing.T) {
	long := strings.Repeat("é", replyPreviewLen) // twice as many bytes
	p := previewOf(message{User: "ann", Body: long})
	if len(p.Body) > replyPreviewLen || !utf8.ValidString(p.Body) || !strings.HasPrefix(long, p.Body) || len(p.Body) < replyPreviewLen-1 {
		t.Errorf("preview of %d bytes: %d bytes, valid %v", len(long), len(p.Body), utf8.ValidString(p.Body))
	}
}

// TestStoredMessageWithoutReply: a record written before replies existed
// (no "p") decodes as a message that answers nothing, and a reply's record
// holds reply_to as one number.
func TestStoredMessageWithoutReply(t *testing.T) {
	old := []byte(`{"u":"ann","b":"hi","t":"2025-01-02T03:04:05Z","r":3}`)
	m, err := decodeMessage("general", idKey(7), old)
	if err != nil {
		t.Fatal(err)
	}
	if m.ReplyTo != 0 || m.Reply != nil || m.Body != "hi" || m.ID != 7 || m.Rev != 3 {
		t.Errorf("old record decoded as %+v", m)
	}
	data, err := json.Marshal(storedMessage{User: "bob", Body: "yes", ReplyTo: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"p":7`) || strings.Contains(string(data), "reply") {
		t.Errorf("a reply is stored as %s", data)
	}
}
