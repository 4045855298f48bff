// api.go owns the HTTP side: the server type, routes() listing every
// endpoint, the JSON handlers, security headers and the embedded web client.
// The WebSocket handshake lives in conn.go.

package main

import (
	"context"
	"crypto/rand"
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
	"net/url"
	"slices"
	"strconv"
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
	started     time.Time
	roomGuesses *failureLimiter // unavailable room names tried, per user; see handleCreateRoom
	upgrader    websocket.Upgrader
	mux         *http.ServeMux
	handler     http.Handler // mux wrapped in cross-origin protection and headers
	assets      http.Handler // the embedded web client's files
	roomChanges sync.Mutex   // see changeRoom
	// lanAddress is this machine's address on the LAN, for links made at
	// the server's own screen (see shareURL).
	lanAddress func() string
}

func newServer(cfg config, st *store, h *hub, com *committer, sessions *sessionManager, setup *setupToken) *server {
	s := &server{
		cfg:      cfg,
		st:       st,
		hub:      h,
		com:      com,
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
		lanAddress:  lanAddress,
		roomGuesses: newFailureLimiter(roomGuessRate, roomGuessBurst),
	}
	s.routes()
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	s.handler = cfg.TrustProxy.forwarded(strictTransport(cfg.TLSLocal, securityHeaders(csrf.Handler(s.mux))))
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
	s.mux.HandleFunc("GET /api/rooms/{room}/messages", s.withUser(s.handleMessages))
	s.mux.HandleFunc("GET /api/sessions", s.withUser(s.handleListSessions))
	s.mux.HandleFunc("DELETE /api/sessions/{id}", s.withUser(s.handleRevokeSession))
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
	s.mux.HandleFunc("POST /api/admin/users/{name}/reset", s.withAdmin(s.handleAdminReset))
	s.mux.HandleFunc("DELETE /api/admin/users/{name}/login-limit", s.withAdmin(s.handleAdminClearLoginLimit))
	s.mux.HandleFunc("GET /api/admin/users/{name}/sessions", s.withAdmin(s.handleAdminSessions))
	s.mux.HandleFunc("DELETE /api/admin/sessions/{id}", s.withAdmin(s.handleAdminRevoke))
	s.mux.HandleFunc("PUT /api/admin/rooms/{room}", s.withAdmin(s.handleAdminRoom))
	s.mux.HandleFunc("DELETE /api/admin/rooms/{room}", s.withAdmin(s.handleAdminDeleteRoom))
	s.mux.HandleFunc("POST /api/admin/rooms/{room}/rename", s.withAdmin(s.handleAdminRenameRoom))
	s.mux.HandleFunc("GET /api/admin/facts", s.withAdmin(s.handleAdminFacts))
	s.mux.HandleFunc("GET /api/admin/audit", s.withAdmin(s.handleAdminAudit))
	s.mux.HandleFunc("GET /api/admin/rooms/{room}/export", s.withAdmin(s.handleAdminExport))
	s.mux.HandleFunc("GET /api/reset", s.handleResetStatus)
	s.mux.HandleFunc("POST /api/reset", s.handleReset)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics(newRegistry(s.hub, s.st, s.com)))

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

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

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

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// --- authentication wrappers ---

// authenticate finds the request's live session and its user, answering 401
// (or 500 when the store fails) and returning ok=false otherwise.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request) (session, user, bool) {
	sess, u, err := s.sessions.userFromRequest(r)
	if err == nil && u.Disabled {
		err = errUserNotFound // the sessions of a disabled account are deleted; this covers a race
	}
	switch {
	case err == nil:
		return sess, u, true
	case errors.Is(err, errNoSession), errors.Is(err, errBadCookie), errors.Is(err, errSessionNotFound),
		errors.Is(err, errSessionExpired), errors.Is(err, errUserNotFound):
		writeError(w, http.StatusUnauthorized, "not logged in")
	default:
		s.fail(w, "load session", err)
	}
	return session{}, user{}, false
}

// userHandler is a handler that needs a logged-in user.
type userHandler func(w http.ResponseWriter, r *http.Request, sess session, u user)

