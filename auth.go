// auth.go owns who may have an account and how they prove it: name and
// password rules, password hashing, the one-time setup token, invite codes
// and the limits on failed logins. It stores nothing itself.

package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

const (
	minPasswordLen = 8
	// maxPasswordLen is bcrypt's limit: it ignores bytes past 72.
	maxPasswordLen = 72
)

// bcryptCost is the work factor for new password hashes. Tests lower it.
var bcryptCost = bcrypt.DefaultCost

var (
	usernamePattern = regexp.MustCompile(`^[a-z0-9_.-]{1,32}$`)
	roomNamePattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	dmNamePattern   = regexp.MustCompile(`^@[a-z0-9_.-]{1,32}\+[a-z0-9_.-]{1,32}$`)
)

// validUsername explains what is wrong with name, or returns nil.
func validUsername(name string) error {
	if !usernamePattern.MatchString(name) {
		return errors.New("username must be 1-32 characters of a-z, 0-9, '_', '.' or '-'")
	}
	return nil
}

// validRoomName explains what is wrong with name, or returns nil.
func validRoomName(name string) error {
	if !roomNamePattern.MatchString(name) {
		return errors.New("room name must be 1-32 characters of a-z, 0-9 or '-'")
	}
	return nil
}

// isRoomKey reports whether name can name a room: a room name, or a direct
// conversation's (see dmName).
func isRoomKey(name string) bool {
	return roomNamePattern.MatchString(name) || dmNamePattern.MatchString(name)
}

// validPassword explains what is wrong with pw, or returns nil.
func validPassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < minPasswordLen:
		return fmt.Errorf("password must be at least %d characters", minPasswordLen)
	case len(pw) > maxPasswordLen:
		return fmt.Errorf("password must be at most %d bytes", maxPasswordLen)
	}
	return nil
}

// hashPassword returns a salted bcrypt hash of pw.
func hashPassword(pw string) ([]byte, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// dummyHash is compared against when a login names an unknown user, so the
// answer takes as long as for a known one and does not reveal which names
// exist.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), bcryptCost)
	return h
})

// checkPassword reports whether pw matches hash; a nil hash never matches but
// costs the same time.
func checkPassword(hash []byte, pw string) bool {
	if hash == nil {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil
}

// newUser validates name and password and returns a user ready to store.
func newUser(name, password string, admin bool) (user, error) {
	if err := validUsername(name); err != nil {
		return user{}, err
	}
	if err := validPassword(password); err != nil {
		return user{}, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return user{}, err
	}
	return user{Name: name, Hash: hash, Admin: admin, Created: time.Now().UTC()}, nil
}

// setupToken guards the creation of the first (admin) account. It exists
// only while the database has no users and dies once used.
type setupToken struct {
	mu    sync.Mutex
	token string // empty once setup is done
}

// newSetupToken returns a guard holding a fresh random token.
func newSetupToken() *setupToken { return &setupToken{token: rand.Text()} }

// value returns the current token, or "" when setup is done.
func (t *setupToken) value() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token
}

// matches reports whether candidate is the live token, in constant time.
func (t *setupToken) matches(candidate string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token != "" && subtle.ConstantTimeCompare([]byte(t.token), []byte(candidate)) == 1
}

// consume kills the token: setup is done.
func (t *setupToken) consume() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.token = ""
}

// failureLimiter counts failures per key (an address, a username) in
// token buckets: each failure takes a token, and a key with no token left
// must wait for the refill. Successes cost nothing. Attempts still being
// checked hold a token, so concurrent guesses cannot overshoot the limit;
// an attempt that finds every remaining token held waits for one of those
// to end (they may well succeed) instead of being refused. Full buckets are
// forgotten by prune, so the map stays as small as the number of recent
// offenders.
type failureLimiter struct {
	every rate.Limit
	burst int

	mu sync.Mutex
	m  map[string]*failureBucket // guarded by mu
}

type failureBucket struct {
	lim      *rate.Limiter
	inFlight int           // attempts begun and not yet ended
	changed  chan struct{} // closed, and replaced, when an attempt ends
}

// errTooManyFailures is begin's refusal: the key's failures used up its
// bucket.
var errTooManyFailures = errors.New("too many failed attempts")

