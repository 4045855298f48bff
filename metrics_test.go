// metrics_test.go tests /healthz and /metrics: what they say, and who may
// read the metrics.

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthAndMetrics(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	s := ann.dial()
	s.say("general", "hello", "c-1")
	s.ack("c-1")

	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "ok") {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}

	// From loopback: readable, in the Prometheus text format.
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"hearth_connections 1", "hearth_rooms 1", "\nhearth_messages_stored_total ", "\nhearth_messages_delivered_total ",
		"hearth_commit_seconds_bucket", "hearth_send_queue_depth_bucket", `hearth_logins_total{result="ok"}`, "go_goroutines",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// From another address: an admin only.
	remote := func(cookie string) int {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = "192.168.1.50:5000"
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		ts.app.srv.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := remote(""); code != http.StatusUnauthorized {
		t.Errorf("anonymous remote: %d", code)
	}
	if code := remote(ann.cookieHeader()); code != http.StatusForbidden {
		t.Errorf("non-admin remote: %d", code)
	}
	ts.addUser("mum", "password-mum", true)
	mum := ts.newClient()
	mum.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	if code := remote(mum.cookieHeader()); code != http.StatusOK {
		t.Errorf("admin remote: %d", code)
	}
	// Health fails when the database does not answer.
	ts.stop()
	st, _ := openStore(ts.cfg.DBPath)
	st.Close()
	srv := &server{st: st}
	rec := httptest.NewRecorder()
	srv.handleHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("healthz on a closed database: %d", rec.Code)
	}
}