// withUser runs h for requests with a live session and extends the session.
func (s *server) withUser(h userHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, u, ok := s.authenticate(w, r)
		if !ok {
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

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type meResponse struct {
	Username string `json:"username"`
	Admin    bool   `json:"admin"`
}

func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req credentials
	if !decodeJSON(w, r, &req) {
		return
	}
	u, err := s.st.getUser(req.Username)
	if err != nil && !errors.Is(err, errUserNotFound) {
		s.fail(w, "login: load user", err)
		return
	}
	addr := clientAddr(r)
	// Guesses at a name from elsewhere must not lock its owner out: from an
	// address the user has logged in from before, only that address's own
	// failures count. An unknown client (see forwarded) is nobody's device.
	known := addr != unknownClient && slices.Contains(u.TrustedAddrs, addr)
	limitName := truncate(req.Username, 64)
	if known {
		limitName = ""
	}
	done, ok := s.beginAttempt(w, r, limitName)
	if !ok {
		return
	}
	if !checkPassword(u.Hash, req.Password) {
		done(false)
		metricLoginsFailed.Inc()
		slog.Info("failed login", "user", limitName, "addr", addr)
		writeError(w, http.StatusUnauthorized, "wrong username or password")
		return
	}
	done(true)
	if u.Disabled { // told only to whoever knows the password
		writeError(w, http.StatusForbidden, "this account is disabled; ask an admin")
		return
	}
	metricLoginsOK.Inc()
	if !known && addr != unknownClient {
		err := s.st.updateUser(u.Name, func(u *user) { u.TrustedAddrs = rememberAddr(u.TrustedAddrs, addr) })
		if err != nil {
			slog.Warn("remember login address", "user", u.Name, "err", err)
		}
	}
	s.startSession(w, r, u, http.StatusOK)
}

// maxTrustedAddrs bounds the addresses remembered per user.
const maxTrustedAddrs = 8

// rememberAddr puts addr first in addrs, keeping at most maxTrustedAddrs.
func rememberAddr(addrs []string, addr string) []string {
	addrs = slices.DeleteFunc(addrs, func(a string) bool { return a == addr })
	addrs = append([]string{addr}, addrs...)
	return addrs[:min(len(addrs), maxTrustedAddrs)]
}

// beginAttempt takes one try from the failed-login limits of the client's
// address and of name ("" for attempts that name no user), answering 429,
// and saying which, if either is used up. Tries at once beyond the tokens
// left wait their turn (loginQueueWait at most, then 503): correct logins
// are not refused for arriving together. The caller reports the outcome
// through done.
func (s *server) beginAttempt(w http.ResponseWriter, r *http.Request, name string) (done func(success bool), ok bool) {
	ctx, cancel := context.WithTimeout(r.Context(), loginQueueWait)
	defer cancel()
	done, wait, err := s.logins.attempt(ctx, clientAddr(r), name)
	if err == nil {
		return done, true
	}
	secs := int(wait/time.Second) + 1
	switch {
	case errors.Is(err, errNameLimited):
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed attempts for this account from new devices; "+
			"try again in %s, from a device you have used before, or ask an admin to clear it", waitText(secs)))
	case errors.Is(err, errAddrLimited):
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed attempts from this address; try again in %s", waitText(secs)))
	default: // waited loginQueueWait, or the client left
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "too many logins at once from here; try again in a moment")
	}
	return nil, false
}

// waitText says secs for people: "40 seconds", "5 minutes".
func waitText(secs int) string {
	if secs < 90 {
		return fmt.Sprintf("%d seconds", secs)
	}
	return fmt.Sprintf("%d minutes", (secs+59)/60)
}

// startSession logs u in on this browser and answers with who they are.
func (s *server) startSession(w http.ResponseWriter, r *http.Request, u user, status int) {
	_, replaced, err := s.sessions.create(w, r, u.Name)
	if replaced != "" {
		s.hub.closeSessions(replaced) // tabs still on the old session
	}
	if err != nil {
		s.fail(w, "create session", err, "user", u.Name)
		return
	}
	writeJSON(w, status, meResponse{Username: u.Name, Admin: u.Admin})
}

func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if sess, err := s.sessions.fromRequest(r); err == nil {
		if err := s.st.deleteSession(sess.Key); err != nil && !errors.Is(err, errSessionNotFound) {
			s.fail(w, "logout: delete session", err)
			return
		}
		s.hub.loggedOut(sess.User, sess.Key)
	}
	s.sessions.clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) handleMe(w http.ResponseWriter, r *http.Request, sess session, u user) {
	writeJSON(w, http.StatusOK, meResponse{Username: u.Name, Admin: u.Admin})
}

// handleSetupStatus tells the setup page whether its link still works.
func (s *server) handleSetupStatus(w http.ResponseWriter, r *http.Request) {
	valid := s.setup != nil && s.setup.matches(r.URL.Query().Get("token"))
	writeJSON(w, http.StatusOK, map[string]bool{"valid": valid})
}

