// browser_admin_edges_test.go drives the admin console's and the sidebar's
// rough edges in headless Chromium, at 1280 and 320 px: the invite list
// keeps its shape (after QR too), the tabs stay one row, the console opens
// no dialog over itself and shows a new bot's token whole with Copy, the
// backup is a plain link, Disable asks first and the person disabled is
// told why (by the socket and by a refused request), a room's history
// downloads as a page to read first, a used setup link and the reset page
// say what they should, the sidebar's footer is one row with a menu, and
// the room's notification menu reads whole on a small phone.

package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// overflows lists, for the elements matching css, every descendant that
// sticks out of its element sideways or is cut by it, as text for a
// failure ("" when none does).
func overflows(p *page, css string) string {
	p.t.Helper()
	got, _ := p.eval(`[...document.querySelectorAll(` + jsString(css) + `)].flatMap((box) => {
		const b = box.getBoundingClientRect();
		return [...box.querySelectorAll("*")].filter((e) => {
			const r = e.getBoundingClientRect();
			return r.width > 0 && (r.left < b.left - 0.5 || r.right > b.right + 0.5);
		}).map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().left) + "-" + Math.round(e.getBoundingClientRect().right) + " in " + Math.round(b.left) + "-" + Math.round(b.right));
	}).join("; ")`).(string)
	return got
}

// TestBrowserInviteListNarrow looks at the invite list, in the invites
// dialog and in the console's Invites tab, on a desktop and a 320 px phone,
// before and after showing an invite's QR code: nothing sticks out of its
// row, the link field is wide enough to read, the expiry is one line, and
// Delete is whole and on screen.
func TestBrowserInviteListNarrow(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	mum := loginClient(t, ts, "mum", "hearth-and-home")
	mustDo(t, mum, http.StatusCreated, "POST", "/api/invites", map[string]any{"hours": 720, "max_uses": 25}, nil)
	mustDo(t, mum, http.StatusCreated, "POST", "/api/invites", map[string]any{"hours": 24, "max_uses": 1}, nil)

	for _, width := range []int64{1280, 320} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			p := newPage(t, browser, width, 700)
			p.login(ts, "mum", "hearth-and-home")
			check := func(where, list string) {
				t.Helper()
				if o := overflows(p, list+" li.invite"); o != "" {
					t.Errorf("%s: sticks out of its row: %s", where, o)
				}
				if w := p.eval(`Math.min(...[...document.querySelectorAll(` + jsString(list+" li.invite .invite-link") + `)].map((i) => i.clientWidth))`); w.(float64) < 180 {
					t.Errorf("%s: the link field is %v px wide", where, w)
				}
				if n := p.eval(`Math.max(...[...document.querySelectorAll(` + jsString(list+" li.invite .item-sub") + `)].map((e) => Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight))))`); n != float64(1) {
					t.Errorf("%s: the expiry takes %v lines", where, n)
				}
				// Delete is whole, inside the dialog and its row, and on screen.
				vis := p.eval(`[...document.querySelectorAll(` + jsString(list+" li.invite") + `)].every((li) => {
					const d = [...li.querySelectorAll("button")].find((b) => b.textContent === "Delete");
					const r = d.getBoundingClientRect(), box = li.closest("dialog").getBoundingClientRect(), row = li.getBoundingClientRect();
					return r.width > 40 && r.left >= box.left && r.right <= box.right && r.left >= row.left && r.right <= row.right && r.right <= innerWidth && d.scrollWidth <= d.clientWidth;
				})`)
				if vis != true {
					t.Errorf("%s: Delete is cut off or off screen", where)
				}
			}
			showQR := func(list string) {
				t.Helper()
				p.eval(`document.querySelector(` + jsString(list+" li.invite button[aria-expanded]") + `).click()`)
				p.until("the QR code", `(() => { const i = document.querySelector(`+jsString(list+" .join-card img")+`); return !!i && i.complete && i.naturalWidth > 0 })()`)
				// The code goes under the link and the buttons, not beside them.
				below := p.eval(`(() => {
					const li = document.querySelector(` + jsString(list+" li.invite:has(.join-card)") + `);
					return li.querySelector(".join-card").getBoundingClientRect().top >= li.querySelector(".item-actions").getBoundingClientRect().bottom;
				})()`)
				if below != true {
					t.Errorf("%s: the QR code is not under the invite's link and buttons", list)
				}
			}

			p.menu("open-invites")
			p.until("two invites", `document.querySelectorAll("#invite-list li.invite").length === 2`)
			check("the invites dialog", "#invite-list")
			showQR("#invite-list")
			check("the invites dialog with a QR code", "#invite-list")
			p.screenshot(fmt.Sprintf("invites-qr-%d", width))
			p.eval(`document.getElementById("dialog-invites").close()`)

			p.menu("open-admin")
			p.eval(`document.querySelector('#dialog-admin [data-tab="invites"]').click()`)
			p.until("the Invites tab", `document.querySelectorAll("#admin-list li.invite").length >= 2`)
			check("the console's Invites tab", "#admin-list")
			showQR("#admin-list")
			check("the console's Invites tab with a QR code", "#admin-list")
			// Its form makes a link without a second dialog.
			p.eval(`document.querySelector("#admin-notice form").requestSubmit()`)
			p.until("a third invite", `document.querySelectorAll("#admin-list li.invite").length === 3`)
			if n := p.eval(`document.querySelectorAll("dialog[open]").length`); n != float64(1) {
				t.Errorf("%v dialogs open after making an invite in the console, want 1", n)
			}
			if got := p.eval(`document.activeElement.matches("#admin-list li.invite .invite-link")`); got != true {
				t.Errorf("after making an invite, the focus is not on its link")
			}
			mustDo(t, mum, http.StatusNoContent, "DELETE", "/api/invites/"+inviteCode(t, p), nil, nil)
		})
	}
}