func newFailureLimiter(every rate.Limit, burst int) *failureLimiter {
	return &failureLimiter{every: every, burst: burst, m: make(map[string]*failureBucket)}
}

// bucket returns key's bucket, made if needed. fl.mu must be held.
func (fl *failureLimiter) bucket(key string) *failureBucket {
	b, found := fl.m[key]
	if !found {
		b = &failureBucket{lim: rate.NewLimiter(fl.every, fl.burst), changed: make(chan struct{})}
		fl.m[key] = b
	}
	return b
}

// begin starts an attempt for key. When the key's failures have used up
// its bucket it returns errTooManyFailures and how long until an attempt
// may be made. When the tokens left are all held by attempts in flight, it
// waits for one of them to end, or returns ctx's error once ctx is done.
// On a nil error the caller must call end.
func (fl *failureLimiter) begin(ctx context.Context, key string) (wait time.Duration, err error) {
	for {
		fl.mu.Lock()
		b := fl.bucket(key) // looked up again each time: prune may have replaced it
		have := b.lim.Tokens()
		switch {
		case have < 1:
			fl.mu.Unlock()
			if fl.every <= 0 {
				return time.Hour, errTooManyFailures
			}
			return time.Duration((1 - have) / float64(fl.every) * float64(time.Second)), errTooManyFailures
		case have >= float64(b.inFlight+1):
			b.inFlight++
			fl.mu.Unlock()
			return 0, nil
		}
		changed := b.changed
		fl.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// end finishes an attempt begun for key; a failure takes a token.
func (fl *failureLimiter) end(key string, failed bool) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	b := fl.m[key]
	b.inFlight--
	if failed {
		b.lim.Allow()
	}
	b.wake()
}

// wake tells the attempts waiting in begin that b changed. fl.mu must be
// held.
func (b *failureBucket) wake() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// limited reports whether key's failures have used up its bucket.
func (fl *failureLimiter) limited(key string) bool {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	b, found := fl.m[key]
	return found && b.lim.Tokens() < 1
}

// clear forgets key's failures: its bucket is full again. Attempts in
// flight still end normally.
func (fl *failureLimiter) clear(key string) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if b, found := fl.m[key]; found {
		b.lim = rate.NewLimiter(fl.every, fl.burst)
		b.wake()
	}
}

// prune forgets idle keys whose buckets are full again.
func (fl *failureLimiter) prune() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	for k, b := range fl.m {
		if b.inFlight == 0 && b.lim.Tokens() >= float64(fl.burst) {
			delete(fl.m, k)
		}
	}
}

// loginQueueWait bounds how long a login waits behind others from the same
// address or for the same name (see failureLimiter.begin).
const loginQueueWait = 10 * time.Second

// Why loginGuard.attempt refused a try.
var (
	errAddrLimited = errors.New("too many failed attempts from this address")
	errNameLimited = errors.New("too many failed attempts for this name")
)

// loginGuard limits password (and invite or setup code) guessing per
// address and per username.
type loginGuard struct {
	byAddr, byUser *failureLimiter
}

// attempt begins a try for addr and, unless name is "", for name, waiting
// while earlier tries hold the tokens left (at most until ctx is done). It
// returns errAddrLimited or errNameLimited and how long to wait when either
// has failed too often, or ctx's error; on a nil error done must be called
// with the outcome.
func (g *loginGuard) attempt(ctx context.Context, addr, name string) (done func(success bool), wait time.Duration, err error) {
	if wait, err := g.byAddr.begin(ctx, addr); err != nil {
		if errors.Is(err, errTooManyFailures) {
			err = errAddrLimited
		}
		return nil, wait, err
	}
	if name != "" {
		if wait, err := g.byUser.begin(ctx, name); err != nil {
			g.byAddr.end(addr, false)
			if errors.Is(err, errTooManyFailures) {
				err = errNameLimited
			}
			return nil, wait, err
		}
	}
	return func(success bool) {
		g.byAddr.end(addr, !success)
		if name != "" {
			g.byUser.end(name, !success)
		}
	}, 0, nil
}

func (g *loginGuard) prune() {
	g.byAddr.prune()
	g.byUser.prune()
}

// clientAddr is the client's IP address, without the port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
