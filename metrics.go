// metrics.go owns what Hearth says about its health: GET /healthz (ok
// while the database answers) and GET /metrics in the Prometheus text
// format, from the Prometheus client library, readable from loopback or by
// an admin unless -metrics-public opens it.

package main

import (
	"log/slog"
	"net"
	"net/http"
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

// handleMetrics serves the registry to loopback clients and admins, or to
// anyone with -metrics-public.
func (s *server) handleMetrics(reg *prometheus.Registry) http.HandlerFunc {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn)})
	return func(w http.ResponseWriter, r *http.Request) {
		if ip := net.ParseIP(clientAddr(r)); !s.cfg.MetricsPublic && (ip == nil || !ip.IsLoopback()) {
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