// inviteCode is the code of the first invite the console lists.
func inviteCode(t *testing.T, p *page) string {
	t.Helper()
	link, _ := p.eval(`document.querySelector("#admin-list li.invite .invite-link").value`).(string)
	m := regexp.MustCompile(`code=([^&]+)`).FindStringSubmatch(link)
	if m == nil {
		t.Fatalf("no code in the invite link %q", link)
	}
	return m[1]
}

// TestBrowserAdminTabs checks the console's tabs: one row at 1280 and at
// 320 px (where they scroll sideways, the chosen one in view), no empty
// band between them and their content, the arrow keys and End move
// between them, and the panel is a labelled tabpanel holding a real list.
func TestBrowserAdminTabs(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("kid", "pizza-every-day", false)
	for _, width := range []int64{1280, 320} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			p := newPage(t, browser, width, 700)
			p.login(ts, "mum", "hearth-and-home")
			p.menu("open-admin")
			p.until("the people", `document.querySelectorAll("#admin-list li").length === 2`)
			p.screenshot(fmt.Sprintf("admin-tabs-%d", width))
			if rows := p.eval(`new Set([...document.querySelectorAll("#dialog-admin .tab")].map((b) => Math.round(b.getBoundingClientRect().top))).size`); rows != float64(1) {
				t.Errorf("the tabs take %v rows", rows)
			}
			if got := p.eval(`(() => { const l = document.querySelector("#dialog-admin .tabs").getBoundingClientRect(), d = document.getElementById("dialog-admin").getBoundingClientRect(); return l.left >= d.left && l.right <= d.right })()`); got != true {
				t.Error("the tab row is wider than the dialog")
			}
			if gap := p.eval(`document.getElementById("admin-panel").getBoundingClientRect().top - document.querySelector("#dialog-admin .tabs").getBoundingClientRect().bottom`); gap.(float64) > 16 {
				t.Errorf("%v px of empty band between the tabs and their content", gap)
			}
			if got := p.eval(`(() => { const panel = document.getElementById("admin-panel"); return panel.getAttribute("role") === "tabpanel" && document.getElementById(panel.getAttribute("aria-labelledby")).getAttribute("aria-selected") === "true" && !document.getElementById("admin-list").hasAttribute("role") })()`); got != true {
				t.Error("the panel is not a tabpanel labelled by the chosen tab around a plain list")
			}

			// The keyboard: one tab in the Tab order, the arrows between them.
			p.eval(`document.querySelector('#dialog-admin [aria-selected="true"]').focus()`)
			p.press("ArrowRight", "ArrowRight", 39, 0)
			p.until("Invites chosen", `document.activeElement.dataset.tab === "invites" && document.activeElement.getAttribute("aria-selected") === "true" && document.activeElement.tabIndex === 0`)
			p.press("End", "End", 35, 0)
			p.until("Log chosen", `document.activeElement.dataset.tab === "log" && document.getElementById("admin-panel").getAttribute("aria-labelledby") === "admin-tab-log"`)
			p.until("Log in view", `(() => { const t = document.activeElement.getBoundingClientRect(), l = document.querySelector("#dialog-admin .tabs").getBoundingClientRect(); return t.left >= l.left - 0.5 && t.right <= l.right + 0.5 })()`)
			if n := p.eval(`[...document.querySelectorAll("#dialog-admin .tab")].filter((b) => b.tabIndex === 0).length`); n != float64(1) {
				t.Errorf("%v tabs in the Tab order, want 1", n)
			}
			p.press("ArrowRight", "ArrowRight", 39, 0)
			p.until("round to People", `document.activeElement.dataset.tab === "people"`)
		})
	}
}

