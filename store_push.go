// store_push.go owns what phone notifications keep: each device's Web Push
// subscriptions (they belong to its session and go with it) and each
// person's notification settings (a level per room, quiet hours, who may
// break through them, whether texts are hidden), which follow the person
// across devices.

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// pushSubscription is one device's subscription to a push service, as the
// browser's PushSubscription gives it. It is stored under its session's key
// and its ID, so ending the session deletes it in the same transaction.
type pushSubscription struct {
	ID       string    `json:"id"`      // pushSubscriptionID(Endpoint)
	Session  string    `json:"session"` // the session (device) it belongs to
	User     string    `json:"user"`
	Endpoint string    `json:"endpoint"`
	P256dh   string    `json:"p256dh"` // the browser's ECDH public key, base64url
	Auth     string    `json:"auth"`   // the browser's auth secret, base64url
	Created  time.Time `json:"created"`
}

// Limits on subscriptions: a browser has one per site, but a device that
// re-subscribes leaves its old one behind until the push service says it
// is gone. Past a limit the oldest goes, since the newest is the one that
// works; the per-user limit bounds how many requests one message can make
// the server send, whatever number of sessions someone opens.
const (
	maxPushPerSession = 4
	maxPushPerUser    = 10
)

// errPushNotFound is a subscription id that names none of the user's.
var errPushNotFound = errors.New("no such push subscription")

// errPushOff refuses a device's subscribing again by itself (resume) after
// its person removed it from the list on another device.
var errPushOff = errors.New("notifications were turned off for this device")

