// Hearth serves a household chat from one binary: accounts, sessions that
// survive restarts, rooms with durable history and a web client, all kept in
// one bbolt file.
//
// main.go owns flags, start-up and shutdown. Subcommands for working on a
// stopped server's database live in cli.go.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// version and commit are set at build time by scripts/release.sh with
// -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = ""
)

// shutdownTimeout bounds a graceful stop; SIGTERM to exit stays under it.
const shutdownTimeout = 4 * time.Second

// readHeaderTimeout bounds a request's headers on every server.
const readHeaderTimeout = 10 * time.Second

// uploadReadTimeout replaces ReadTimeout for an upload's body: at least
// 10 minutes, and long enough for the largest allowed file at 32 KB/s (a
// poor uplink), so a raised -max-upload still fits; a trickling upload
// still ends, since the body is capped at the limit.
func uploadReadTimeout(maxUpload int64) time.Duration {
	return max(10*time.Minute, time.Duration(maxUpload/(32<<10))*time.Second)
}

// config holds everything a server needs that a person may choose.
type config struct {
	Addr            string
	DBPath          string
	SessionLifetime time.Duration // extended on use
	ReapInterval    time.Duration // how often expired sessions are deleted
	MaxBody         int           // bytes in one message
	MaxUpload       int64         // bytes in one uploaded file
	MsgRate         rate.Limit    // messages per second per connection, after the burst
	MsgBurst        int
	LoginRate       rate.Limit // failed logins per second refilled, per address and per name
	LoginBurst      int
	MaxConnsPerUser int            // concurrent sockets per account
	MaxConnsPerAddr int            // concurrent sockets per client address
	PingPeriod      time.Duration  // how often sockets (and silent HTTP/2 connections) are pinged; silent for 10/9 of it, they are closed
	PresenceGrace   time.Duration  // how long a user without sockets still shows online before "left"
	TLSCert, TLSKey string         // serve HTTPS with these PEM files when both are set
	TLSLocal        bool           // serve HTTPS with certificates from Hearth's own CA
	MetricsPublic   bool           // /metrics for anyone, not only loopback and admins
	RetainInterval  time.Duration  // how often room retention limits are applied
	TrustProxy      trustedProxies // whose X-Forwarded-For/Proto count
	MDNS            bool           // announce hearth.local on the LAN
	DiskLow         int64          // free bytes below which uploads are paused; 0: defaultDiskLow(MaxUpload)
	DiskFloor       int64          // free bytes below which new messages are refused
	DiskCheck       time.Duration  // how often free disk space is read
	MigrationCopy   bool           // keep PATH.before-format-N before migrating an older database
	// KeepPhotoLocation stores shared JPEGs with their GPS metadata; by
	// default it is removed as they are uploaded (photos.go).
	KeepPhotoLocation bool

	// FreeSpace reads the free bytes on dir's file system; nil is the
	// platform's call (freeDiskSpace). Tests replace it.
	FreeSpace func(dir string) (int64, error)

	// ReadTimeout bounds a whole request, body included, on every server,
	// so a client trickling bytes cannot hold a connection. Uploads extend
	// their own (uploadReadTimeout); a WebSocket's reader sets its own
	// deadlines once upgraded (readPump), so sockets outlive it.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that sends no next request,
	// on every server (the plain-HTTP side of the HTTPS port included).
	IdleTimeout time.Duration
	// BackupDir, when set, is where the server writes a backup of the
	// database by itself every BackupEvery, keeping the newest BackupKeep
	// (backups.go). It must exist and take new files, or start-up fails.
	BackupDir   string
	BackupEvery time.Duration
	BackupKeep  int
	// PushContact is who push services may write to about this server's
	// pushes (the VAPID subject): an e-mail address or an https URL.
	PushContact string
	// PushClient sends Web Push requests; nil is one that trusts the
	// system's certificates (newPushClient). Tests plug in their own.
	PushClient *http.Client
}

func defaultConfig() config {
	return config{
		Addr:            ":8080",
		DBPath:          "hearth.db",
		SessionLifetime: 30 * 24 * time.Hour,
		ReapInterval:    10 * time.Minute,
		MaxBody:         4 << 10,
		MaxUpload:       200 << 20, // a few minutes of a phone's video
		MsgRate:         5,
		MsgBurst:        20,
		LoginRate:       rate.Every(time.Minute / 5),
		LoginBurst:      10,
		MaxConnsPerUser: 16,
		MaxConnsPerAddr: 64,
		PingPeriod:      54 * time.Second,
		PresenceGrace:   5 * time.Second,
		RetainInterval:  time.Hour,
		MDNS:            true,
		DiskFloor:       defaultDiskFloor,
		DiskCheck:       diskCheckEvery,
		MigrationCopy:   true,
		ReadTimeout:     time.Minute,
		IdleTimeout:     2 * time.Minute,
		BackupEvery:     24 * time.Hour,
		BackupKeep:      7,
		PushContact:     defaultPushContact,
	}
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hearth:", err)
		os.Exit(1)
	}
}

