// admin.go owns the admin console's API: people (disable, make admin, a
// one-time password reset link, their sessions), rooms (archive, delete),
// server facts, and the audit log every admin action is written to.

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"
)

// resetLifetime is how long a password reset link works.
const resetLifetime = 24 * time.Hour

// record writes an admin action to the audit log; a failure to write it is
// logged, not fatal to the action, which has happened.
func (s *server) record(admin, action, target, detail string) {
	e := auditEntry{TS: time.Now().UTC(), Admin: admin, Action: action, Target: target, Detail: detail}
	if err := s.st.audit(e); err != nil {
		slog.Error("audit", "action", action, "err", err)
	}
	slog.Info("admin action", "admin", admin, "action", action, "target", target)
}

type adminUser struct {
	Name     string    `json:"name"`
	Admin    bool      `json:"admin"`
	Disabled bool      `json:"disabled"`
	Created  time.Time `json:"created"`
	Sessions int       `json:"sessions"`
	Online   bool      `json:"online"`
	// LoginLimited: failed logins have used up the name's limit, so new
	// devices cannot log in (see handleAdminClearLoginLimit).
	LoginLimited bool `json:"login_limited"`
	// QuotaBytes is their storage quota (0: unlimited) and UsedBytes what
	// the files they shared take, uploads under way included.
	QuotaBytes int64 `json:"quota_bytes"`
	UsedBytes  int64 `json:"used_bytes"`
	profile          // display name, picture, time zone (profiles.go)
}

