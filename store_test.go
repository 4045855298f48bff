// store_test.go tests opening the database on real files: cookie keys
// across reopen, and a held file failing fast. The store_*_test.go files
// test the rest, one concern each.

package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

func TestCookieKeysSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	gen := func(n int) []byte { calls++; return bytes.Repeat([]byte{byte(calls)}, n) }
	h1, b1, err := st.cookieKeys(gen)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h2, b2, err := st.cookieKeys(gen)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h1, h2) || !bytes.Equal(b1, b2) || calls != 2 {
		t.Errorf("keys changed across reopen (generator called %d times, want 2)", calls)
	}
	if len(h1) != 64 || len(b1) != 32 {
		t.Errorf("key sizes %d/%d, want 64/32", len(h1), len(b1))
	}
}

// In a synctest bubble, so bbolt's wait for the lock takes fake time.
func TestOpenHeldDatabaseFailsFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "held.db")
		st, err := openStore(path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		start := time.Now()
		_, err = openStore(path)
		if !errors.Is(err, errDatabaseInUse) {
			t.Fatalf("second open: %v, want errDatabaseInUse", err)
		}
		if d := time.Since(start); d == 0 || d > openTimeout {
			t.Errorf("second open gave up after %v, want after trying for up to %v", d, openTimeout)
		}
	})
}
