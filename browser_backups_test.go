// browser_backups_test.go drives the admin console's automatic backups in
// headless Chromium: the Server tab shows none yet, "Back up now" writes
// one and shows when, how big and where, and a failure (the drive gone)
// is shown with its reason.

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserBackUpNow(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	dir := filepath.Join(t.TempDir(), "usb")
	os.Mkdir(dir, 0o700)
	ts := newTestServer(t, func(c *config) { c.BackupDir = dir })
	ts.addUser("mum", "hearth-and-home", true)
	mum := newPage(t, browser, 1280, 800)
	mum.login(ts, "mum", "hearth-and-home")

	mum.until("the admin button", `!document.getElementById("open-admin").hidden`)
	mum.eval(`document.getElementById("open-admin").click()`)
	mum.do("open the console", chromedp.WaitVisible(chromedp.ID("dialog-admin")))
	mum.do("the server", chromedp.Click(chromedp.CSS(`#dialog-admin [data-tab="server"]`)))
	backups := `([...document.querySelectorAll("#admin-list li")].find(li => li.querySelector(".item-title")?.textContent === "Automatic backups")?.textContent || "")`
	mum.untilOr("no backup yet", backups, backups+`.includes("No backup yet.") && `+backups+`.includes("Every day into `+dir+`, keeping the newest 7")`)

	mum.clickText("back up now", "#admin-list button", "Back up now")
	mum.untilOr("the backup shown", backups, backups+`.includes("Last good backup just now") && `+backups+`.includes(`+jsString(dir+"/hearth-")+`)`)
	if got := ownBackups(t, dir); len(got) != 1 {
		t.Fatalf("backups in %s: %v, want 1", dir, got)
	}
	if !(mum.eval(backups+`.includes(`+jsString(ownBackups(t, dir)[0])+`)`) == true) {
		t.Errorf("the item does not name %s: %v", ownBackups(t, dir)[0], mum.eval(backups))
	}
	mum.screenshot("admin-backups")

	os.RemoveAll(dir) // the drive is pulled out
	mum.clickText("back up now again", "#admin-list button", "Back up now")
	mum.untilOr("the failure shown", backups, backups+`.includes("Last backup failed just now: ") && `+backups+`.includes("no such file or directory")`)
	mum.untilOr("the error said", `document.getElementById("admin-error").textContent`,
		`document.getElementById("admin-error").textContent.startsWith("the backup failed: ")`)
	// The last good backup is still the one before.
	mum.untilOr("the last good one kept", backups, backups+`.includes("Last good backup just now")`)
}
