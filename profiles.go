// profiles.go owns what people show of themselves, over HTTP: a display
// name (by cleanDisplayName's rules), a time zone and a profile picture,
// set by the person (PUT /api/me/profile, PUT and DELETE /api/me/avatar)
// or by an admin (display_name in PUT /api/admin/users/{name}, and PUT and
// DELETE /api/admin/users/{name}/avatar), the picture served to everyone
// logged in (GET /api/users/{name}/avatar), and the profile frame that
// tells every socket of a change. images.go makes the pictures and
// store_profiles.go keeps them. Mentions stay by login name: nothing here
// changes what @mum means.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	// maxDisplayName is the longest display name, in characters (runes):
	// room for "Grandad Bernard 👴🏻" in any script, not for a paragraph.
	maxDisplayName = 64

	// maxAvatarUpload caps the picture sent for a profile: any phone photo
	// fits, and it is read whole before being made small.
	maxAvatarUpload = 10 << 20

	// avatarForever is the Cache-Control of a picture asked for by its
	// version (?v=): that URL never shows anything else.
	avatarForever = "private, max-age=31536000, immutable"
)

// profile is what everyone logged in may see of a person besides their
// login name: in GET /api/users, the admins' list and the profile frame.
type profile struct {
	DisplayName string `json:"display_name"` // "" shows the login name
	Avatar      int64  `json:"avatar"`       // the picture's version; 0: none
	Zone        string `json:"zone"`         // IANA time zone; "" when unknown
}

func profileOf(u user) profile {
	return profile{DisplayName: u.DisplayName, Avatar: u.Avatar, Zone: u.Zone}
}

// profileResponse answers every profile change: whose, and as it is now.
type profileResponse struct {
	Name string `json:"name"`
	profile
}

// cleanDisplayName returns the display name to keep for s, or why it is
// refused. It drops the characters that could hide or disguise what
// people see: bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069), which could turn the rest of a line around, and every
// other control, format, private-use or surrogate character, except
// the joiners (U+200D welds emoji sequences such as 👨‍👩‍👧, U+200C is
// part of spelling in Persian and Indic scripts) and the tag characters
// that name a flag after 🏴 (England's, Scotland's). Variation selectors
// and skin tones are marks and symbols, so they stay. Runs of spaces,
// tabs, line breaks and blank letters (isBlankLetter) become one space,
// and the ends are trimmed. Any script and any emoji are welcome; the
// result must hold 1 to maxDisplayName characters. An s that is empty
// (or only spaces) gives "" and no error: "use the login name".
func cleanDisplayName(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	var b strings.Builder
	space, flag := false, false // a space is pending; tags may follow (after 🏴)
	for _, r := range s {
		switch {
		case isBidiControl(r):
			continue
		case r == '\u200C' || r == '\u200D':
		case isTag(r):
			if !flag {
				continue
			}
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp) || isBlankLetter(r):
			space = true
			continue
		case r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		flag = r == '\U0001F3F4' || (flag && isTag(r))
	}
	clean := b.String()
	if !strings.ContainsFunc(clean, func(r rune) bool { return r != '\u200C' && r != '\u200D' && !isTag(r) }) {
		return "", errors.New("a display name needs at least one letter, digit or emoji: it cannot be only spaces or invisible characters")
	}
	if n := utf8.RuneCountInString(clean); n > maxDisplayName {
		return "", fmt.Errorf("a display name can be at most %d characters (this one has %d)", maxDisplayName, n)
	}
	return clean, nil
}