func (s *server) handleAdminUsers(w http.ResponseWriter, r *http.Request, sess session, u user) {
	users, err := s.st.listUsers()
	if err != nil {
		s.fail(w, "list users", err)
		return
	}
	var online []string
	s.hub.do(func() { online = s.hub.onlineNames() })
	counts := map[string]int{}
	s.st.forEachSession(func(x session) error {
		if time.Now().Before(x.Expires) {
			counts[x.User]++
		}
		return nil
	})
	used, err := s.st.usage()
	if err != nil {
		s.fail(w, "count storage used", err)
		return
	}
	out := make([]adminUser, len(users))
	for i, x := range users {
		out[i] = adminUser{x.Name, x.Admin, x.Disabled, x.Created, counts[x.Name], slices.Contains(online, x.Name), s.logins.byUser.limited(x.Name),
			x.QuotaBytes, used[x.Name], profileOf(x)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// handleAdminSetUser makes a user an admin or not, disabled or not, and
// sets their storage quota. admin and disabled go together (one left out
// is false), as before quotas; a request with neither, such as one that
// sets only quota_bytes, leaves both as they are. A disabled
// user's sessions end and their sockets close at once; a user whose admin
// flag changed has their sockets reconnect, to hear the new rights.
func (s *server) handleAdminSetUser(w http.ResponseWriter, r *http.Request, sess session, u user) {
	name := r.PathValue("name")
	var req struct {
		Admin      *bool  `json:"admin"`
		Disabled   *bool  `json:"disabled"`
		QuotaBytes *int64 `json:"quota_bytes"` // 0: unlimited
		// DisplayName is checked by cleanDisplayName before anything
		// changes ("" for none): refused, it refuses the whole request.
		DisplayName *string `json:"display_name"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if !cleanRequestedName(w, req.DisplayName) {
		return
	}
	if name == u.Name && (req.Admin != nil || req.Disabled != nil) && (req.Admin == nil || !*req.Admin || (req.Disabled != nil && *req.Disabled)) {
		writeError(w, http.StatusBadRequest, "you cannot take away your own admin rights or disable yourself")
		return
	}
	if req.QuotaBytes != nil && *req.QuotaBytes < 0 {
		writeError(w, http.StatusBadRequest, "quota_bytes is a number of bytes, or 0 for no quota")
		return
	}
	before, err := s.st.getUser(name)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such user")
		return
	}
	updated := before
	if req.Admin != nil || req.Disabled != nil {
		// As before quotas: the flags are set together, one left out
		// being false (the web client sends both).
		admin, disabled := req.Admin != nil && *req.Admin, req.Disabled != nil && *req.Disabled
		var ended []string
		updated, ended, err = s.st.setUserFlags(name, admin, disabled)
		if err != nil {
			s.fail(w, "set user flags", err)
			return
		}
		switch {
		case disabled:
			s.hub.closeUser(name, "account disabled")
			s.hub.closeSessions(ended...)
		case before.Admin != updated.Admin:
			s.hub.rightsChanged(name)
		}
		if before.Admin != updated.Admin {
			s.record(u.Name, choose(updated.Admin, "make admin", "remove admin"), name, "")
		}
		if before.Disabled != updated.Disabled {
			s.record(u.Name, choose(updated.Disabled, "disable user", "enable user"), name, fmt.Sprintf("%d sessions ended", len(ended)))
		}
	}
	if req.QuotaBytes != nil && *req.QuotaBytes != before.QuotaBytes {
		if err := s.st.updateUser(name, func(x *user) { x.QuotaBytes = *req.QuotaBytes }); err != nil {
			s.fail(w, "set quota", err)
			return
		}
		updated.QuotaBytes = *req.QuotaBytes
		s.record(u.Name, "set storage quota", name, choose(updated.QuotaBytes == 0, "unlimited", byteSize64(updated.QuotaBytes)))
	}
	if req.DisplayName != nil && *req.DisplayName != before.DisplayName {
		p, err := s.st.setProfile(name, req.DisplayName, nil)
		if err != nil {
			s.fail(w, "set display name", err, "user", name)
			return
		}
		updated.DisplayName = p.DisplayName
		s.record(u.Name, "set display name", name, choose(p.DisplayName == "", "none: the login name shows", p.DisplayName))
		s.profileChanged(p)
	}
	used, err := s.st.usage()
	if err != nil {
		s.fail(w, "count storage used", err)
		return
	}
	writeJSON(w, http.StatusOK, adminUser{Name: updated.Name, Admin: updated.Admin, Disabled: updated.Disabled, Created: updated.Created,
		QuotaBytes: updated.QuotaBytes, UsedBytes: used[name], profile: profileOf(updated)})
}

// handleAdminReset makes a one-time link with which the user sets a new
// password (the link is shown once; only its hash is kept). A new link
// voids the user's earlier one; a disabled account gets none.
func (s *server) handleAdminReset(w http.ResponseWriter, r *http.Request, sess session, u user) {
	name := r.PathValue("name")
	token := rand.Text()
	expires := time.Now().Add(resetLifetime).UTC()
	switch err := s.st.putReset(hashToken(token), passwordReset{User: name, Expires: expires}); {
	case errors.Is(err, errUserNotFound):
		writeError(w, http.StatusNotFound, "no such user")
		return
	case errors.Is(err, errUserDisabled):
		writeError(w, http.StatusConflict, "this account is disabled: enable it first, then make a reset link")
		return
	case err != nil:
		s.fail(w, "create reset", err)
		return
	}
	s.record(u.Name, "password reset link", name, "")
	writeJSON(w, http.StatusCreated, map[string]any{"url": s.shareURL(r) + "/reset?token=" + url.QueryEscape(token), "expires": expires})
}

// handleAdminClearLoginLimit forgets the failed logins counted against a
// user's name, so they can log in from a new device at once; the limits of
// the addresses that failed stay as they are.
func (s *server) handleAdminClearLoginLimit(w http.ResponseWriter, r *http.Request, sess session, u user) {
	name := r.PathValue("name")
	if _, err := s.st.getUser(name); err != nil {
		writeError(w, http.StatusNotFound, "no such user")
		return
	}
	s.logins.byUser.clear(name)
	s.record(u.Name, "clear login limit", name, "")
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) handleResetStatus(w http.ResponseWriter, r *http.Request) {
	name, err := s.st.resetUser(hashToken(r.URL.Query().Get("token")), time.Now())
	if err != nil {
		writeError(w, http.StatusNotFound, "this reset link is invalid, used or expired")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"user": name})
}

// handleReset sets the new password, ends every old session (their sockets
// close) and logs in on this browser.
func (s *server) handleReset(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	done, ok := s.beginAttempt(w, r, "")
	if !ok {
		return
	}
	if _, err := s.st.resetUser(hashToken(req.Token), time.Now()); err != nil {
		done(false)
		writeError(w, http.StatusNotFound, "this reset link is invalid, used or expired")
		return
	}
	done(true)
	if err := validPassword(req.Password); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	hash, err := hashPassword(req.Password)
	if err != nil {
		s.fail(w, "hash a new password", err)
		return
	}
	name, ended, err := s.st.useReset(hashToken(req.Token), hash, time.Now())
	switch {
	case errors.Is(err, errResetInvalid):
		writeError(w, http.StatusNotFound, "this reset link is invalid, used or expired")
		return
	case err != nil:
		s.fail(w, "use reset", err)
		return
	}
	s.hub.closeSessions(ended...)
	u, err := s.st.getUser(name)
	if err != nil {
		s.fail(w, "load the reset user", err)
		return
	}
	s.startSession(w, r, u, http.StatusOK)
}

func (s *server) handleAdminSessions(w http.ResponseWriter, r *http.Request, sess session, u user) {
	list, err := s.st.listSessions(r.PathValue("name"))
	if err != nil {
		s.fail(w, "list sessions", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": liveSessions(list, sess.Key)})
}

func (s *server) handleAdminRevoke(w http.ResponseWriter, r *http.Request, sess session, u user) {
	id := r.PathValue("id")
	target, err := s.st.getSession(id)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such session")
		return
	}
	if !s.endSession(w, id) {
		return
	}
	s.record(u.Name, "revoke session", target.User, describeSession(target))
	w.WriteHeader(http.StatusNoContent)
}

// choose is a if cond, else b.
func choose(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

func describeSession(x session) string {
	return fmt.Sprintf("%s from %s", truncate(x.UserAgent, 60), x.RemoteAddr)
}

// handleAdminRoom changes what an admin may about a room: archived (read-
// only) or not, and its retention. Fields left out stay as they are.
func (s *server) handleAdminRoom(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req roomSettings
	if !decodeJSON(w, r, &req) {
		return
	}
	for _, n := range []*int{req.KeepDays, req.KeepMessages} {
		if n != nil && (*n < 0 || *n > 1_000_000) {
			writeError(w, http.StatusBadRequest, "retention limits are 0 (none) to 1000000")
			return
		}
	}
	done, ok := s.commitRoomChange(w, r, appendRequest{Op: opUpdateRoom, Msg: message{Room: r.PathValue("room"), User: u.Name}, Change: roomChange{Settings: req}})
	switch {
	case !ok:
		return
	case errors.Is(done.Err, errRoomNotFound):
		writeError(w, http.StatusNotFound, "no such room")
		return
	case done.Err != nil:
		s.fail(w, "update room", done.Err)
		return
	}
	rm := done.Room
	if req.Archived != nil {
		s.record(u.Name, choose(*req.Archived, "archive room", "unarchive room"), rm.Name, "")
	}
	if req.KeepDays != nil || req.KeepMessages != nil {
		s.record(u.Name, "set retention", rm.Name, fmt.Sprintf("%d days, %d messages (0: no limit)", rm.KeepDays, rm.KeepMessages))
	}
	writeJSON(w, http.StatusOK, roomFor(rm, u))
}

// retain applies every room's retention every interval until ctx is done,
// a batch at a time, so chat's commits never wait for more than one.
func retain(ctx context.Context, st *store, interval time.Duration) {
	every(ctx, interval, func() { pruneAll(ctx, st, time.Now()) })
}

// pruneBatch is how many messages one retention transaction removes.
const pruneBatch = 500

// pruneAll applies every room's retention now and returns how many
// messages it removed.
func pruneAll(ctx context.Context, st *store, now time.Time) int {
	rooms := st.listRooms()
	total := 0
	for _, r := range rooms {
		for more := true; more && ctx.Err() == nil; {
			var n int
			var err error
			n, more, err = st.pruneRoom(r.Name, now, pruneBatch)
			if err != nil {
				slog.Error("retention", "room", r.Name, "err", err)
				break
			}
			total += n
		}
	}
	if total > 0 {
		slog.Info("retention removed messages", "count", total)
	}
	return total
}

// handleAdminRenameRoom gives a room a new name: {"name": "new-name"}.
// Everything in it moves; open sockets are told at once.
func (s *server) handleAdminRenameRoom(w http.ResponseWriter, r *http.Request, sess session, u user) {
	from := r.PathValue("room")
	var req struct {
		Name string `json:"name"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	to := strings.TrimPrefix(strings.TrimSpace(strings.ToLower(req.Name)), "#")
	if err := validRoomName(to); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rm, ok := s.st.room(from)
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "no such room")
		return
	case rm.DM:
		writeError(w, http.StatusBadRequest, "a direct conversation is named after its two people")
		return
	case from == defaultRoom:
		writeError(w, http.StatusBadRequest, "general keeps its name: everyone starts there")
		return
	case from == to:
		writeJSON(w, http.StatusOK, roomFor(rm, u))
		return
	}
	done, ok := s.commitRoomChange(w, r, appendRequest{Op: opRenameRoom, Msg: message{Room: from, User: u.Name}, Change: roomChange{To: to}})
	switch {
	case !ok:
		return
	case errors.Is(done.Err, errRoomNotFound):
		writeError(w, http.StatusNotFound, "no such room")
		return
	case errors.Is(done.Err, errRoomExists):
		writeError(w, http.StatusConflict, "there is already a room called "+to)
		return
	case done.Err != nil:
		s.fail(w, "rename room", done.Err, "from", from, "to", to)
		return
	}
	s.record(u.Name, "rename room", from, "to #"+to)
	writeJSON(w, http.StatusOK, roomFor(done.Room, u))
}

// handleAdminDeleteRoom deletes a room with all it holds, its bots revoked.
func (s *server) handleAdminDeleteRoom(w http.ResponseWriter, r *http.Request, sess session, u user) {
	name := r.PathValue("room")
	if name == defaultRoom {
		writeError(w, http.StatusBadRequest, "general cannot be deleted")
		return
	}
	done, ok := s.commitRoomChange(w, r, appendRequest{Op: opDeleteRoom, Msg: message{Room: name, User: u.Name}})
	switch {
	case !ok:
		return
	case errors.Is(done.Err, errRoomNotFound):
		writeError(w, http.StatusNotFound, "no such room")
		return
	case done.Err != nil:
		s.fail(w, "delete room", done.Err)
		return
	}
	s.record(u.Name, "delete room", name, "")
	for _, b := range done.Change.Revoked {
		s.record(u.Name, "revoke bot", b.Name, "its room #"+name+" was deleted")
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) handleAdminFacts(w http.ResponseWriter, r *http.Request, sess session, u user) {
	users, _ := s.st.listUsers()
	rooms := s.st.listRooms()
	var online []string
	s.hub.do(func() { online = s.hub.onlineNames() })
	writeJSON(w, http.StatusOK, map[string]any{
		"version": version, "commit": buildCommit(), "go": runtime.Version(), "database_format": databaseFormat,
		"started": s.started.UTC(), "uptime_seconds": int(time.Since(s.started).Seconds()),
		"database": s.st.path, "database_bytes": s.st.dbSize(),
		"connections": s.hub.connCount.Load(), "online": online,
		"users": len(users), "rooms": len(rooms),
		"disk": diskFacts(s.disk), "reclaimable_bytes": s.st.reclaimable(), "compact_command": compactCommandFor(s.st.path),
	})
}

// diskFacts is the disk's part of the server facts, from a fresh reading:
// free_bytes is null where free space is unknown.
func diskFacts(d *diskWatch) map[string]any {
	rd := d.check()
	var free *int64
	if rd.State != diskUnknown {
		free = &rd.Free
	}
	return map[string]any{"state": rd.State.String(), "free_bytes": free, "low_bytes": d.low, "floor_bytes": d.floor}
}

// compactCommandFor is the command that compacts the database at path, to
// run with the server stopped: the path made absolute (the admin's shell
// may be elsewhere) and quoted for a POSIX shell when it needs to be.
func compactCommandFor(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	plain := func(c rune) bool {
		return strings.ContainsRune("/._-+:,@%", c) || unicode.IsLetter(c) || unicode.IsDigit(c)
	}
	if strings.ContainsFunc(path, func(c rune) bool { return !plain(c) }) {
		path = "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
	}
	return "hearth compact -db " + path
}

func (s *server) handleAdminAudit(w http.ResponseWriter, r *http.Request, sess session, u user) {
	entries, err := s.st.auditLog(200)
	if err != nil {
		s.fail(w, "audit log", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}