// TestBrowserAdminBots opens Bots from the sidebar's menu: it is the
// console's Bots tab, the only dialog open; a bot made there shows its
// token whole, with Copy buttons that copy it and the example command.
func TestBrowserAdminBots(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	for _, width := range []int64{1280, 320} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			p := newPage(t, browser, width, 700)
			p.login(ts, "mum", "hearth-and-home")
			p.menu("open-bots")
			p.until("the Bots tab", `document.querySelector('#dialog-admin [data-tab="bots"]').getAttribute("aria-selected") === "true" && !!document.querySelector("#admin-notice form input")`)
			name := fmt.Sprintf("washer%d", width)
			p.do("name the bot", chromedp.SendKeys(chromedp.CSS(`#admin-notice form input`), name))
			p.eval(`document.querySelector("#admin-notice form").requestSubmit()`)
			p.until("the token", `!!document.querySelector("#admin-notice .bot-created")`)
			p.screenshot(fmt.Sprintf("admin-bot-token-%d", width))
			if n := p.eval(`document.querySelectorAll("dialog[open]").length`); n != float64(1) {
				t.Errorf("%v dialogs open, want only the console", n)
			}
			p.until("the bot listed", `[...document.querySelectorAll("#admin-list .item-title")].some((e) => e.textContent === `+jsString(name+" → #general")+`)`)
			token, _ := p.eval(`document.querySelector(".bot-created textarea").value`).(string)
			if len(token) < 20 {
				t.Fatalf("token field holds %q", token)
			}
			// Whole: neither field hides part of what it holds.
			if got := p.eval(`(() => { const [i, c] = document.querySelectorAll(".bot-created textarea"); return [i, c].every((f) => f.scrollWidth <= f.clientWidth && f.scrollHeight <= f.clientHeight) && c.value.includes(i.value) })()`); got != true {
				t.Error("the token or the command is cut off")
			}
			if o := overflows(p, "#admin-notice"); o != "" {
				t.Errorf("the new bot's box: sticks out: %s", o)
			}
			// Copy: the clipboard gets the token, then the command.
			p.eval(`window.copied = []; navigator.clipboard.writeText = async (s) => { window.copied.push(s) }`)
			p.eval(`[...document.querySelectorAll(".bot-created button")].forEach((b) => b.click())`)
			p.until("both copied", `window.copied.length === 2`)
			if got := p.eval(`window.copied[0]`); got != token {
				t.Errorf("Copy copied %v, want the token %q", got, token)
			}
			if got, _ := p.eval(`window.copied[1]`).(string); !strings.HasPrefix(got, "curl ") || !strings.Contains(got, "Bearer "+token) || !strings.Contains(got, ts.URL+"/api/rooms/general/hook") {
				t.Errorf("the command copied is %q", got)
			}
			p.until("Copied said", `[...document.querySelectorAll(".bot-created button")].every((b) => b.textContent === "Copied")`)
		})
	}
}

