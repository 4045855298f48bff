// browser_keyboard_test.go uses Hearth in headless Chromium with the
// keyboard only.

package main

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// focused describes the element with focus, for checks and failures.
const focused = `(() => { const e = document.activeElement; return e.id || e.dataset.action || (e.matches(".msg") ? "msg:" + e.querySelector(".msg-body").textContent : e.tagName + ":" + e.textContent.trim()) })()`

// TestBrowserKeyboard uses Hearth with the keyboard only: Tab reaches the
// rooms and the composer, the arrow keys walk the messages and open their
// actions, a message arriving keeps the place and an open editor, Ctrl+K
// searches and Escape closes.
func TestBrowserKeyboard(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	mustDo(t, kid, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "garden"}, nil)
	sk := kid.dial()
	sk.say("garden", "the tomatoes are red", "k-1")
	sk.ack("k-1")
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")

	// Tab from the top of the page reaches #garden; Enter opens it.
	p.eval(`document.activeElement.blur()`)
	for i := 0; ; i++ {
		if i == 30 {
			t.Fatalf("30 Tabs did not reach #garden; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, 0)
		if p.eval(`document.activeElement.matches("#room-list button") && document.activeElement.textContent.includes("garden")`) == true {
			break
		}
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("#garden open", `document.getElementById("room-title").textContent.includes("garden")`)
	p.sees("the tomatoes are red")
	p.say("who picks them?")
	p.sees("who picks them?")

	// From the composer, Shift+Tab reaches the messages; the arrow keys
	// walk them, newest first.
	for i := 0; p.eval(focused) != "messages"; i++ {
		if i == 4 {
			t.Fatalf("Shift+Tab from the composer did not reach the messages; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, shiftKey)
	}
	p.press("ArrowUp", "ArrowUp", 38, 0)
	if got := p.eval(focused); got != "msg:who picks them?" {
		t.Fatalf("ArrowUp from the list focused %v", got)
	}
	p.press("ArrowUp", "ArrowUp", 38, 0)
	if got := p.eval(focused); got != "msg:the tomatoes are red" {
		t.Errorf("second ArrowUp focused %v", got)
	}
	p.press("ArrowDown", "ArrowDown", 40, 0)
	// Its actions show while it has focus, and Tab goes into them.
	if p.eval(`getComputedStyle(document.activeElement.querySelector(".msg-actions")).display`) == "none" {
		t.Error("a focused message hides its actions")
	}
	for i := 0; p.eval(focused) != "edit"; i++ {
		if i == 8 {
			t.Fatalf("Tab did not reach Edit; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, 0)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the editor", `document.activeElement.matches(".edit-box textarea")`)
	p.do("type an edit", chromedp.KeyEvent(" 🍅"))
	p.screenshot("keyboard-edit")

	// A message arriving adds its node and leaves the others alone: the
	// editor stays, with the draft.
	p.eval(`window.tomatoes = [...document.querySelectorAll("#message-list .msg")].find(e => e.textContent.includes("the tomatoes are red")), true`)
	sk.say("garden", "me!", "k-2")
	sk.ack("k-2")
	p.sees("me!")
	if p.eval(`window.tomatoes.isConnected`) != true {
		t.Error("a message arriving redrew the messages before it")
	}
	if got := p.eval(`document.activeElement.matches(".edit-box textarea") && document.activeElement.value`); got != "who picks them? 🍅" {
		t.Fatalf("after a redraw the editor holds %v", got)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the edit saved", `[...document.querySelectorAll("#message-list .msg-body")].some(e => e.textContent === "who picks them? 🍅(edited)")`)
	if got := p.eval(focused); got != "msg:who picks them? 🍅(edited)" {
		t.Errorf("after saving, focus is on %v", got)
	}
	sk.expect(func(f wireFrame) bool { return f.Type == "update" && f.Body == "who picks them? 🍅" })
	if p.eval(`window.tomatoes.isConnected`) != true {
		t.Error("an edit redrew other messages than the edited one")
	}

	// Escape from the messages goes to the composer.
	p.press("Escape", "Escape", 27, 0)
	if got := p.eval(focused); got != "composer-input" {
		t.Errorf("Escape from a message focused %v", got)
	}

	// Ctrl+K searches; Enter on a result opens it; Escape closes.
	p.press("k", "KeyK", 75, ctrlKey)
	p.until("the search box", `document.activeElement.id === "search-input"`)
	p.do("search", chromedp.KeyEvent("tomatoes"))
	p.press("Enter", "Enter", 13, 0)
	p.until("a result", `document.querySelectorAll("#dialog-search li").length === 1`)
	for i := 0; p.eval(`document.activeElement.matches("#dialog-search li")`) != true; i++ {
		if i == 4 {
			t.Fatalf("Tab from the search box did not reach the result; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, 0)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the search closed on the result", `!document.getElementById("dialog-search").open && document.querySelector("#message-list .target")`)
	p.press("k", "KeyK", 75, ctrlKey)
	p.until("the search box again", `document.getElementById("dialog-search").open`)
	// The box still holds "tomatoes": the first Escape clears it (the
	// browser's way with search boxes), the second closes.
	for i := 0; p.eval(`document.getElementById("dialog-search").open`) == true; i++ {
		if i == 2 {
			t.Fatal("two Escapes did not close the search")
		}
		p.press("Escape", "Escape", 27, 0)
	}
}
