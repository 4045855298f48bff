// browser_emoji_test.go drives the emoji picker (assets/js/emoji.js) in
// headless Chromium: searching "hedgehog" and picking puts 🦔 in the
// composer at the caret; a reaction with an emoji outside the quick six
// goes through "More emoji…" and is stored; the picks come back in the
// Recent row; the whole of it by keyboard alone (arrows, Enter, Escape,
// the focus back where it was); and the picker as a sheet that fits a
// 320 px phone, light and dark.

package main

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// pickerOpen is true while the emoji picker is open and drawn.
const pickerOpen = `(() => { const d = document.querySelector("dialog.emoji-panel"); return !!d && d.open && d.querySelectorAll(".emoji-cell").length > 1000 })()`

// pickerState says what the picker shows, for failure messages.
const pickerState = `(() => { const d = document.querySelector("dialog.emoji-panel"); if (!d) return "no picker"; const a = d.querySelector(".emoji-cell.active"); return "open=" + d.open + " search=" + d.querySelector(".emoji-search").value + " active=" + (a && a.dataset.emoji) + " focus=" + document.activeElement.className })()`

// recentRow is the emoji of the picker's Recent row, in order.
const recentRow = `[...document.querySelectorAll('.emoji-section[data-group="recent"]:not([hidden]) .emoji-cell')].map(c => c.dataset.emoji).join(" ")`

func TestBrowserEmojiPicker(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	sk := kid.dial()
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")

	// Search by name and pick: the emoji goes in at the caret, and the
	// focus is back in the composer, after it.
	p.do("type", chromedp.SendKeys(chromedp.ID("composer-input"), "Look at this"))
	p.eval(`document.getElementById("composer-input").setSelectionRange(5, 5)`)
	p.do("open the picker", chromedp.Click(chromedp.ID("emoji-button")))
	p.until("the picker", pickerOpen)
	if got := p.eval(`document.activeElement.matches(".emoji-search")`); got != true {
		t.Errorf("the picker opened with the focus on %v, want its search box", p.eval(focused))
	}
	p.do("search", chromedp.KeyEvent("hedgehog"))
	p.untilOr("🦔 found and highlighted", pickerState, `(document.querySelector(".emoji-cell.active") || {}).textContent === "🦔"`)
	p.screenshot("emoji-search-desktop")
	p.press("Enter", "Enter", 13, 0)
	p.until("the picker closed", `!document.querySelector("dialog.emoji-panel").open`)
	if got := p.eval(`(() => { const ta = document.getElementById("composer-input"); return ta.value + "|" + ta.selectionStart + "|" + (document.activeElement === ta) })()`); got != "Look 🦔at this|7|true" {
		t.Errorf("composer after the pick: %v, want 🦔 at the caret (7) and the focus there", got)
	}
	p.eval(`document.getElementById("composer-input").setSelectionRange(99, 99)`)
	p.say(" 🙂")
	p.sees("Look 🦔at this 🙂")
	var msgs struct{ Messages []message }
	mustDo(t, kid, http.StatusOK, "GET", "/api/rooms/general/messages", nil, &msgs)
	if len(msgs.Messages) != 1 || msgs.Messages[0].Body != "Look 🦔at this 🙂" {
		t.Errorf("stored: %+v", msgs.Messages)
	}

	// Any emoji as a reaction: the quick six, then "More emoji…", which
	// opens the same picker; the sloth is stored and reaches the kid.
	sk.say("general", "Sunday lie-in?", "k-1")
	sk.ack("k-1")
	p.sees("Sunday lie-in?")
	p.msgAction("Sunday lie-in?", "pick")
	p.until("the quick reactions", `document.querySelectorAll(".emoji-picker button").length === 7`)
	if got := p.eval(`[...document.querySelectorAll(".emoji-picker button")].slice(0, 6).map(b => b.textContent).join("")`); got != "👍❤️😂😮😢🎉" {
		t.Errorf("quick reactions %v", got)
	}
	p.screenshot("emoji-quick-reactions")
	p.do("more emoji", chromedp.Click(chromedp.CSS(".emoji-picker .emoji-more")))
	p.until("the picker", pickerOpen)
	p.screenshot("emoji-more-desktop")
	p.do("search", chromedp.KeyEvent("sloth"))
	p.until("the sloth", `[...document.querySelectorAll('.emoji-section[data-group="results"] .emoji-cell')].map(c => c.textContent).join() === "🦥"`)
	p.do("pick the sloth", chromedp.Click(chromedp.CSS(`.emoji-section[data-group="results"] .emoji-cell`)))
	p.until("the reaction", `[...document.querySelectorAll("#message-list .reaction")].some(e => e.textContent === "🦥 1")`)
	sk.expect(func(f wireFrame) bool {
		return f.Type == "update" && slices.Equal(f.Reactions["🦥"], []string{"mum"})
	})

	// Both picks are in the Recent row, the newest first; it is kept on
	// this device.
	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("view-chat")))
	p.until("reconnected", `document.getElementById("online-list").children.length > 0`)
	p.do("open the picker", chromedp.Click(chromedp.ID("emoji-button")))
	p.until("the picker", pickerOpen)
	if got := p.eval(recentRow); got != "🦥 🦔" {
		t.Errorf("Recent row = %q, want the sloth then the hedgehog", got)
	}
	// Escape closes at once, even with text in the search box, and
	// changes nothing.
	p.do("search", chromedp.KeyEvent("xyzzy"))
	p.until("nothing found", `!document.querySelector(".emoji-none").hidden`)
	p.press("Escape", "Escape", 27, 0)
	p.until("the picker closed", `!document.querySelector("dialog.emoji-panel").open`)
	if got := p.eval(focused); got != "composer-input" {
		t.Errorf("after Escape the focus is on %v, want the composer", got)
	}
	if got := p.eval(`document.getElementById("composer-input").value`); got != "" {
		t.Errorf("Escape left %q in the composer", got)
	}

	// A category tab scrolls its emoji into view.
	p.do("open the picker", chromedp.Click(chromedp.ID("emoji-button")))
	p.until("the picker", pickerOpen)
	p.do("Food & Drink", chromedp.Click(chromedp.CSS(`.emoji-tab[data-group="Food & Drink"]`)))
	p.untilOr("the food at the top", pickerState, `(() => {
		const list = document.querySelector(".emoji-list"), s = list.querySelector('.emoji-section[data-group="Food & Drink"]');
		const l = list.getBoundingClientRect(), r = s.getBoundingClientRect();
		return Math.abs(r.top - l.top) < 4 && document.querySelector('.emoji-tab[data-group="Food & Drink"]').getAttribute("aria-pressed") === "true";
	})()`)
	p.screenshot("emoji-food-desktop")
	p.colorScheme("dark")
	p.screenshot("emoji-food-desktop-dark")
	p.press("Escape", "Escape", 27, 0)
	p.until("the picker closed", `!document.querySelector("dialog.emoji-panel").open`)
}

