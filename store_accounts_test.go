// store_accounts_test.go tests stored accounts: sessions expiring, invites
// redeemed, and the account cache never serving a record written since.

package main

import (
	"errors"
	"testing"
	"time"
)

func TestSessionsExpireAndList(t *testing.T) {
	st := newTestStore(t)
	now := time.Now().UTC()
	live := session{Key: "live", User: "ann", LastSeen: now, Expires: now.Add(time.Hour)}
	old := session{Key: "old", User: "ann", LastSeen: now.Add(-time.Hour), Expires: now.Add(-time.Second)}
	bobs := session{Key: "bobs", User: "bob", LastSeen: now, Expires: now.Add(time.Hour)}
	for _, s := range []session{live, old, bobs} {
		if err := st.putSession(s); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.listSessions("ann")
	if err != nil || len(list) != 2 || list[0].Key != "live" {
		t.Fatalf("listSessions(ann) = %+v, %v; want live then old", list, err)
	}
	expired, err := st.deleteExpiredSessions(now)
	if err != nil || len(expired) != 1 || expired[0] != "old" {
		t.Fatalf("deleteExpiredSessions = %v, %v; want [old]", expired, err)
	}
	if _, err := st.getSession("old"); !errors.Is(err, errSessionNotFound) {
		t.Errorf("old session still there: %v", err)
	}
	if _, err := st.getSession("live"); err != nil {
		t.Errorf("live session gone: %v", err)
	}
}

func TestRedeemInvite(t *testing.T) {
	st := newTestStore(t)
	now := time.Now().UTC()
	inv := invite{Code: "abc", Created: now, Expires: now.Add(time.Hour), MaxUses: 2}
	if err := st.putInvite(inv); err != nil {
		t.Fatal(err)
	}
	mk := func(name string) user { return user{Name: name, Hash: []byte("x"), Created: now} }
	if err := st.redeemInvite("abc", mk("ann"), now); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := st.redeemInvite("abc", mk("ann"), now); !errors.Is(err, errUserExists) {
		t.Fatalf("taken name: %v, want errUserExists", err)
	}
	if err := st.redeemInvite("abc", mk("bob"), now); err != nil {
		t.Fatalf("second use: %v", err)
	}
	if err := st.redeemInvite("abc", mk("cy"), now); !errors.Is(err, errInviteInvalid) {
		t.Errorf("third use of a 2-use invite: %v, want errInviteInvalid", err)
	}
	if err := st.redeemInvite("abc", mk("cy"), now.Add(2*time.Hour)); !errors.Is(err, errInviteInvalid) {
		t.Errorf("expired invite: %v, want errInviteInvalid", err)
	}
	if err := st.redeemInvite("nope", mk("cy"), now); !errors.Is(err, errInviteInvalid) {
		t.Errorf("unknown invite: %v, want errInviteInvalid", err)
	}
	if _, err := st.getUser("cy"); !errors.Is(err, errUserNotFound) {
		t.Errorf("cy was created by a refused invite: %v", err)
	}
}

func TestAccountCacheNeverServesAWrittenRecord(t *testing.T) {
	st := newTestStore(t)
	u, _ := newUser("ann", "long enough", false)
	st.createUser(u)
	s := session{Key: "k", User: "ann", Expires: time.Now().Add(time.Hour)}
	st.putSession(s)
	get := func(key string) (session, user, error) {
		var s session
		var u user
		err := st.getSessionAndUser(key, &s, &u)
		return s, u, err
	}
	if _, got, err := get("k"); err != nil || got.Admin {
		t.Fatalf("first read: %+v %v", got, err)
	}
	// Cached now; every kind of write must show through.
	st.updateUser("ann", func(u *user) { u.Admin = true })
	if _, got, _ := get("k"); !got.Admin {
		t.Error("updateUser not seen")
	}
	st.touchSession("k", time.Now(), 2*time.Hour, "10.0.0.1")
	if got, _, _ := get("k"); got.RemoteAddr != "10.0.0.1" {
		t.Error("touchSession not seen")
	}
	st.deleteSession("k")
	if _, _, err := get("k"); !errors.Is(err, errSessionNotFound) {
		t.Errorf("deleted session still read: %v", err)
	}
	st.putSession(session{Key: "old", User: "ann", Expires: time.Now().Add(-time.Second)})
	get("old")
	st.deleteExpiredSessions(time.Now())
	if _, _, err := get("old"); !errors.Is(err, errSessionNotFound) {
		t.Errorf("reaped session still read: %v", err)
	}
}
