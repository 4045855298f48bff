// api.go owns the HTTP side: the server type, routes() listing every
// endpoint, authentication wrappers, security headers, the JSON helpers and
// the embedded web client. Handlers live with their concern (accounts.go,
// rooms.go, admin.go, files.go, …); the WebSocket handshake in conn.go.

package main

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

//go:embed assets
var assetsFS embed.FS

const (
	// maxRequestBody caps every JSON request body.
	maxRequestBody = 64 << 10
	// History page sizes.
	defaultPageSize = 50
	maxPageSize     = 200
	// Invite limits an admin can choose.
	defaultInviteHours = 72
	maxInviteHours     = 30 * 24
	maxInviteUses      = 100
	// maxRooms bounds the rooms anyone can create: every presence event
	// sends a frame per room to every socket.
	maxRooms = 500
	// maxMembers bounds a private room's member list.
	maxMembers = 200
)

// contentSecurityPolicy allows only the app's own scripts, styles and
// sockets: no inline script, no framing, nothing from other hosts.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// server answers HTTP and WebSocket requests.
type server struct {
	cfg         config
	st          *store
	hub         *hub
	com         *committer
	sessions    *sessionManager
	logins      *loginGuard
	setup       *setupToken // nil when the database already had users
	hooks       hookLimits  // per bot
	uploading   userGate    // uploads in flight, per user
	posts       *userRates  // message allowance per user: sockets and uploads
	searches    searchSlots // per user, see handleSearch
	disk        *diskWatch  // free space on the database's disk; set by newApp, read-only after
	backups     *backups    // automatic backups into -backup-dir; nil without it
	push        *pusher     // Web Push: the key browsers subscribe with, and test pushes
	started     time.Time
	roomGuesses *failureLimiter // unavailable room names tried, per user; see handleCreateRoom
	upgrader    websocket.Upgrader
	mux         *http.ServeMux
	csrf        *http.CrossOriginProtection // refuses cross-site writes; see ServeHTTP
	assets      http.Handler                // the embedded web client's files
	// lanAddress is this machine's address on the LAN, for links made at
	// the server's own screen (see shareURL).
	lanAddress func() string
}

func newServer(cfg config, st *store, h *hub, com *committer, sessions *sessionManager, setup *setupToken, b *backups, push *pusher) *server {
	s := &server{
		cfg:      cfg,
		push:     push,
		st:       st,
		hub:      h,
		com:      com,
		backups:  b,
		sessions: sessions,
		logins: &loginGuard{
			byAddr: newFailureLimiter(cfg.LoginRate, cfg.LoginBurst),
			byUser: newFailureLimiter(cfg.LoginRate, cfg.LoginBurst),
		},
		setup:   setup,
		posts:   newUserRates(cfg.MsgRate, cfg.MsgBurst),
		started: time.Now(),
		upgrader: websocket.Upgrader{
			// The read buffer is batchingWriter's (readBufferSize) and
			// write buffers are pooled, to keep an idle socket cheap;
			// frames are gathered by batchConn instead.
			WriteBufferPool: &sync.Pool{},
			CheckOrigin:     sameOrigin, // checked before Upgrade too; kept as a second lock
		},
		mux:         http.NewServeMux(),
		csrf:        http.NewCrossOriginProtection(),
		lanAddress:  lanAddress,
		roomGuesses: newFailureLimiter(roomGuessRate, roomGuessBurst),
	}
	s.routes()
	return s
}

