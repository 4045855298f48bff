// metrics_test.go tests /healthz and /metrics: what they say, and who may
// read the metrics; and that neither they nor -pprof answer a DNS-rebinding
// page, and -pprof stays on loopback.

package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
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

	// From loopback: readable, in the Prometheus text format, every name
	// there, and the gauges this server's own.
	series := scrapeMetrics(t, ts.URL)
	for name, want := range map[string]float64{
		"hearth_connections": 1, "hearth_rooms": 1, "hearth_commit_queue_length": 0,
	} {
		if got, ok := series[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{ // counters are process-wide: other tests add to them
		"hearth_messages_stored_total", "hearth_messages_delivered_total", `hearth_logins_total{result="ok"}`,
		`hearth_commit_seconds_bucket{le="+Inf"}`, `hearth_commit_batch_size_bucket{le="1"}`,
		"hearth_commit_seconds_count", "hearth_commit_batch_size_sum",
		// Every stage of the message's way was timed (its hello's write too).
		"hearth_delivery_queue_seconds_count", "hearth_delivery_commit_seconds_count",
		"hearth_delivery_handoff_seconds_count", "hearth_delivery_fanout_seconds_count",
		"hearth_delivery_write_seconds_count",
	} {
		if series[name] < 1 {
			t.Errorf("%s = %v, want at least 1", name, series[name])
		}
	}
	for _, name := range []string{
		`hearth_logins_total{result="failed"}`, `hearth_send_queue_depth_bucket{le="256"}`,
		`hearth_commit_seconds_bucket{le="0.0001"}`, "go_goroutines", "go_memstats_alloc_bytes",
	} {
		if _, ok := series[name]; !ok {
			t.Errorf("metrics lack %s", name)
		}
	}
	if _, ok := series["process_resident_memory_bytes"]; !ok && runtime.GOOS == "linux" {
		t.Error("metrics lack process_resident_memory_bytes")
	}

	// A second server in the same process has gauges of its own.
	other := scrapeMetrics(t, newTestServer(t, nil).URL)
	if got := other["hearth_connections"]; got != 0 {
		t.Errorf("second server: hearth_connections = %v, want 0", got)
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

// scrapeMetrics reads url's /metrics from loopback and returns its samples
// by series (name and labels, as written). It fails the test on a line that
// is not "series value", a family whose lines are not together or that has
// no "# TYPE", or a series written twice.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	series := map[string]float64{}
	typed := map[string]string{} // family -> type, from "# TYPE"
	done := map[string]bool{}    // families already left behind
	family := ""
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSuffix(line, "\n")
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(f, " ")
			typed[name] = typ
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ') // label values may hold spaces; the value cannot
		name, value := line[:max(i, 0)], line[i+1:]
		v, err := strconv.ParseFloat(value, 64)
		if i < 0 || err != nil {
			t.Fatalf("metrics line %q is not \"series value\"", line)
		}
		if _, dup := series[name]; dup {
			t.Errorf("series %s written twice", name)
		}
		series[name] = v
		fam, _, _ := strings.Cut(name, "{")
		if typed[fam] == "" { // a histogram's _bucket, _sum, _count; a summary's _sum, _count
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(fam, suffix); ok && (typed[base] == "histogram" || typed[base] == "summary") {
					fam = base
				}
			}
		}
		if typed[fam] == "" {
			t.Errorf("series %s has no # TYPE", name)
		}
		if fam != family {
			if done[fam] {
				t.Errorf("family %s is split", fam)
			}
			done[family], family = true, fam
		}
	}
	return series
}

func TestMetricsFromLoopbackWantALoopbackHost(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.addUser("mum", "password-mum", true)
	mum := ts.newClient()
	mum.do("POST", "/api/login", map[string]string{"username": "mum", "password": "password-mum"}, nil)
	_, port, _ := strings.Cut(ts.addr, ":")
	get := func(host, cookie string, header ...string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+"/metrics", nil)
		req.Host = host
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
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
	// A local reverse proxy not listed in -trust-proxy, sending its own
	// loopback Host (nginx's default) and the client in a forwarding
	// header, does not make the LAN local.
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if got := get("127.0.0.1:"+port, "", h, "192.168.1.20"); got != http.StatusUnauthorized {
			t.Errorf("loopback Host forwarded for someone else (%s): status = %d, want 401", h, got)
		}
	}
}

func TestPprofStaysOnLoopback(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hearth.db")
	for _, addr := range []string{":6060", "0.0.0.0:6060", "[::]:6060", "192.168.1.5:6060", "hearth.local:6060"} {
		out, err := runCLI(t, "", "serve", "-addr", "127.0.0.1:0", "-db", db, "-pprof", addr)
		want := "not a loopback address"
		if !pprofBuilt { // .ci/run also runs this test with -tags pprof
			want = "build it with go build -tags pprof"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("-pprof %s: err %v, output %q; want an error saying %q", addr, err, out, want)
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
		if tc.want == http.StatusOK && !pprofBuilt {
			tc.want = http.StatusNotFound // past the Host check, but no profiler in this build
		}
		if resp.StatusCode != tc.want {
			t.Errorf("Host %q (any address %v): status = %d, want %d", tc.host, tc.anyAddress, resp.StatusCode, tc.want)
		}
	}
}
