// auth_test.go tests the failed-login limits of auth.go: tries at once wait
// their turn instead of being refused, a failed bucket refills at its rate,
// a refusal says whose failures caused it, and an admin can clear a name's
// limit.

package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// In a synctest bubble: a try that waits is seen waiting (synctest.Wait),
// not given a few seconds, and the bucket refills exactly at its rate.
func TestFailureLimiterQueuesTriesInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fl := newFailureLimiter(rate.Every(time.Hour), 2)
		for i := range 2 {
			if _, err := fl.begin(context.Background(), "k"); err != nil {
				t.Fatalf("try %d: %v", i, err)
			}
		}
		// Both tokens are held by tries in flight: a third waits for them, and
		// gives up only when its context does.
		expired, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := fl.begin(expired, "k"); !errors.Is(err, context.Canceled) {
			t.Errorf("third try with its context done: %v, want context.Canceled (queued, not refused)", err)
		}
		third := make(chan error, 1)
		go func() {
			_, err := fl.begin(context.Background(), "k")
			third <- err
		}()
		synctest.Wait()
		select {
		case err := <-third:
			t.Fatalf("third try did not wait for the two in flight: %v", err)
		default:
		}
		fl.end("k", false) // the first succeeded: its token is free again
		synctest.Wait()
		select {
		case err := <-third:
			if err != nil {
				t.Fatalf("third try after one succeeded: %v", err)
			}
		default:
			t.Fatal("third try still waiting after a try ended")
		}
		// Two failures use up the bucket: now a try is refused at once,
		// told to wait for the refill (one token an hour).
		fl.end("k", true)
		fl.end("k", true)
		wait, err := fl.begin(context.Background(), "k")
		if !errors.Is(err, errTooManyFailures) || wait != time.Hour {
			t.Errorf("after the burst of failures: wait %v, %v; want errTooManyFailures and 1h", wait, err)
		}
		if !fl.limited("k") {
			t.Error("limited = false after the burst of failures")
		}
		time.Sleep(wait - time.Minute)
		if _, err := fl.begin(context.Background(), "k"); !errors.Is(err, errTooManyFailures) || !fl.limited("k") {
			t.Errorf("a minute before the refill: %v, limited %v; want still refused", err, fl.limited("k"))
		}
		time.Sleep(time.Minute)
		if _, err := fl.begin(context.Background(), "k"); err != nil || fl.limited("k") {
			t.Fatalf("once refilled: %v, limited %v", err, fl.limited("k"))
		}
		fl.end("k", true) // and it fails again
		fl.clear("k")
		if _, err := fl.begin(context.Background(), "k"); err != nil || fl.limited("k") {
			t.Errorf("after clear: %v, limited %v", err, fl.limited("k"))
		}
	})
}

func TestManyCorrectLoginsAtOnceFromOneAddress(t *testing.T) {
	ts := newTestServer(t, nil) // the default limits: 10 failures per address
	// A hash dearer than the tests' minimum keeps each check in flight long
	// enough for the 30 logins to overlap, as in a school lab behind one
	// NAT address.
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost+3)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.store().createUser(user{Name: "ann", Hash: hash, Created: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	const n = 30
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := ts.newClient()
			codes[i], _ = c.do("POST", "/api/login", map[string]string{"username": "ann", "password": "correct horse"}, nil)
		})
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("login %d of %d at once: %d, want 200", i, n, code)
		}
	}
}

func TestNameLimitSaysWhyAndAnAdminCanClearIt(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.LoginBurst = 3; c.LoginRate = 0.0001 })
	admin := adminClient(t, ts) // "mum"
	ts.addUser("kid", "the right one", false)
	kid := ts.newClient()
	kid.do("POST", "/api/login", map[string]string{"username": "kid", "password": "the right one"}, nil)
	if code := loginFrom(ts, "192.168.1.20", "kid", "the right one"); code != 200 {
		t.Fatalf("kid at home: %d", code)
	}
	// Guesses at kid's name from three addresses use up the name's limit.
	for i, addr := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		if code := loginFrom(ts, addr, "kid", "guess"); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, code)
		}
	}
	// Kid on a new phone, with the right password, is told what is going on.
	code, body := loginBodyFrom(ts, "198.51.100.50", "kid", "the right one")
	if code != http.StatusTooManyRequests || !strings.Contains(body, "for this account from new devices") ||
		!strings.Contains(body, "from a device you have used before") || !strings.Contains(body, "ask an admin") {
		t.Errorf("kid from a new device: %d %s, want 429 saying why and what to do", code, body)
	}
	limited := func() bool {
		var res struct{ Users []adminUser }
		admin.do("GET", "/api/admin/users", nil, &res)
		for _, u := range res.Users {
			if u.Name == "kid" {
				return u.LoginLimited
			}
		}
		t.Fatal("kid missing from the admin's list")
		return false
	}
	if !limited() {
		t.Error("the admin's list does not show kid as login limited")
	}
	if status, _ := kid.do("DELETE", "/api/admin/users/kid/login-limit", nil, nil); status != http.StatusForbidden {
		t.Errorf("a non-admin clearing it: %d, want 403", status)
	}
	if status, _ := admin.do("DELETE", "/api/admin/users/nobody/login-limit", nil, nil); status != http.StatusNotFound {
		t.Errorf("clearing an unknown user's: %d, want 404", status)
	}
	if status, body := admin.do("DELETE", "/api/admin/users/kid/login-limit", nil, nil); status != http.StatusNoContent {
		t.Fatalf("clear: %d %s", status, body)
	}
	if limited() {
		t.Error("still limited after the admin cleared it")
	}
	var audit struct{ Entries []auditEntry }
	admin.do("GET", "/api/admin/audit", nil, &audit)
	if len(audit.Entries) == 0 || audit.Entries[0].Action != "clear login limit" || audit.Entries[0].Target != "kid" || audit.Entries[0].Admin != "mum" {
		t.Errorf("audit: %+v", audit.Entries)
	}
	if code, body := loginBodyFrom(ts, "198.51.100.50", "kid", "the right one"); code != 200 {
		t.Errorf("kid from the new device after the clear: %d %s", code, body)
	}
	// An address's own failures are not the account's, and say so.
	for range 3 {
		loginFrom(ts, "198.51.100.7", "nobody", "guess")
	}
	if code, body := loginBodyFrom(ts, "198.51.100.7", "kid", "the right one"); code != http.StatusTooManyRequests || !strings.Contains(body, "from this address") {
		t.Errorf("a limited address: %d %s, want 429 naming the address", code, body)
	}
}

// loginBodyFrom is loginFrom, with the answer's body.
func loginBodyFrom(ts *testServer, addr, name, password string) (int, string) {
	req := httptest.NewRequest("POST", "/api/login", jsonBody(map[string]string{"username": name, "password": password}))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = addr + ":40000"
	rec := httptest.NewRecorder()
	ts.app.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}