// routes lists every endpoint.
func (s *server) routes() {
	s.mux.HandleFunc("POST /api/login", s.handleLogin)
	s.mux.HandleFunc("POST /api/logout", s.handleLogout)
	s.mux.HandleFunc("GET /api/me", s.withUser(s.handleMe))
	s.mux.HandleFunc("GET /api/setup", s.handleSetupStatus)
	s.mux.HandleFunc("POST /api/setup", s.handleSetup)
	s.mux.HandleFunc("GET /api/join/{code}", s.handleInviteStatus)
	s.mux.HandleFunc("POST /api/join", s.handleJoin)
	s.mux.HandleFunc("GET /api/invites", s.withAdmin(s.handleListInvites))
	s.mux.HandleFunc("POST /api/invites", s.withAdmin(s.handleCreateInvite))
	s.mux.HandleFunc("DELETE /api/invites/{code}", s.withAdmin(s.handleDeleteInvite))
	s.mux.HandleFunc("GET /api/invites/{code}/qr.png", s.withAdmin(s.handleInviteQR))
	s.mux.HandleFunc("GET /api/config", s.handleConfig)
	s.mux.HandleFunc("GET /api/users", s.withUser(s.handleListUsers))
	s.mux.HandleFunc("GET /api/users/{name}/avatar", s.withUser(s.handleAvatar))
	s.mux.HandleFunc("PUT /api/me/profile", s.withUser(s.handleSetProfile))
	s.mux.HandleFunc("PUT /api/me/avatar", s.withUser(s.handleSetAvatar))
	s.mux.HandleFunc("DELETE /api/me/avatar", s.withUser(s.handleDeleteAvatar))
	s.mux.HandleFunc("GET /api/rooms", s.withUser(s.handleListRooms))
	s.mux.HandleFunc("POST /api/rooms", s.withUser(s.handleCreateRoom))
	s.mux.HandleFunc("GET /api/rooms/{room}", s.withUser(s.handleGetRoom))
	s.mux.HandleFunc("PUT /api/rooms/{room}/members", s.withUser(s.handleSetMembers))
	s.mux.HandleFunc("POST /api/dms", s.withUser(s.handleOpenDM))
	s.mux.HandleFunc("POST /api/rooms/{room}/read", s.withUser(s.handleRead))
	s.mux.HandleFunc("GET /api/search", s.withUser(s.handleSearch))
	s.mux.HandleFunc("GET /api/bots", s.withAdmin(s.handleListBots))
	s.mux.HandleFunc("POST /api/bots", s.withAdmin(s.handleCreateBot))
	s.mux.HandleFunc("DELETE /api/bots/{id}", s.withAdmin(s.handleDeleteBot))
	s.mux.HandleFunc("POST /api/rooms/{room}/hook", s.handleHook)
	s.mux.HandleFunc("POST /api/rooms/{room}/files", s.withUser(s.handleUpload))
	s.mux.HandleFunc("GET /api/files/{id}", s.withUser(s.handleFile))
	s.mux.HandleFunc("GET /api/files/{id}/thumb", s.withUser(s.handleThumb))
	s.mux.HandleFunc("GET /api/rooms/{room}/messages", s.withUser(s.handleMessages))
	s.mux.HandleFunc("GET /api/sessions", s.withUser(s.handleListSessions))
	s.mux.HandleFunc("DELETE /api/sessions/{id}", s.withUser(s.handleRevokeSession))
	s.mux.HandleFunc("GET /api/push", s.withUser(s.handlePushStatus))
	s.mux.HandleFunc("POST /api/push", s.withUser(s.handlePushSubscribe))
	s.mux.HandleFunc("DELETE /api/push", s.withUser(s.handlePushUnsubscribe))
	s.mux.HandleFunc("DELETE /api/push/{id}", s.withUser(s.handlePushRemove))
	s.mux.HandleFunc("POST /api/push/test", s.withUser(s.handlePushTest))
	s.mux.HandleFunc("GET /api/notifications", s.withUser(s.handleGetNotifications))
	s.mux.HandleFunc("PUT /api/notifications", s.withUser(s.handlePutNotifications))
	s.mux.HandleFunc("PUT /api/notifications/rooms/{room}", s.withUser(s.handlePutRoomLevel))
	// Unknown API paths answer in JSON, whatever the method. ("/api/" alone
	// would conflict with "GET /" below.)
	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		s.mux.HandleFunc(method+" /api/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, "no such endpoint")
		})
	}
	s.mux.HandleFunc("GET /ws", s.handleWS)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /api/admin/backup", s.withAdmin(s.handleBackup))
	s.mux.HandleFunc("GET /api/admin/users", s.withAdmin(s.handleAdminUsers))
	s.mux.HandleFunc("PUT /api/admin/users/{name}", s.withAdmin(s.handleAdminSetUser))
	s.mux.HandleFunc("PUT /api/admin/users/{name}/avatar", s.withAdmin(s.handleAdminSetAvatar))
	s.mux.HandleFunc("DELETE /api/admin/users/{name}/avatar", s.withAdmin(s.handleAdminDeleteAvatar))
	s.mux.HandleFunc("POST /api/admin/users/{name}/reset", s.withAdmin(s.handleAdminReset))
	s.mux.HandleFunc("DELETE /api/admin/users/{name}/login-limit", s.withAdmin(s.handleAdminClearLoginLimit))
	s.mux.HandleFunc("GET /api/admin/users/{name}/sessions", s.withAdmin(s.handleAdminSessions))
	s.mux.HandleFunc("DELETE /api/admin/sessions/{id}", s.withAdmin(s.handleAdminRevoke))
	s.mux.HandleFunc("PUT /api/admin/rooms/{room}", s.withAdmin(s.handleAdminRoom))
	s.mux.HandleFunc("DELETE /api/admin/rooms/{room}", s.withAdmin(s.handleAdminDeleteRoom))
	s.mux.HandleFunc("POST /api/admin/rooms/{room}/rename", s.withAdmin(s.handleAdminRenameRoom))
	s.mux.HandleFunc("GET /api/admin/facts", s.withAdmin(s.handleAdminFacts))
	s.mux.HandleFunc("GET /api/admin/backups", s.withAdmin(s.handleAdminBackups))
	s.mux.HandleFunc("POST /api/admin/backups/run", s.withAdmin(s.handleAdminBackupNow))
	s.mux.HandleFunc("GET /api/admin/audit", s.withAdmin(s.handleAdminAudit))
	s.mux.HandleFunc("POST /api/admin/push/reset", s.withAdmin(s.handleAdminPushReset))
	s.mux.HandleFunc("GET /api/admin/rooms/{room}/export", s.withAdmin(s.handleAdminExport))
	s.mux.HandleFunc("GET /api/reset", s.handleResetStatus)
	s.mux.HandleFunc("POST /api/reset", s.handleReset)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics(newRegistry(s.hub, s.st, s.com, s.backups, s.push)))

	assets, err := fs.Sub(assetsFS, "assets")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	app := s.serveFile(assets, "index.html")
	s.mux.Handle("GET /{$}", app)
	s.mux.Handle("GET /setup", app)
	s.mux.Handle("GET /join", app)
	s.mux.Handle("GET /reset", app)
	s.mux.Handle("GET /help/https", s.serveFile(assets, "https.html"))
	s.assets = noDirectories(http.FileServerFS(assets))
	s.mux.Handle("GET /", s.assets)
}

