// store_bots.go owns webhook bots: stored under their token's hash, bound
// to their room's identity, and kept after revocation so their names stay
// reserved.

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// bot posts into one room through the webhook, with a secret token of which
// only the hash is kept.
type bot struct {
	ID        string    `json:"id"` // the first botIDLen hex digits of the token's hash
	Name      string    `json:"name"`
	Room      string    `json:"room"`
	Formerly  []string  `json:"formerly,omitempty"` // the room's names before renames: old hook URLs still work
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
	// RoomCreated is the creation time of the room the bot was made for:
	// the room's identity, which a rename keeps and a room re-created under
	// the same name does not have. A bot posts to that room or nowhere.
	RoomCreated time.Time `json:"room_created,omitzero"`
	// Revoked is when the bot was revoked (by an admin, or with its room).
	// The record stays so its name stays reserved: its messages in history
	// carry the name, and no person's account may take it, ever.
	Revoked time.Time `json:"revoked,omitzero"`
}

// botIDLen is the length of a bot's id.
const botIDLen = 16

// createBot stores b under the hash of its token, for the room named
// b.Room as it is now (errRoomNotFound if there is none). Its name may not
// be a user's or a live bot's (errNameTaken); a revoked bot's name may be
// given to a new bot. Both refusals come wrapped.
func (st *store) createBot(b bot, tokenHash string) error {
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		var r room
		if err := getJSON(tx.Bucket(bucketRooms), []byte(b.Room), &r, errRoomNotFound); err != nil {
			return err
		}
		if tx.Bucket(bucketUsers).Get([]byte(b.Name)) != nil || botNamedTx(tx, b.Name, false) {
			return errNameTaken
		}
		b.RoomCreated = r.Created
		return putJSON(tx.Bucket(bucketBots), []byte(tokenHash), b)
	})
	if err != nil {
		return fmt.Errorf("store: create bot %q in %q: %w", b.Name, b.Room, err)
	}
	return nil
}

// botNamedTx reports whether a bot is called name: a live one, or with
// revoked, any bot that ever was.
func botNamedTx(tx *bbolt.Tx, name string, revoked bool) bool {
	found := false
	tx.Bucket(bucketBots).ForEach(func(_, v []byte) error {
		var b bot
		if json.Unmarshal(v, &b) == nil && b.Name == name && (revoked || b.Revoked.IsZero()) {
			found = true
		}
		return nil
	})
	return found
}

// botByToken returns the live bot whose token hashes to tokenHash. It
// returns the bare errBotNotFound if there is none (a lookup's miss is an
// answer), and wraps any other error.
func (st *store) botByToken(tokenHash string) (bot, error) {
	b, err := readJSON[bot](st, bucketBots, tokenHash, errBotNotFound)
	switch {
	case errors.Is(err, errBotNotFound):
		return bot{}, err
	case err != nil:
		return bot{}, fmt.Errorf("store: look up bot: %w", err)
	case !b.Revoked.IsZero():
		return bot{}, errBotNotFound
	}
	return b, nil
}

// listBots returns every live bot, by name.
func (st *store) listBots() ([]bot, error) {
	all, err := listJSON[bot](st, bucketBots, "bot")
	if err != nil {
		return nil, fmt.Errorf("store: list bots: %w", err)
	}
	out := slices.DeleteFunc(all, func(b bot) bool { return !b.Revoked.IsZero() })
	slices.SortFunc(out, func(a, b bot) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// deleteBot revokes the live bot with id and returns it. It returns
// errBotNotFound, wrapped, if there is no such live bot.
func (st *store) deleteBot(id string, now time.Time) (bot, error) {
	if len(id) != botIDLen {
		return bot{}, fmt.Errorf("store: revoke bot %q: %w", id, errBotNotFound)
	}
	var revoked bot
	err := st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBots)
		k, v := b.Cursor().Seek([]byte(id))
		if k == nil || !bytes.HasPrefix(k, []byte(id)) {
			return errBotNotFound
		}
		if err := json.Unmarshal(v, &revoked); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if !revoked.Revoked.IsZero() {
			return errBotNotFound
		}
		revoked.Revoked = now.UTC()
		return putJSON(b, bytes.Clone(k), revoked)
	})
	if err != nil {
		return bot{}, fmt.Errorf("store: revoke bot %q: %w", id, err)
	}
	return revoked, nil
}

// revokeBotsTx revokes every live bot for which gone is true and returns
// them.
func revokeBotsTx(tx *bbolt.Tx, now time.Time, gone func(bot) bool) ([]bot, error) {
	bots := tx.Bucket(bucketBots)
	type hit struct {
		key []byte
		b   bot
	}
	var hits []hit
	err := forEachJSON(bots, "bot", func(k []byte, b bot) error {
		if b.Revoked.IsZero() && gone(b) {
			b.Revoked = now.UTC()
			hits = append(hits, hit{bytes.Clone(k), b})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]bot, len(hits))
	for i, h := range hits {
		if err := putJSON(bots, h.key, h.b); err != nil {
			return nil, err
		}
		out[i] = h.b
	}
	return out, nil
}

// revokeStrayBots revokes the bots whose room is gone: deleted before
// deleting a room revoked its bots, or re-created since under the same
// name (a room created after the bot is not the bot's room). A bot made
// before rooms had identities gets its room's, when that room is older than
// the bot. It runs at start-up and returns what it revoked.
func (st *store) revokeStrayBots(now time.Time) ([]bot, error) {
	var revoked []bot
	err := st.db.Update(func(tx *bbolt.Tx) error {
		rooms := tx.Bucket(bucketRooms)
		roomOf := func(b bot) (room, bool) {
			var r room
			return r, getJSON(rooms, []byte(b.Room), &r, errRoomNotFound) == nil
		}
		var err error
		revoked, err = revokeBotsTx(tx, now, func(b bot) bool {
			r, ok := roomOf(b)
			if !ok {
				return true
			}
			if b.RoomCreated.IsZero() {
				return r.Created.After(b.Created)
			}
			return !r.Created.Equal(b.RoomCreated)
		})
		if err != nil {
			return err
		}
		// Older bots still without an identity get their room's.
		bots := tx.Bucket(bucketBots)
		type hit struct {
			key []byte
			b   bot
		}
		var missing []hit
		err = forEachJSON(bots, "bot", func(k []byte, b bot) error {
			if b.Revoked.IsZero() && b.RoomCreated.IsZero() {
				if r, ok := roomOf(b); ok {
					b.RoomCreated = r.Created
					missing = append(missing, hit{bytes.Clone(k), b})
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, h := range missing {
			if err := putJSON(bots, h.key, h.b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: revoke bots of rooms that are gone: %w", err)
	}
	return revoked, nil
}
