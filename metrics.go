// metrics.go owns what Hearth says about its health: GET /healthz (ok
// while the database answers) and GET /metrics in the Prometheus text
// format, from VictoriaMetrics' metrics library (no protobuf), readable
// from loopback or by an admin unless -metrics-public opens it; and
// the guard around -pprof's profiler (linked in with -tags pprof, see
// pprof.go). What answers loopback without a login also checks the
// Host header: a web page that reaches a loopback port through DNS
// rebinding sends its own domain.

package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// The counters and histograms are shared by every server in the process
// (tests run several), so they live in one package-level set; gauges read
// each server's own state, so each server has its own set (newRegistry).
// Neither set is registered globally: handleMetrics writes the two it means.
var (
	sharedMetrics       = metrics.NewSet()
	metricStored        = sharedMetrics.NewCounter("hearth_messages_stored_total")    // committed to the database
	metricDelivered     = sharedMetrics.NewCounter("hearth_messages_delivered_total") // one per recipient
	metricCommitSeconds = sharedMetrics.NewPrometheusHistogramExt("hearth_commit_seconds",
		metrics.ExponentialBuckets(0.0001, 2, 16)) // one batch, fsync included
	metricBatchSize = sharedMetrics.NewPrometheusHistogramExt("hearth_commit_batch_size",
		metrics.ExponentialBuckets(1, 2, 10)) // messages and changes committed together
	metricQueueSlots = sharedMetrics.NewPrometheusHistogramExt("hearth_send_queue_depth",
		[]float64{1, 2, 4, 8, 16, 32, 64, 128, 256}) // batches waiting in a socket's queue when one is added
	metricLoginsOK     = sharedMetrics.NewCounter(`hearth_logins_total{result="ok"}`)
	metricLoginsFailed = sharedMetrics.NewCounter(`hearth_logins_total{result="failed"}`)
	// metricBackupFailures counts automatic and "Back up now" backups
	// that failed (backups.go); a success does not reset it.
	metricBackupFailures = sharedMetrics.NewCounter("hearth_backup_failures_total")
	// The stages of a message's way from its sender's socket to the
	// sockets of those who hear it, each a histogram with buckets 25%
	// apart from 50 µs to 2 s (fine enough for a p999): where a slow
	// delivery spent its time. The load tool reads them after its rate run.
	metricStageQueue   = stageHistogram("queue")   // queued → its batch's commit begins
	metricStageCommit  = stageHistogram("commit")  // a batch's transaction, fsyncs included
	metricStageHandoff = stageHistogram("handoff") // committed → the hub starts its fan-out
	metricStageFanout  = stageHistogram("fanout")  // the hub queueing a batch for every socket
	metricStageWrite   = stageHistogram("write")   // queued for a socket (the hub's loop over them began) → written to it
	// metricUploadBytes counts the bytes of uploads written to the
	// database as they arrive, chunk by chunk (finished or not).
	metricUploadBytes = sharedMetrics.NewCounter("hearth_upload_bytes_total")
)

// stageHistogram is hearth_delivery_STAGE_seconds.
func stageHistogram(stage string) *metrics.PrometheusHistogram {
	return sharedMetrics.NewPrometheusHistogramExt("hearth_delivery_"+stage+"_seconds", metrics.ExponentialBuckets(0.00005, 1.25, 48))
}

// The "# TYPE" lines tell Prometheus which series are histograms.
func init() { metrics.ExposeMetadata(true) }

// newRegistry makes this server's gauges: open sockets, rooms (private ones
// and DMs included), messages waiting for the committer, pushes waiting
// to be sent and, with
// -backup-dir (b not nil), the newest good backup's time and size. Each
// call makes a new set, so many servers in one process never register a
// name twice.
func newRegistry(h *hub, st *store, cm *committer, b *backups, p *pusher) *metrics.Set {
	set := metrics.NewSet()
	set.NewGauge("hearth_push_queue_length", func() float64 { return float64(p.jobs.len() + p.sends.len()) })
	set.NewGauge("hearth_connections", func() float64 { return float64(h.connCount.Load()) })
	set.NewGauge("hearth_rooms", func() float64 { rooms := st.listRooms(); return float64(len(rooms)) })
	set.NewGauge("hearth_commit_queue_length", func() float64 { return float64(len(cm.queue)) })
	if b != nil {
		// 0 until the first backup: alert on time() minus this.
		set.NewGauge("hearth_backup_last_success_timestamp_seconds", func() float64 { t, _ := b.lastGood(); return t })
		set.NewGauge("hearth_backup_last_size_bytes", func() float64 { _, n := b.lastGood(); return float64(n) })
	}
	return set
}

// handleMetrics serves the registry to loopback clients that name loopback
// in their Host header and to admins, or to anyone with -metrics-public. A
// loopback client with another Host (a rebinding page) must be an admin,
// and so must one that forwards for someone else: a local reverse proxy
// not listed in -trust-proxy often sends a loopback Host of its own
// (nginx's default), so its forwarding headers are what give it away.
func (s *server) handleMetrics(reg *metrics.Set) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip := net.ParseIP(clientAddr(r))
		local := ip != nil && ip.IsLoopback() && loopbackHost(r.Host) && !forwardedByUntrusted(r, s.cfg.TrustProxy)
		if !s.cfg.MetricsPublic && !local {
			var sess session
			var u user
			if !s.authenticate(w, r, &sess, &u) {
				return
			} else if !u.Admin {
				writeError(w, http.StatusForbidden, "admins only")
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		sharedMetrics.WritePrometheus(w)
		reg.WritePrometheus(w)
		metrics.WriteProcessMetrics(w) // go_* and process_*
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

// forwardedByUntrusted reports whether r carries forwarding headers that
// no trusted proxy has already accounted for: with -trust-proxy, a listed
// proxy's request already has the client's address (see trustedProxies.apply).
func forwardedByUntrusted(r *http.Request, trusted trustedProxies) bool {
	if len(trusted) > 0 {
		return false
	}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return false
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
	pprofRoutes(mux) // none in builds without -tags pprof
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
