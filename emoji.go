// emoji.go owns the emoji data set: assets/emoji.json, the emoji the web
// client's picker offers (with their names and groups), read once at
// start-up into the set of emoji a reaction may be. The picker and the
// server read the same embedded file, so what one offers the other
// accepts. scripts/emoji.sh makes the file; nothing here writes it.

package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
)

// emojiData is assets/emoji.json: emoji in Unicode's order, by group.
type emojiData struct {
	Source string `json:"source"` // the package, version and licence it was made from
	Groups []struct {
		Name  string      `json:"name"`  // "Smileys & Emotion"
		Emoji [][2]string `json:"emoji"` // [emoji, name]: ["🦔", "hedgehog"]
	} `json:"groups"`
}

// reactionSet holds every emoji of assets/emoji.json: a react frame's emoji
// must be one of them (decodeClientFrame). It is filled before main runs
// and only read afterwards, so any goroutine may read it.
var reactionSet = mustLoadEmoji(assetsFS, "assets/emoji.json")

// mustLoadEmoji reads the emoji data set into a set. The file is compiled
// into the binary, so one that does not parse, or holds a blank or
// repeated emoji, is a bug in the build and panics, as regexp.MustCompile
// does.
func mustLoadEmoji(fsys fs.FS, name string) map[string]bool {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		panic(fmt.Sprintf("emoji: %v", err))
	}
	var d emojiData
	if err := json.Unmarshal(raw, &d); err != nil {
		panic(fmt.Sprintf("emoji: %s: %v", name, err))
	}
	set := make(map[string]bool)
	for _, g := range d.Groups {
		for _, e := range g.Emoji {
			if e[0] == "" || set[e[0]] {
				panic(fmt.Sprintf("emoji: %s: blank or repeated emoji %q in %s", name, e[0], g.Name))
			}
			set[e[0]] = true
		}
	}
	if len(set) == 0 {
		panic("emoji: " + name + " holds no emoji")
	}
	return set
}