// run dispatches a command line: no subcommand (or "serve") runs the server.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(args, stdout, stderr)
	case "user":
		return userCommand(args, stdin, stdout, stderr)
	case "backup":
		return backupCommand(args, stdin, stdout, stderr)
	case "restore":
		return restoreCommand(args, stdout, stderr)
	case "compact":
		return compactCommand(args, stdout, stderr)
	case "export":
		return exportCommand(args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "hearth %s %s (database format %d)\n", version, buildCommit(), databaseFormat)
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

const usage = `Usage:
  hearth [serve] [-addr :8080] [-db hearth.db] [-log-level info]
  hearth user add -db PATH [-admin] NAME     (password: first line of stdin)
  hearth user passwd -db PATH NAME           (password: first line of stdin; ends every session of NAME)
  hearth user list -db PATH
  hearth backup -db PATH OUT                 (server stopped)
  hearth backup -url URL -user ADMIN OUT     (server running; password: first line of stdin)
  hearth restore -db PATH BACKUP             (server stopped; the backup is checked first)
  hearth compact -db PATH                    (server stopped)
  hearth export -db PATH [-html DIR]         (server stopped, or a backup: JSON lines, or an HTML archive)
  hearth version
`

func serveCommand(args []string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", envOr("HEARTH_ADDR", cfg.Addr), "listen address (env HEARTH_ADDR)")
	fs.StringVar(&cfg.DBPath, "db", envOr("HEARTH_DB", cfg.DBPath), "database file (env HEARTH_DB)")
	logLevel := fs.String("log-level", envOr("HEARTH_LOG_LEVEL", "info"), "debug, info, warn or error (env HEARTH_LOG_LEVEL)")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof on this loopback address (localhost:6060), for profiling (builds with -tags pprof)")
	pprofAny := fs.Bool("pprof-any-address", false, "let -pprof listen off loopback too (anyone who reaches it can read the server's memory)")
	fs.DurationVar(&cfg.SessionLifetime, "session-lifetime", cfg.SessionLifetime, "how long an unused session lasts")
	fs.DurationVar(&cfg.ReapInterval, "reap-interval", cfg.ReapInterval, "how often expired sessions are deleted")
	fs.IntVar(&cfg.MaxBody, "max-message", cfg.MaxBody, "largest message body in bytes")
	fs.Int64Var(&cfg.MaxUpload, "max-upload", cfg.MaxUpload, "largest uploaded file in bytes")
	msgRate := fs.Float64("msg-rate", float64(cfg.MsgRate), "messages per second per user (all sockets and uploads) after the burst")
	fs.IntVar(&cfg.MsgBurst, "msg-burst", cfg.MsgBurst, "messages a user may send at once (all sockets and uploads)")
	trustProxy := fs.String("trust-proxy", envOr("HEARTH_TRUST_PROXY", ""), "reverse proxies whose X-Forwarded-For/Proto count: addresses or CIDR prefixes, comma separated")
	fs.BoolVar(&cfg.MetricsPublic, "metrics-public", false, "let anyone read /metrics (by default: loopback and admins)")
	fs.BoolVar(&cfg.KeepPhotoLocation, "keep-photo-location", false, "keep the GPS location in shared JPEG photos (by default it is removed as they are uploaded)")
	fs.BoolVar(&cfg.MDNS, "mdns", cfg.MDNS, "announce the server on the LAN as hearth.local (mDNS/DNS-SD)")
	fs.Var(byteSizeFlag{&cfg.DiskLow}, "disk-low", "pause uploads while the database's disk has less free space than this, e.g. 1GiB (default: twice -max-upload, at least 256MiB)")
	fs.Var(byteSizeFlag{&cfg.DiskFloor}, "disk-floor", "refuse new messages while the database's disk has less free space than this")
	fs.BoolVar(&cfg.MigrationCopy, "migration-backup", cfg.MigrationCopy, "before migrating an older database to this release's format, keep a copy as PATH.before-format-N")
	fs.BoolVar(&cfg.TLSLocal, "tls-local", false, "serve HTTPS with certificates from Hearth's own CA (see /trust)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", envOr("HEARTH_TLS_CERT", ""), "serve HTTPS with this PEM certificate (with -tls-key; env HEARTH_TLS_CERT)")
	fs.StringVar(&cfg.TLSKey, "tls-key", envOr("HEARTH_TLS_KEY", ""), "the certificate's PEM private key (env HEARTH_TLS_KEY)")
	fs.IntVar(&cfg.MaxConnsPerUser, "max-conns-per-user", cfg.MaxConnsPerUser, "concurrent sockets one account may hold")
	fs.IntVar(&cfg.MaxConnsPerAddr, "max-conns-per-addr", cfg.MaxConnsPerAddr, "concurrent sockets one client address may hold")
	fs.StringVar(&cfg.BackupDir, "backup-dir", envOr("HEARTH_BACKUP_DIR", ""), "write a backup of the database into this existing directory by itself, e.g. a USB drive or NAS mount (env HEARTH_BACKUP_DIR)")
	fs.DurationVar(&cfg.BackupEvery, "backup-every", cfg.BackupEvery, "with -backup-dir: how often to back up")
	fs.IntVar(&cfg.BackupKeep, "backup-keep", cfg.BackupKeep, "with -backup-dir: how many backups to keep (the oldest are deleted)")
	fs.StringVar(&cfg.PushContact, "push-contact", envOr("HEARTH_PUSH_CONTACT", cfg.PushContact), "an e-mail address or https URL the push services of phones may contact about this server's notifications (env HEARTH_PUSH_CONTACT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	var err error
	if cfg.TrustProxy, err = parseTrustedProxies(*trustProxy); err != nil {
		return err
	}
	if low := cfg.diskLowMark(); low <= cfg.DiskFloor {
		return fmt.Errorf("serve: -disk-low (%s) must be above -disk-floor (%s)", byteSize64(low), byteSize64(cfg.DiskFloor))
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return errors.New("serve: -tls-cert and -tls-key go together")
	}
	if cfg.TLSLocal && cfg.TLSCert != "" {
		return errors.New("serve: -tls-local or -tls-cert, not both")
	}
	if *pprofAddr != "" {
		if !pprofBuilt {
			return errors.New("serve: -pprof: this binary has no profiler; build it with go build -tags pprof")
		}
		if err := checkPprofAddr(*pprofAddr, *pprofAny); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	cfg.MsgRate = rate.Limit(*msgRate)
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := listen(cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a, err := startApp(cfg, ln, stdout)
	if err != nil {
		ln.Close()
		return err
	}
	if *pprofAddr != "" {
		// The profiler has its own listener and mux, never the app's.
		// ReadTimeout is long enough for ?seconds= profiles and traces:
		// past it net/http cancels the request's context, which ends them.
		srv := &http.Server{
			Addr:              *pprofAddr,
			Handler:           pprofHandler(*pprofAny),
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       10 * time.Minute,
			IdleTimeout:       cfg.IdleTimeout,
		}
		go func() { slog.Error("pprof", "err", srv.ListenAndServe()) }()
	}
	<-ctx.Done()
	stop() // a second signal kills at once
	slog.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return a.shutdown(sctx)
}

// app is one running server: its store, goroutines and listener.
type app struct {
	st         *store
	hub        *hub
	com        *committer
	srv        *server
	http       *http.Server
	stop       context.CancelFunc // stops the hub, committer and reaper
	plain      *http.Server       // plain HTTP on the HTTPS port, when TLS is on
	handshakes *handshakeListener // serves http's WebSocket handshakes, when TLS is off
	local      *localCA           // with -tls-local
	unannounce func()             // stops the mDNS announcement, when there is one
	bg         sync.WaitGroup     // the hub, committer, reaper, retention and disk watcher goroutines
	serveErr   chan error
}

// listen opens Hearth's TCP port with the kernel's keep-alive probes off.
// Every connection already has a liveness check of Hearth's own: a socket
// is pinged every PingPeriod and closed when its pongs stop, an HTTP/2
// connection (over TLS) likewise (newApp's HTTP2Config), and an HTTP/1.1
// connection is closed by ReadTimeout or IdleTimeout, or by the kernel's
// retransmissions when a write finds its peer gone. The probes would add
// nothing but four setsockopt calls to every connection accepted.
func listen(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp", addr)
}

// startApp opens the database and serves on ln until shutdown. When the
// database has no users it prints the one-time setup link to out.
func startApp(cfg config, ln net.Listener, out io.Writer) (*app, error) {
	st, err := openStoreWith(cfg.DBPath, cfg.MigrationCopy)
	if err != nil {
		return nil, err
	}
	a, err := newApp(cfg, st, st, ln, out)
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// newApp serves st on ln. Messages are committed through appender, which is
// st itself except in tests that make writes fail.
func newApp(cfg config, st *store, appender messageAppender, ln net.Listener, out io.Writer) (*app, error) {
	sessions, err := newSessionManager(st, cfg.SessionLifetime)
	if err != nil {
		return nil, err
	}
	rooms := st.listRooms()
	// Bots whose room was deleted before that revoked them, or re-created
	// since, must not post into whatever room has the name now.
	stray, err := st.revokeStrayBots(time.Now())
	if err != nil {
		return nil, err
	}
	for _, b := range stray {
		slog.Warn("revoked a bot whose room is gone", "bot", b.Name, "room", b.Room)
		st.audit(auditEntry{TS: time.Now().UTC(), Admin: "hearth", Action: "revoke bot", Target: b.Name, Detail: "its room #" + b.Room + " is gone"})
	}
	hasUsers, err := st.hasUsers()
	if err != nil {
		return nil, err
	}
	var setup *setupToken
	if !hasUsers {
		setup = newSetupToken()
	}
	var backups *backups
	if cfg.BackupDir != "" {
		if backups, err = newBackups(st, cfg.BackupDir, cfg.BackupEvery, cfg.BackupKeep); err != nil {
			return nil, err
		}
	}

	push, err := newPusher(st, cfg.PushClient, cfg.PushContact)
	if err != nil {
		return nil, err
	}
	// Read here, once, for a clear error at start: left to ServeTLS, a bad
	// pair closed the HTTPS port behind a "serving" line.
	var certs []tls.Certificate
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("serve: -tls-cert and -tls-key: %w", err)
		}
		certs = append(certs, cert)
	}

	ctx, stop := context.WithCancel(context.Background())
	h := newHub(rooms, cfg.MaxConnsPerUser, cfg.MaxConnsPerAddr, cfg.PingPeriod, cfg.PresenceGrace)
	h.pusher = push
	com := newCommitter(appender, h)
	removeOldSpools(st.path) // we hold the database: no upload is under way
	srv := newServer(cfg, st, h, com, sessions, setup, backups, push)
	disk := newDiskWatch(filepath.Dir(st.path), cfg.diskLowMark(), cfg.DiskFloor, cfg.FreeSpace, h.setNotice)
	com.disk, srv.disk = disk, disk
	a := &app{
		st:   st,
		hub:  h,
		com:  com,
		srv:  srv,
		stop: stop,
		http: &http.Server{
			Handler:           srv,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       cfg.ReadTimeout,
			IdleTimeout:       cfg.IdleTimeout,
			// An HTTP/2 connection with a stream open is never idle, and a
			// stream stalled by flow control (a video the browser has
			// buffered enough of) leaves the kernel nothing to retransmit:
			// without a ping, a phone that left the Wi-Fi meanwhile would
			// hold it until restart. Silent for PingPeriod, it is pinged,
			// and closed if the answer does not come within a ninth of
			// that, as a WebSocket is.
			HTTP2:    &http.HTTP2Config{SendPingTimeout: cfg.PingPeriod, PingTimeout: cfg.PingPeriod / 9},
			ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
		},
		serveErr: make(chan error, 1),
	}
	a.bg.Add(6)
	go func() { defer a.bg.Done(); push.run(ctx) }()
	go func() { defer a.bg.Done(); retain(ctx, st, cfg.RetainInterval) }()
	go func() { defer a.bg.Done(); disk.watch(ctx, cfg.DiskCheck) }()
	go func() { defer a.bg.Done(); h.run(ctx) }()
	go func() { defer a.bg.Done(); com.run(ctx) }()
	go func() {
		defer a.bg.Done()
		sessions.reap(ctx, cfg.ReapInterval, h.sessionKeys, func(ended []string) {
			if len(ended) > 0 {
				h.closeSessions(ended...)
			}
			srv.logins.prune()
			srv.posts.prune()
			srv.roomGuesses.prune()
		})
	}()
	if backups != nil {
		a.bg.Add(1)
		go func() { defer a.bg.Done(); backups.run(ctx) }()
	}
	scheme := "http"
	if cfg.TLSCert != "" || cfg.TLSLocal {
		scheme = "https"
		// One port for both: plain HTTP is redirected (and, with our own
		// CA, shown how to trust it).
		sl := newSniffListener(ln)
		var plain http.Handler = redirectToHTTPS
		a.http.TLSConfig = newTLSConfig()
		a.http.TLSConfig.Certificates = certs
		if cfg.TLSLocal {
			local, err := newLocalCA(st)
			if err != nil {
				stop()
				return nil, fmt.Errorf("local certificate authority: %w", err)
			}
			a.http.TLSConfig.GetCertificate = local.getCertificate
			srv.mux.HandleFunc("GET /trust", local.handleTrust)
			srv.mux.HandleFunc("GET /trust/ca.crt", local.handleCA)
			srv.mux.HandleFunc("GET /trust/qr.png", local.handleTrustQR)
			plain = local.plainHandler(srv.assets)
			a.bg.Add(1)
			go func() { defer a.bg.Done(); local.keepFresh(ctx) }()
			a.local = local
		}
		a.plain = &http.Server{Handler: plain, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: cfg.ReadTimeout, IdleTimeout: cfg.IdleTimeout}
		go a.plain.Serve(sl.plainListener())
		go func() {
			err := a.http.ServeTLS(sl, "", "")
			// Closed here too: ServeTLS returns without closing it when it
			// fails before serving, and the plain side, waiting on it,
			// would then hold shutdown for ever.
			sl.Close()
			a.serveErr <- err
		}()
	} else {
		a.handshakes = newHandshakeListener(ln, srv, readHeaderTimeout)
		go func() { a.serveErr <- a.http.Serve(a.handshakes) }()
	}

	base := scheme + strings.TrimPrefix(listenURL(ln.Addr()), "http")
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && cfg.MDNS && !tcp.IP.IsLoopback() {
		// Being found is a convenience: a LAN without multicast still serves.
		if a.unannounce, err = announce(tcp.Port, scheme == "https"); err != nil {
			slog.Warn("not announced on the LAN (mDNS)", "err", err)
		}
	}
	slog.Info("Hearth is serving", "url", base, "db", cfg.DBPath, "version", version)
	if a.local != nil {
		// Until a device trusts the CA, every https:// link fails with a
		// certificate error; the trust page works over plain HTTP.
		fmt.Fprintf(out, "First, on each device (this one too), open %s/trust and follow its steps once, so the https:// links below open without a certificate error.\n",
			"http"+strings.TrimPrefix(base, "https"))
	}
	if setup != nil {
		fmt.Fprintf(out, "No accounts yet. Open this link to create the admin account: %s/setup?token=%s\n", base, setup.value())
	} else {
		fmt.Fprintf(out, "Hearth is running at %s\n", base)
	}
	if a.unannounce != nil {
		fmt.Fprintf(out, "On this network it is also %s://%s\n", scheme, net.JoinHostPort(strings.TrimSuffix(mdnsHost, "."), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)))
	}
	return a, nil
}

// shutdown stops accepting, closes every socket with 1001, lets the
// committer finish its transaction and closes the database.
func (a *app) shutdown(ctx context.Context) error {
	// Shutdown does not wait for hijacked connections: the hub closes those.
	if err := a.http.Shutdown(ctx); err != nil {
		slog.Warn("http shutdown", "err", err)
	}
	if a.handshakes != nil { // before the hub stops: they may be joining it
		if err := a.handshakes.wait(ctx); err != nil {
			slog.Warn("WebSocket handshakes still under way at shutdown deadline")
		}
	}
	if a.plain != nil {
		a.plain.Shutdown(ctx)
	}
	if a.unannounce != nil {
		a.unannounce()
	}
	a.stop()
	a.bg.Wait()
	pumpsDone := make(chan struct{})
	go func() { a.hub.pumps.Wait(); close(pumpsDone) }()
	select {
	case <-pumpsDone:
	case <-ctx.Done():
		slog.Warn("sockets still closing at shutdown deadline")
	}
	if err := a.st.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	if err := <-a.serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// every runs fn every interval until ctx is done: the background jobs'
// loop (retention, the session reaper, certificate renewal).
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// listenURL is the address people should open: a LAN address when
// listening on all interfaces, since the link is usually opened on another
// device.
func listenURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = lanAddress()
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// buildCommit is the commit the binary was built from: the release
// script's, else the go command's VCS stamp, else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func envOr(key, fallback string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return fallback
}
