// config_test.go checks GET /api/config: that it needs no session, and that
// the patterns it serves say what the Go validators say, in a syntax
// JavaScript reads the same way (TestBrowserConfigPatterns runs them in a
// browser on the same cases).

package main

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// nameCases are names to judge with the served patterns and the Go
// validators alike: good ones, edges of length and alphabet, and the
// characters a careless pattern lets through (newlines above all).
var nameCases = []string{
	"ann", "a", "0", "kid-2", "mum.b", "x_y", "general", "board-games", "-", ".", "_",
	strings.Repeat("a", 32), strings.Repeat("a", 33), "",
	"Ann", "ann bob", "ann\n", "\nann", "émile", "日本", "a+b", "@ann", "ann!", "ab/c", "ann\x00", "a\u2028b",
}

// mentionCases are message bodies for the mention pattern.
var mentionCases = []string{
	"hi @ann", "@ann at the start", "mail@ann.com", "(@kid)", "@@kid", "@ann.", "@a @b @c", "x@y",
	"@" + strings.Repeat("a", 33), "@Ann", "tab\t@kid", "émile@kid", "@kid-2!", "line\n@gran", "@", "no mention",
}

// jsIncompatible are RE2 constructs JavaScript's RegExp lacks or reads
// differently.
var jsIncompatible = []string{`(?P<`, `(?i`, `(?s`, `(?m`, `(?U`, `\A`, `\z`, `\p`, `\P`, `[[:`, `\Q`, `\C`}

func getConfig(t *testing.T) clientConfig {
	t.Helper()
	ts := newTestServer(t, nil)
	var cfg clientConfig
	if status, body := ts.newClient().do("GET", "/api/config", nil, &cfg); status != http.StatusOK {
		t.Fatalf("GET /api/config without a session: %d %s", status, body)
	}
	return cfg
}

func TestConfig(t *testing.T) {
	cfg := getConfig(t)
	if !slices.Equal(cfg.Reactions, reactionEmoji) {
		t.Errorf("reactions = %q, want %q", cfg.Reactions, reactionEmoji)
	}
	if !slices.Equal(cfg.InlineTypes, inlineTypes) {
		t.Errorf("inline_types = %q, want %q", cfg.InlineTypes, inlineTypes)
	}
	if cfg.MinPassword != minPasswordLen {
		t.Errorf("min_password = %d, want %d", cfg.MinPassword, minPasswordLen)
	}
	if !slices.Equal(cfg.MediaTypes, mediaTypes) || cfg.MaxUpload != defaultConfig().MaxUpload {
		t.Errorf("media_types = %q, max_upload = %d", cfg.MediaTypes, cfg.MaxUpload)
	}
}

func TestConfigPatterns(t *testing.T) {
	cfg := getConfig(t)
	compile := func(name, src string) *regexp.Regexp {
		t.Helper()
		for _, bad := range jsIncompatible {
			if strings.Contains(src, bad) {
				t.Errorf("%s %q uses %s, which JavaScript reads otherwise", name, src, bad)
			}
		}
		re, err := regexp.Compile(src)
		if err != nil {
			t.Fatalf("%s %q: %v", name, src, err)
		}
		return re
	}
	username := compile("username_pattern", cfg.UsernamePattern)
	roomName := compile("room_name_pattern", cfg.RoomNamePattern)
	mention := compile("mention_pattern", cfg.MentionPattern)
	for _, name := range nameCases {
		if got, want := username.MatchString(name), validUsername(name) == nil; got != want {
			t.Errorf("username %q: pattern says %v, validUsername %v", name, got, want)
		}
		if got, want := roomName.MatchString(name), validRoomName(name) == nil; got != want {
			t.Errorf("room name %q: pattern says %v, validRoomName %v", name, got, want)
		}
	}
	// The client takes the name from the one group.
	if n := mention.NumSubexp(); n != 1 {
		t.Fatalf("mention_pattern has %d groups, want 1", n)
	}
	for _, body := range mentionCases {
		got, want := mention.FindAllStringSubmatch(body, -1), mentionPattern.FindAllStringSubmatch(body, -1)
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("mentions in %q: served pattern finds %q, the server %q", body, got, want)
		}
	}
}