// TestBrowserAdminServerTab checks the backup: a plain link (no link inside
// a button, no link styling inside a button's box) that downloads the
// database.
func TestBrowserAdminServerTab(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.menu("open-admin")
	p.eval(`document.querySelector('#dialog-admin [data-tab="server"]').click()`)
	p.until("the facts", `!!document.querySelector("#admin-list .facts")`)
	p.screenshot("admin-server")
	got := p.eval(`(() => {
		const a = document.querySelector('#admin-list a[href="/api/admin/backup"]');
		if (!a) return "no link";
		if (a.closest("button") || document.querySelector("#dialog-admin button a, #dialog-admin a button")) return "a link inside a button";
		if (!a.hasAttribute("download")) return "not a download";
		const s = getComputedStyle(a);
		if (s.textDecorationLine !== "none" || s.color !== getComputedStyle(document.body).color) return "styled as a link inside a box: " + s.textDecorationLine + " " + s.color;
		return a.textContent;
	})()`)
	if got != "Download a backup" {
		t.Errorf("the backup: %v", got)
	}
	status := p.eval(`fetch("/api/admin/backup").then((r) => r.status + " " + r.headers.get("Content-Disposition"))`)
	if s, _ := status.(string); !strings.HasPrefix(s, "200 attachment") {
		t.Errorf("the backup link answers %v", status)
	}

	// Reset phone notifications (after a backup leaked) asks first: Escape
	// keeps the key; the confirmation makes a new one and says so.
	key := func() any { return p.eval(`fetch("/api/push").then((r) => r.json()).then((s) => s.public_key)`) }
	before := key()
	reset := `[...document.querySelectorAll("#admin-list button")].find((b) => b.textContent === "Reset phone notifications")`
	p.eval(reset + `.click(); true`)
	p.until("the question", `!!document.querySelector("#admin-list .inline-confirm") && document.activeElement.textContent === "Cancel"`)
	p.eval(`document.activeElement.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true})); true`)
	p.until("kept", `!document.querySelector("#admin-list .inline-confirm")`)
	if key() != before {
		t.Fatal("Escape reset the push key")
	}
	p.eval(reset + `.click(); true`)
	p.until("the question again", `!!document.querySelector("#admin-list .inline-confirm")`)
	p.eval(`document.querySelector("#admin-list .inline-confirm .danger").click(); true`)
	p.until("the reset said", `[...document.querySelectorAll("#admin-list [role=status]")].some((e) => e.textContent.startsWith("Reset: 0 devices forgotten"))`)
	if after := key(); after == before || after == "" {
		t.Errorf("the push key after the reset: %v (before %v)", after, before)
	}
}

// TestBrowserDisableAsksFirst disables the kid from the console: Disable
// first asks, saying they are logged out everywhere; Escape keeps them; the
// confirmation disables them. The kid's open page then says an admin
// disabled the account; so does a page of theirs opened again later (its
// first request refused), and the login form when they try.
func TestBrowserDisableAsksFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	ts.addUser("kid", "pizza-every-day", false)
	mc := loginClient(t, ts, "mum", "hearth-and-home")
	mum := newPage(t, browser, 1280, 800)
	mum.login(ts, "mum", "hearth-and-home")
	kid := newPage(t, browser, 390, 844)
	kid.login(ts, "kid", "pizza-every-day")
	// The kid's laptop, closed for now: no socket to hear of it.
	laptop := newPage(t, browser, 1280, 800)
	laptop.login(ts, "kid", "pizza-every-day")
	laptop.do("close the tab", chromedp.Navigate("about:blank"))

	disabled := func() bool {
		t.Helper()
		var list struct {
			Users []struct {
				Name     string
				Disabled bool
			}
		}
		mustDo(t, mc, http.StatusOK, "GET", "/api/admin/users", nil, &list)
		for _, u := range list.Users {
			if u.Name == "kid" {
				return u.Disabled
			}
		}
		t.Fatal("kid not listed")
		return false
	}
	mum.menu("open-admin")
	mum.until("the people", `document.querySelectorAll("#admin-list li").length === 2`)
	disable := `[...document.querySelectorAll("#admin-list li")].find((li) => li.querySelector(".item-title").textContent.startsWith("kid")).querySelector(".item-actions button.danger")`
	mum.eval(disable + `.click()`)
	mum.until("the question", `!!document.querySelector("#admin-list .inline-confirm")`)
	mum.screenshot("disable-asks")
	text, _ := mum.eval(`document.querySelector("#admin-list .inline-confirm p").textContent`).(string)
	if !strings.Contains(text, "logged out on every device") || !strings.Contains(text, "Disable kid?") {
		t.Errorf("the question says %q", text)
	}
	if got := mum.eval(focused); got != "BUTTON:Cancel" {
		t.Errorf("the question's focus is on %v, want Cancel", got)
	}
	if disabled() {
		t.Fatal("Disable disabled the kid before asking")
	}
	mum.press("Escape", "Escape", 27, 0)
	mum.until("the buttons back, the dialog open", `!document.querySelector("#admin-list .inline-confirm") && document.getElementById("dialog-admin").open`)
	if disabled() {
		t.Fatal("Escape disabled the kid")
	}
	mum.eval(disable + `.click()`)
	mum.clickText("the confirmation", "#admin-list .inline-confirm button", "Disable kid")
	mum.until("kid shown disabled", `[...document.querySelectorAll("#admin-list .pill")].some((p) => p.textContent === "disabled")`)
	if !disabled() {
		t.Fatal("the confirmation did not disable the kid")
	}

	const why = "An admin disabled your account. Ask them to enable it again."
	kid.until("the login form", `!document.getElementById("view-auth").hidden`)
	if got := kid.eval(`document.getElementById("auth-error").textContent`); got != why {
		t.Errorf("the kid's open page says %q, want %q", got, why)
	}
	kid.screenshot("disabled-told")
	laptop.do("open the app again", chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.ID("view-auth")))
	if got := laptop.eval(`document.getElementById("auth-error").textContent`); got != why {
		t.Errorf("the laptop, opened again, says %q, want %q", got, why)
	}
	laptop.do("try to log in",
		chromedp.SendKeys(chromedp.ID("auth-username"), "kid"),
		chromedp.SendKeys(chromedp.ID("auth-password"), "pizza-every-day"),
		chromedp.Click(chromedp.ID("auth-submit")))
	laptop.until("refused", `document.getElementById("auth-error").textContent.includes("disabled")`)
}

