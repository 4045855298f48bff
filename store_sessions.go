// store_sessions.go owns sessions, one per logged-in device: storing,
// reading (through the account cache), extending and ending them (a
// logout, a revoke, expiry, or every session of a person at once), each
// ending taking the session's push subscriptions with it, and what is left
// of a session an admin ended (why, for the device to be told).

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"
)

// session is the server-side record behind a session cookie. The cookie holds
// the random id; the store keys the record by the id's SHA-256 (Key), so a
// copy of the database does not hand out live cookies.
type session struct {
	Key        string    `json:"key"`
	User       string    `json:"user"`
	Created    time.Time `json:"created"`
	LastSeen   time.Time `json:"last_seen"`
	Expires    time.Time `json:"expires"`
	UserAgent  string    `json:"user_agent"`
	RemoteAddr string    `json:"remote_addr"`
	// PushOff is set when the person removed this device from the list
	// of those pushed, from another device: the device then does not
	// subscribe again by itself (see putPushSubscription).
	PushOff bool `json:"push_off,omitempty"`
}

// putSession stores (or replaces) a session record.
func (st *store) putSession(s session) error {
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketSessions), []byte(s.Key), s)
	})
	if err != nil {
		return fmt.Errorf("store: put session of %q: %w", s.User, err)
	}
	return nil
}

// getSession returns the session stored under key. It returns the bare
// errSessionNotFound if there is none (a lookup's miss is an answer), and
// wraps any other error. It does not check expiry.
func (st *store) getSession(key string) (session, error) {
	s, err := readJSON[session](st, bucketSessions, key, errSessionNotFound)
	if err != nil && !errors.Is(err, errSessionNotFound) {
		return session{}, fmt.Errorf("store: get session: %w", err)
	}
	return s, err
}

// getSessionAndUser loads the session stored under key, and its user, into
// s and u. It returns the bare errSessionNotFound or errUserNotFound if
// either is missing (a lookup's miss is an answer), and wraps any other
// error. It does not check expiry. Records come from the cache when they
// are there. The records are filled in, not returned, because this is on
// every socket's handshake: copies of both at each level of the calls would
// outgrow a fresh goroutine's stack (see socketFor).
func (st *store) getSessionAndUser(key string, s *session, u *user) error {
	c := &st.accounts
	c.mu.Lock()
	if cs := c.sessions[key]; cs != nil {
		if cu := c.users[cs.User]; cu != nil {
			*s, *u = *cs, *cu
			c.mu.Unlock()
			return nil
		}
	}
	gen := c.gen
	c.mu.Unlock()
	return st.readSessionAndUser(key, gen, s, u)
}

// readSessionAndUser is getSessionAndUser's read of the database, kept
// apart so that the records it decodes into, which the transaction's
// closure captures and json moves to the heap, are its own and not the
// caller's: a cached lookup allocates nothing.
func (st *store) readSessionAndUser(key string, gen uint64, sOut *session, uOut *user) error {
	var s session
	var u user
	err := st.db.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketSessions), []byte(key), &s, errSessionNotFound); err != nil {
			return err
		}
		return getJSON(tx.Bucket(bucketUsers), []byte(s.User), &u, errUserNotFound)
	})
	switch {
	case errors.Is(err, errSessionNotFound), errors.Is(err, errUserNotFound):
		return err
	case err != nil:
		return fmt.Errorf("store: get session and user: %w", err)
	}
	c := &st.accounts
	c.mu.Lock()
	if c.gen == gen { // no write committed since we looked
		if c.sessions == nil {
			c.sessions, c.users = make(map[string]*session), make(map[string]*user)
		}
		c.sessions[key], c.users[u.Name] = &s, &u
	}
	c.mu.Unlock()
	*sOut, *uOut = s, u
	return nil
}

