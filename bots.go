// bots.go owns webhooks for the house: admins create a bot with a name and
// a secret token for one room, and anything that can run curl posts into
// that room with it. Only the token's hash is kept; a token never grants a
// session, only posting to its room, and each bot is rate limited. A bot
// belongs to one room, not to a name: deleting the room revokes it, and a
// room made later under the same name is not its room. A revoked bot's
// name is never given to a person's account.

package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Each bot may post hookBurst messages at once, then one every hookEvery.
const (
	hookBurst = 10
	hookEvery = time.Second
	// hookWait bounds how long a hook request waits for its commit.
	hookWait = 10 * time.Second
)

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// hookLimits holds a rate limiter per bot id.
type hookLimits struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func (l *hookLimits) allow(botID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[string]*rate.Limiter)
	}
	lim, ok := l.m[botID]
	if !ok {
		lim = rate.NewLimiter(rate.Every(hookEvery), hookBurst)
		l.m[botID] = lim
	}
	return lim.Allow()
}

type botResponse struct {
	bot
	HookURL string `json:"hook_url"`
	Token   string `json:"token,omitempty"` // only when created: it is not kept
}

func (s *server) hookURL(r *http.Request, roomName string) string {
	return s.shareURL(r) + "/api/rooms/" + roomName + "/hook"
}

func (s *server) handleListBots(w http.ResponseWriter, r *http.Request, sess session, u user) {
	bots, err := s.st.listBots()
	if err != nil {
		s.fail(w, "list bots", err)
		return
	}
	out := make([]botResponse, len(bots))
	for i, b := range bots {
		out[i] = botResponse{bot: b, HookURL: s.hookURL(r, b.Room)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"bots": out})
}

func (s *server) handleCreateBot(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req struct {
		Name string `json:"name"`
		Room string `json:"room"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if err := validUsername(req.Name); err != nil {
		writeError(w, http.StatusBadRequest, "bot "+err.Error())
		return
	}
	if _, ok := s.st.room(req.Room); !ok {
		writeError(w, http.StatusBadRequest, "no such room: "+quote(req.Room))
		return
	}
	token := rand.Text() + rand.Text() // 256 bits
	hash := hashToken(token)
	b := bot{ID: hash[:botIDLen], Name: req.Name, Room: req.Room, CreatedBy: u.Name, Created: time.Now().UTC()}
	switch err := s.st.createBot(b, hash); {
	case errors.Is(err, errNameTaken):
		writeError(w, http.StatusConflict, "a user or bot already has that name")
		return
	case errors.Is(err, errRoomNotFound):
		writeError(w, http.StatusBadRequest, "no such room: "+quote(req.Room))
		return
	case err != nil:
		s.fail(w, "create bot", err)
		return
	}
	s.record(u.Name, "create bot", b.Name, "posts to #"+b.Room)
	writeJSON(w, http.StatusCreated, botResponse{bot: b, HookURL: s.hookURL(r, b.Room), Token: token})
}

func (s *server) handleDeleteBot(w http.ResponseWriter, r *http.Request, sess session, u user) {
	switch b, err := s.st.deleteBot(r.PathValue("id"), time.Now()); {
	case errors.Is(err, errBotNotFound):
		writeError(w, http.StatusNotFound, "no such bot")
	case err != nil:
		s.fail(w, "delete bot", err)
	default:
		s.record(u.Name, "revoke bot", b.Name, "posted to #"+b.Room)
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleHook posts a bot's message: plain text, or JSON {"body": "…"}, with
// Authorization: Bearer TOKEN. It answers once the message is committed.
func (s *server) handleHook(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hearth"`)
		writeError(w, http.StatusUnauthorized, "send the bot's token as Authorization: Bearer TOKEN")
		return
	}
	b, err := s.st.botByToken(hashToken(strings.TrimSpace(token)))
	if err != nil {
		if !errors.Is(err, errBotNotFound) {
			slog.Error("load bot", "err", err)
		}
		writeError(w, http.StatusUnauthorized, "unknown or revoked token")
		return
	}
	if b.Room != r.PathValue("room") && !slices.Contains(b.Formerly, r.PathValue("room")) {
		writeError(w, http.StatusForbidden, "this token posts to #"+b.Room+" only")
		return
	}
	if !s.hooks.allow(b.ID) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "slow down: too many messages from this bot")
		return
	}
	body, ok := readHookBody(w, r, s.cfg.MaxBody)
	if !ok {
		return
	}
	p := &pendingSend{req: appendRequest{Bot: true, BotRoom: b.RoomCreated, Msg: message{Room: b.Room, User: b.Name, Body: body}}, done: make(chan struct{})}
	s.commitAndAnswer(w, p)
}

// readHookBody reads a hook's message: the JSON field body, or the whole
// body as text. It answers 400 or 413 itself and returns false on failure.
func readHookBody(w http.ResponseWriter, r *http.Request, maxBody int) (string, bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "request body is larger than "+byteSize(maxRequestBody))
		return "", false
	}
	body := string(raw)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		var req struct {
			Body string `json:"body"`
		}
		if err := json.Unmarshal(raw, &req); err != nil {
			writeError(w, http.StatusBadRequest, "JSON bodies look like {\"body\": \"text\"}: "+err.Error())
			return "", false
		}
		body = req.Body
	}
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		writeError(w, http.StatusBadRequest, "message is empty")
		return "", false
	case len(body) > maxBody:
		writeError(w, http.StatusRequestEntityTooLarge, "message is longer than "+byteSize(maxBody))
		return "", false
	}
	return body, true
}

// commitAndAnswer submits p, waits until it is committed and delivered,
// and answers 201 with the stored message. It returns false if it answered
// before p was done with (refused for shutdown, or timed out).
func (s *server) commitAndAnswer(w http.ResponseWriter, p *pendingSend) (settled bool) {
	if !s.com.submit(p) {
		writeError(w, http.StatusServiceUnavailable, "server shutting down")
		return true // never queued: nothing will read it
	}
	select {
	case <-p.done:
	case <-s.hub.done:
		writeError(w, http.StatusServiceUnavailable, "server shutting down")
		return false
	case <-time.After(hookWait):
		writeError(w, http.StatusServiceUnavailable, "the message was not saved in time; try again")
		return false
	}
	switch {
	case errors.Is(p.req.Err, errRoomNotFound):
		writeError(w, http.StatusNotFound, "no such room")
	case errors.Is(p.req.Err, errRoomArchived):
		writeError(w, http.StatusConflict, "this room is archived: it keeps its history but takes no new messages")
	case errors.As(p.req.Err, new(*quotaError)):
		writeError(w, http.StatusRequestEntityTooLarge, p.req.Err.Error())
	case errors.Is(p.req.Err, errDiskFull), errors.Is(p.err, errDiskFull):
		writeError(w, http.StatusInsufficientStorage, diskFullMessage)
	case p.err != nil || p.req.Err != nil:
		if p.req.Err != nil {
			slog.Error("message refused", "room", p.req.Msg.Room, "err", p.req.Err)
		}
		writeError(w, http.StatusInternalServerError, "the message could not be saved")
	default:
		writeJSON(w, http.StatusCreated, p.req.Msg)
	}
	return true
}
