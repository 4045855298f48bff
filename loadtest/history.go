// history.go fills one Hearth room through the socket and measures
// paging its history and starting on it, cold and warm (scenarioHistory).

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// scenarioHistory fills one Hearth room with cfg.historyN messages of 100
// bytes through the socket, then measures paging it and starting on it.
func scenarioHistory(ctx context.Context, cfg config, bins binaries) error {
	h, err := startHearth(bins, cfg, 50)
	if err != nil {
		return err
	}
	defer func() { h.Stop() }()

	// Seed through the real path: 10 sockets, 100 in flight each.
	seedStart := time.Now()
	if err := seed(ctx, h, cfg.historyN, 10, 100); err != nil {
		return err
	}
	seedRate := float64(cfg.historyN) / time.Since(seedStart).Seconds()

	// Pages of 50 at random points, over HTTP as the client asks for them.
	cookie := h.cookie()
	var lat []time.Duration
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 2000 {
		before := 51 + (i*7919)%max(1, cfg.historyN-51)
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/api/rooms/general/messages?before=%d&limit=50", h.addr, before), nil)
		req.Header.Set("Cookie", cookie)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = resp.Body.Read(make([]byte, 1)) // the response started
		for err == nil {
			_, err = resp.Body.Read(make([]byte, 32<<10))
		}
		resp.Body.Close()
		lat = append(lat, time.Since(t0))
		if resp.StatusCode != 200 {
			return fmt.Errorf("history page: status %d", resp.StatusCode)
		}
	}
	slices.Sort(lat)

	db := filepath.Join(h.dir, "hearth.db")
	h.Stop()
	fi, err := os.Stat(db)
	if err != nil {
		return err
	}
	perMsg := float64(fi.Size()) / float64(cfg.historyN)

	// Start-up to serving, three times; the page cache dropped first where
	// the machine lets us (root), so the first is cold.
	cold := dropPageCache()
	var starts []time.Duration
	for range 3 {
		t0 := time.Now()
		h2, err := runHearth(bins, cfg, h.dir, db, 0)
		if err != nil {
			return err
		}
		if err := waitHTTP(h2.addr, 30*time.Second); err != nil {
			h2.Stop()
			return err
		}
		starts = append(starts, time.Since(t0))
		h2.Stop()
	}
	cache := "warm page cache"
	if cold {
		cache = "first start after dropping the page cache"
	}

	// What a person waits for first after the machine restarts: the newest
	// page of the room (as the client opens it) and a search, each on a
	// fresh start with the page cache dropped just before. The session
	// cookie is one logged in above: sessions outlive a restart, and a
	// login now would read the database before the request does.
	firstPage, err := coldRequest(bins, cfg, h, db, "/api/rooms/general/messages?limit=50", `"messages":[{`)
	if err != nil {
		return err
	}
	firstSearch, err := coldRequest(bins, cfg, h, db, "/api/search?q="+seedSearchWord, `"results":[{`)
	if err != nil {
		return err
	}
	fmt.Printf("%-8s %-8s page of 50 from %d: p50 %s p99 %s (over HTTP, 2000 pages)  start-up to serving %s / %s / %s (%s)  first newest page %s, first search for %q %s (each on a fresh start, page cache dropped: %v)  %.0f bytes per 100-byte message, words indexed (%.0f MiB)  seeded at %.0f msgs/s through 10 sockets%s\n",
		"history", "hearth", cfg.historyN, ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]),
		ms(starts[0]), ms(starts[1]), ms(starts[2]), cache, ms(firstPage), seedSearchWord, ms(firstSearch), cold,
		perMsg, float64(fi.Size())/(1<<20), seedRate, hearthNote)
	return nil
}

// dropPageCache asks the kernel to drop clean cached pages, so that what
// follows reads from the disk. It reports false where it may not (not
// root, or in a container that hides /proc/sys).
func dropPageCache() bool {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0) == nil
}