// deleteSession removes the session stored under key. It returns
// errSessionNotFound, wrapped, if there was none.
func (st *store) deleteSession(key string) error {
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if b.Get([]byte(key)) == nil {
			return errSessionNotFound
		}
		if _, err := deleteSessionPushTx(tx, key); err != nil {
			return err
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// listSessions returns the sessions of one user, most recently seen first.
func (st *store) listSessions(name string) ([]session, error) {
	var out []session
	err := st.forEachSession(func(s session) error {
		if s.User == name {
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, err // forEachSession says what failed
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out, nil
}

// touchSession moves the session's last-seen time to now, its expiry to
// now+lifetime and its address to addr, and returns the result. It returns
// errSessionNotFound, wrapped, if the session was deleted meanwhile: a
// logout must never be undone by a request that read the session before it.
func (st *store) touchSession(key string, now time.Time, lifetime time.Duration, addr string) (session, error) {
	var s session
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if err := getJSON(b, []byte(key), &s, errSessionNotFound); err != nil {
			return err
		}
		s.LastSeen, s.Expires = now, now.Add(lifetime)
		if addr != "" {
			s.RemoteAddr = addr
		}
		return putJSON(b, []byte(key), s)
	})
	if err != nil {
		return session{}, fmt.Errorf("store: touch session: %w", err)
	}
	return s, nil
}

// extendSessions moves the last-seen time of the sessions under keys to now
// and their expiry to now+lifetime. It returns the keys that no longer
// exist.
func (st *store) extendSessions(keys []string, now time.Time, lifetime time.Duration) (missing []string, err error) {
	if len(keys) == 0 {
		return nil, nil
	}
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		missing = missing[:0]
		b := tx.Bucket(bucketSessions)
		for _, k := range keys {
			var s session
			if err := getJSON(b, []byte(k), &s, errSessionNotFound); err != nil {
				if errors.Is(err, errSessionNotFound) {
					missing = append(missing, k)
					continue
				}
				return err
			}
			s.LastSeen, s.Expires = now, now.Add(lifetime)
			if err := putJSON(b, []byte(k), s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: extend %d sessions: %w", len(keys), err)
	}
	return missing, nil
}

// deleteExpiredSessions removes every session whose expiry is not after now
// and returns their keys. Expired endedSessions go too.
func (st *store) deleteExpiredSessions(now time.Time) ([]string, error) {
	var expired []string
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		expired = expired[:0] // Update may not retry, but keep fn idempotent.
		b := tx.Bucket(bucketSessions)
		c := b.Cursor()
		for k, v := c.First(); k != nil; {
			var s session
			if err := json.Unmarshal(v, &s); err != nil || !now.Before(s.Expires) {
				expired = append(expired, string(k))
				if err := c.Delete(); err != nil {
					return err
				}
				if _, err := deleteSessionPushTx(tx, string(k)); err != nil {
					return err
				}
				k, v = c.Seek(k) // Delete leaves the cursor before the next key.
				continue
			}
			k, v = c.Next()
		}
		return deleteEndedTx(tx, func(e endedSession) bool { return !now.Before(e.Expires) })
	})
	if err != nil {
		return nil, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return expired, nil
}

// forEachSession passes every stored session to fn, stopping at fn's first
// error, which it returns wrapped.
func (st *store) forEachSession(fn func(session) error) error {
	err := st.db.View(func(tx *bbolt.Tx) error {
		return forEachJSON(tx.Bucket(bucketSessions), "session", func(_ []byte, s session) error { return fn(s) })
	})
	if err != nil {
		return fmt.Errorf("store: read sessions: %w", err)
	}
	return nil
}

// reasonDisabled is why the sessions of a disabled account ended: the
// sockets' close reason and the 401's error say it, and the client shows it.
const reasonDisabled = "account disabled"

// endedSession is what is left of a session an admin ended: whose it was,
// why, and until when it would have lasted (after which it goes too).
type endedSession struct {
	User    string    `json:"user"`
	Reason  string    `json:"reason"`
	Expires time.Time `json:"expires"`
}

// endUserSessionsTx deletes every session of name, as deleteUserSessionsTx
// does, and keeps an endedSession with reason for each.
func endUserSessionsTx(tx *bbolt.Tx, name, reason string) ([]string, error) {
	ended := tx.Bucket(bucketEnded)
	err := tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
		var s session
		if json.Unmarshal(v, &s) != nil || s.User != name {
			return nil
		}
		return putJSON(ended, k, endedSession{User: name, Reason: reason, Expires: s.Expires})
	})
	if err != nil {
		return nil, err
	}
	return deleteUserSessionsTx(tx, name)
}

// forgetEndedTx deletes the endedSessions of name.
func forgetEndedTx(tx *bbolt.Tx, name string) error {
	return deleteEndedTx(tx, func(e endedSession) bool { return e.User == name })
}

// deleteEndedTx deletes the endedSessions gone matches (and any that do
// not decode).
func deleteEndedTx(tx *bbolt.Tx, gone func(endedSession) bool) error {
	c := tx.Bucket(bucketEnded).Cursor()
	for k, v := c.First(); k != nil; {
		var e endedSession
		if err := json.Unmarshal(v, &e); err != nil || gone(e) {
			if err := c.Delete(); err != nil {
				return err
			}
			k, v = c.Seek(k) // Delete leaves the cursor before the next key.
			continue
		}
		k, v = c.Next()
	}
	return nil
}

// endedReason says why the session key ended, if an admin ended it and it
// would not have expired by now; "" otherwise.
func (st *store) endedReason(key string, now time.Time) (string, error) {
	var e endedSession
	err := st.db.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketEnded), []byte(key), &e, errSessionNotFound)
	})
	switch {
	case errors.Is(err, errSessionNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("store: read ended session: %w", err)
	case !now.Before(e.Expires):
		return "", nil
	}
	return e.Reason, nil
}

func deleteUserSessionsTx(tx *bbolt.Tx, name string) ([]string, error) {
	var keys []string
	b := tx.Bucket(bucketSessions)
	err := b.ForEach(func(k, v []byte) error {
		var s session
		if json.Unmarshal(v, &s) == nil && s.User == name {
			keys = append(keys, string(k))
		}
		return nil
	})
	for _, k := range keys {
		if err := b.Delete([]byte(k)); err != nil {
			return nil, err
		}
		if _, err := deleteSessionPushTx(tx, k); err != nil {
			return nil, err
		}
	}
	return keys, err
}