// TestBrowserRoomDownload downloads a room's history from the console: the
// readable page first, then the data; the page is one HTML file with the
// photo inside and what was said escaped, and the log records it.
func TestBrowserRoomDownload(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	mc := loginClient(t, ts, "mum", "hearth-and-home")
	s := mc.dial()
	s.say("general", "<b>pizza</b> & chips?", "d-1")
	s.ack("d-1")
	if status, _ := upload(t, mc, "general", "garden.png", tinyPNG); status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	p := newPage(t, browser, 390, 844)
	p.login(ts, "mum", "hearth-and-home")
	p.menu("open-admin")
	p.eval(`document.querySelector('#dialog-admin [data-tab="rooms"]').click()`)
	p.clickText("general's Download history", "#admin-list button", "Download history")
	p.until("the choice", `document.querySelectorAll("#admin-list .inline-confirm a").length === 2`)
	p.screenshot("room-download")
	links, _ := p.eval(`[...document.querySelectorAll("#admin-list .inline-confirm a")].map((a) => a.textContent + " " + a.getAttribute("href") + " " + a.hasAttribute("download")).join("\n")`).(string)
	want := "Readable page (HTML) /api/admin/rooms/general/export?format=html true\nData (JSON lines) /api/admin/rooms/general/export true"
	if links != want {
		t.Errorf("the download links:\n%s\nwant\n%s", links, want)
	}
	if got := p.eval(`document.activeElement.textContent`); got != "Readable page (HTML)" {
		t.Errorf("the focus is on %v, want the readable page", got)
	}
	page, _ := p.eval(`fetch("/api/admin/rooms/general/export?format=html").then(async (r) => r.headers.get("Content-Type") + "\n" + r.headers.get("Content-Disposition") + "\n" + await r.text())`).(string)
	for _, want := range []string{"text/html; charset=utf-8\n", `attachment; filename="hearth-general.html"`, "&lt;b&gt;pizza&lt;/b&gt; &amp; chips?", `<img src="data:image/png;base64,`, "<h1>#general</h1>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<b>pizza") {
		t.Error("the page has what was said as HTML")
	}
	p.press("Escape", "Escape", 27, 0)
	p.until("the buttons back", `!document.querySelector("#admin-list .inline-confirm") && document.getElementById("dialog-admin").open`)
	p.eval(`document.querySelector('#dialog-admin [data-tab="log"]').click()`)
	p.until("the export logged", `[...document.querySelectorAll("#admin-list .item-title")].some((e) => e.textContent === "mum: export room general")`)
}