// handleSetup creates the first account, the admin, with the one-time token.
func (s *server) handleSetup(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
		credentials
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	done, ok := s.beginAttempt(w, r, "")
	if !ok {
		return
	}
	if s.setup == nil || !s.setup.matches(req.Token) {
		done(false)
		writeError(w, http.StatusForbidden, "this setup link is invalid or was already used")
		return
	}
	done(true)
	u, err := newUser(req.Username, req.Password, true)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch err := s.st.createFirstAdmin(u); {
	case errors.Is(err, errSetupDone):
		s.setup.consume()
		writeError(w, http.StatusForbidden, "this setup link is invalid or was already used")
		return
	case err != nil:
		s.fail(w, "setup: create admin", err)
		return
	}
	s.setup.consume()
	slog.Info("setup done", "admin", u.Name)
	s.startSession(w, r, u, http.StatusCreated)
}

// handleInviteStatus tells the join page whether its invite still works.
func (s *server) handleInviteStatus(w http.ResponseWriter, r *http.Request) {
	inv, err := s.st.getInvite(r.PathValue("code"))
	if err != nil || !inv.usable(time.Now()) {
		if err != nil && !errors.Is(err, errInviteInvalid) {
			slog.Error("load invite", "err", err)
		}
		writeError(w, http.StatusNotFound, "this invite link is invalid, expired or used up")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"created_by": inv.CreatedBy, "expires": inv.Expires})
}

// handleJoin creates an account through an invite and logs it in.
func (s *server) handleJoin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Code string `json:"code"`
		credentials
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	done, ok := s.beginAttempt(w, r, "")
	if !ok {
		return
	}
	if _, err := s.st.getInvite(req.Code); err != nil {
		done(false) // a guessed code
		writeError(w, http.StatusNotFound, "this invite link is invalid, expired or used up")
		return
	}
	done(true)
	u, err := newUser(req.Username, req.Password, false)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch err := s.st.redeemInvite(req.Code, u, time.Now()); {
	case errors.Is(err, errInviteInvalid):
		writeError(w, http.StatusNotFound, "this invite link is invalid, expired or used up")
		return
	case errors.Is(err, errUserExists):
		writeError(w, http.StatusConflict, "that username is taken")
		return
	case err != nil:
		s.fail(w, "join: redeem invite", err)
		return
	}
	slog.Info("user joined by invite", "user", u.Name)
	s.startSession(w, r, u, http.StatusCreated)
}

// --- invites ---

type inviteResponse struct {
	invite
	URL    string `json:"url"`
	Usable bool   `json:"usable"`
}

func (s *server) inviteResponse(r *http.Request, inv invite) inviteResponse {
	return inviteResponse{invite: inv, URL: s.shareURL(r) + "/join?code=" + url.QueryEscape(inv.Code), Usable: inv.usable(time.Now())}
}

func (s *server) handleListInvites(w http.ResponseWriter, r *http.Request, sess session, u user) {
	invites, err := s.st.listInvites()
	if err != nil {
		s.fail(w, "list invites", err)
		return
	}
	out := make([]inviteResponse, 0, len(invites))
	for _, inv := range invites {
		out = append(out, s.inviteResponse(r, inv))
	}
	writeJSON(w, http.StatusOK, map[string]any{"invites": out})
}

