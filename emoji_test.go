// emoji_test.go tests the emoji data set (emoji.go): any emoji of it is a
// reaction that is stored and delivered, anything else is refused with
// bad_emoji, a message holds a bounded number of different reactions, and
// the file the web client's picker reads is the very set the server
// accepts, with its licence beside it.

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestReactWithAnyEmojiOfTheSet(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 100 })
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa, sb := ann.dial(), bob.dial()
	sa.say("general", "Found one in the garden", "c-1")
	msg := sa.ack("c-1")

	// 🦔 is not one of the quick six, yet it is stored and both hear it.
	sb.send(map[string]any{"type": "react", "room": "general", "id": msg.ID, "emoji": "🦔"})
	for name, s := range map[string]*socket{"ann": sa, "bob": sb} {
		f := s.expect(func(f wireFrame) bool { return f.Type == "update" || f.Type == "error" })
		if f.Type != "update" || fmt.Sprint(f.Reactions) != "map[🦔:[bob]]" {
			t.Errorf("%s heard %+v, want an update with bob's 🦔", name, f)
		}
	}
	var page struct{ Messages []message }
	mustDo(t, ann, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
	if len(page.Messages) != 1 || fmt.Sprint(page.Messages[0].Reactions) != "map[🦔:[bob]]" {
		t.Errorf("stored: %+v, want the message with bob's 🦔", page.Messages)
	}

	for _, tc := range []struct{ name, emoji string }{
		{"a letter", "x"},
		{"markup", "<b>"},
		{"two emoji", "🦔🍕"},
		{"100 bytes", strings.Repeat("🦔", 25)},
		{"a skin tone the picker leaves out", "👍🏽"},
		{"nothing", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb.send(map[string]any{"type": "react", "room": "general", "id": msg.ID, "emoji": tc.emoji, "client_id": "r-" + tc.name})
			f := sb.expect(func(f wireFrame) bool { return f.Type == "update" || f.Type == "error" })
			if f.Type != "error" || f.Code != "bad_emoji" || f.ClientID != "r-"+tc.name {
				t.Errorf("react %q: got %+v, want error bad_emoji", tc.emoji, f)
			}
		})
	}
	mustDo(t, ann, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &page)
	if fmt.Sprint(page.Messages[0].Reactions) != "map[🦔:[bob]]" {
		t.Errorf("after the refusals the message holds %v", page.Messages[0].Reactions)
	}
}

// TestReactionKindsAreBounded: a message takes maxReactionKinds different
// emoji; one more is refused, while those it has can still be added to.
func TestReactionKindsAreBounded(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 100 })
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa, sb := ann.dial(), bob.dial()
	sa.say("general", "React away", "c-1")
	msg := sa.ack("c-1")
	react := func(s *socket, emoji string) wireFrame {
		t.Helper()
		s.send(map[string]any{"type": "react", "room": "general", "id": msg.ID, "emoji": emoji, "client_id": "r-" + emoji})
		return s.expect(func(f wireFrame) bool { return f.Type == "update" || f.Type == "error" })
	}
	var kinds []string
	for e := range reactionSet {
		if len(kinds) == maxReactionKinds+1 {
			break
		}
		kinds = append(kinds, e)
	}
	for _, e := range kinds[:maxReactionKinds] {
		if f := react(sa, e); f.Type != "update" {
			t.Fatalf("reaction %s: %+v", e, f)
		}
	}
	if f := react(sa, kinds[maxReactionKinds]); f.Type != "error" || f.Code != "too_many_reactions" || !strings.Contains(f.Message, "20") {
		t.Errorf("the %d-first kind: %+v, want too_many_reactions naming the bound", maxReactionKinds+1, f)
	}
	// Bob heard the twenty; he adds to the first.
	sb.expect(func(f wireFrame) bool { return f.Type == "update" && len(f.Reactions) == maxReactionKinds })
	if f := react(sb, kinds[0]); f.Type != "update" || !slices.Equal(f.Reactions[kinds[0]], []string{"ann", "bob"}) || len(f.Reactions) != maxReactionKinds {
		t.Errorf("adding to a reaction already there: %+v", f)
	}
}

// TestEmojiDataSetIsServedAsAccepted: the client's picker reads
// /emoji.json; every emoji in it is accepted, nothing else is, and the
// quick reactions of /api/config are among them.
func TestEmojiDataSetIsServedAsAccepted(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.newClient()
	var served emojiData
	mustDo(t, c, http.StatusOK, "GET", "/emoji.json", nil, &served)
	seen := map[string]bool{}
	for _, g := range served.Groups {
		for _, e := range g.Emoji {
			if e[1] == "" {
				t.Errorf("%s in %s has no name to search by", e[0], g.Name)
			}
			seen[e[0]] = true
		}
	}
	if len(seen) != len(reactionSet) || len(seen) < 1500 {
		t.Errorf("served %d emoji, the server accepts %d", len(seen), len(reactionSet))
	}
	for e := range reactionSet {
		if !seen[e] {
			t.Errorf("the server accepts %s, the picker does not offer it", e)
		}
	}
	if !seen["🦔"] || !seen["❤️"] || seen["👍🏽"] {
		t.Error("hedgehog or red heart missing, or a skin tone present")
	}
	var cfg clientConfig
	mustDo(t, c, http.StatusOK, "GET", "/api/config", nil, &cfg)
	for _, e := range cfg.Reactions {
		if !reactionSet[e] {
			t.Errorf("quick reaction %s is not in the data set", e)
		}
	}
	// The package, version and licence are named, and the licence's text is
	// beside the data.
	if !strings.Contains(served.Source, "unicode-emoji-json 0.9.0") || !strings.Contains(served.Source, "MIT") {
		t.Errorf("source = %q, want the package, version and licence", served.Source)
	}
	if status, body := c.do("GET", "/emoji-LICENSE.txt", nil, nil); status != 200 || !strings.Contains(body, "MIT License") || !strings.Contains(body, "Mu-An Chiou") {
		t.Errorf("/emoji-LICENSE.txt: %d %.80s", status, body)
	}
	// It is inside every binary: keep it small.
	raw, err := assetsFS.ReadFile("assets/emoji.json")
	if err != nil || len(raw) > 64<<10 {
		t.Errorf("assets/emoji.json is %d bytes (%v), want at most 64 KiB", len(raw), err)
	}
}

// TestMustLoadEmojiRefusesABrokenSet: a broken data file fails at start-up,
// not on the first reaction.
func TestMustLoadEmojiRefusesABrokenSet(t *testing.T) {
	for name, data := range map[string]string{
		"not JSON": `{"groups": [`,
		"empty":    `{"groups": []}`,
		"repeated": `{"groups": [{"name": "a", "emoji": [["🦔", "hedgehog"]]}, {"name": "b", "emoji": [["🦔", "hedgehog"]]}]}`,
		"blank":    `{"groups": [{"name": "a", "emoji": [["", "nothing"]]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			mustLoadEmoji(fstest.MapFS{"e.json": {Data: []byte(data)}}, "e.json")
		})
	}
	set := mustLoadEmoji(fstest.MapFS{"e.json": {Data: []byte(`{"groups": [{"name": "a", "emoji": [["🦔", "hedgehog"]]}]}`)}}, "e.json")
	if b, _ := json.Marshal(set); string(b) != `{"🦔":true}` {
		t.Errorf("set = %s", b)
	}
}