// TestBrowserAuthPagesSay opens a used setup link (it says so and sends
// people to log in, with no form and nothing of creating the first account)
// and a reset link (its hint has no username rules: it has no username).
func TestBrowserAuthPagesSay(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	m := regexp.MustCompile(`/setup\?token=(\S+)`).FindStringSubmatch(ts.output.String())
	if m == nil {
		t.Fatalf("no setup link in %q", ts.output.String())
	}
	c := ts.newClient()
	mustDo(t, c, http.StatusCreated, "POST", "/api/setup", map[string]string{"token": m[1], "username": "mum", "password": "hearth-and-home"}, nil)
	p := newPage(t, browser, 320, 700)
	p.do("the used setup link", chromedp.Navigate(ts.URL+"/setup?token="+m[1]))
	p.until("the note", `!document.getElementById("auth-dead").hidden`)
	p.screenshot("setup-used")
	got := p.eval(`[document.getElementById("auth-title").textContent, document.getElementById("auth-dead").textContent, document.getElementById("auth-form").hidden, document.body.innerText.includes("Create the first account"), document.querySelector("#auth-dead a").getAttribute("href")].join(" | ")`)
	want := "Hearth is set up | This setup link was used: the admin account exists. Log in with your account, or ask the admin for an invite link. Go to the login page | true | false | /"
	if got != want {
		t.Errorf("the used setup link's page:\n%v\nwant\n%v", got, want)
	}

	var reset struct{ URL string }
	mustDo(t, c, http.StatusCreated, "POST", "/api/admin/users/mum/reset", nil, &reset)
	p.do("the reset link", chromedp.Navigate(reset.URL))
	p.until("the reset form", `document.getElementById("auth-title").textContent === "Choose a new password"`)
	hint, _ := p.eval(`document.getElementById("auth-username-label").hidden + " " + document.getElementById("auth-hint").textContent`).(string)
	if hint != "true Passwords need at least 8 characters." {
		t.Errorf("the reset page: %q", hint)
	}
}

// TestBrowserSidebarFoot checks the sidebar's footer: one row (the person
// and a menu button) at 1280 and at 320 px, a menu that fits the screen and
// works from the keyboard (arrows, Escape back to its button), and the
// wording of logging out: "Log out" here, each device's button saying
// which device it ends.
func TestBrowserSidebarFoot(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	loginClient(t, ts, "mum", "hearth-and-home") // a second device
	for _, width := range []int64{1280, 320} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			p := newPage(t, browser, width, 700)
			p.login(ts, "mum", "hearth-and-home")
			if width < 760 {
				p.eval(`document.getElementById("open-sidebar").click()`)
				p.until("the drawer open", `document.getElementById("sidebar").getBoundingClientRect().left === 0`)
			}
			p.screenshot(fmt.Sprintf("sidebar-foot-%d", width))
			row := p.eval(`(() => {
				const foot = document.querySelector(".sidebar-foot");
				const shown = [...foot.querySelectorAll("*")].filter((e) => e.getClientRects().length && !e.closest("[popover]"));
				const tops = new Set([...foot.children].filter((e) => e.getClientRects().length).map((e) => Math.round(e.getBoundingClientRect().top)));
				return tops.size === 1 && foot.getBoundingClientRect().height < 70 && shown.every((e) => e.getBoundingClientRect().right <= foot.getBoundingClientRect().right + 0.5);
			})()`)
			if row != true {
				t.Errorf("the footer is not one row: %v", p.eval(`document.querySelector(".sidebar-foot").getBoundingClientRect().height`))
			}
			if o := overflows(p, ".sidebar-foot"); o != "" {
				t.Errorf("the footer: sticks out: %s", o)
			}

			// The menu is drawn in its place from the start: read the moment
			// it shows, it is already just above its button (no jump, and
			// nothing moving under a pointer on its way to an item).
			placed := p.eval(`(() => {
				const menu = document.getElementById("me-menu");
				menu.showPopover();
				const r = menu.getBoundingClientRect(), b = document.getElementById("open-menu").getBoundingClientRect();
				menu.hidePopover();
				return Math.abs(r.bottom - (b.top - 6)) <= 1 && Math.abs(r.left - Math.max(8, b.left)) <= 1;
			})()`)
			if placed != true {
				t.Error("the menu first shows away from its button, then moves")
			}

			// From the keyboard.
			p.eval(`document.getElementById("open-menu").focus()`)
			p.press("Enter", "Enter", 13, 0)
			p.until("the menu, its first item focused", `document.getElementById("me-menu").matches(":popover-open") && document.activeElement.id === "open-invites"`)
			p.screenshot(fmt.Sprintf("sidebar-menu-%d", width))
			if got := p.eval(`(() => { const r = document.getElementById("me-menu").getBoundingClientRect(); return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight })()`); got != true {
				t.Error("the menu does not fit the screen")
			}
			items, _ := p.eval(`[...document.querySelectorAll("#me-menu button")].filter((b) => !b.hidden).map((b) => b.textContent).join(", ")`).(string)
			if items != "Invite people, Bots, Admin, Account, Devices, Notifications, Log out" {
				t.Errorf("the menu holds %s", items)
			}
			p.press("ArrowUp", "ArrowUp", 38, 0)
			if got := p.eval(focused); got != "logout" {
				t.Errorf("ArrowUp from the first item focused %v, want Log out", got)
			}
			p.press("Escape", "Escape", 27, 0)
			p.until("the menu closed", `!document.getElementById("me-menu").matches(":popover-open")`)
			if got := p.eval(focused); got != "open-menu" {
				t.Errorf("after Escape the focus is on %v, want the menu's button", got)
			}

			// Devices: the menu closes, the dialog is the only one open.
			p.menu("open-sessions")
			p.until("the devices", `document.querySelectorAll("#session-list li").length >= 2`)
			labels, _ := p.eval(`[...document.querySelectorAll("#session-list button")].map((b) => b.textContent + " [" + (b.getAttribute("aria-label") || "") + "]").join(", ")`).(string)
			if !regexp.MustCompile(`^Log out this device \[\](, Log out \[Log out [^,\]]+, [^\]]+\])+$`).MatchString(labels) {
				t.Errorf("the devices' buttons: %s", labels)
			}
			if got := p.eval(`!document.getElementById("me-menu").matches(":popover-open") && document.querySelectorAll("dialog[open]").length === 1`); got != true {
				t.Error("the menu stayed open over the devices")
			}
			p.eval(`document.querySelector("#dialog-sessions [data-close]").click()`)
			if got := p.eval(focused); got != "open-menu" {
				t.Errorf("after closing the devices, the focus is on %v, want the menu's button", got)
			}
		})
	}
}

