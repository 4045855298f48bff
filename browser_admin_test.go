// browser_admin_test.go drives the admin console in headless Chromium:
// people, the log, the server's facts, the join card, bots, and renaming a
// room and setting its retention while someone has it open.

package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserAdminConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("kid", "pizza-every-day", false)
	mum := newPage(t, browser, 1280, 800)
	mum.login(ts, "mum", "hearth-and-home")
	kid := newPage(t, browser, 390, 844)
	kid.login(ts, "kid", "pizza-every-day")

	mum.menu("open-admin")
	mum.do("open the console", chromedp.WaitVisible(chromedp.ID("dialog-admin")))
	mum.until("the people", `document.querySelectorAll("#admin-list li").length === 2`)
	mum.screenshot("admin-people")
	// Disabling the kid logs every device of theirs out at once.
	kidButton := func(label string) {
		t.Helper()
		// Found and clicked in one go: the list is redrawn after each action.
		mum.until("kid's "+label+" button clicked", `(() => {
			const li = [...document.querySelectorAll("#admin-list li")].find(li => li.querySelector(".item-title").textContent.startsWith("kid"));
			const b = li && [...li.querySelectorAll("button")].find(b => b.textContent === `+jsString(label)+`);
			if (!b || b.disabled) return false;
			b.click();
			return true;
		})()`)
	}
	kidButton("Disable")
	mum.until("asked first", `!!document.querySelector("#admin-list .inline-confirm")`)
	mum.clickText("the confirmation", "#admin-list .inline-confirm button", "Disable kid")
	kid.until("the login form", `!document.getElementById("view-auth").hidden`)
	mum.until("kid shown disabled", `[...document.querySelectorAll("#admin-list .pill")].some(p => p.textContent === "disabled")`)
	kidButton("Enable")
	mum.until("kid shown enabled", `document.querySelectorAll("#admin-list li").length === 2 && ![...document.querySelectorAll("#admin-list .pill")].some(p => p.textContent === "disabled")`)
	// A reset link, opened by the kid, sets a new password and logs in.
	kidButton("Reset password")
	mum.until("the link", `(document.querySelector("#admin-notice input") || {}).value`)
	link, _ := mum.eval(`document.querySelector("#admin-notice input").value`).(string)
	kid.do("open the reset link", chromedp.Navigate(link))
	kid.until("the reset form", `document.getElementById("auth-title").textContent === "Choose a new password"`)
	kid.do("choose a password",
		chromedp.SendKeys(chromedp.ID("auth-password"), "a-brand-new-one"),
		chromedp.SendKeys(chromedp.ID("auth-confirm"), "a-brand-new-one"),
		chromedp.Click(chromedp.ID("auth-submit")), chromedp.WaitVisible(chromedp.ID("view-chat")))
	// Everything was written to the log.
	mum.do("the log", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="log"]`)))
	mum.until("three entries", `document.querySelectorAll("#admin-list li").length === 3`)
	mum.screenshot("admin-log")
	mum.do("the server", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="server"]`)))
	mum.until("the facts", `!!document.querySelector("#admin-list .facts")`)
	mum.screenshot("admin-server")

	// The join card: a fresh invite as a QR code, whose link a phone opens.
	mum.do("the invites", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="invites"]`)))
	mum.until("the join card button", `[...document.querySelectorAll("#admin-notice button")].some(b => b.textContent === "Show a join card")`)
	mum.eval(`[...document.querySelectorAll("#admin-notice button")].find(b => b.textContent === "Show a join card").click()`)
	mum.until("the QR code drawn", `(() => { const i = document.querySelector(".join-card-big img"); return !!i && i.complete && i.naturalWidth > 100 })()`)
	mum.screenshot("join-card")
	cardLink, _ := mum.eval(`document.querySelector(".join-card-big input").value`).(string)
	guest := newPage(t, browser, 390, 844)
	guest.do("open the card's link", chromedp.Navigate(cardLink))
	guest.until("the join form", `document.getElementById("auth-lead").textContent.startsWith("mum invited you")`)
	mum.do("the invites again", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="invites"]`)))
	mum.until("the card's invite listed", `[...document.querySelectorAll("#admin-list input")].some(i => i.value === `+jsString(cardLink)+`)`)

	// Bots are listed and revoked from the console too.
	mc := loginClient(t, ts, "mum", "hearth-and-home")
	mustDo(t, mc, http.StatusCreated, "POST", "/api/bots", map[string]string{"name": "washer", "room": "general"}, nil)
	mum.do("the bots", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="bots"]`)))
	mum.until("the bot listed", `[...document.querySelectorAll("#admin-list .item-title")].some(e => e.textContent === "washer → #general")`)
	mum.eval(`[...document.querySelectorAll("#admin-list button")].find(b => b.textContent === "Revoke").click()`)
	eventually(t, 5*time.Second, "the bot revoked", func() bool {
		var list struct{ Bots []bot }
		mustDo(t, mc, http.StatusOK, "GET", "/api/bots", nil, &list)
		return len(list.Bots) == 0
	})

	// Renaming a room the kid has open: the kid's view follows, with what
	// was said, and what the kid sends next lands under the new name.
	kc := loginClient(t, ts, "kid", "a-brand-new-one")
	mustDo(t, kc, http.StatusCreated, "POST", "/api/rooms", map[string]any{"name": "games"}, nil)
	kid.until("#games listed", `[...document.querySelectorAll("#room-list button")].some(b => b.textContent.includes("games"))`)
	kid.eval(`location.hash = "games"`)
	kid.until("#games on screen", `document.getElementById("room-title").textContent.includes("games")`)
	kid.say("chess tonight?")
	kid.sees("chess tonight?")
	mum.do("the rooms", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="rooms"]`)))
	mum.until("games listed", `[...document.querySelectorAll("#admin-list .item-title")].some(e => e.textContent.startsWith("#games"))`)
	mum.eval(`[...[...document.querySelectorAll("#admin-list li")].find(li => li.querySelector(".item-title").textContent.startsWith("#games")).querySelectorAll("button")].find(b => b.textContent === "Rename").click()`)
	mum.until("the rename field, focused", `document.activeElement.matches("#admin-list .inline-form input") && document.activeElement.value === "games"`)
	mum.screenshot("admin-rename")
	mum.do("type the new name", chromedp.KeyEvent("board-games"))
	mum.press("Enter", "Enter", 13, 0)
	mum.until("the new name listed", `[...document.querySelectorAll("#admin-list .item-title")].some(e => e.textContent.startsWith("#board-games"))`)
	// Retention the same way; Escape backs out of the row's form, not the dialog.
	retention := `[...[...document.querySelectorAll("#admin-list li")].find(li => li.querySelector(".item-title").textContent.startsWith("#general")).querySelectorAll("button")].find(b => b.textContent === "Retention").click()`
	mum.eval(retention)
	mum.until("the retention fields", `document.activeElement.matches("#admin-list .inline-form input[type=number]")`)
	mum.press("Escape", "Escape", 27, 0)
	mum.until("the buttons back, the dialog open", `!document.querySelector("#admin-list .inline-form") && document.getElementById("dialog-admin").open`)
	mum.eval(retention)
	mum.until("the retention fields again", `document.activeElement.matches("#admin-list .inline-form input[type=number]")`)
	mum.do("keep 30 days", chromedp.KeyEvent("30"))
	mum.press("Enter", "Enter", 13, 0)
	mum.until("general keeps 30 days", `[...document.querySelectorAll("#admin-list .item-sub")].some(e => e.textContent.includes("keeps 30 days"))`)
	kid.untilOr("the kid's view renamed", `document.getElementById("room-title").textContent + " " + location.hash`,
		`document.getElementById("room-title").textContent.includes("board-games") && location.hash === "#board-games" && document.body.textContent.includes("#games is now called #board-games")`)
	kid.sees("chess tonight?")
	kid.say("or cards")
	kid.sees("or cards")
	var page struct{ Messages []message }
	mustDo(t, kc, http.StatusOK, "GET", "/api/rooms/board-games/messages", nil, &page)
	if len(page.Messages) != 2 || page.Messages[1].Body != "or cards" {
		t.Errorf("history after the rename: %+v", page.Messages)
	}
	kid.screenshot("renamed-room")

	// Renamed while the kid's page was away: on reconnecting, the old name
	// leaves the list and the page moves to a room that exists.
	ts.stop()
	st, err := openStore(ts.cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.renameRoom("board-games", "chess"); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts.start()
	kid.untilOr("the old name gone", `[...document.querySelectorAll("#room-list button")].map(b => b.textContent).join("|")`,
		`(() => { const names = [...document.querySelectorAll("#room-list button")].map(b => b.textContent); return names.some(n => n.includes("chess")) && !names.some(n => n.includes("board-games")) })()`)
	kid.until("moved to general", `document.getElementById("room-title").textContent.includes("general")`)
}
