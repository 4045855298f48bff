// browser_disk_test.go drives the web client through a disk that fills up
// and empties again (with a free-space function the test sets): an admin
// sees a banner as the state changes, others see none, a refused message
// says why, and the admin console's Server tab shows free space and the
// command that compacts the database.

package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserDiskBanner(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	const low, floor = 64 << 20, 8 << 20
	var fd fakeDisk
	fd.free.Store(low - 1) // low already when the admin opens the app
	ts := newTestServer(t, func(c *config) {
		c.DiskLow, c.DiskFloor, c.FreeSpace = low, floor, fd.freeSpace
		c.DiskCheck = 50 * time.Millisecond
	})
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("kid", "pizza-every-day", false)
	mum := newPage(t, browser, 1280, 800)
	mum.login(ts, "mum", "hearth-and-home")
	kid := newPage(t, browser, 390, 844)
	kid.login(ts, "kid", "pizza-every-day")

	// The notice in mum's hello shows at once.
	mum.until("the low-disk banner", `(document.getElementById("server-notice") || {}).textContent?.includes("uploads are paused")`)
	mum.screenshot("disk-low-banner")
	if got := kid.eval(`!!document.getElementById("server-notice")`); got != false {
		t.Error("a non-admin sees the disk banner")
	}

	// Below the floor: the banner turns to an error, and the kid's message
	// stays on their screen, failed, saying why.
	fd.free.Store(floor - 1)
	mum.until("the full-disk banner", `(() => { const b = document.getElementById("server-notice"); return b && b.classList.contains("bad") && b.textContent.includes("new messages are refused"); })()`)
	kid.say("is the wifi down?")
	kid.untilOr("the refusal on the message", `document.querySelector(".message-list")?.textContent`,
		`[...document.querySelectorAll(".msg-failed")].some(e => e.textContent.includes("the server's disk is full"))`)
	kid.screenshot("disk-full-refused")

	// The Server tab says how much is free and how to compact.
	mum.eval(`document.getElementById("open-admin").click()`) // wherever the page keeps the button
	mum.do("the server", chromedp.WaitVisible(chromedp.ID("dialog-admin")), chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="server"]`)))
	mum.untilOr("free space and the compact command", `document.getElementById("admin-list").textContent`,
		`document.getElementById("admin-list").textContent.includes("full: new messages are refused") &&
		 (document.querySelector("#admin-list .compact-item input") || {}).value?.startsWith("hearth compact -db /")`)
	mum.screenshot("disk-admin-server")

	// Space comes back: the banner goes by itself.
	fd.free.Store(1 << 30)
	mum.until("the banner gone", `!document.getElementById("server-notice")`)
}