// TestBrowserNotifyLevelNarrow checks the room's notification menu at 320
// px: it shows its choice whole ("@me"), and the header does not
// overflow.
func TestBrowserNotifyLevelNarrow(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	p := newPage(t, browser, 320, 700)
	p.login(ts, "mum", "hearth-and-home")
	p.eval(`const s = document.getElementById("notify-level"); s.value = "mentions"; s.dispatchEvent(new Event("change"))`)
	p.screenshot("notify-level-320")
	// As wide as the same menu with no limits: nothing of it cut.
	got := p.eval(`(() => {
		const s = document.getElementById("notify-level");
		const free = s.cloneNode(true);
		free.removeAttribute("id");
		free.style.cssText = "max-width: none; width: auto; flex: none; position: absolute; visibility: hidden";
		s.after(free);
		const ok = s.getBoundingClientRect().width >= free.getBoundingClientRect().width - 0.5;
		free.remove();
		return ok;
	})()`)
	if got != true {
		t.Error("the notification menu is cut at 320 px")
	}
	if got := p.eval(`(() => { const h = document.querySelector(".chat-head"); return h.scrollWidth <= h.clientWidth })()`); got != true {
		t.Error("the room's header overflows at 320 px")
	}
}

// TestBrowserAdminStorageLimit sets a person's storage limit from Admin →
// People: the row says what their files take and the limit, and an upload
// past it is refused with that limit.
func TestBrowserAdminStorageLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	if status, _ := upload(t, kid, "general", "cat.png", tinyPNG); status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	p := newPage(t, browser, 390, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.menu("open-admin")
	row := `[...document.querySelectorAll("#admin-list li")].find((li) => li.textContent.includes("@kid") || li.querySelector(".item-title")?.textContent.startsWith("kid"))`
	p.until("kid's files", row+`?.textContent.includes("`+fmt.Sprint(len(tinyPNG))+` bytes of files")`)
	p.eval(`[...` + row + `.querySelectorAll("button")].find((b) => b.textContent === "Storage limit").click(); true`)
	p.until("the limit's field", `document.activeElement.getAttribute("inputmode") === "numeric"`)
	p.eval(`document.activeElement.value = "1"; document.activeElement.form.requestSubmit(); true`)
	p.until("the limit shown", row+`?.textContent.includes("limit 1.0 MB")`)
	big := bytes.Repeat([]byte("x"), 1<<20)
	req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/general/files?name=big.bin", bytes.NewReader(big))
	resp, err := kid.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "quota of 1 MiB") {
		t.Errorf("an upload past the limit: %d %s", resp.StatusCode, body)
	}
}
