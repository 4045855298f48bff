// qr.go owns QR codes: an invite as a join card an admin shows on a screen
// for a phone to scan, and the trust page's own address (see tlslocal.go).

package main

import (
	"log/slog"
	"net/http"
	"net/url"

	"github.com/skip2/go-qrcode"
)

// writeQR answers with a PNG QR code of text.
func writeQR(w http.ResponseWriter, text string) {
	png, err := qrcode.Encode(text, qrcode.Medium, 320)
	if err != nil {
		slog.Error("encode QR code", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

// handleInviteQR is an invite's join link as a QR code (admins).
func (s *server) handleInviteQR(w http.ResponseWriter, r *http.Request, sess session, u user) {
	code := r.PathValue("code")
	if _, err := s.st.getInvite(code); err != nil {
		writeError(w, http.StatusNotFound, "no such invite")
		return
	}
	writeQR(w, s.shareURL(r)+"/join?code="+url.QueryEscape(code))
}
