// session_test.go tests the session manager directly.

package main

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTouchNeverResurrectsADeletedSession(t *testing.T) {
	st := newTestStore(t)
	sm, err := newSessionManager(st, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/me", nil)
	s, _, err := sm.create(httptest.NewRecorder(), req, "ann")
	if err != nil {
		t.Fatal(err)
	}
	s.LastSeen = time.Now().Add(-time.Hour) // due for a touch
	// A logout deletes it while this request still holds the old record.
	if err := st.deleteSession(s.Key); err != nil {
		t.Fatal(err)
	}
	sm.touch(httptest.NewRecorder(), req, &s)
	if _, err := st.getSession(s.Key); !errors.Is(err, errSessionNotFound) {
		t.Fatalf("touch wrote a logged-out session back: %v", err)
	}
}
