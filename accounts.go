// accounts.go owns the account endpoints: logging in and out (with the
// login limits' bookkeeping), the first admin's setup, invites and joining
// through them, and a user's own sessions (devices).

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type meResponse struct {
	Username string `json:"username"`
	Admin    bool   `json:"admin"`
	profile         // the person's own display name, picture and time zone
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
	// failures count. An unknown client (see trustedProxies.apply) is nobody's device.
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
	writeJSON(w, status, meResponse{Username: u.Name, Admin: u.Admin, profile: profileOf(u)})
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
	writeJSON(w, http.StatusOK, meResponse{Username: u.Name, Admin: u.Admin, profile: profileOf(u)})
}

// handleSetupStatus tells the setup page whether its link still works and,
// when not, whether setup is done (the page then sends people to log in)
// or the link is merely stale (a restart printed a newer one).
func (s *server) handleSetupStatus(w http.ResponseWriter, r *http.Request) {
	valid := s.setup != nil && s.setup.matches(r.URL.Query().Get("token"))
	done := s.setup == nil || s.setup.value() == ""
	writeJSON(w, http.StatusOK, map[string]bool{"valid": valid, "done": done})
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

// newInviteCode returns an unguessable invite code.
func newInviteCode() string { return rand.Text() }