func (s *server) handleCreateInvite(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req struct {
		Hours   int `json:"hours"`
		MaxUses int `json:"max_uses"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Hours == 0 {
		req.Hours = defaultInviteHours
	}
	if req.MaxUses == 0 {
		req.MaxUses = 1
	}
	if req.Hours < 1 || req.Hours > maxInviteHours {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("hours must be 1-%d", maxInviteHours))
		return
	}
	if req.MaxUses < 1 || req.MaxUses > maxInviteUses {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("max_uses must be 1-%d", maxInviteUses))
		return
	}
	now := time.Now().UTC()
	inv := invite{
		Code:      newInviteCode(),
		CreatedBy: u.Name,
		Created:   now,
		Expires:   now.Add(time.Duration(req.Hours) * time.Hour),
		MaxUses:   req.MaxUses,
	}
	if err := s.st.putInvite(inv); err != nil {
		s.fail(w, "create invite", err)
		return
	}
	s.record(u.Name, "create invite", "", fmt.Sprintf("%d uses, %d hours", inv.MaxUses, req.Hours))
	writeJSON(w, http.StatusCreated, s.inviteResponse(r, inv))
}

func (s *server) handleDeleteInvite(w http.ResponseWriter, r *http.Request, sess session, u user) {
	if err := s.st.deleteInvite(r.PathValue("code")); err != nil {
		s.fail(w, "delete invite", err)
		return
	}
	s.record(u.Name, "delete invite", "", "")
	w.WriteHeader(http.StatusNoContent)
}

// --- rooms and history ---

func (s *server) handleMessages(w http.ResponseWriter, r *http.Request, sess session, u user) {
	q, err := parseHistoryQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rm, ok := s.visibleRoom(w, r.PathValue("room"), u)
	if !ok {
		return
	}
	// rev is read first: every change after it is in a later catch-up, so
	// nothing between the two reads is missed.
	rev, err := s.st.roomRev(rm.Name)
	var msgs []message
	if err == nil {
		if q.Changes {
			msgs, rev, err = s.st.changes(rm.Name, q.Since, q.Limit)
		} else {
			msgs, err = s.st.history(rm.Name, q)
		}
	}
	switch {
	case errors.Is(err, errRoomNotFound):
		writeError(w, http.StatusNotFound, "no such room")
		return
	case err != nil:
		s.fail(w, "read history", err, "room", r.PathValue("room"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": msgs, "rev": rev})
}

// parseHistoryQuery reads before, after, since and limit. At most one of
// before, after and since may be given.
func parseHistoryQuery(v url.Values) (historyQuery, error) {
	q := historyQuery{Limit: defaultPageSize}
	parseID := func(name string) (uint64, error) {
		n, err := strconv.ParseUint(v.Get(name), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s must be a message id", name)
		}
		return n, nil
	}
	var err error
	switch {
	case (v.Has("before") || v.Has("after")) && v.Has("since"):
		return q, errors.New("give since alone, without before or after")
	case v.Has("since"):
		if q.Since, err = parseID("since"); err != nil {
			return q, errors.New("since must be a rev")
		}
		q.Changes = true
	case v.Has("before") && v.Has("after"):
		return q, errors.New("give before or after, not both")
	case v.Has("before"):
		if q.Before, err = parseID("before"); err != nil {
			return q, err
		}
		if q.Before == 0 {
			return q, errors.New("before must be a message id")
		}
	case v.Has("after"):
		if q.After, err = parseID("after"); err != nil {
			return q, err
		}
		q.Forward = true
	}
	if v.Has("limit") {
		n, err := strconv.Atoi(v.Get("limit"))
		if err != nil || n < 1 || n > maxPageSize {
			return q, fmt.Errorf("limit must be 1-%d", maxPageSize)
		}
		q.Limit = n
	}
	return q, nil
}

// --- sessions ---

type sessionResponse struct {
	ID         string    `json:"id"`
	UserAgent  string    `json:"user_agent"`
	RemoteAddr string    `json:"remote_addr"`
	Created    time.Time `json:"created"`
	LastSeen   time.Time `json:"last_seen"`
	Expires    time.Time `json:"expires"`
	Current    bool      `json:"current"`
}

func (s *server) handleListSessions(w http.ResponseWriter, r *http.Request, sess session, u user) {
	list, err := s.st.listSessions(u.Name)
	if err != nil {
		s.fail(w, "list sessions", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": liveSessions(list, sess.Key)})
}

// liveSessions describes the sessions in list that have not expired (an
// expired one waits for the reaper); current is the asking session's key.
func liveSessions(list []session, current string) []sessionResponse {
	out := make([]sessionResponse, 0, len(list))
	now := time.Now()
	for _, x := range list {
		if now.Before(x.Expires) {
			out = append(out, sessionResponse{
				ID: x.Key, UserAgent: x.UserAgent, RemoteAddr: x.RemoteAddr,
				Created: x.Created, LastSeen: x.LastSeen, Expires: x.Expires, Current: x.Key == current,
			})
		}
	}
	return out
}

// handleRevokeSession ends one of the user's own sessions and its sockets.
func (s *server) handleRevokeSession(w http.ResponseWriter, r *http.Request, sess session, u user) {
	id := r.PathValue("id")
	target, err := s.st.getSession(id)
	if err != nil || target.User != u.Name {
		if err != nil && !errors.Is(err, errSessionNotFound) {
			slog.Error("load session", "err", err)
		}
		writeError(w, http.StatusNotFound, "no such session")
		return
	}
	if !s.endSession(w, id) {
		return
	}
	if id == sess.Key {
		s.sessions.clearCookie(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
}

// endSession deletes the session with key id and closes its sockets. On a
// failure it answers 500 and returns false.
func (s *server) endSession(w http.ResponseWriter, id string) bool {
	if err := s.st.deleteSession(id); err != nil && !errors.Is(err, errSessionNotFound) {
		s.fail(w, "revoke session", err)
		return false
	}
	s.hub.closeSessions(id)
	return true
}

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

// newInviteCode returns an unguessable invite code.
func newInviteCode() string { return rand.Text() }

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
