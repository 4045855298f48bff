// notifications.go owns the HTTP side of notifications: a device's push
// subscription (GET, POST and DELETE /api/push, a test push, an admin's
// reset of the push keys), and a
// person's notification settings (GET and PUT /api/notifications, a level
// per room), which every device of theirs hears of when they change.

package main

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxEndpointLen bounds a push endpoint: the push services' are a few
// hundred bytes.
const maxEndpointLen = 2048

// pushSubscriptionRequest is a browser's PushSubscription.toJSON().
type pushSubscriptionRequest struct {
	// Resume is set by a device subscribing again by itself, not by its
	// person: refused (409) after they removed the device elsewhere.
	Resume   bool   `json:"resume,omitempty"`
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// check says what is wrong with a subscription, or "". Endpoints on the
// LAN are allowed: a self-hosted push service (an ntfy server acting as
// UnifiedPush distributor) lives there. Only https, so the encrypted
// payload and the VAPID signature travel over TLS.
func (req pushSubscriptionRequest) check() string {
	u, err := url.Parse(req.Endpoint)
	switch {
	case req.Endpoint == "":
		return "endpoint is missing"
	case len(req.Endpoint) > maxEndpointLen:
		return "endpoint is longer than 2048 bytes"
	case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "":
		return "endpoint must be an https URL"
	}
	key, err := decodeBase64URL(req.Keys.P256dh)
	if err != nil || len(key) != 65 {
		return "keys.p256dh must be a P-256 public key (65 bytes, base64url)"
	}
	if _, err := ecdh.P256().NewPublicKey(key); err != nil {
		return "keys.p256dh is not a point on P-256"
	}
	if auth, err := decodeBase64URL(req.Keys.Auth); err != nil || len(auth) != 16 {
		return "keys.auth must be 16 bytes, base64url"
	}
	return ""
}

// decodeBase64URL reads base64url with or without padding, as browsers
// and libraries differ.
func decodeBase64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// pushDevice is one subscription as its owner sees it: which device, not
// the endpoint (a capability) nor the keys.
type pushDevice struct {
	ID         string    `json:"id"`
	Device     string    `json:"device"`
	Service    string    `json:"service"` // the push service's host
	Created    time.Time `json:"created"`
	ThisDevice bool      `json:"this_device"`
}

// handlePushStatus answers what the Notifications dialog needs: the key to
// subscribe with, whether push services can be reached, and which devices
// of the person get notifications.
func (s *server) handlePushStatus(w http.ResponseWriter, r *http.Request, sess session, u user) {
	subs, err := s.st.pushSubscriptions(u.Name, "")
	if err != nil {
		s.fail(w, "list push subscriptions", err)
		return
	}
	sessions, err := s.st.listSessions(u.Name)
	if err != nil {
		s.fail(w, "list sessions", err)
		return
	}
	agent := map[string]string{}
	for _, x := range sessions {
		agent[x.Key] = x.UserAgent
	}
	devices := make([]pushDevice, 0, len(subs))
	for _, sub := range subs {
		devices = append(devices, pushDevice{
			ID: sub.ID, Device: deviceName(agent[sub.Session]), Service: serviceHost(sub.Endpoint),
			Created: sub.Created, ThisDevice: sub.Session == sess.Key,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"public_key":    s.push.publicKey(),
		"reachable":     s.push.reachableState(),
		"subscriptions": devices,
	})
}

// handlePushSubscribe keeps this device's subscription.
func (s *server) handlePushSubscribe(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req pushSubscriptionRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if problem := req.check(); problem != "" {
		writeError(w, http.StatusBadRequest, problem)
		return
	}
	sub := pushSubscription{
		Session: sess.Key, User: u.Name, Endpoint: req.Endpoint,
		P256dh: strings.TrimRight(req.Keys.P256dh, "="), Auth: strings.TrimRight(req.Keys.Auth, "="),
		Created: time.Now().UTC(),
	}
	created, err := s.st.putPushSubscription(sub, req.Resume)
	switch {
	case errors.Is(err, errPushOff):
		writeError(w, http.StatusConflict, errPushOff.Error()+": turn them on again here to get them")
		return
	case errors.Is(err, errSessionNotFound):
		writeError(w, http.StatusUnauthorized, "not logged in")
		return
	case err != nil:
		s.fail(w, "keep push subscription", err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]string{"id": pushSubscriptionID(sub.Endpoint)})
}

// handlePushUnsubscribe forgets this device's subscription with the
// endpoint given, or all of this device's when none is.
func (s *server) handlePushUnsubscribe(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req pushSubscriptionRequest
	if r.ContentLength != 0 && !decodeJSON(w, r, &req) {
		return
	}
	if _, err := s.st.deleteSessionPush(sess.Key, req.Endpoint); err != nil {
		s.fail(w, "delete push subscription", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handlePushRemove forgets one of the person's subscriptions, from any
// of their devices (the list in the Notifications dialog).
func (s *server) handlePushRemove(w http.ResponseWriter, r *http.Request, sess session, u user) {
	switch err := s.st.deleteUserPush(u.Name, r.PathValue("id")); {
	case errors.Is(err, errPushNotFound):
		writeError(w, http.StatusNotFound, "no such device")
	case err != nil:
		s.fail(w, "delete push subscription", err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// handlePushTest sends a test notification to this device now, and says
// plainly what went wrong when it could not: never what the push service
// answered beyond its status.
func (s *server) handlePushTest(w http.ResponseWriter, r *http.Request, sess session, u user) {
	subs, err := s.st.pushSubscriptions(u.Name, sess.Key)
	if err != nil {
		s.fail(w, "list push subscriptions", err)
		return
	}
	if len(subs) == 0 {
		writeError(w, http.StatusConflict, "this device is not subscribed")
		return
	}
	payload, _ := json.Marshal(pushPayload{
		Type: "test", Title: "Hearth", Body: "Notifications work on this device.",
		Tag: "test", Unread: s.push.unreadTotal(u.Name),
	})
	ctx, cancel := context.WithTimeout(r.Context(), pushTimeout)
	defer cancel()
	sent := 0
	var last pushOutcome
	for _, sub := range subs {
		out := s.push.deliver(ctx, pushSend{sub: sub, payload: payload, topic: "test", urgency: "high"})
		if out.reason == "" {
			sent++
			continue
		}
		last = out
	}
	if sent > 0 {
		writeJSON(w, http.StatusOK, map[string]int{"sent": sent})
		return
	}
	switch last.reason {
	case "network", "timeout":
		writeError(w, http.StatusServiceUnavailable, "the server cannot reach the push service: phone notifications need the server to reach the internet")
	case "gone":
		writeError(w, http.StatusGone, "the push service no longer knows this device: turn notifications off and on again")
	case "rate_limited":
		writeError(w, http.StatusTooManyRequests, "the push service asked Hearth to wait before sending more: try again later")
	default:
		msg := "the push service refused it"
		if last.status != 0 {
			msg += " (HTTP " + strconv.Itoa(last.status) + ")"
		}
		writeError(w, http.StatusBadGateway, msg)
	}
}

// handleAdminPushReset replaces the server's VAPID key pair and forgets
// every device's subscription: what to do when a backup (which holds the
// key and the subscriptions) may have leaked. Devices subscribe again by
// themselves the next time Hearth opens on them.
func (s *server) handleAdminPushReset(w http.ResponseWriter, r *http.Request, sess session, u user) {
	n, err := s.push.resetKeys()
	if err != nil {
		s.fail(w, "reset push keys", err)
		return
	}
	s.record(u.Name, "reset push keys", "", strconv.Itoa(n)+" device subscriptions forgotten")
	writeJSON(w, http.StatusOK, map[string]any{"removed": n, "public_key": s.push.publicKey()})
}

// notifySettingsRequest changes some settings: what is absent is kept.
type notifySettingsRequest struct {
	HideText     *bool       `json:"hide_text"`
	Quiet        *quietHours `json:"quiet"`
	Breakthrough *[]string   `json:"breakthrough"`
}

// notifySettingsResponse is a person's settings with the defaults their
// rooms fall back on.
type notifySettingsResponse struct {
	notifySettings
	Defaults map[string]string `json:"defaults"`
}

// notificationsFrame tells every socket of a person that their settings
// changed. They are nested, not flat: "rooms" is a list in other frames.
type notificationsFrame struct {
	Type     string                 `json:"type"` // "notifications"
	Settings notifySettingsResponse `json:"settings"`
}

func settingsResponse(ns notifySettings) notifySettingsResponse {
	return notifySettingsResponse{notifySettings: ns, Defaults: map[string]string{"room": levelMentions, "dm": levelAll}}
}

func (s *server) handleGetNotifications(w http.ResponseWriter, r *http.Request, sess session, u user) {
	ns, err := s.st.notifySettingsOf(u.Name)
	if err != nil {
		s.fail(w, "read notification settings", err)
		return
	}
	writeJSON(w, http.StatusOK, settingsResponse(ns))
}

func (s *server) handlePutNotifications(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req notifySettingsRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Quiet != nil {
		if problem := req.Quiet.check(); problem != "" {
			writeError(w, http.StatusBadRequest, problem)
			return
		}
	}
	if req.Breakthrough != nil {
		people := slices.Compact(slices.Sorted(slices.Values(*req.Breakthrough)))
		for _, name := range people {
			if _, err := s.st.getUser(name); err != nil {
				writeError(w, http.StatusBadRequest, "breakthrough: no such person: "+quote(name))
				return
			}
		}
		req.Breakthrough = &people
	}
	s.changeNotifySettings(w, u, func(ns *notifySettings) error {
		if req.HideText != nil {
			ns.HideText = *req.HideText
		}
		if req.Quiet != nil {
			ns.Quiet = *req.Quiet
		}
		if req.Breakthrough != nil {
			ns.Breakthrough = *req.Breakthrough
		}
		return nil
	})
}

// check says what is wrong with quiet hours, or "".
func (q quietHours) check() string {
	if _, err := parseClock(q.From); err != nil {
		return "quiet.from: " + err.Error()
	}
	if _, err := parseClock(q.To); err != nil {
		return "quiet.to: " + err.Error()
	}
	if len(q.Zone) > 64 {
		return "quiet.zone is too long"
	}
	if _, err := time.LoadLocation(q.Zone); err != nil {
		return "quiet.zone: unknown time zone " + quote(q.Zone)
	}
	return ""
}

// handlePutRoomLevel sets the person's level for one room they may see;
// "default" goes back to the room's default.
func (s *server) handlePutRoomLevel(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req struct {
		Level string `json:"level"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Level == "off" {
		req.Level = levelNone
	}
	if !slices.Contains([]string{levelAll, levelMentions, levelNone, "default"}, req.Level) {
		writeError(w, http.StatusBadRequest, `level must be "all", "mentions" or "none"`)
		return
	}
	name := r.PathValue("room")
	rm, ok := s.st.room(name)
	if !ok || !rm.visibleTo(u.Name) {
		writeError(w, http.StatusNotFound, "no such room")
		return
	}
	s.changeNotifySettings(w, u, func(ns *notifySettings) error {
		if req.Level == "default" {
			delete(ns.Rooms, name)
		} else {
			ns.Rooms[name] = req.Level
		}
		return nil
	})
}

// changeNotifySettings applies change, answers with the settings as
// stored, and tells every socket of the person, so their other devices
// show the same.
func (s *server) changeNotifySettings(w http.ResponseWriter, u user, change func(*notifySettings) error) {
	ns, err := s.st.updateNotifySettings(u.Name, change)
	if err != nil {
		s.fail(w, "change notification settings", err)
		return
	}
	resp := settingsResponse(ns)
	writeJSON(w, http.StatusOK, resp)
	s.hub.sendUser(u.Name, prepare(notificationsFrame{Type: "notifications", Settings: resp}))
}

// deviceName says in a few words which browser on which system a
// User-Agent header is: "Chrome on Android", "Safari on iPhone".
func deviceName(ua string) string {
	browser := "Browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"FxiOS", "Firefox"},
		{"CriOS", "Chrome"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"Mac OS X", "Mac"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " on " + system
}
