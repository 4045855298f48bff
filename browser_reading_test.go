// browser_reading_test.go drives headless Chromium through reading and
// writing across rooms: a draft stays in the room it was typed in (across
// room switches and reloads, gone once sent).

package main

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// composerValue is what the composer holds.
const composerValue = `document.getElementById("composer-input").value`

// openRoom clicks a room in the sidebar and waits until it is on screen.
func (p *page) openRoom(name string) {
	p.t.Helper()
	p.clickText("#"+name+" in the sidebar", "#room-list button", name)
	p.until("#"+name+" open", `document.getElementById("room-title").textContent === `+jsString(name))
}

// TestBrowserReadingDrafts: text typed in a private room stays there. It is
// not in #general after switching, is back in the private room, survives a
// reload, and is gone once sent.
func TestBrowserReadingDrafts(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("dad", "hearth-and-home", false)
	mum := loginClient(t, ts, "mum", "hearth-and-home")
	mustDo(t, mum, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "parents", "private": true, "members": []string{"mum", "dad"}}, nil)

	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.openRoom("parents")
	const secret = "the bike is hidden in the shed"
	p.do("type a draft", chromedp.SendKeys(chromedp.ID("composer-input"), secret))

	p.openRoom("general")
	if got := p.eval(composerValue); got != "" {
		t.Fatalf("in #general the composer holds %q, typed in #parents", got)
	}
	p.openRoom("parents")
	if got := p.eval(composerValue); got != secret {
		t.Fatalf("back in #parents the composer holds %q, want the draft %q", got, secret)
	}

	// A reload keeps it, in its room only.
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("#parents open after the reload", `document.getElementById("room-title").textContent === "parents"`)
	if got := p.eval(composerValue); got != secret {
		t.Fatalf("after a reload #parents' composer holds %q, want the draft %q", got, secret)
	}
	p.openRoom("general")
	if got := p.eval(composerValue); got != "" {
		t.Fatalf("after a reload #general's composer holds %q", got)
	}

	// Sent, it is no draft any more: not in the composer, not after a reload.
	p.openRoom("parents")
	p.do("send the draft", chromedp.Focus(chromedp.ID("composer-input")), pressEnter)
	p.sees(secret)
	if got := p.eval(composerValue); got != "" {
		t.Errorf("after sending, the composer holds %q", got)
	}
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("#parents open after the reload", `document.getElementById("room-title").textContent === "parents"`)
	p.sees(secret)
	if got := p.eval(composerValue); got != "" {
		t.Errorf("after sending and a reload, the composer holds %q", got)
	}
	if got := p.eval(`Object.keys(localStorage).filter(k => k.startsWith("hearth.draft."))`); len(got.([]any)) != 0 {
		t.Errorf("drafts left in localStorage after sending: %v", got)
	}
}
