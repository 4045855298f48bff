// push_plan.go owns who is pushed a message and what they are told: the
// audience of a room as committed, each person's level, quiet hours and
// who may break through them, and the payload the service worker shows
// (title, a cut preview or only who wrote, the unread total for the badge).

package main

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/SherClockHolmes/webpush-go"
)

// pushPayload is what the service worker receives, decrypted.
type pushPayload struct {
	Type  string `json:"type"` // "message", or "test"
	Room  string `json:"room,omitempty"`
	DM    bool   `json:"dm,omitempty"`
	Title string `json:"title"`          // names the sender by their display name
	From  string `json:"from,omitempty"` // the sender's login name
	// Icon is the sender's profile picture, versioned (absent when they
	// have none: the app's icon shows).
	Icon     string `json:"icon,omitempty"`
	Body     string `json:"body"`
	ID       uint64 `json:"id,omitempty"`
	Mention  bool   `json:"mention,omitempty"`
	Unread   int    `json:"unread"` // the person's unread total, for the app badge
	Tag      string `json:"tag"`    // one notification per room: a new one replaces it
	Renotify bool   `json:"renotify,omitempty"`
}

// pushJob is a committed message to push to whoever it should reach.
type pushJob struct {
	msg  message
	room room            // as committed with the message: who may see it is decided by this
	seen map[string]bool // users with a visible socket when it was delivered
}

// plan turns a message into the pushes it makes: one per device of each
// person who may see its room, but not its sender, whose level for the
// room asks for it, who is not reading Hearth on a visible page, and who
// is not in their quiet hours (unless it is a DM from someone allowed to
// break through them).
func (p *pusher) plan(j pushJob, now time.Time) {
	sender := p.sender(j.msg)
	for _, name := range p.audience(j) {
		ns, err := p.st.notifySettingsOf(name)
		if err != nil {
			slog.Error("push: read settings", "user", name, "err", err)
			continue
		}
		mention := slices.Contains(j.msg.Mentions, name)
		if !ns.wants(j.room, mention) || (ns.Quiet.during(now) && !ns.breaksThrough(j.room, j.msg.User)) {
			continue
		}
		subs, err := p.st.pushSubscriptions(name, "")
		if err != nil || len(subs) == 0 {
			if err != nil {
				slog.Error("push: read subscriptions", "user", name, "err", err)
			}
			continue
		}
		payload, err := json.Marshal(messagePayload(j, sender, ns, mention, p.unreadTotal(name)))
		if err != nil {
			slog.Error("push: encode payload", "err", err)
			continue
		}
		urgency := webpush.UrgencyNormal
		if mention || j.room.DM {
			urgency = webpush.UrgencyHigh
		}
		for _, sub := range subs {
			if p.sends.put(pushSend{sub: sub, payload: payload, topic: pushTopic(j.room.Name), urgency: urgency}) {
				metricPushDropped.Inc()
			}
		}
	}
}

// audience is who may be pushed j: the members of a private room or DM,
// or every enabled person for a public room; never its sender, nor anyone
// reading on a visible page.
func (p *pusher) audience(j pushJob) []string {
	var names []string
	if j.room.Private {
		names = j.room.Members
	} else {
		users, err := p.st.listUsers()
		if err != nil {
			slog.Error("push: list users", "err", err)
			return nil
		}
		for _, u := range users {
			if !u.Disabled {
				names = append(names, u.Name)
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == j.msg.User || j.seen[n] })
}

// wants reports whether a message in r reaches the person at their level.
func (ns notifySettings) wants(r room, mention bool) bool {
	switch ns.level(r) {
	case levelAll:
		return true
	case levelMentions:
		return mention || r.DM
	}
	return false
}

// breaksThrough reports whether a message from sender in r notifies in
// quiet hours: a DM from one of the people the person chose.
func (ns notifySettings) breaksThrough(r room, sender string) bool {
	return r.DM && slices.Contains(ns.Breakthrough, sender)
}

// during reports whether t falls in the quiet hours. A span whose end is
// before its start crosses midnight (22:00-07:00).
func (q quietHours) during(t time.Time) bool {
	if !q.Enabled {
		return false
	}
	from, err1 := parseClock(q.From)
	to, err2 := parseClock(q.To)
	loc, err3 := time.LoadLocation(q.Zone)
	if err1 != nil || err2 != nil || err3 != nil || from == to {
		return false
	}
	local := t.In(loc)
	now := local.Hour()*60 + local.Minute()
	if from < to {
		return now >= from && now < to
	}
	return now >= from || now < to
}

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day like 22:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// pushSender is who wrote a pushed message, as notifications show them.
type pushSender struct {
	name string // the display name, or the login name
	icon string // the profile picture's URL; "" when none
}

// sender is how j's notifications name its writer: by their display name
// and picture, as stored now; a bot (or an account gone) by its name.
func (p *pusher) sender(m message) pushSender {
	if m.Bot {
		return pushSender{name: m.User}
	}
	u, err := p.st.getUser(m.User)
	if err != nil {
		if !errors.Is(err, errUserNotFound) {
			slog.Error("push: read the sender", "user", m.User, "err", err)
		}
		return pushSender{name: m.User}
	}
	s := pushSender{name: cmp.Or(u.DisplayName, u.Name)}
	if u.Avatar != 0 {
		s.icon = fmt.Sprintf("/api/users/%s/avatar?v=%d", u.Name, u.Avatar)
	}
	return s
}

// messagePayload is what a person's devices are told of j: who wrote
// (by display name, with their picture) where, the start of the text (or
// only who, when they hide texts), and their unread total for the app's
// badge.
func messagePayload(j pushJob, from pushSender, ns notifySettings, mention bool, unread int) pushPayload {
	m, r := j.msg, j.room
	title := from.name + " in #" + r.Name
	if r.DM {
		title = from.name
	}
	body := m.Body
	if m.File != nil {
		body = "shared " + m.File.Name
	}
	if ns.HideText {
		body = "New message from " + from.name
	}
	return pushPayload{
		Type: "message", Room: r.Name, DM: r.DM, Title: title, From: m.User, Icon: from.icon,
		Body: cutRunes(body, pushBodyLen), ID: m.ID, Mention: mention, Unread: unread,
		Tag: "room:" + r.Name, Renotify: r.DM || mention,
	}
}

// cutRunes shortens s to at most n runes, marking the cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for range n - 1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + "…"
}

// pushTopic names r's pushes for the push service, which keeps only the
// newest of a topic for a device that is off: a burst becomes one
// notification. A topic is at most 32 characters of base64url.
func pushTopic(room string) string {
	sum := sha256.Sum256([]byte(room))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:32]
}

// unreadTotal is name's unread count over every room they may see, for
// the badge on the app's icon.
func (p *pusher) unreadTotal(name string) int {
	total := 0
	for _, r := range p.st.listRooms() {
		if !r.visibleTo(name) {
			continue
		}
		if rs, err := p.st.unread(name, r.Name); err == nil {
			total += rs.Unread
		}
	}
	return total
}