// pushSubscriptionID names a subscription by its endpoint, without
// showing the endpoint (a capability URL) to anyone who lists devices.
func pushSubscriptionID(endpoint string) string {
	sum := sha256.Sum256([]byte(endpoint))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func pushKey(session, id string) []byte { return []byte(session + "\x00" + id) }

// putPushSubscription stores sub for its session, replacing the session's
// subscription with the same endpoint, and drops the oldest past the
// limits. created is false when it replaced one. It returns
// errSessionNotFound, wrapped, if the session ended meanwhile: a
// subscription must never outlive its session.
//
// resume is a device subscribing again by itself (it had push on, and the
// server no longer knew it): refused with errPushOff, wrapped, when its
// person removed the device from another one. A subscription the person
// asked for (not resume) turns that off again.
func (st *store) putPushSubscription(sub pushSubscription, resume bool) (created bool, err error) {
	sub.ID = pushSubscriptionID(sub.Endpoint)
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		var sess session
		if err := getJSON(tx.Bucket(bucketSessions), []byte(sub.Session), &sess, errSessionNotFound); err != nil {
			return err
		}
		if sess.PushOff {
			if resume {
				return errPushOff
			}
			sess.PushOff = false
			if err := putJSON(tx.Bucket(bucketSessions), []byte(sub.Session), sess); err != nil {
				return err
			}
		}
		b := tx.Bucket(bucketPush)
		key := pushKey(sub.Session, sub.ID)
		created = b.Get(key) == nil
		if err := putJSON(b, key, sub); err != nil {
			return err
		}
		var mine, session []pushSubscription
		err := forEachJSON(b, "push subscription", func(_ []byte, s pushSubscription) error {
			if s.User == sub.User {
				mine = append(mine, s)
				if s.Session == sub.Session {
					session = append(session, s)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, old := range oldestBeyond(session, maxPushPerSession) {
			if err := b.Delete(pushKey(old.Session, old.ID)); err != nil {
				return err
			}
			mine = slices.DeleteFunc(mine, func(s pushSubscription) bool { return s.Session == old.Session && s.ID == old.ID })
		}
		for _, old := range oldestBeyond(mine, maxPushPerUser) {
			if err := b.Delete(pushKey(old.Session, old.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: put push subscription of %q: %w", sub.User, err)
	}
	return created, nil
}

// oldestBeyond returns the subscriptions of subs past the newest limit.
func oldestBeyond(subs []pushSubscription, limit int) []pushSubscription {
	if len(subs) <= limit {
		return nil
	}
	subs = slices.Clone(subs)
	slices.SortFunc(subs, func(a, b pushSubscription) int { return b.Created.Compare(a.Created) })
	return subs[limit:]
}

// deleteSessionPush deletes the session's subscription with endpoint, or
// all of the session's when endpoint is "". It returns how many went.
func (st *store) deleteSessionPush(session, endpoint string) (int, error) {
	var n int
	err := st.db.Update(func(tx *bbolt.Tx) error {
		if endpoint != "" {
			key := pushKey(session, pushSubscriptionID(endpoint))
			if tx.Bucket(bucketPush).Get(key) == nil {
				n = 0
				return nil
			}
			n = 1
			return tx.Bucket(bucketPush).Delete(key)
		}
		var err error
		n, err = deleteSessionPushTx(tx, session)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete push subscriptions of a session: %w", err)
	}
	return n, nil
}

// deleteUserPush deletes the subscription id of user, whichever of their
// sessions it belongs to; errPushNotFound if they have none such. Its
// session is marked PushOff, so that device does not subscribe again by
// itself.
func (st *store) deleteUserPush(user, id string) error {
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		var sessions []string
		err := deletePushWhereTx(tx, errPushNotFound, func(s pushSubscription) bool {
			if s.User == user && s.ID == id {
				sessions = append(sessions, s.Session)
				return true
			}
			return false
		})
		if err != nil {
			return err
		}
		sb := tx.Bucket(bucketSessions)
		for _, key := range sessions {
			var sess session
			if getJSON(sb, []byte(key), &sess, errSessionNotFound) != nil {
				continue // ended meanwhile
			}
			sess.PushOff = true
			if err := putJSON(sb, []byte(key), sess); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPushNotFound) {
		return fmt.Errorf("store: delete push subscription of %q: %w", user, err)
	}
	return err
}

// deletePushEndpoint deletes every subscription with endpoint: its push
// service said it is gone (404 or 410).
func (st *store) deletePushEndpoint(endpoint string) (int, error) {
	id := pushSubscriptionID(endpoint)
	var n int
	err := st.db.Update(func(tx *bbolt.Tx) error {
		n = 0
		return deletePushWhereTx(tx, nil, func(s pushSubscription) bool {
			if s.ID == id {
				n++
				return true
			}
			return false
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete a gone push subscription: %w", err)
	}
	return n, nil
}

// deletePushWhereTx deletes the subscriptions gone matches (and any that
// do not decode); notFound, if not nil, is returned when none matched.
func deletePushWhereTx(tx *bbolt.Tx, notFound error, gone func(pushSubscription) bool) error {
	b := tx.Bucket(bucketPush)
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var s pushSubscription
		if json.Unmarshal(v, &s) != nil || gone(s) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(keys) == 0 && notFound != nil {
		return notFound
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// deleteSessionPushTx deletes every subscription of the session: it ends
// in the same transaction (logout, revoke, disable, password change or
// reset, expiry).
func deleteSessionPushTx(tx *bbolt.Tx, session string) (int, error) {
	prefix := []byte(session + "\x00")
	c := tx.Bucket(bucketPush).Cursor()
	n := 0
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// replacePushKeys stores a new VAPID key pair in meta and deletes every
// subscription, made with the old pair, in one transaction. It returns how
// many went.
func (st *store) replacePushKeys(keys map[string][]byte) (int, error) {
	var n int
	err := st.db.Update(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketPush).Stats().KeyN
		if err := tx.DeleteBucket(bucketPush); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketPush); err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		for k, v := range keys {
			if err := meta.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: replace the push keys: %w", err)
	}
	return n, nil
}

// hasPushSubscription reports whether sub is still stored, as it was:
// not deleted since (nor replaced by a subscription with new keys).
func (st *store) hasPushSubscription(sub pushSubscription) (bool, error) {
	var found bool
	err := st.db.View(func(tx *bbolt.Tx) error {
		var cur pushSubscription
		err := getJSON(tx.Bucket(bucketPush), pushKey(sub.Session, sub.ID), &cur, errPushNotFound)
		found = err == nil && cur.Endpoint == sub.Endpoint && cur.P256dh == sub.P256dh && cur.Auth == sub.Auth
		if errors.Is(err, errPushNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: read a push subscription: %w", err)
	}
	return found, nil
}

// pushSubscriptions returns the subscriptions of user, newest first; with
// session set, only that session's.
func (st *store) pushSubscriptions(user, session string) ([]pushSubscription, error) {
	var out []pushSubscription
	err := st.db.View(func(tx *bbolt.Tx) error {
		return forEachJSON(tx.Bucket(bucketPush), "push subscription", func(_ []byte, s pushSubscription) error {
			if s.User == user && (session == "" || s.Session == session) {
				out = append(out, s)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: read push subscriptions of %q: %w", user, err)
	}
	slices.SortFunc(out, func(a, b pushSubscription) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// Notification levels of a room.
const (
	levelAll      = "all"      // every message
	levelMentions = "mentions" // @mentions, and every message of a DM (a DM is addressed to you)
	levelNone     = "none"     // nothing
)

// notifySettings are one person's notification choices, on every device.
type notifySettings struct {
	Rooms        map[string]string `json:"rooms,omitempty"` // room → level; a room absent has the default
	HideText     bool              `json:"hide_text,omitempty"`
	Quiet        quietHours        `json:"quiet"`
	Breakthrough []string          `json:"breakthrough,omitempty"` // whose DMs notify in quiet hours
}

// quietHours is a daily span, in the person's own time zone, when nothing
// buzzes their phone (but the DMs of Breakthrough people).
type quietHours struct {
	Enabled bool   `json:"enabled"`
	From    string `json:"from"` // "22:00"
	To      string `json:"to"`   // "07:00"; before From, the span crosses midnight
	Zone    string `json:"zone"` // an IANA zone, "Europe/Paris"; "" is UTC
}

// defaultNotifySettings are a person's until they choose: the defaults of
// each room's level, and quiet hours off (but filled in, ready to turn on).
func defaultNotifySettings() notifySettings {
	return notifySettings{Rooms: map[string]string{}, Quiet: quietHours{From: "22:00", To: "07:00"}}
}

// level is the person's level for r: their choice, or every message of a
// DM and mentions elsewhere.
func (ns notifySettings) level(r room) string {
	if l, ok := ns.Rooms[r.Name]; ok {
		return l
	}
	if r.DM {
		return levelAll
	}
	return levelMentions
}

// notifySettingsOf returns user's settings, the defaults if they never
// chose.
func (st *store) notifySettingsOf(user string) (notifySettings, error) {
	ns := defaultNotifySettings()
	err := st.db.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketNotify), []byte(user), &ns, nil)
	})
	if err != nil {
		return notifySettings{}, fmt.Errorf("store: read notification settings of %q: %w", user, err)
	}
	if ns.Rooms == nil {
		ns.Rooms = map[string]string{}
	}
	return ns, nil
}

// updateNotifySettings changes user's settings with change, which may
// refuse by returning an error (nothing is written then), and returns them
// as stored.
func (st *store) updateNotifySettings(user string, change func(*notifySettings) error) (notifySettings, error) {
	var ns notifySettings
	err := st.db.Update(func(tx *bbolt.Tx) error {
		ns = defaultNotifySettings()
		b := tx.Bucket(bucketNotify)
		if err := getJSON(b, []byte(user), &ns, nil); err != nil {
			return err
		}
		if ns.Rooms == nil {
			ns.Rooms = map[string]string{}
		}
		if err := change(&ns); err != nil {
			return err
		}
		return putJSON(b, []byte(user), ns)
	})
	if err != nil {
		return notifySettings{}, fmt.Errorf("store: change notification settings of %q: %w", user, err)
	}
	return ns, nil
}

// moveRoomLevelsTx moves everyone's level for the room from to the room
// to (a rename), or drops it when to is "" (a delete), so a room made
// later with the old name starts from the defaults.
func moveRoomLevelsTx(tx *bbolt.Tx, from, to string) error {
	b := tx.Bucket(bucketNotify)
	type change struct {
		user []byte
		ns   notifySettings
	}
	var changed []change
	err := forEachJSON(b, "notification settings", func(k []byte, ns notifySettings) error {
		level, ok := ns.Rooms[from]
		if !ok {
			return nil
		}
		delete(ns.Rooms, from)
		if to != "" {
			ns.Rooms[to] = level
		}
		changed = append(changed, change{bytes.Clone(k), ns})
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changed {
		if err := putJSON(b, c.user, c.ns); err != nil {
			return err
		}
	}
	return nil
}
