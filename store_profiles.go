// store_profiles.go owns what people show of themselves as stored: the
// display name and time zone in their user record, and their profile
// picture in the avatars bucket (user → JPEG), whose version the record
// carries so both change in one transaction. It checks nothing of what it
// is given: profiles.go cleans names and makes the pictures.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// errNoAvatar is the answer for a person without a profile picture.
var errNoAvatar = errors.New("no profile picture")

// setProfile changes a user's display name and time zone; a nil field
// keeps its value. It returns the user as stored, and errUserNotFound,
// wrapped, if there is no such user.
func (st *store) setProfile(name string, displayName, zone *string) (user, error) {
	var u user
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		if err := getJSON(b, []byte(name), &u, errUserNotFound); err != nil {
			return err
		}
		if displayName != nil {
			u.DisplayName = *displayName
		}
		if zone != nil {
			u.Zone = *zone
		}
		return putJSON(b, []byte(name), u)
	})
	if err != nil {
		return user{}, fmt.Errorf("store: set profile of %q: %w", name, err)
	}
	return u, nil
}

// setAvatar stores jpeg as the user's profile picture, in place of any
// earlier one, and gives it a new version: now in Unix nanoseconds, or one
// more than the last version if the clock has not moved past it, so every
// change makes a new URL. It returns the user as stored, and
// errUserNotFound, wrapped, if there is no such user.
func (st *store) setAvatar(name string, jpeg []byte, now time.Time) (user, error) {
	return st.changeAvatar(name, func(tx *bbolt.Tx, u *user) error {
		u.Avatar = max(now.UnixNano(), u.Avatar+1)
		return tx.Bucket(bucketAvatars).Put([]byte(name), jpeg)
	})
}

// deleteAvatar removes the user's profile picture; removing none is not an
// error. It returns the user as stored, and errUserNotFound, wrapped, if
// there is no such user.
func (st *store) deleteAvatar(name string) (user, error) {
	return st.changeAvatar(name, func(tx *bbolt.Tx, u *user) error {
		u.Avatar = 0
		return tx.Bucket(bucketAvatars).Delete([]byte(name))
	})
}

// changeAvatar applies fn to the avatars bucket and the user record of
// name in one transaction.
func (st *store) changeAvatar(name string, fn func(*bbolt.Tx, *user) error) (user, error) {
	var u user
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		if err := getJSON(b, []byte(name), &u, errUserNotFound); err != nil {
			return err
		}
		if err := fn(tx, &u); err != nil {
			return err
		}
		return putJSON(b, []byte(name), u)
	})
	if err != nil {
		return user{}, fmt.Errorf("store: change the profile picture of %q: %w", name, err)
	}
	return u, nil
}

// avatar returns a copy of the user's profile picture and its version. A
// miss is an answer: it returns the bare errNoAvatar when the user has no
// picture or does not exist, and wraps any other error.
func (st *store) avatar(name string) ([]byte, int64, error) {
	var data []byte
	var version int64
	err := st.db.View(func(tx *bbolt.Tx) error {
		var u user
		if err := getJSON(tx.Bucket(bucketUsers), []byte(name), &u, errNoAvatar); err != nil {
			return err
		}
		data = bytes.Clone(tx.Bucket(bucketAvatars).Get([]byte(name)))
		if data == nil || u.Avatar == 0 {
			return errNoAvatar
		}
		version = u.Avatar
		return nil
	})
	switch {
	case errors.Is(err, errNoAvatar):
		return nil, 0, err
	case err != nil:
		return nil, 0, fmt.Errorf("store: read the profile picture of %q: %w", name, err)
	}
	return data, version, nil
}
