// store_audit.go owns the audit log: what admins did, appended in order.

package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// auditEntry records one thing an admin did.
type auditEntry struct {
	TS     time.Time `json:"ts"`
	Admin  string    `json:"admin"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// audit appends e to the audit log.
func (st *store) audit(e auditEntry) error {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		b.FillPercent = appendFillPercent
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(b, idKey(seq), e)
	})
	if err != nil {
		return fmt.Errorf("store: audit %q by %q: %w", e.Action, e.Admin, err)
	}
	return nil
}

// auditLog returns up to limit entries, newest first.
func (st *store) auditLog(limit int) ([]auditEntry, error) {
	out := []auditEntry{}
	err := st.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var e auditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read audit log: %w", err)
	}
	return out, nil
}
