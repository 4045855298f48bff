// store_accounts.go owns the stored accounts: users (their flags,
// passwords and profiles' records), invites and password resets, and the
// cache of decoded sessions and users that the socket handshake reads
// (emptied by every account write). Sessions are store_sessions.go's.

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// user is a stored account.
type user struct {
	Name    string    `json:"name"`
	Hash    []byte    `json:"hash"` // bcrypt hash of the password
	Admin   bool      `json:"admin"`
	Created time.Time `json:"created"`
	// FirstConnected is when the user first opened a socket; zero until then.
	// It decides between the "joined" and "back" presence events.
	FirstConnected time.Time `json:"first_connected,omitzero"`
	// TrustedAddrs are the addresses the user last logged in from, newest
	// first: guesses from elsewhere cannot lock them out from these.
	TrustedAddrs []string `json:"trusted_addrs,omitempty"`
	// Disabled accounts cannot log in, and their sessions are gone.
	Disabled bool `json:"disabled,omitempty"`
	// QuotaBytes caps the bytes of the files they share (admin-set);
	// 0, as in every record from before quotas, is unlimited.
	QuotaBytes int64 `json:"quota_bytes,omitempty"`
	// DisplayName is the name people see ("Mum"), as cleanDisplayName
	// left it; empty, as in every record from before profiles, shows
	// Name. Mentions stay by Name.
	DisplayName string `json:"display_name,omitempty"`
	// Avatar is the version of their profile picture (in bucketAvatars):
	// the Unix nanoseconds of its last change, for URLs that change with
	// it; 0 when they have none.
	Avatar int64 `json:"avatar,omitempty"`
	// Zone is their IANA time zone, for the local time their profile
	// card shows; empty when unknown.
	Zone string `json:"zone,omitempty"`
}

