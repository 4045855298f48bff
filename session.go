// session.go owns sessions and their cookies: creating a session at login,
// finding and checking it on every request and socket handshake, extending
// it on use, and reaping expired ones. Records live in the store; the cookie
// carries only the random id, signed and encrypted with securecookie.

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
)

const (
	// sessionCookie is the name of the cookie holding the session id.
	sessionCookie = "hearth_session"
	// touchInterval is how stale a session's LastSeen may get before a
	// request writes the new time (and a later expiry) to the store; it keeps
	// busy clients from writing on every request.
	touchInterval = time.Minute
	// maxUserAgent bounds what is stored of a client's User-Agent header.
	maxUserAgent = 256
)

var (
	errNoSession      = errors.New("no session cookie")
	errBadCookie      = errors.New("session cookie is invalid")
	errSessionExpired = errors.New("session expired")
)

// sessionManager issues and checks sessions. It is safe for concurrent use.
type sessionManager struct {
	st       *store
	codec    *securecookie.SecureCookie
	lifetime time.Duration

	// decoded remembers cookie values that passed the codec (HMAC check
	// and decryption, the costly part of a handshake) and the id and store
	// key of each. Only a value the codec accepted gets in; it is emptied
	// when full.
	decodedMu sync.Mutex
	decoded   map[string]decodedCookie
}

// decodedCookie is what a session cookie's value decodes to: the raw
// session id and its store key (sessionKey), hashed once per value.
type decodedCookie struct {
	id  []byte
	key string
}

// maxDecoded bounds the remembered cookie values.
const maxDecoded = 10_000

// newSessionManager loads (or creates on first start) the cookie keys from
// the store, so cookies stay valid across restarts and new binaries.
func newSessionManager(st *store, lifetime time.Duration) (*sessionManager, error) {
	hashKey, blockKey, err := st.cookieKeys(securecookie.GenerateRandomKey)
	if err != nil {
		return nil, err
	}
	codec := securecookie.New(hashKey, blockKey).
		SetSerializer(securecookie.NopEncoder{}).
		MaxAge(0) // The stored record's expiry is what counts, and it moves on use.
	return &sessionManager{st: st, codec: codec, lifetime: lifetime}, nil
}

// sessionKey is the store key for a raw session id.
func sessionKey(id []byte) string {
	sum := sha256.Sum256(id)
	return hex.EncodeToString(sum[:])
}

// create stores a fresh session for username and sets its cookie. The id is
// always new (no fixation); a session the request already carried is
// deleted, since this one replaces it, and its key returned as replaced so
// the caller can close its sockets.
func (sm *sessionManager) create(w http.ResponseWriter, r *http.Request, username string) (s session, replaced string, err error) {
	if old, err := sm.fromRequest(r); err == nil {
		if err := sm.st.deleteSession(old.Key); err != nil && !errors.Is(err, errSessionNotFound) {
			slog.Warn("delete replaced session", "err", err)
		}
		replaced = old.Key
	}
	id := make([]byte, 32) // 256 bits
	rand.Read(id)
	now := time.Now().UTC()
	s = session{
		Key:        sessionKey(id),
		User:       username,
		Created:    now,
		LastSeen:   now,
		Expires:    now.Add(sm.lifetime),
		UserAgent:  truncate(r.UserAgent(), maxUserAgent),
		RemoteAddr: clientAddr(r),
	}
	if err := sm.st.putSession(s); err != nil {
		return session{}, replaced, fmt.Errorf("create session for %q: %w", username, err)
	}
	if err := sm.setCookie(w, r, id); err != nil {
		return session{}, replaced, err
	}
	return s, replaced, nil
}