// ServeHTTP is the front door: every request takes these steps, in this
// order. They are written out here rather than chained as wrappers because
// a WebSocket handshake runs on the goroutine net/http starts with a small
// stack, and each wrapper's frame under handleWS made the runtime copy that
// stack to a bigger one on every handshake (5% of its CPU).
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = s.cfg.TrustProxy.apply(r) // first: every later step sees the client
	h := w.Header()
	strictTransport(h, r, s.cfg.TLSLocal)
	setSecurityHeaders(h)
	if err := s.csrf.Check(r); err != nil {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// serveFile answers with one embedded file, whatever the path.
func (s *server) serveFile(fsys fs.FS, name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			s.fail(w, "read embedded asset", err, "name", name)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(data)
	})
}

// noDirectories hides directory listings: a path ending in / is not found.
// It also names the manifest's type, which the standard table lacks.
func noDirectories(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		if strings.HasSuffix(r.URL.Path, ".webmanifest") {
			w.Header().Set("Content-Type", "application/manifest+json")
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries, for handlers
// other than the server's (whose ServeHTTP sets them itself).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}

// setSecurityHeaders puts securityHeaderValues in h.
func setSecurityHeaders(h http.Header) {
	for _, hv := range securityHeaderValues {
		h[hv.name] = hv.value // shared: full slices, so an Add copies before appending
	}
}

// securityHeaderValues are the headers every response carries, named in
// canonical form and made once rather than for every request. A list, not
// a map: ranging over a map needs an iterator on the front door's stack
// (see ServeHTTP).
var securityHeaderValues = []struct {
	name  string
	value []string
}{
	{"Content-Security-Policy", []string{contentSecurityPolicy}},
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"same-origin"}},
	{"X-Frame-Options", []string{"DENY"}},
}

