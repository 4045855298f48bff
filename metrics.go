// metrics.go owns what Hearth says about its health: GET /healthz (ok
// while the database answers) and GET /metrics in the Prometheus text
// format, from the Prometheus client library, readable from loopback or by
// an admin unless -metrics-public opens it; and -pprof's profiler. What
// answers loopback without a login also checks the Host header: a web page
// that reaches a loopback port through DNS rebinding sends its own domain.

package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The counters and histograms are shared by every server in the process
// (tests run several); gauges read each server's own state.
var (
	metricStored = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hearth_messages_stored_total", Help: "Messages committed to the database.",
	})
	metricDelivered = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hearth_messages_delivered_total", Help: "Messages queued for a socket (one per recipient).",
	})
	metricCommitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hearth_commit_seconds", Help: "Time to commit one batch of messages (fsync included).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	})
	metricBatchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hearth_commit_batch_size", Help: "Messages and changes committed together.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 10),
	})
	metricQueueSlots = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hearth_send_queue_depth", Help: "Batches waiting in a socket's send queue when one is added.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	metricLogins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_logins_total", Help: "Password logins by result.",
	}, []string{"result"})
)

// newRegistry gathers the process's counters and this server's gauges.
func newRegistry(h *hub, st *store, cm *committer) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metricStored, metricDelivered, metricCommitSeconds, metricBatchSize, metricQueueSlots, metricLogins,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hearth_connections", Help: "Open WebSockets."},
			func() float64 { return float64(h.connCount.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hearth_rooms", Help: "Rooms, private ones and DMs included."},
			func() float64 { rooms, _ := st.listRooms(); return float64(len(rooms)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hearth_commit_queue_length", Help: "Messages waiting for the committer."},
			func() float64 { return float64(len(cm.queue)) }),
	)
	return reg
}

// handleMetrics serves the registry to loopback clients that name loopback
// in their Host header and to admins, or to anyone with -metrics-public. A
// loopback client with another Host (a rebinding page, a local reverse
// proxy) must be an admin.
func (s *server) handleMetrics(reg *prometheus.Registry) http.HandlerFunc {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn)})
	return func(w http.ResponseWriter, r *http.Request) {
		ip := net.ParseIP(clientAddr(r))
		if local := ip != nil && ip.IsLoopback() && loopbackHost(r.Host); !s.cfg.MetricsPublic && !local {
			if _, u, ok := s.authenticate(w, r); !ok {
				return
			} else if !u.Admin {
				writeError(w, http.StatusForbidden, "admins only")
				return
			}
		}
		h.ServeHTTP(w, r)
	}
}

// handleHealth answers 200 "ok" while the database answers a read.
func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if err := s.st.ping(); err != nil {
		slog.Error("health check", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database not answering\n"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok " + time.Since(start).Round(time.Microsecond).String() + "\n"))
}

// loopbackHost reports whether a Host header (or a listen address's host)
// names this machine's loopback: "localhost" or a loopback address, with or
// without a port. DNS rebinding cannot produce one: the browser sends the
// rebinding page's own domain.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// checkPprofAddr refuses to serve the profiler off loopback, where anyone
// who reaches it can read the server's memory (heap profiles hold message
// text), unless anyAddress (-pprof-any-address) says that is meant.
func checkPprofAddr(addr string, anyAddress bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-pprof %q: %w", addr, err)
	}
	if !anyAddress && !loopbackHost(host) {
		return fmt.Errorf("-pprof %q is not a loopback address: anyone who reaches it can read the server's memory; use 127.0.0.1:%s, or add -pprof-any-address", addr, port)
	}
	return nil
}

// pprofHandler serves net/http/pprof to requests whose Host names loopback
// or, with anyAddress, any IP address: never a domain name, which is what a
// DNS-rebinding page sends. Others get 421 Misdirected Request.
func pprofHandler(anyAddress bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		_, ipErr := netip.ParseAddr(strings.Trim(host, "[]"))
		if !loopbackHost(r.Host) && !(anyAddress && ipErr == nil) {
			http.Error(w, "the profiler answers only to a loopback Host", http.StatusMisdirectedRequest)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
