// rooms.go owns the HTTP side of rooms: listing what a user may see,
// creating public and private rooms, managing a private room's members,
// opening direct conversations, the user list the pickers need, and reading
// a room's history (pages and catch-up). A room a user may not see does not
// exist for them: 404, never 403.

package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// roomResponse is a room as its viewer sees it.
type roomResponse struct {
	room
	// How far the viewer has read, only where the room is listed (GET
	// /api/rooms): absent elsewhere, rather than zeros a client would take
	// for a reset marker.
	*ReadState
	CanManage bool `json:"can_manage,omitempty"` // may change the members
}

func roomFor(r room, u user) roomResponse {
	return roomResponse{room: r, CanManage: r.Private && !r.DM && (u.Admin || r.CreatedBy == u.Name)}
}

// visibleRoom returns the named room if u may see it, and answers 404
// otherwise.
func (s *server) visibleRoom(w http.ResponseWriter, name string, u user) (room, bool) {
	r, ok := s.st.room(name)
	if !ok || !r.visibleTo(u.Name) {
		writeError(w, http.StatusNotFound, "no such room")
		return room{}, false
	}
	return r, true
}

func (s *server) handleListRooms(w http.ResponseWriter, r *http.Request, sess session, u user) {
	rooms := s.st.listRooms()
	out := make([]roomResponse, 0, len(rooms))
	for _, rm := range rooms {
		if !rm.visibleTo(u.Name) {
			continue
		}
		resp := roomFor(rm, u)
		rs, err := s.st.unread(u.Name, rm.Name)
		if err != nil {
			s.fail(w, "count unread", err, "room", rm.Name)
			return
		}
		resp.ReadState = &rs
		out = append(out, resp)
	}
	writeJSON(w, http.StatusOK, map[string]any{"rooms": out})
}

// handleRead moves the user's read marker in a room forward, for all their
// devices: each of their sockets hears it and clears its badge.
func (s *server) handleRead(w http.ResponseWriter, r *http.Request, sess session, u user) {
	rm, ok := s.visibleRoom(w, r.PathValue("room"), u)
	if !ok {
		return
	}
	var req struct {
		ID uint64 `json:"id"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	read, err := s.st.setRead(u.Name, rm.Name, req.ID)
	if err != nil {
		s.fail(w, "set read marker", err)
		return
	}
	s.hub.sendUser(u.Name, prepare(readFrame{Type: "read", Room: rm.Name, ID: read}))
	writeJSON(w, http.StatusOK, map[string]uint64{"read": read})
}

func (s *server) handleGetRoom(w http.ResponseWriter, r *http.Request, sess session, u user) {
	if rm, ok := s.visibleRoom(w, r.PathValue("room"), u); ok {
		writeJSON(w, http.StatusOK, roomFor(rm, u))
	}
}

// checkMembers validates a member list: every name an existing user.
func (s *server) checkMembers(w http.ResponseWriter, members []string) bool {
	for _, name := range members {
		if _, err := s.st.getUser(name); err != nil {
			if !errors.Is(err, errUserNotFound) {
				s.fail(w, "load member", err)
			} else {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("no user called %q", truncate(name, 40)))
			}
			return false
		}
	}
	return true
}

// Room names are one namespace, so a name a private room holds cannot be
// created by anyone else. To a user who cannot see that room the refusal is
// nameUnavailable, the same words and status as for a reserved name, and
// says nothing more: not that a room exists, nor whether it is private, nor
// whose. Such refusals are limited per user (roomGuessBurst, then one per
// roomGuessRate), so names cannot be listed by trying a dictionary.
const nameUnavailable = "that room name is not available; choose another"

// roomGuessBurst unavailable names may be tried at once, then one every
// roomGuessRate.
var (
	roomGuessRate  = rate.Every(10 * time.Minute)
	roomGuessBurst = 20
)

// reservedRoomNames cannot be created: they would read as the server's own.
var reservedRoomNames = map[string]bool{
	"admin": true, "all": true, "api": true, "everyone": true, "hearth": true,
	"here": true, "me": true, "new": true, "root": true, "system": true,
}

func (s *server) handleCreateRoom(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req struct {
		Name    string   `json:"name"`
		Private bool     `json:"private"`
		Members []string `json:"members"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if err := validRoomName(req.Name); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if existing, ok := s.st.room(req.Name); ok && existing.visibleTo(u.Name) {
		writeError(w, http.StatusConflict, "there is already a room called #"+req.Name)
		return
	}
	if rooms := s.st.listRooms(); len(rooms) >= maxRooms {
		writeError(w, http.StatusForbidden, fmt.Sprintf("this server already has %d rooms, the most it allows", maxRooms))
		return
	}
	// From here a taken name is one the user cannot see: each one tried
	// counts against the user, so names cannot be listed by trying them.
	if wait, err := s.roomGuesses.begin(r.Context(), u.Name); err != nil {
		if errors.Is(err, errTooManyFailures) {
			secs := int(wait/time.Second) + 1
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many unavailable room names tried; try again in %s", waitText(secs)))
		}
		return
	}
	taken := reservedRoomNames[req.Name]
	defer func() { s.roomGuesses.end(u.Name, taken) }()
	if taken {
		writeError(w, http.StatusConflict, nameUnavailable)
		return
	}
	rm := room{Name: req.Name, Created: time.Now().UTC(), CreatedBy: u.Name}
	if req.Private {
		if len(req.Members) > maxMembers || !s.checkMembers(w, req.Members) {
			if len(req.Members) > maxMembers {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("at most %d members", maxMembers))
			}
			return
		}
		rm.Private = true
		rm.Members = slices.Compact(slices.Sorted(slices.Values(append(req.Members, u.Name))))
	}
	done, ok := s.commitRoomChange(w, r, appendRequest{Op: opCreateRoom, Msg: message{Room: rm.Name, User: u.Name}, Change: roomChange{New: rm}})
	switch {
	case !ok:
		return
	case errors.Is(done.Err, errRoomExists): // a private room the user cannot see, or one made just now
		taken = true
		writeError(w, http.StatusConflict, nameUnavailable)
		return
	case done.Err != nil:
		s.fail(w, "create room", done.Err, "room", rm.Name)
		return
	}
	writeJSON(w, http.StatusCreated, roomFor(done.Room, u))
}