// setCookie sends a cookie carrying id. The codec encrypts the serialized
// value in place, and with the NopEncoder that value is id itself, so it is
// handed a copy: id may be the slice cookie remembers, and encrypting that
// would make every later request with the previous cookie value fail.
func (sm *sessionManager) setCookie(w http.ResponseWriter, r *http.Request, id []byte) error {
	value, err := sm.codec.Encode(sessionCookie, bytes.Clone(id))
	if err != nil {
		return fmt.Errorf("encode session cookie: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   int(sm.lifetime / time.Second),
		HttpOnly: true,
		Secure:   isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// clearCookie tells the browser to forget the session cookie.
func (sm *sessionManager) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// whyEnded is the error of a 401 for a request whose session is gone: the
// reason an admin ended it (reasonDisabled) while it would still have
// lasted, else "not logged in".
func (sm *sessionManager) whyEnded(r *http.Request) string {
	if d, err := sm.cookie(r); err == nil {
		reason, err := sm.st.endedReason(d.key, time.Now())
		if err != nil {
			slog.Warn("read ended session", "err", err)
		}
		if reason != "" {
			return reason
		}
	}
	return "not logged in"
}

// cookie decodes the request's session cookie: errNoSession without one,
// errBadCookie if it does not decode with our keys.
func (sm *sessionManager) cookie(r *http.Request) (decodedCookie, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return decodedCookie{}, errNoSession
	}
	sm.decodedMu.Lock()
	d, ok := sm.decoded[c.Value]
	sm.decodedMu.Unlock()
	if ok {
		return d, nil
	}
	if err := sm.codec.Decode(sessionCookie, c.Value, &d.id); err != nil || len(d.id) != 32 {
		return decodedCookie{}, errBadCookie
	}
	d.key = sessionKey(d.id)
	sm.decodedMu.Lock()
	if len(sm.decoded) >= maxDecoded || sm.decoded == nil {
		sm.decoded = make(map[string]decodedCookie)
	}
	sm.decoded[c.Value] = d
	sm.decodedMu.Unlock()
	return d, nil
}

// fromRequest returns the live session named by the request's cookie. It
// fails with errNoSession, errBadCookie, errSessionNotFound (logged out or
// revoked) or errSessionExpired; the reaper need not have run for an expired
// session to be refused.
func (sm *sessionManager) fromRequest(r *http.Request) (session, error) {
	d, err := sm.cookie(r)
	if err != nil {
		return session{}, err
	}
	s, err := sm.st.getSession(d.key)
	if err != nil {
		return session{}, err
	}
	return s, checkExpiry(&s)
}

// userFromRequest is fromRequest that also loads the session's user, in the
// same read, into s and u; a deleted user is errUserNotFound.
func (sm *sessionManager) userFromRequest(r *http.Request, s *session, u *user) error {
	d, err := sm.cookie(r)
	if err != nil {
		return err
	}
	if err := sm.st.getSessionAndUser(d.key, s, u); err != nil {
		return err
	}
	return checkExpiry(s)
}

func checkExpiry(s *session) error {
	if !time.Now().Before(s.Expires) {
		return errSessionExpired
	}
	return nil
}

// touch extends a session that was last seen more than touchInterval ago,
// storing the new last-seen time and expiry. When w is not nil the cookie is
// re-sent with the new lifetime. A failed write is logged, not fatal: the
// session is still valid until its old expiry.
func (sm *sessionManager) touch(w http.ResponseWriter, r *http.Request, s *session) {
	if time.Since(s.LastSeen) < touchInterval {
		return
	}
	updated, err := sm.st.touchSession(s.Key, time.Now().UTC(), sm.lifetime, clientAddr(r))
	if err != nil {
		if !errors.Is(err, errSessionNotFound) {
			slog.Warn("extend session", "user", s.User, "err", err)
		}
		return
	}
	*s = updated
	if w == nil {
		return
	}
	if d, err := sm.cookie(r); err == nil {
		if err := sm.setCookie(w, r, d.id); err != nil {
			slog.Warn("refresh session cookie", "err", err)
		}
	}
}

// reap runs every interval until ctx is done. Sessions with an open socket
// are in use, so it extends them (live returns their keys); then it deletes
// expired sessions. Every tick it passes ended the keys of sessions that
// are gone (expired, or deleted under a live socket), so their sockets can
// be closed.
func (sm *sessionManager) reap(ctx context.Context, interval time.Duration, live func() []string, ended func(keys []string)) {
	every(ctx, interval, func() {
		now := time.Now().UTC()
		gone, err := sm.st.extendSessions(slices.Compact(slices.Sorted(slices.Values(live()))), now, sm.lifetime)
		if err != nil {
			slog.Error("extend live sessions", "err", err)
		}
		expired, err := sm.st.deleteExpiredSessions(now)
		if err != nil {
			slog.Error("reap sessions", "err", err)
		}
		if len(expired) > 0 {
			slog.Info("reaped expired sessions", "count", len(expired))
		}
		ended(append(gone, expired...))
	})
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
