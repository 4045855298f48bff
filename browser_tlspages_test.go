// browser_tlspages_test.go covers the HTTPS setup pages on phones: with a
// -tls-local server, /trust (plain HTTP on the HTTPS port) and /help/https
// (over HTTPS) at 320 and 390 px wide, light and dark: nothing sticks out
// sideways, the CA's fingerprint is whole on screen (no scrolling, no hex
// pair split over two lines), the QR code and the download button fit, and
// any <pre> that can scroll can be scrolled from the keyboard (tabindex 0
// and a name, axe's scrollable-region-focusable).

package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"
)

func TestBrowserTLSPagesOnPhones(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium")
	}
	browser := newBrowser(t)
	ts := newTestServer(t, func(c *config) { c.TLSLocal = true })
	fp := ts.app.local.fingerprint()
	var pairs []string
	for i := 0; i < len(fp); i += 2 {
		pairs = append(pairs, fp[i:i+2])
	}
	fingerprint := strings.Join(pairs, ":")

	for _, size := range []struct {
		name string
		w, h int64
	}{{"320", 320, 640}, {"390", 390, 844}} {
		p := newPage(t, browser, size.w, size.h)
		// The test's browser does not trust the test's CA; a family's
		// device would, after /trust.
		p.do("accept the test CA", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true})
			return err
		}))
		for _, pg := range []struct{ name, url string }{
			{"trust", "http://" + ts.addr + "/trust"},
			{"https-help", "https://" + ts.addr + "/help/https"},
		} {
			where := pg.name + " at " + size.name + " px"
			p.do("open "+where, chromedp.Navigate(pg.url), chromedp.WaitVisible(chromedp.CSS(".help-card h1")))
			for _, scheme := range []string{"light", "dark"} {
				p.colorScheme(scheme)
				if w := p.eval(`document.documentElement.scrollWidth - innerWidth`).(float64); w > 0 {
					t.Errorf("%s, %s: the page is %v px wider than the screen", where, scheme, w)
				}
				// Everything inside the card stays inside the screen, but for
				// what scrolls inside a box that does.
				if out := p.eval(`[...document.querySelectorAll(".help-card *")].filter(e => {
					for (let a = e.parentElement; a; a = a.parentElement) if (["auto", "scroll"].includes(getComputedStyle(a).overflowX)) return false;
					const r = e.getBoundingClientRect();
					return r.width > 0 && (r.left < 0 || r.right > innerWidth + 0.5);
				}).map(e => e.tagName + " " + e.textContent.slice(0, 30))`); len(out.([]any)) > 0 {
					t.Errorf("%s, %s: sticking out sideways: %v", where, scheme, out)
				}
				// A <pre> that scrolls must be reachable by keyboard, and named.
				if bad := p.eval(`[...document.querySelectorAll("pre")].filter(e => e.scrollWidth > e.clientWidth && !(e.tabIndex === 0 && (e.getAttribute("aria-label") || e.getAttribute("aria-labelledby")))).map(e => e.textContent.slice(0, 30))`); len(bad.([]any)) > 0 {
					t.Errorf("%s, %s: scrollable <pre> not focusable or not named: %v", where, scheme, bad)
				}
				p.screenshot("tls-" + pg.name + "-" + size.name + "-" + scheme)
			}
			if pg.name != "trust" {
				continue
			}
			if got := p.eval(`document.getElementById("fingerprint").textContent`); got != fingerprint {
				t.Errorf("%s: the fingerprint reads %q, want %q", where, got, fingerprint)
			}
			if v := p.eval(`(() => { const e = document.getElementById("fingerprint"), r = e.getBoundingClientRect(); return e.scrollWidth <= e.clientWidth && r.left >= 0 && r.right <= innerWidth; })()`); v != true {
				t.Errorf("%s: the fingerprint does not fit: %v", where, p.eval(`(() => { const e = document.getElementById("fingerprint"); return [e.scrollWidth, e.clientWidth, JSON.stringify(e.getBoundingClientRect())]; })()`))
			}
			// Lines break between pairs, never inside one: "3F" is compared
			// at a glance, "3" at the end of a line and "F" under it is not.
			split := p.eval(`(() => {
				const text = document.querySelector("#fingerprint code").firstChild, s = text.textContent, tops = [];
				for (let i = 0; i < s.length; i++) {
					const r = document.createRange();
					r.setStart(text, i); r.setEnd(text, i + 1);
					tops.push(Math.round(r.getBoundingClientRect().top));
				}
				const bad = [];
				for (let i = 0; i + 1 < s.length; i += 3) if (tops[i] !== tops[i + 1]) bad.push(s.slice(i, i + 2));
				return bad;
			})()`)
			if len(split.([]any)) > 0 {
				t.Errorf("%s: the fingerprint splits pairs over lines: %v", where, split)
			}
			for _, sel := range []string{`img[src="/trust/qr.png"]`, `a[href="/trust/ca.crt"]`} {
				if v := p.eval(`(() => { const r = document.querySelector(` + jsString(sel) + `).getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= innerWidth; })()`); v != true {
					t.Errorf("%s: %s does not fit", where, sel)
				}
			}
		}
	}
}