// invite lets people create accounts through /join?code=….
type invite struct {
	Code      string    `json:"code"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
}

// usable reports whether the invite can still create an account at now.
func (inv invite) usable(now time.Time) bool {
	return now.Before(inv.Expires) && inv.Uses < inv.MaxUses
}

// accountCache holds decoded records, never changed once in: a reader
// copies one out. The copy is shallow, so the slices in a user (Hash,
// TrustedAddrs) are shared with the cache and only ever read; a change is
// made on a record decoded afresh in updateUser. gen counts
// invalidations, so a reader that loaded a record before a write
// committed cannot put it back after.
type accountCache struct {
	mu       sync.Mutex
	gen      uint64
	sessions map[string]*session
	users    map[string]*user
}

// updateAccounts runs fn in a write transaction that changes sessions or
// users, and empties the cache once it has committed.
func (st *store) updateAccounts(fn func(*bbolt.Tx) error) error {
	err := st.db.Update(fn)
	st.accounts.mu.Lock()
	st.accounts.gen++
	clear(st.accounts.sessions)
	clear(st.accounts.users)
	st.accounts.mu.Unlock()
	return err
}

// createUser stores a new user. It returns errUserExists, wrapped, if the
// name is taken.
func (st *store) createUser(u user) error {
	if err := st.updateAccounts(func(tx *bbolt.Tx) error { return createUserTx(tx, u) }); err != nil {
		return fmt.Errorf("store: create user %q: %w", u.Name, err)
	}
	return nil
}

func createUserTx(tx *bbolt.Tx, u user) error {
	b := tx.Bucket(bucketUsers)
	if b.Get([]byte(u.Name)) != nil || botNamedTx(tx, u.Name, true) {
		return errUserExists
	}
	return putJSON(b, []byte(u.Name), u)
}

// createFirstAdmin stores u as an admin, but only if no user exists yet. It
// returns errSetupDone, wrapped, otherwise.
func (st *store) createFirstAdmin(u user) error {
	u.Admin = true
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		if k, _ := tx.Bucket(bucketUsers).Cursor().First(); k != nil {
			return errSetupDone
		}
		return createUserTx(tx, u)
	})
	if err != nil {
		return fmt.Errorf("store: create first admin %q: %w", u.Name, err)
	}
	return nil
}

// getUser returns the named user. A lookup's miss is an answer, not a
// failure: it returns the bare errUserNotFound if there is no such user,
// and wraps any other error.
func (st *store) getUser(name string) (user, error) {
	u, err := readJSON[user](st, bucketUsers, name, errUserNotFound)
	if err != nil && !errors.Is(err, errUserNotFound) {
		return user{}, fmt.Errorf("store: get user %q: %w", name, err)
	}
	return u, err
}

// updateUser applies fn to the stored user and saves the result, atomically.
// It returns errUserNotFound, wrapped, if there is no such user.
func (st *store) updateUser(name string, fn func(*user)) error {
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		var u user
		if err := getJSON(b, []byte(name), &u, errUserNotFound); err != nil {
			return err
		}
		fn(&u)
		return putJSON(b, []byte(name), u)
	})
	if err != nil {
		return fmt.Errorf("store: update user %q: %w", name, err)
	}
	return nil
}

// listUsers returns every user in name order.
func (st *store) listUsers() ([]user, error) {
	users, err := listJSON[user](st, bucketUsers, "user")
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return users, nil
}

// hasUsers reports whether any account exists.
func (st *store) hasUsers() (bool, error) {
	var any bool
	err := st.db.View(func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bucketUsers).Cursor().First()
		any = k != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: look for users: %w", err)
	}
	return any, nil
}

// putInvite stores an invite. Errors name its creator, not its code: the
// code is a secret.
func (st *store) putInvite(inv invite) error {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketInvites), []byte(inv.Code), inv)
	})
	if err != nil {
		return fmt.Errorf("store: put invite by %q: %w", inv.CreatedBy, err)
	}
	return nil
}

// getInvite returns the invite with code. It returns the bare
// errInviteInvalid if there is none (a lookup's miss is an answer), and
// wraps any other error.
func (st *store) getInvite(code string) (invite, error) {
	inv, err := readJSON[invite](st, bucketInvites, code, errInviteInvalid)
	if err != nil && !errors.Is(err, errInviteInvalid) {
		return invite{}, fmt.Errorf("store: get invite: %w", err)
	}
	return inv, err
}

// listInvites returns every stored invite, newest first.
func (st *store) listInvites() ([]invite, error) {
	out, err := listJSON[invite](st, bucketInvites, "invite")
	if err != nil {
		return nil, fmt.Errorf("store: list invites: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// deleteInvite removes an invite; deleting a missing one is not an error.
func (st *store) deleteInvite(code string) error {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketInvites).Delete([]byte(code))
	})
	if err != nil {
		return fmt.Errorf("store: delete invite: %w", err)
	}
	return nil
}

// redeemInvite creates u through the invite with code and counts the use, in
// one transaction. It returns errInviteInvalid if the invite cannot be used at
// now, and errUserExists if the name is taken (the use is not counted), both
// wrapped.
func (st *store) redeemInvite(code string, u user, now time.Time) error {
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketInvites)
		var inv invite
		if err := getJSON(b, []byte(code), &inv, errInviteInvalid); err != nil {
			return err
		}
		if !inv.usable(now) {
			return errInviteInvalid
		}
		if err := createUserTx(tx, u); err != nil {
			return err
		}
		inv.Uses++
		return putJSON(b, []byte(code), inv)
	})
	if err != nil {
		return fmt.Errorf("store: redeem invite for %q: %w", u.Name, err)
	}
	return nil
}

// setUserFlags changes a user's admin and disabled flags. Disabling deletes
// every session of theirs, in the same transaction, leaving for each an
// endedSession that says why; the keys are returned so their sockets can
// be closed. Enabling forgets those. It returns errUserNotFound, wrapped,
// if there is no such user.
func (st *store) setUserFlags(name string, admin, disabled bool) (u user, ended []string, err error) {
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		ended = ended[:0]
		b := tx.Bucket(bucketUsers)
		if err := getJSON(b, []byte(name), &u, errUserNotFound); err != nil {
			return err
		}
		u.Admin, u.Disabled = admin, disabled
		if err := putJSON(b, []byte(name), u); err != nil {
			return err
		}
		if !disabled {
			return forgetEndedTx(tx, name)
		}
		if err := deleteUserResetsTx(tx, name); err != nil {
			return err
		}
		var err error
		ended, err = endUserSessionsTx(tx, name, reasonDisabled)
		return err
	})
	if err != nil {
		return user{}, nil, fmt.Errorf("store: set flags of %q: %w", name, err)
	}
	return u, ended, nil
}

// setPassword changes a user's password hash and, in the same transaction,
// ends every session of theirs and voids their reset links, as a reset
// does: whoever knew the old password is out. The ended session keys are
// returned so a running server can close their sockets.
func (st *store) setPassword(name string, hash []byte) (ended []string, err error) {
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		ended = ended[:0]
		b := tx.Bucket(bucketUsers)
		var u user
		if err := getJSON(b, []byte(name), &u, errUserNotFound); err != nil {
			return err
		}
		u.Hash = hash
		if err := putJSON(b, []byte(name), u); err != nil {
			return err
		}
		if err := deleteUserResetsTx(tx, name); err != nil {
			return err
		}
		var err error
		ended, err = deleteUserSessionsTx(tx, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: set password of %q: %w", name, err)
	}
	return ended, nil
}

// deleteUserResetsTx voids every reset link of a user.
func deleteUserResetsTx(tx *bbolt.Tx, name string) error {
	b := tx.Bucket(bucketResets)
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var r passwordReset
		if json.Unmarshal(v, &r) == nil && r.User == name {
			keys = append(keys, slices.Clone(k))
		}
		return nil
	})
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return err
}

// isAdminTx reports whether name is an enabled admin as of tx.
func isAdminTx(tx *bbolt.Tx, name string) bool {
	var u user
	return getJSON(tx.Bucket(bucketUsers), []byte(name), &u, errUserNotFound) == nil && u.Admin && !u.Disabled
}

// passwordReset lets one person set a new password once, before Expires.
type passwordReset struct {
	User    string    `json:"user"`
	Expires time.Time `json:"expires"`
}

// putReset stores a reset under the hash of its token. It replaces any
// earlier link of the same user, so at most one is live; a disabled account
// gets none (errUserDisabled), and errUserNotFound if there is no such
// user, both wrapped.
func (st *store) putReset(tokenHash string, r passwordReset) error {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		var u user
		if err := getJSON(tx.Bucket(bucketUsers), []byte(r.User), &u, errUserNotFound); err != nil {
			return err
		}
		if u.Disabled {
			return errUserDisabled
		}
		if err := deleteUserResetsTx(tx, r.User); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketResets), []byte(tokenHash), r)
	})
	if err != nil {
		return fmt.Errorf("store: put reset for %q: %w", r.User, err)
	}
	return nil
}

// resetUser returns the user a live reset is for. It returns the bare
// errResetInvalid if there is none (a lookup's miss is an answer; a reset
// of an account disabled since is not live), and wraps any other error.
func (st *store) resetUser(tokenHash string, now time.Time) (string, error) {
	var r passwordReset
	err := st.db.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketResets), []byte(tokenHash), &r, errResetInvalid); err != nil {
			return err
		}
		var u user
		if err := getJSON(tx.Bucket(bucketUsers), []byte(r.User), &u, errResetInvalid); err != nil {
			return err
		}
		if u.Disabled || !now.Before(r.Expires) {
			return errResetInvalid
		}
		return nil
	})
	switch {
	case errors.Is(err, errResetInvalid):
		return "", err
	case err != nil:
		return "", fmt.Errorf("store: look up reset: %w", err)
	}
	return r.User, nil
}

// useReset sets a new password through a reset, once: the reset and every
// session of the user are deleted in the same transaction (their keys are
// returned, to close their sockets). It returns errResetInvalid, wrapped,
// if the reset is not live.
func (st *store) useReset(tokenHash string, hash []byte, now time.Time) (name string, ended []string, err error) {
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		ended = ended[:0]
		rb := tx.Bucket(bucketResets)
		var r passwordReset
		if err := getJSON(rb, []byte(tokenHash), &r, errResetInvalid); err != nil {
			return err
		}
		if !now.Before(r.Expires) {
			return errResetInvalid
		}
		if err := rb.Delete([]byte(tokenHash)); err != nil {
			return err
		}
		ub := tx.Bucket(bucketUsers)
		var u user
		if err := getJSON(ub, []byte(r.User), &u, errUserNotFound); err != nil {
			return err
		}
		if u.Disabled { // disabling voids links; this guards any left behind
			return errResetInvalid
		}
		u.Hash = hash
		if err := putJSON(ub, []byte(r.User), u); err != nil {
			return err
		}
		name = r.User
		var err error
		ended, err = deleteUserSessionsTx(tx, r.User)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("store: use reset: %w", err)
	}
	return name, ended, nil
}
