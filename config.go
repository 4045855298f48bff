// config.go owns GET /api/config: the rules the web client shares with the
// server, served from the very values the server enforces so that they are
// written once, in Go. It needs no session (the login and setup pages check
// names before anyone is logged in) and holds nothing secret.

package main

import "net/http"

// clientConfig is the answer of GET /api/config. Each pattern is a Go
// regexp's own source, kept to the syntax that RE2 and JavaScript's RegExp
// read alike (anchors, character classes, counted repeats, (?:…) groups);
// TestConfigPatterns holds them to it.
type clientConfig struct {
	Reactions       []string `json:"reactions"`         // reactionEmoji: the quick reactions, offered first
	InlineTypes     []string `json:"inline_types"`      // files shown as images
	UsernamePattern string   `json:"username_pattern"`  // a whole user (or bot) name
	RoomNamePattern string   `json:"room_name_pattern"` // a whole room name
	MentionPattern  string   `json:"mention_pattern"`   // an @mention in a body; its one group is the name
	MinPassword     int      `json:"min_password"`      // in characters
	MediaTypes      []string `json:"media_types"`       // files played in the page (video and sound)
	MaxUpload       int64    `json:"max_upload"`        // bytes in one shared file (-max-upload)
}

// handleConfig answers GET /api/config.
func (s *server) handleConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, clientConfig{
		Reactions:       reactionEmoji,
		InlineTypes:     inlineTypes,
		UsernamePattern: usernamePattern.String(),
		RoomNamePattern: roomNamePattern.String(),
		MentionPattern:  mentionPattern.String(),
		MinPassword:     minPasswordLen,
		MediaTypes:      mediaTypes,
		MaxUpload:       s.cfg.MaxUpload,
	})
}
