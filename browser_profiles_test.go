// browser_profiles_test.go drives headless Chromium through profiles: names
// in right-to-left scripts, with emoji and with what looks like HTML are
// drawn as text everywhere a name shows (messages, the sidebar, typing,
// reactions, reply quotes, the mentions menu, search), pictures replace
// initials, the profile card opens by click and by keyboard and its
// Message button opens the DM, the Account dialog changes one's own name
// and picture (seen live by others), and an admin renames someone.

package main

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

const (
	// Names to draw as text: Hebrew with a family emoji (ZWJ), Arabic
	// with a flower, and a name that would be an element if drawn as HTML.
	kidShown = "שירה 👨\u200D👩\u200D👧"
	mumShown = "أمي 🌷"
	dadShown = `<img src=x onerror="window.pwned=1">`
)

// fakePicture puts a picture made in the page (a canvas, 300×200) into
// the file input id and tells the page it was chosen, as a person picking
// a photo does.
func fakePicture(id string) string {
	return `(async () => {
		const c = document.createElement("canvas"); c.width = 300; c.height = 200;
		const g = c.getContext("2d"); g.fillStyle = "#3a8"; g.fillRect(0, 0, 300, 200); g.fillStyle = "#fff"; g.fillRect(100, 50, 100, 100);
		const blob = await new Promise((r) => c.toBlob(r, "image/png"));
		const dt = new DataTransfer(); dt.items.add(new File([blob], "me.png", { type: "image/png" }));
		const input = document.getElementById(` + jsString(id) + `);
		input.files = dt.files;
		input.dispatchEvent(new Event("change"));
	})()`
}

// profileHousehold is a server where mum (an admin), dad and kid have
// display names, mum and kid pictures and dad a time zone, and have talked:
// a message each in general, dad's with kid's reaction and kid's reply,
// pizza to search for, and a DM between mum and kid.
func profileHousehold(t *testing.T) (*testServer, map[string]*client) {
	t.Helper()
	ts := newTestServer(t, nil)
	const pw = "hearth-and-home"
	ts.addUser("mum", pw, true)
	ts.addUser("dad", pw, false)
	ts.addUser("kid", pw, false)
	people := map[string]*client{}
	for name, shown := range map[string]string{"mum": mumShown, "dad": dadShown, "kid": kidShown} {
		people[name] = loginClient(t, ts, name, pw)
		zone := map[string]string{"dad": "Asia/Tokyo"}[name]
		mustDo(t, people[name], http.StatusOK, "PUT", "/api/me/profile", map[string]string{"display_name": shown, "zone": zone}, nil)
	}
	for _, name := range []string{"mum", "kid"} {
		if status, _, body := sendPicture(t, people[name], "PUT", "/api/me/avatar", "image/jpeg", gpsPhoto(t)); status != http.StatusOK {
			t.Fatalf("%s's picture: %d %s", name, status, body)
		}
	}
	sd, sk := people["dad"].dial(), people["kid"].dial()
	sd.say("general", "Pizza tonight?", "d-1")
	pizza := sd.ack("d-1").ID
	sk.send(map[string]any{"type": "react", "room": "general", "id": pizza, "emoji": "👍"})
	sk.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == pizza })
	sk.send(map[string]any{"type": "send", "room": "general", "body": "Yes please", "client_id": "k-1", "reply_to": pizza})
	sk.ack("k-1")
	sm := people["mum"].dial()
	sm.say("general", "I'll order", "m-1")
	sm.ack("m-1")
	mustDo(t, people["mum"], http.StatusCreated, "POST", "/api/dms", map[string]string{"user": "kid"}, nil)
	return ts, people
}

func TestBrowserProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts, people := profileHousehold(t)
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.sees("I'll order")

	// Names, as text, everywhere they show.
	texts := func(css string) string {
		return `[...document.querySelectorAll(` + jsString(css) + `)].map((e) => e.textContent)`
	}
	has := func(what, css, want string) {
		t.Helper()
		p.untilOr(what, texts(css), texts(css)+`.includes(`+jsString(want)+`)`)
	}
	has("dad's name on his message", "#message-list .msg-user bdi", dadShown)
	has("kid's name on her message", "#message-list .msg-user bdi", kidShown)
	has("the reply's quote", "#message-list .reply-user", dadShown)
	has("the DM by kid's name", "#dm-list .room-name", kidShown)
	has("mum at the foot of the sidebar", "#me-name", mumShown)
	if got := p.eval(`document.querySelector("#message-list .reaction").title`); got != kidShown {
		t.Errorf("who reacted: %q, want %q", got, kidShown)
	}
	if got := p.eval(`document.querySelector('#message-list .msg-user[data-user="dad"]').title`); got != "@dad" {
		t.Errorf("the login name on hover: %q, want @dad", got)
	}
	// People online (their sockets above are closed: mum alone, her picture).
	has("mum online", "#online-list .person-name", mumShown)

	// Typing, by kid's display name.
	sk := people["kid"].dial()
	sk.send(map[string]string{"type": "typing", "room": "general"})
	has("kid typing", "#typing bdi", kidShown)

	// Pictures where people have one, initials where not, at their size.
	p.until("kid's picture loaded", `(() => { const i = document.querySelector('#message-list img.avatar[data-user="kid"]'); return !!i && i.complete && i.naturalWidth === 256 && i.width === 36 && /^\/api\/users\/kid\/avatar\?v=\d+$/.test(i.getAttribute("src")) })()`)
	if got := p.eval(`(() => { const a = document.querySelector('#message-list .avatar[data-user="dad"]'); return a.tagName + " " + a.textContent })()`); got != "SPAN <" {
		t.Errorf("dad's avatar: %v, want his initial", got)
	}
	p.until("mum's own picture in the sidebar", `document.getElementById("me-avatar").tagName === "IMG"`)

	// The mentions menu finds people by display name and puts the login
	// name in.
	p.eval(`document.getElementById("composer-input").focus()`)
	p.do("type a Hebrew name after @", chromedp.SendKeys(chromedp.ID("composer-input"), "hi @שי"))
	has("kid in the mentions menu", "#mention-menu li .mention-name", kidShown)
	p.press("Enter", "Enter", 13, 0)
	if got := p.eval(`document.getElementById("composer-input").value`); got != "hi @kid " {
		t.Errorf("the completed mention: %q, want %q", got, "hi @kid ")
	}
	p.eval(`document.getElementById("composer-input").value = ""`)

	// Search results name the writer.
	p.eval(`document.getElementById("open-search").click(); document.getElementById("search-input").value = "pizza"; document.getElementById("search-form").requestSubmit()`)
	has("dad in the results", "#search-results .item-title bdi", dadShown)
	p.eval(`document.getElementById("dialog-search").close()`)

	// Nothing any name holds became an element.
	if v := p.eval(`!!window.pwned || document.querySelectorAll("[onerror], img[src=x]").length`); v != float64(0) {
		t.Errorf("a name was drawn as HTML: %v", v)
	}
	p.screenshot("profiles-chat")

	// The card, by click: dad's picture is his initial, his login name and
	// local time; Escape closes it and the focus is back on his name.
	p.eval(`document.querySelector('#message-list .msg-user[data-user="dad"]').focus()`)
	p.eval(`document.querySelector('#message-list .msg-user[data-user="dad"]').click()`)
	p.until("dad's card", `document.getElementById("dialog-profile").open && document.getElementById("profile-name").textContent === `+jsString(dadShown))
	if got := p.eval(`[document.getElementById("profile-login").textContent, document.getElementById("profile-time").textContent.includes("Asia/Tokyo")].join()`); got != "@dad,true" {
		t.Errorf("the card says %v", got)
	}
	p.screenshot("profiles-card")
	p.press("Escape", "Escape", 27, 0)
	p.until("the card closed", `!document.getElementById("dialog-profile").open`)
	if got := p.eval(`document.activeElement.dataset.user`); got != "dad" {
		t.Errorf("after Escape the focus is on %v, want dad's name", p.eval(focused))
	}

	// By keyboard: the arrow keys to kid's message, Tab to her name,
	// Enter opens her card, on Message; Enter opens the DM, with the focus
	// in its composer.
	p.eval(`document.getElementById("messages").focus()`)
	p.press("ArrowUp", "ArrowUp", 38, 0)
	p.press("ArrowUp", "ArrowUp", 38, 0)
	p.until("kid's message focused", `document.activeElement.matches(".msg") && document.activeElement.textContent.includes("Yes please")`)
	p.press("Tab", "Tab", 9, 0)
	if got := p.eval(`document.activeElement.dataset.user`); got != "kid" {
		t.Fatalf("Tab from kid's message focused %v, want her name", p.eval(focused))
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("kid's card, on Message", `document.getElementById("dialog-profile").open && document.activeElement.id === "profile-message"`)
	if got := p.eval(`document.querySelector("#profile-picture img").naturalWidth`); got != float64(256) {
		t.Errorf("kid's picture on the card: %v", got)
	}
	p.press("Enter", "Enter", 13, 0)
	dm := dmName("kid", "mum")
	p.untilOr("the DM open", `location.hash + " " + document.activeElement.id`, `decodeURIComponent(location.hash.slice(1)) === `+jsString(dm)+` && !document.getElementById("dialog-profile").open && document.activeElement.id === "composer-input"`)
	has("the DM's title", "#room-title bdi", kidShown)
	// The avatar opens it too, and an online person's row.
	p.eval(`location.hash = "general"`)
	p.sees("I'll order")
	p.eval(`document.querySelector('#message-list .avatar[data-user="kid"]').click()`)
	p.until("kid's card from her picture", `document.getElementById("dialog-profile").open && document.getElementById("profile-login").textContent === "@kid"`)
	p.eval(`document.getElementById("dialog-profile").close()`)
	p.eval(`document.querySelector('#online-list [data-user="mum"]').click()`)
	p.until("mum's own card, to edit", `document.getElementById("dialog-profile").open && !document.getElementById("profile-edit").hidden && document.getElementById("profile-message").hidden`)

	// The Account dialog from her card: a new name and a new picture,
	// which dad sees at once.
	dad := newPage(t, browser, 390, 844)
	dad.login(ts, "dad", "hearth-and-home")
	dad.sees("I'll order")
	p.eval(`document.getElementById("profile-edit").click()`)
	p.until("the Account dialog", `document.getElementById("dialog-account").open && document.activeElement.id === "account-name"`)
	p.eval(`document.getElementById("account-name").value = "  Mum \u202E🌻 "`)
	p.eval(`document.getElementById("account-form").requestSubmit()`)
	p.until("the name saved, cleaned", `document.getElementById("account-saved").textContent === "Saved." && document.getElementById("account-name").value === "Mum 🌻"`)
	dad.untilOr("mum's new name, live", texts("#message-list .msg-user bdi"), texts("#message-list .msg-user bdi")+`.includes("Mum 🌻")`)
	before := p.eval(`document.querySelector("#account-preview img").getAttribute("src")`)
	p.eval(fakePicture("account-file"))
	p.until("the preview, and Use", `document.querySelector("#account-preview img").src.startsWith("data:image/png") && document.activeElement.id === "account-use"`)
	p.screenshot("profiles-account-preview")
	p.press("Enter", "Enter", 13, 0)
	p.untilOr("the new picture saved", `document.getElementById("account-picture-said").textContent`,
		`document.getElementById("account-picture-said").textContent.startsWith("Saved") && document.querySelector("#account-preview img").getAttribute("src") !== `+jsString(fmt.Sprint(before)))
	dad.until("mum's new picture, live", `(() => { const i = document.querySelector('#message-list img.avatar[data-user="mum"]'); return !!i && i.getAttribute("src") === `+jsString(fmt.Sprint(p.eval(`document.querySelector("#account-preview img").getAttribute("src")`)))+` && i.complete && i.naturalWidth === 256 })()`)
	// Removed: the initial again.
	p.eval(`document.getElementById("account-remove").click()`)
	p.until("the picture removed", `document.getElementById("account-picture-said").textContent.startsWith("Removed") && document.getElementById("me-avatar").tagName === "SPAN"`)
	// A refusal is said plainly.
	p.eval(`document.getElementById("account-name").value = "\u200F\u202E"; document.getElementById("account-form").requestSubmit()`)
	p.until("the refusal", `document.getElementById("account-error").textContent.includes("at least one letter")`)
	p.eval(`document.getElementById("dialog-account").close()`)

	// An admin renames kid in the console.
	p.eval(`document.getElementById("open-admin").click()`)
	p.clickText("kid's Display name", `#admin-list li button[aria-label="Display name of kid"]`, "Display name")
	p.until("the name form", `document.querySelector("#admin-list .inline-form input").value === `+jsString(kidShown))
	p.eval(`document.querySelector("#admin-list .inline-form input").value = "Kiddo"; document.querySelector("#admin-list .inline-form").requestSubmit()`)
	p.until("kid renamed in the list", `[...document.querySelectorAll("#admin-list .item-title")].some((e) => e.textContent.startsWith("Kiddo @kid"))`)
	dad.untilOr("kid's new name, live", texts("#message-list .msg-user bdi"), texts("#message-list .msg-user bdi")+`.includes("Kiddo")`)
}

