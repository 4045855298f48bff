// metrics_test.go tests /healthz and /metrics: what they say, and who may
// read the metrics; and that neither they nor -pprof answer a DNS-rebinding
// page, and -pprof stays on loopback.

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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

func TestMetricsFromLoopbackWantALoopbackHost(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	mum := ts.newClient()
	mum.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	_, port, _ := strings.Cut(ts.addr, ":")
	get := func(host, cookie string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+"/metrics", nil)
		req.Host = host
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		host   string
		cookie string
		want   int
	}{
		{"127.0.0.1:" + port, "", http.StatusOK},
		{"localhost:" + port, "", http.StatusOK},
		{"[::1]:" + port, "", http.StatusOK},
		{"localhost", "", http.StatusOK},
		// A page on attacker.example rebound to 127.0.0.1 sends its own
		// name, and has no session cookie for it.
		{"attacker.example:" + port, "", http.StatusUnauthorized},
		{"attacker.example", "", http.StatusUnauthorized},
		{"127.0.0.1.attacker.example", "", http.StatusUnauthorized},
		// An admin is an admin, whatever the name (a local reverse proxy).
		{"hearth.example.org", mum.cookieHeader(), http.StatusOK},
	} {
		if got := get(tc.host, tc.cookie); got != tc.want {
			t.Errorf("Host %q: status = %d, want %d", tc.host, got, tc.want)
		}
	}
}

func TestPprofStaysOnLoopback(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hearth.db")
	for _, addr := range []string{":6060", "0.0.0.0:6060", "[::]:6060", "192.168.1.5:6060", "hearth.local:6060"} {
		out, err := runCLI(t, "", "serve", "-addr", "127.0.0.1:0", "-db", db, "-pprof", addr)
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") || !strings.Contains(err.Error(), "-pprof-any-address") {
			t.Errorf("-pprof %s: err %v, output %q", addr, err, out)
		}
	}
	for _, addr := range []string{"localhost:6060", "127.0.0.1:6060", "[::1]:6060", "127.0.0.1:0"} {
		if err := checkPprofAddr(addr, false); err != nil {
			t.Errorf("-pprof %s: %v", addr, err)
		}
	}
	if err := checkPprofAddr(":6060", true); err != nil {
		t.Errorf("-pprof :6060 -pprof-any-address: %v", err)
	}
	if err := checkPprofAddr("6060", false); err == nil {
		t.Error("-pprof 6060 (no host) was accepted")
	}
}

func TestPprofChecksHost(t *testing.T) {
	for _, tc := range []struct {
		host       string
		anyAddress bool
		want       int
	}{
		{"127.0.0.1:6060", false, http.StatusOK},
		{"localhost:6060", false, http.StatusOK},
		{"[::1]:6060", false, http.StatusOK},
		{"attacker.example:6060", false, http.StatusMisdirectedRequest},
		{"attacker.example", false, http.StatusMisdirectedRequest},
		{"192.168.1.5:6060", false, http.StatusMisdirectedRequest},
		{"192.168.1.5:6060", true, http.StatusOK},
		{"attacker.example:6060", true, http.StatusMisdirectedRequest},
	} {
		ts := httptest.NewServer(pprofHandler(tc.anyAddress))
		req, _ := http.NewRequest("GET", ts.URL+"/debug/pprof/", nil)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ts.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Host %q (any address %v): status = %d, want %d", tc.host, tc.anyAddress, resp.StatusCode, tc.want)
		}
	}
}