// --- authentication wrappers ---

// authenticate loads the request's live session and its user into sess and
// u, or answers 401 (500 when the store fails) and returns false.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request, sess *session, u *user) bool {
	err := s.sessions.userFromRequest(r, sess, u)
	switch {
	case err == nil && u.Disabled: // the sessions of a disabled account are deleted; this covers a race
		writeError(w, http.StatusUnauthorized, reasonDisabled)
	case err == nil:
		return true
	case errors.Is(err, errSessionNotFound):
		writeError(w, http.StatusUnauthorized, s.sessions.whyEnded(r)) // "account disabled" says why to log in again
	case errors.Is(err, errNoSession), errors.Is(err, errBadCookie),
		errors.Is(err, errSessionExpired), errors.Is(err, errUserNotFound):
		writeError(w, http.StatusUnauthorized, "not logged in")
	default:
		s.fail(w, "load session", err)
	}
	return false
}

// userHandler is a handler that needs a logged-in user.
type userHandler func(w http.ResponseWriter, r *http.Request, sess session, u user)

// withUser runs h for requests with a live session and extends the session.
func (s *server) withUser(h userHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var sess session
		var u user
		if !s.authenticate(w, r, &sess, &u) {
			return
		}
		s.sessions.touch(w, r, &sess)
		h(w, r, sess, u)
	}
}

// withAdmin is withUser for admins only.
func (s *server) withAdmin(h userHandler) http.HandlerFunc {
	return s.withUser(func(w http.ResponseWriter, r *http.Request, sess session, u user) {
		if !u.Admin {
			writeError(w, http.StatusForbidden, "admins only")
			return
		}
		h(w, r, sess, u)
	})
}

// --- account handlers ---

// --- invites ---

// --- rooms and history ---

// --- sessions ---

// --- JSON helpers ---

// decodeJSON reads a capped JSON body into v, answering 400 or 413 and
// returning false if it cannot.
//
// The body must be declared application/json (parameters such as charset
// allowed), else 415. A browser sends a cross-site form or a "simple"
// fetch only as text/plain, form or multipart, so this is a second lock on
// cookie-authenticated requests beside CrossOriginProtection. The webhook
// (bearer token, text from curl) and uploads (raw bytes) do not come here.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "request body must be JSON, sent with Content-Type: application/json")
		return false
	}
	body := http.MaxBytesReader(w, r.Body, maxRequestBody)
	dec := json.NewDecoder(body)
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("unexpected data after the JSON object")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %s", byteSize(maxRequestBody)))
		} else {
			writeError(w, http.StatusBadRequest, "request body must be a JSON object: "+err.Error())
		}
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// fail logs what went wrong, with err and any attrs, and answers 500
// "internal error": the detail is for the log, never for the client.
func (s *server) fail(w http.ResponseWriter, what string, err error, attrs ...any) {
	slog.Error(what, append(attrs, "err", err)...)
	writeError(w, http.StatusInternalServerError, "internal error")
}

// baseURL is the scheme and host the client used to reach us.
func baseURL(r *http.Request) string {
	scheme := "http"
	if isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// shareURL is the base of links made for other devices: invites, join
// cards, reset links, hooks. It is the address the request came to, except
// when that is this machine's loopback (the admin at the server's own
// screen) while Hearth also listens on the LAN: then it is the LAN address,
// since "localhost" on a phone is the phone.
func (s *server) shareURL(r *http.Request) string {
	base := baseURL(r)
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	if !isLoopbackHost(host) || !listensOnLAN(s.cfg.Addr) {
		return base
	}
	lan := s.lanAddress()
	if lan == "localhost" {
		return base
	}
	if port != "" {
		lan = net.JoinHostPort(lan, port)
	}
	scheme, _, _ := strings.Cut(base, "://")
	return scheme + "://" + lan
}

// isLoopbackHost reports whether host (a name or an address, without port)
// means this machine.
func isLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// listensOnLAN reports whether the listen address addr takes connections
// from other machines: all interfaces, or a non-loopback address.
func listensOnLAN(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return host == "" || !isLoopbackHost(host)
}

// byteSize formats n bytes for people.
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