// commitRoomChange sends a room change through the committer, as messages
// go, and waits until it is committed and the hub has applied it: the hub
// hears room changes in commit order with every message, and a socket that
// registers after the answer has the change in its hello. It returns the
// request as committed, whose Err the caller answers. When the change could
// not be committed (503 shutting down, 507 the disk is full, 500 the
// commit failed) it answers
// itself and returns ok false; also, answering nothing, when the client has
// gone.
func (s *server) commitRoomChange(w http.ResponseWriter, r *http.Request, req appendRequest) (done appendRequest, ok bool) {
	p := &pendingSend{req: req, done: make(chan struct{})}
	if !s.com.submit(p) {
		writeError(w, http.StatusServiceUnavailable, "server shutting down")
		return req, false
	}
	select {
	case <-p.done:
	case <-s.hub.done: // its batch may never be delivered
		writeError(w, http.StatusServiceUnavailable, "server shutting down")
		return req, false
	case <-r.Context().Done():
		return req, false
	}
	if errors.Is(p.req.Err, errDiskFull) || errors.Is(p.err, errDiskFull) {
		writeError(w, http.StatusInsufficientStorage, diskFullMessage)
		return req, false
	}
	if p.err != nil {
		s.fail(w, "commit a room change", p.err, "op", req.Op, "room", req.Msg.Room)
		return req, false
	}
	return p.req, true
}

// handleSetMembers replaces a private room's members. Its creator and admins
// may; the change reaches open sockets at once (rooms appear or vanish).
func (s *server) handleSetMembers(w http.ResponseWriter, r *http.Request, sess session, u user) {
	rm, ok := s.visibleRoom(w, r.PathValue("room"), u)
	if !ok {
		return
	}
	if !roomFor(rm, u).CanManage {
		writeError(w, http.StatusForbidden, "only the room's creator or an admin can change its members")
		return
	}
	var req struct {
		Members []string `json:"members"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if len(req.Members) == 0 || len(req.Members) > maxMembers {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("a private room has 1-%d members", maxMembers))
		return
	}
	if !s.checkMembers(w, req.Members) {
		return
	}
	done, ok := s.commitRoomChange(w, r, appendRequest{Op: opSetMembers, Msg: message{Room: rm.Name, User: u.Name}, Change: roomChange{Members: req.Members}})
	switch {
	case !ok:
		return
	case errors.Is(done.Err, errRoomNotFound): // renamed, deleted or closed to the user meanwhile
		writeError(w, http.StatusNotFound, "no such room")
		return
	case errors.Is(done.Err, errNotManager):
		writeError(w, http.StatusForbidden, "only the room's creator or an admin can change its members")
		return
	case done.Err != nil:
		s.fail(w, "set members", done.Err, "room", rm.Name)
		return
	}
	writeJSON(w, http.StatusOK, roomFor(done.Room, u))
}

// handleOpenDM returns the direct conversation with another user, creating
// it on first use (201 then, 200 after).
func (s *server) handleOpenDM(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req struct {
		User string `json:"user"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.User == u.Name {
		writeError(w, http.StatusBadRequest, "a direct conversation needs someone else")
		return
	}
	if !s.checkMembers(w, []string{req.User}) {
		return
	}
	name := dmName(u.Name, req.User)
	status := http.StatusOK
	rm, found := s.st.room(name)
	if !found {
		dm := room{Name: name, Created: time.Now().UTC(), CreatedBy: u.Name, Private: true, DM: true, Members: []string{min(u.Name, req.User), max(u.Name, req.User)}}
		done, ok := s.commitRoomChange(w, r, appendRequest{Op: opOpenDM, Msg: message{Room: name, User: u.Name}, Change: roomChange{New: dm}})
		if !ok {
			return
		}
		if done.Err != nil {
			s.fail(w, "open dm", done.Err)
			return
		}
		if rm = done.Room; done.Change.Created {
			status = http.StatusCreated
		}
	}
	writeJSON(w, status, roomFor(rm, u))
}

// handleListUsers lists the accounts, for member pickers and @mentions,
// with their profiles: how names and pictures are shown.
func (s *server) handleListUsers(w http.ResponseWriter, r *http.Request, sess session, u user) {
	users, err := s.st.listUsers()
	if err != nil {
		s.fail(w, "list users", err)
		return
	}
	type userResponse struct {
		Name  string `json:"name"`
		Admin bool   `json:"admin"`
		profile
	}
	out := make([]userResponse, len(users))
	for i, x := range users {
		out[i] = userResponse{x.Name, x.Admin, profileOf(x)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

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
	if msgs == nil {
		msgs = []message{} // a list, never null: a catch-up with nothing new is the common case
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