// TestBrowserProfileCardOnAPhone opens the card and the Account dialog on
// a 320 px phone in dark mode: both fit the screen, nothing scrolls
// sideways, and the card's Message opens the DM.
func TestBrowserProfileCardOnAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts, _ := profileHousehold(t)
	p := newPage(t, browser, 320, 640)
	p.colorScheme("dark")
	p.login(ts, "dad", "hearth-and-home")
	p.sees("I'll order")
	fits := func(what, id string) {
		t.Helper()
		got := p.eval(`(() => { const r = document.getElementById(` + jsString(id) + `).getBoundingClientRect();
			return [r.left >= 0, r.right <= innerWidth, r.top >= 0, r.bottom <= innerHeight, document.documentElement.scrollWidth <= innerWidth].join() })()`)
		if got != "true,true,true,true,true" {
			t.Errorf("%s does not fit 320 px (left, right, top, bottom, no sideways scroll): %v", what, got)
		}
	}
	p.eval(`document.querySelector('#message-list .msg-user[data-user="mum"]').click()`)
	p.until("mum's card", `document.getElementById("dialog-profile").open && document.querySelector("#profile-picture img").complete`)
	fits("the card", "dialog-profile")
	p.screenshot("profiles-card-320-dark")
	p.eval(`document.getElementById("profile-message").click()`)
	p.until("the DM with mum", `decodeURIComponent(location.hash.slice(1)) === "@dad+mum" && !document.getElementById("dialog-profile").open`)
	p.menu("open-account")
	p.until("the Account dialog", `document.getElementById("dialog-account").open`)
	fits("the Account dialog", "dialog-account")
	p.screenshot("profiles-account-320-dark")
}