// TestBrowserEmojiKeyboard picks an emoji for the composer and another as
// a reaction without the mouse.
func TestBrowserEmojiKeyboard(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	kid := ts.loggedIn("kid")
	sk := kid.dial()
	sk.say("general", "Who fed the cat?", "k-1")
	sk.ack("k-1")
	p := newPage(t, browser, 1280, 800)
	p.login(ts, "mum", "hearth-and-home")
	p.sees("Who fed the cat?")

	// Shift+Tab from the composer reaches the emoji button; Enter opens
	// the picker on its search box.
	p.eval(`document.getElementById("composer-input").focus()`)
	for i := 0; p.eval(focused) != "emoji-button"; i++ {
		if i == 3 {
			t.Fatalf("Shift+Tab from the composer did not reach the emoji button; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, shiftKey)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the picker", pickerOpen)
	p.until("the search box focused", `document.activeElement.matches(".emoji-search")`)
	// The first emoji is highlighted. Right moves along the row, Down to
	// the emoji below, Up back, Left back along.
	active := `document.querySelector(".emoji-cell.active").dataset.emoji`
	cells := `[...document.querySelectorAll('.emoji-section[data-group="Smileys & Emotion"] .emoji-cell')]`
	cols := p.eval(`(() => { const c = ` + cells + `; return c.filter(x => x.offsetTop === c[0].offsetTop).length })()`).(float64)
	if cols < 6 {
		t.Fatalf("%v emoji a row", cols)
	}
	want := func(what string, index int) {
		t.Helper()
		if got, w := p.eval(active), p.eval(cells+`[`+fmt.Sprint(index)+`].dataset.emoji`); got != w {
			t.Errorf("%s: %v highlighted, want %v (the %dth)", what, got, w, index)
		}
	}
	want("at first", 0)
	p.press("ArrowRight", "ArrowRight", 39, 0)
	p.press("ArrowRight", "ArrowRight", 39, 0)
	want("two to the right", 2)
	p.press("ArrowDown", "ArrowDown", 40, 0)
	want("a row down", 2+int(cols))
	p.press("ArrowUp", "ArrowUp", 38, 0)
	p.press("ArrowLeft", "ArrowLeft", 37, 0)
	want("back up and left", 1)
	if got := p.eval(`document.querySelector(".emoji-search").getAttribute("aria-activedescendant") === document.querySelector(".emoji-cell.active").id`); got != true {
		t.Error("the search box does not name the highlighted emoji (aria-activedescendant)")
	}
	picked := p.eval(active)
	p.press("Enter", "Enter", 13, 0)
	p.until("the picker closed", `!document.querySelector("dialog.emoji-panel").open`)
	if got := p.eval(`document.activeElement.id + " " + document.getElementById("composer-input").value`); got != fmt.Sprint("composer-input ", picked) {
		t.Errorf("after Enter: %v, want the composer focused holding %v", got, picked)
	}
	p.eval(`(() => { const ta = document.getElementById("composer-input"); ta.value = ""; ta.dispatchEvent(new Event("input")) })()`)

	// To the message: Shift+Tab to the messages, ArrowUp to the last one,
	// Tab to its reaction button, Enter: the quick six with the first
	// focused; the arrows go round to "More emoji…".
	for i := 0; p.eval(focused) != "messages"; i++ {
		if i == 5 {
			t.Fatalf("Shift+Tab did not reach the messages; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, shiftKey)
	}
	p.press("ArrowUp", "ArrowUp", 38, 0)
	for i := 0; p.eval(focused) != "pick"; i++ {
		if i == 4 {
			t.Fatalf("Tab did not reach the reaction button; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, 0)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the quick reactions, 👍 focused", `document.activeElement.matches(".emoji-picker button") && document.activeElement.textContent === "👍"`)
	p.press("ArrowLeft", "ArrowLeft", 37, 0)
	if got := p.eval(`document.activeElement.getAttribute("aria-label")`); got != "More emoji…" {
		t.Fatalf("ArrowLeft from 👍 focused %v, want More emoji…", got)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the picker", pickerOpen)
	p.until("the search box focused", `document.activeElement.matches(".emoji-search")`)
	p.do("search", chromedp.KeyEvent("hedgehog"))
	p.untilOr("🦔 highlighted", pickerState, `(document.querySelector(".emoji-cell.active") || {}).textContent === "🦔"`)
	p.press("Enter", "Enter", 13, 0)
	p.until("the reaction", `[...document.querySelectorAll("#message-list .reaction")].some(e => e.textContent === "🦔 1")`)
	sk.expect(func(f wireFrame) bool {
		return f.Type == "update" && slices.Equal(f.Reactions["🦔"], []string{"mum"})
	})
	p.until("the focus back on the message", `document.activeElement.matches(".msg") && document.activeElement.textContent.includes("Who fed the cat?")`)

	// Escape from the quick six goes back to the message, not further.
	p.press("Tab", "Tab", 9, 0)
	for i := 0; p.eval(focused) != "pick"; i++ {
		if i == 4 {
			t.Fatalf("Tab did not reach the reaction button; focus is on %v", p.eval(focused))
		}
		p.press("Tab", "Tab", 9, 0)
	}
	p.press("Enter", "Enter", 13, 0)
	p.until("the quick reactions", `document.activeElement.matches(".emoji-picker button")`)
	p.press("Escape", "Escape", 27, 0)
	if got := p.eval(`!document.querySelector(".emoji-picker") && document.activeElement.matches(".msg")`); got != true {
		t.Errorf("Escape in the quick reactions: focus on %v", p.eval(focused))
	}
}

// TestBrowserEmojiPhone opens the picker on 390 and 320 px phones, light
// and dark: a sheet along the bottom as wide as the screen, the emoji in
// whole columns, nothing wider than the page; a pick still lands.
func TestBrowserEmojiPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, nil)
	ts.addUser("mum", "hearth-and-home", true)
	for _, width := range []int64{390, 320} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(fmt.Sprint(width, scheme), func(t *testing.T) {
				p := newPage(t, browser, width, 700)
				p.colorScheme(scheme)
				p.login(ts, "mum", "hearth-and-home")
				p.do("open the picker", chromedp.Click(chromedp.ID("emoji-button")))
				p.until("the picker", pickerOpen)
				got := p.eval(`(() => {
					const d = document.querySelector("dialog.emoji-panel"), r = d.getBoundingClientRect();
					const cells = [...d.querySelectorAll(".emoji-section:not([hidden]) .emoji-cell")].slice(0, 40).map(c => c.getBoundingClientRect());
					const inside = cells.every(c => c.left >= r.left && c.right <= r.right + 0.5);
					const tabs = [...d.querySelectorAll(".emoji-tab")].every(b => b.getBoundingClientRect().right <= r.right + 0.5);
					return [d.classList.contains("sheet"), Math.round(r.left), Math.round(r.right), Math.round(r.bottom), innerHeight, inside, tabs, document.documentElement.scrollWidth <= innerWidth].join(" ");
				})()`)
				if want := fmt.Sprintf("true 0 %d 700 700 true true true", width); got != want {
					t.Errorf("sheet, left, right, bottom, height, cells inside, tabs inside, no sideways scroll = %v, want %v", got, want)
				}
				p.screenshot(fmt.Sprintf("emoji-phone-%d-%s", width, scheme))
				p.do("pick", chromedp.Click(chromedp.CSS(`.emoji-section[data-group="Smileys & Emotion"] .emoji-cell`)))
				p.until("the picker closed", `!document.querySelector("dialog.emoji-panel").open`)
				if got := p.eval(`document.getElementById("composer-input").value`); got != "😀" {
					t.Errorf("composer holds %q after a tap on 😀", got)
				}
				p.screenshot(fmt.Sprintf("emoji-composer-%d-%s", width, scheme))
			})
		}
	}
}