// coldRequest drops the page cache, starts Hearth on db again (stopped
// when it returns) and times one GET of path with one of h's session
// cookies, to the end of the body, which must contain want.
func coldRequest(bins binaries, cfg config, h *hearthTarget, db, path, want string) (time.Duration, error) {
	dropPageCache()
	h2, err := runHearth(bins, cfg, h.dir, db, 0)
	if err != nil {
		return 0, err
	}
	defer h2.Stop()
	if err := waitHTTP(h2.addr, 30*time.Second); err != nil {
		return 0, err
	}
	req, _ := http.NewRequest("GET", "http://"+h2.addr+path, nil)
	req.Header.Set("Cookie", h.cookie())
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
		return 0, fmt.Errorf("GET %s: status %d, no %s in %.200s", path, resp.StatusCode, want, body)
	}
	return took, nil
}

// waitHTTP polls until Hearth answers /api/me (401 without a cookie).
func waitHTTP(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/api/me")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return errors.New("Hearth did not start serving")
}

// seedWords are what seeded messages say: a family's words, so that the
// search index holds what a real room's would (bodies of one 100-letter
// "word", as seeded before, indexed nothing). seedSearchWord is in one
// message in a hundred; the first search after a cold start looks for it.
var seedWords = strings.Fields(`are we still on for dinner tonight can someone pick up milk and
bread on the way home the bus is late again who has the car keys school trip form needs signing
by friday grandma called back love you all see you soon football practice moved to thursday`)

const seedSearchWord = "lasagne"

// seedBody is the n-th seeded message's body: 100 bytes of seedWords in
// an order chosen by n.
func seedBody(n int64) string {
	var b strings.Builder
	if n%100 == 0 {
		b.WriteString(seedSearchWord + " ")
	}
	for x := uint64(n); b.Len() < 100; {
		x = x*6364136223846793005 + 1442695040888963407 // a step of PCG's LCG
		b.WriteString(seedWords[(x>>33)%uint64(len(seedWords))])
		b.WriteByte(' ')
	}
	return b.String()[:100]
}

// seed stores total messages of 100 bytes through sockets sockets with
// window in flight each. Every socket hears every message, so each has a
// reader of its own that keeps up, and frees a slot of its sender's window
// when one of its own messages comes back.
func seed(ctx context.Context, h *hearthTarget, total, sockets, window int) error {
	clients, err := dialAll(h, sockets)
	if err != nil {
		return err
	}
	defer closeAll(clients)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2*sockets)
	for _, c := range clients {
		ws := c.(*hearthClient).ws
		slots := make(chan struct{}, window)
		var mu sync.Mutex
		mine := map[string]bool{} // client_ids in flight
		done := make(chan struct{})
		wg.Add(2)
		go func() { // reader
			defer wg.Done()
			var buf bytes.Buffer
			for {
				data, err := readFrame(ws, &buf)
				if err != nil {
					select {
					case <-done:
					default:
						errs <- err
					}
					return
				}
				if _, rest, ok := bytes.Cut(data, []byte(`"client_id":"`)); ok {
					if cid, _, ok := bytes.Cut(rest, []byte(`"`)); ok {
						mu.Lock()
						if mine[string(cid)] {
							delete(mine, string(cid))
							<-slots
						}
						mu.Unlock()
					}
				}
			}
		}()
		go func() { // sender
			defer wg.Done()
			defer func() {
				for range window { // wait for every acknowledgement
					select {
					case slots <- struct{}{}:
					case <-ctx.Done():
					}
				}
				close(done)
				ws.Close()
			}()
			for ctx.Err() == nil {
				n := next.Add(1)
				if n > int64(total) {
					return
				}
				slots <- struct{}{}
				cid := "c" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(n, 10)
				mu.Lock()
				mine[cid] = true
				mu.Unlock()
				frame := `{"type":"send","room":"general","body":"` + seedBody(n) + `","client_id":"` + cid + `"}`
				if err := ws.WriteMessage(1, []byte(frame)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