// isBidiControl reports whether r is one of the Unicode bidirectional
// controls: marks, embeddings, overrides and isolates.
func isBidiControl(r rune) bool {
	return r == '\u061C' || r == '\u200E' || r == '\u200F' || (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// isBlankLetter reports whether r is one of the letters and symbols that
// draw nothing (the Hangul fillers, the blank Braille pattern), with which
// a name would look empty: they count as spaces.
func isBlankLetter(r rune) bool {
	return r == '\u115F' || r == '\u1160' || r == '\u3164' || r == '\uFFA0' || r == '\u2800'
}

// isTag reports whether r is a tag character, which spells a region after
// the black flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿 is 🏴 g b s c t and a cancel tag).
func isTag(r rune) bool { return r >= '\U000E0020' && r <= '\U000E007F' }

// checkZone refuses a time zone the server does not know; "" (unknown) is
// allowed.
func checkZone(zone string) error {
	if zone == "" {
		return nil
	}
	if len(zone) > 64 || zone == "Local" {
		return fmt.Errorf("zone: unknown time zone %s", quote(zone))
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return fmt.Errorf("zone: unknown time zone %s", quote(zone))
	}
	return nil
}

// profileChanged tells every socket of u's profile as it is now.
func (s *server) profileChanged(u user) {
	f := prepare(profileFrame{Type: "profile", User: u.Name, profile: profileOf(u)})
	s.hub.do(func() { s.hub.broadcast(f) })
}

// cleanRequestedName cleans a requested display name in place by
// cleanDisplayName's rules; nil (not asked) is left alone. It answers 400
// and returns false when the name is refused.
func cleanRequestedName(w http.ResponseWriter, name *string) bool {
	if name == nil {
		return true
	}
	clean, err := cleanDisplayName(*name)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return false
	}
	*name = clean
	return true
}

// handleSetProfile changes the person's display name and time zone:
// {"display_name": "Mum", "zone": "Europe/London"}, each optional ("" for
// none). It answers with the profile as stored.
func (s *server) handleSetProfile(w http.ResponseWriter, r *http.Request, sess session, u user) {
	var req struct {
		DisplayName *string `json:"display_name"`
		Zone        *string `json:"zone"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if !cleanRequestedName(w, req.DisplayName) {
		return
	}
	if req.Zone != nil {
		if err := checkZone(*req.Zone); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	updated, err := s.st.setProfile(u.Name, req.DisplayName, req.Zone)
	if err != nil {
		s.fail(w, "set profile", err, "user", u.Name)
		return
	}
	if profileOf(updated) != profileOf(u) {
		s.profileChanged(updated)
	}
	writeJSON(w, http.StatusOK, profileResponse{updated.Name, profileOf(updated)})
}

// handleSetAvatar makes the request's image the person's profile picture.
func (s *server) handleSetAvatar(w http.ResponseWriter, r *http.Request, sess session, u user) {
	s.putAvatar(w, r, u, u.Name)
}

// handleDeleteAvatar removes the person's profile picture.
func (s *server) handleDeleteAvatar(w http.ResponseWriter, r *http.Request, sess session, u user) {
	s.removeAvatar(w, u, u.Name)
}

// handleAdminSetAvatar makes the request's image someone's profile
// picture (an admin helping grandad).
func (s *server) handleAdminSetAvatar(w http.ResponseWriter, r *http.Request, sess session, u user) {
	s.putAvatar(w, r, u, r.PathValue("name"))
}

// handleAdminDeleteAvatar removes someone's profile picture.
func (s *server) handleAdminDeleteAvatar(w http.ResponseWriter, r *http.Request, sess session, u user) {
	s.removeAvatar(w, u, r.PathValue("name"))
}

// putAvatar makes the image in r's body the profile picture of name, as
// by: its centre square at avatarSide pixels, upright, re-encoded as a
// JPEG, so nothing of the original's metadata (its location) is kept. The
// body is the image itself, as with uploads, declared image/* and at
// most maxAvatarUpload bytes (413 above). An admin's change of someone
// else's picture is audited.
func (s *server) putAvatar(w http.ResponseWriter, r *http.Request, by user, name string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || !strings.HasPrefix(mt, "image/") {
		writeError(w, http.StatusUnsupportedMediaType, "send the picture itself as the request body, with its type (Content-Type: image/jpeg, image/png…)")
		return
	}
	tooBig := "a profile picture can be at most " + byteSize(maxAvatarUpload)
	if r.ContentLength > maxAvatarUpload {
		writeError(w, http.StatusRequestEntityTooLarge, tooBig)
		return
	}
	if _, err := s.st.getUser(name); err != nil {
		if !errors.Is(err, errUserNotFound) {
			s.fail(w, "load user", err, "user", name)
			return
		}
		writeError(w, http.StatusNotFound, "no such user")
		return
	}
	// Each picture is read whole (up to maxAvatarUpload) and decoded: one
	// person's requests share their upload allowance.
	release, ok := s.admitUpload(w, by)
	if !ok {
		return
	}
	defer release()
	if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTimeout(maxAvatarUpload))); err != nil {
		slog.Warn("extend a profile picture's read deadline", "err", err)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAvatarUpload))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		writeError(w, http.StatusRequestEntityTooLarge, tooBig)
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "reading the picture: "+err.Error())
		return
	case len(data) == 0:
		writeError(w, http.StatusBadRequest, "the picture is empty")
		return
	}
	pic, err := avatarImage(bytes.NewReader(data), avatarSide)
	switch {
	case errors.Is(err, errImageTooLarge), errors.Is(err, errImageHeaderTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("this picture is too large to read: at most %d megapixels and %d pixels a side", maxImagePixels/1_000_000, maxImageSide))
		return
	case errors.Is(err, image.ErrFormat):
		writeError(w, http.StatusUnsupportedMediaType, "Hearth reads JPEG, PNG, GIF and WebP pictures: this is none of them")
		return
	case err != nil:
		slog.Info("unreadable profile picture", "user", name, "err", err)
		writeError(w, http.StatusBadRequest, "this picture could not be read: it may be damaged")
		return
	}
	updated, err := s.st.setAvatar(name, pic, time.Now())
	switch {
	case errors.Is(err, errUserNotFound):
		writeError(w, http.StatusNotFound, "no such user")
		return
	case err != nil:
		s.fail(w, "store profile picture", err, "user", name)
		return
	}
	if by.Name != name {
		s.record(by.Name, "set profile picture", name, "")
	}
	s.profileChanged(updated)
	writeJSON(w, http.StatusOK, profileResponse{updated.Name, profileOf(updated)})
}

// removeAvatar removes the profile picture of name, as by; removing none
// is no error. An admin's removal of someone else's picture is audited.
func (s *server) removeAvatar(w http.ResponseWriter, by user, name string) {
	before, err := s.st.getUser(name)
	if err == nil {
		var updated user
		if updated, err = s.st.deleteAvatar(name); err == nil {
			if by.Name != name {
				s.record(by.Name, "remove profile picture", name, "")
			}
			if before.Avatar != 0 {
				s.profileChanged(updated)
			}
			writeJSON(w, http.StatusOK, profileResponse{updated.Name, profileOf(updated)})
			return
		}
	}
	if errors.Is(err, errUserNotFound) {
		writeError(w, http.StatusNotFound, "no such user")
		return
	}
	s.fail(w, "remove profile picture", err, "user", name)
}

// handleAvatar serves someone's profile picture to anyone logged in: 404
// when they have none. Asked for by its version (?v=, as the user lists
// and frames give it), the answer may be kept forever; otherwise it is
// checked again each time, by its ETag.
func (s *server) handleAvatar(w http.ResponseWriter, r *http.Request, sess session, u user) {
	name := r.PathValue("name")
	data, version, err := s.st.avatar(name)
	switch {
	case errors.Is(err, errNoAvatar):
		writeError(w, http.StatusNotFound, "no profile picture")
		return
	case err != nil:
		s.fail(w, "read profile picture", err, "user", name)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	// Login names are lowercase letters, digits, ".", "_" and "-": safe
	// inside an ETag's quotes.
	h.Set("ETag", fmt.Sprintf(`"hearth-avatar-%s-%x"`, name, version))
	if r.URL.Query().Get("v") == strconv.FormatInt(version, 10) {
		h.Set("Cache-Control", avatarForever)
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", time.Unix(0, version), bytes.NewReader(data))
}
