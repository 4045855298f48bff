// scenarios.go runs each scenario against each target and prints one line
// of figures per target, with ratios against the others.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
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

// startTarget starts a fresh server of the named kind. sessions is how many
// logins Hearth's clients share (browser tabs share a cookie, and logins
// cost a bcrypt hash each).
func startTarget(name string, bins binaries, cfg config, sessions int) (target, error) {
	switch name {
	case "hearth":
		return startHearth(bins, cfg, sessions)
	case "base": // the same, from the -baseline binary
		b := bins
		b.hearth = bins.base
		h, err := startHearth(b, cfg, sessions)
		if err != nil {
			return nil, err
		}
		h.name = "base"
		return h, nil
	case "gorilla":
		return startGorilla(bins, cfg)
	case "tcp":
		return startTCP(bins, cfg)
	}
	return nil, fmt.Errorf("unknown target %q", name)
}

// localAddrs spreads client sockets over 127.0.0.0/8, so tens of thousands
// of short connections do not run out of ephemeral ports.
var localAddrNext atomic.Uint32

func localDialer() *net.Dialer {
	n := localAddrNext.Add(1)
	return &net.Dialer{Timeout: 30 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, byte(n/250%250), byte(1+n%250))}}
}

func init() {
	dialer.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return localDialer().DialContext(ctx, network, addr)
	}
}

// dialAll opens n clients, 16 at a time.
func dialAll(t target, n int) ([]client, error) {
	clients := make([]client, n)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c, err := t.Dial()
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, fmt.Errorf("dial client %d: %w", i, err))
					mu.Unlock()
					continue
				}
				clients[i] = c
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		closeAll(clients)
		return nil, firstErr
	}
	return clients, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func closeAll(clients []client) {
	for _, c := range clients {
		if c != nil {
			c.Close()
		}
	}
}

// streamResult is what fanout and rate measure.
type streamResult struct {
	sent       int64
	deliveries int64 // while sending
	perSec     float64
	p50, p99   time.Duration
	p999       time.Duration
	dropped    int     // clients the server cut off
	missing    int64   // deliveries never made (rate)
	serverCPU  float64 // cores the server used while sending
}

// stream connects cfg.n clients; the first cfg.senders send. With rate 0
// each keeps cfg.window messages in flight (a slot frees when its own
// message comes back); otherwise they send rate messages per second in all.
func stream(ctx context.Context, t target, cfg config, rate int) (streamResult, error) {
	var res streamResult
	clients, err := dialAll(t, cfg.n)
	if err != nil {
		return res, err
	}
	n, nS := len(clients), cfg.senders
	counts := make([]atomic.Int64, n)
	lats := make([][]uint32, n) // microseconds; each written by its reader only
	windows := make([]chan struct{}, nS)
	for i := range windows {
		windows[i] = make(chan struct{}, cfg.window)
	}
	var closing atomic.Bool
	var dropped atomic.Int64
	var readers sync.WaitGroup
	for i, c := range clients {
		readers.Add(1)
		go func() {
			defer readers.Done()
			record := func(d delivery) {
				lats[i] = append(lats[i], uint32((time.Now().UnixNano()-d.sentNs)/1000))
				counts[i].Add(1)
				if d.sender == i && i < nS {
					select {
					case <-windows[i]:
					default:
					}
				}
			}
			for {
				if err := c.Read(record); err != nil {
					if !closing.Load() {
						dropped.Add(1)
					}
					return
				}
			}
		}()
	}

	runCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	start, cpu0 := time.Now(), cpuTime(t.PID())
	var senders sync.WaitGroup
	var sent atomic.Int64
	for i := range nS {
		senders.Add(1)
		go func() {
			defer senders.Done()
			var tick <-chan time.Time
			if rate > 0 {
				tk := time.NewTicker(time.Duration(nS) * time.Second / time.Duration(rate))
				defer tk.Stop()
				tick = tk.C
			}
			for seq := 0; ; seq++ {
				if rate > 0 {
					select {
					case <-tick:
					case <-runCtx.Done():
						return
					}
				} else {
					select {
					case windows[i] <- struct{}{}:
					case <-runCtx.Done():
						return
					}
				}
				if clients[i].Send(i, seq, time.Now().UnixNano()) != nil {
					return
				}
				sent.Add(1)
			}
		}()
	}
	senders.Wait()
	elapsed := time.Since(start)
	res.serverCPU = float64(cpuTime(t.PID())-cpu0) / float64(elapsed)
	for i := range counts {
		res.deliveries += counts[i].Load()
	}
	res.sent = sent.Load()
	res.perSec = float64(res.deliveries) / elapsed.Seconds()
	if rate > 0 {
		// Everyone should get everything: wait for stragglers, then count.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			res.missing = 0
			for i := range counts {
				res.missing += max(0, res.sent-counts[i].Load())
			}
			if res.missing == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	closing.Store(true)
	closeAll(clients)
	readers.Wait()
	res.dropped = int(dropped.Load())
	var all []uint32
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) > 0 {
		res.p50 = time.Duration(all[len(all)/2]) * time.Microsecond
		res.p99 = time.Duration(all[len(all)*99/100]) * time.Microsecond
		res.p999 = time.Duration(all[len(all)*999/1000]) * time.Microsecond
	}
	return res, nil
}

// forEachTarget runs fn against each chosen target, started fresh each
// time, for cfg.rounds rounds (the order of targets rotating each round, so
// none always runs first on a machine that others share). It prints each
// run's line as it comes and returns every run's value by target.
func forEachTarget(cfg config, bins binaries, scenario string, sessions int, fn func(t target) (string, float64, error)) (map[string][]float64, error) {
	values := map[string][]float64{}
	for round := range cfg.rounds {
		for i := range cfg.targets {
			name := cfg.targets[(i+round)%len(cfg.targets)]
			t, err := startTarget(name, bins, cfg, sessions)
			if err != nil {
				return nil, fmt.Errorf("start %s: %w", name, err)
			}
			line, v, err := fn(t)
			t.Stop()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if _, ok := t.(*hearthTarget); ok {
				line += hearthNote
			}
			fmt.Printf("%-8s %-8s %s\n", scenario, name, line)
			values[name] = append(values[name], v)
		}
	}
	return values, nil
}

// report prints the ratios of Hearth's median value over the others'
// medians (base first: before/after); unit says what the value is.
func report(scenario string, values map[string][]float64, unit, better string) {
	median := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	h, ok := values["hearth"]
	if !ok {
		return
	}
	line := fmt.Sprintf("%-8s %-8s ratio of medians over %d run(s), %s (%s is better):", scenario, "hearth", len(h), unit, better)
	for _, other := range []string{"base", "gorilla", "tcp"} {
		if v, ok := values[other]; ok && median(v) > 0 {
			line += fmt.Sprintf("  %.2f× %s", median(h)/median(v), other)
		} else if ok {
			line += fmt.Sprintf("  none: %s's is 0", other)
		}
	}
	fmt.Println(line + hearthNote)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func scenarioFanout(ctx context.Context, cfg config, bins binaries) error {
	values, err := forEachTarget(cfg, bins, "fanout", 100, func(t target) (string, float64, error) {
		r, err := stream(ctx, t, cfg, 0)
		if err != nil {
			return "", 0, err
		}
		return fmt.Sprintf("%9.0f deliveries/s  p50 %8s  p99 %8s  (%d clients, %d senders × %d in flight, %v; %d msgs; %d clients dropped; server used %.2f cores)",
			r.perSec, ms(r.p50), ms(r.p99), cfg.n, cfg.senders, cfg.window, cfg.duration, r.sent, r.dropped, r.serverCPU), r.perSec, nil
	})
	if err != nil {
		return err
	}
	report("fanout", values, "deliveries/s", "higher")
	return nil
}

func scenarioRate(ctx context.Context, cfg config, bins binaries) error {
	values, err := forEachTarget(cfg, bins, "rate", 100, func(t target) (string, float64, error) {
		r, err := stream(ctx, t, cfg, cfg.rate)
		if err != nil {
			return "", 0, err
		}
		line := fmt.Sprintf("p50 %8s  p99 %8s  p999 %8s  (%d msgs/s to %d clients, %v; %d sent, %d deliveries missing, %d clients dropped)",
			ms(r.p50), ms(r.p99), ms(r.p999), cfg.rate, cfg.n, cfg.duration, r.sent, r.missing, r.dropped)
		// Where Hearth's deliveries spent that time, stage by stage.
		if h, ok := t.(*hearthTarget); ok {
			stages, err := stageBreakdown(h.addr)
			if err != nil {
				stages = err.Error()
			}
			line += "\n                  stages: " + stages
		}
		return line, float64(r.p99), nil
	})
	if err != nil {
		return err
	}
	report("rate", values, "p99 latency", "lower")
	return nil
}

func scenarioIdle(ctx context.Context, cfg config, bins binaries) error {
	values, err := forEachTarget(cfg, bins, "idle", 200, func(t target) (string, float64, error) {
		time.Sleep(time.Second) // let start-up settle before the baseline
		before, err := rssBytes(t.PID())
		if err != nil {
			return "", 0, err
		}
		clients, err := dialAll(t, cfg.idleN)
		if err != nil {
			return "", 0, err
		}
		// Drain whatever the server says (Hearth's presence), as clients do.
		for _, c := range clients {
			go func() {
				for c.Read(func(delivery) {}) == nil {
				}
			}()
		}
		time.Sleep(cfg.idleSettle)
		after, err := rssBytes(t.PID())
		closeAll(clients)
		if err != nil {
			return "", 0, err
		}
		per := float64(after-before) / float64(cfg.idleN)
		return fmt.Sprintf("%6.1f KiB/connection  (RSS %.1f → %.1f MiB with %d idle sockets)",
			per/1024, float64(before)/(1<<20), float64(after)/(1<<20), cfg.idleN), per, nil
	})
	if err != nil {
		return err
	}
	report("idle", values, "RSS per connection", "lower")
	return nil
}

// scenarioConnect measures handshakes per second. Every target runs at
// once and the dialers move from one to the next every cfg.connectSlice,
// in a fresh random order each time (so no target always follows the
// same one and inherits its leftover work), until each has had
// cfg.connectDuration in a round: on a machine that others share, whose
// speed drifts by tens of percent within a minute, targets measured a
// quarter-second apart see the same machine, where targets measured one
// after the other for seconds do not. A server's CPU is counted over the
// whole round, so the work its slices leave behind (closing, GC) is its
// own; the clients' is counted per slice.
func scenarioConnect(ctx context.Context, cfg config, bins binaries) error {
	var targets []target
	defer func() {
		for _, t := range targets {
			t.Stop()
		}
	}()
	for _, name := range cfg.targets {
		t, err := startTarget(name, bins, cfg, 100)
		if err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		targets = append(targets, t)
	}
	slicesPerRound := max(1, int(cfg.connectDuration/cfg.connectSlice))
	rng := rand.New(rand.NewPCG(1, 2)) // the same orders every run
	values := map[string][]float64{}
	for range cfg.rounds {
		tallies := make([]connectTally, len(targets))
		for i, t := range targets {
			tallies[i].serverCPU = -cpuTime(t.PID())
		}
		for range slicesPerRound {
			for _, k := range rng.Perm(len(targets)) {
				tallies[k].add(dialFor(ctx, targets[k], cfg.connectSlice, cfg.connectWorkers))
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		for i, t := range targets {
			tallies[i].serverCPU += cpuTime(t.PID())
		}
		for i, t := range targets {
			tl := tallies[i]
			what := "upgrades"
			switch t.Name() {
			case "hearth", "base":
				what = "authenticated handshakes (cookie → session → upgrade → hello)"
			case "tcp":
				what = "TCP connects"
			}
			line := fmt.Sprintf("%7.0f/s %s  (%d workers, %v in %d slices, %d failed; server CPU %v each, clients' %v)",
				tl.perSec(), what, cfg.connectWorkers, tl.elapsed.Round(time.Millisecond), slicesPerRound, tl.failed, tl.per(tl.serverCPU), tl.per(tl.clientCPU))
			if _, ok := t.(*hearthTarget); ok {
				line += hearthNote
			}
			fmt.Printf("%-8s %-8s %s\n", "connect", t.Name(), line)
			values[t.Name()] = append(values[t.Name()], tl.perSec())
		}
	}
	report("connect", values, "handshakes/s", "higher")
	reportPaired("connect", values)
	return nil
}

// reportPaired prints, for rounds whose targets ran interleaved, the ratio
// of Hearth's value to each other target's within each round, and their
// median: a round's targets saw the same machine, so its ratio is the
// measurement, and the drift between rounds cancels out of it.
func reportPaired(scenario string, values map[string][]float64) {
	h, ok := values["hearth"]
	if !ok {
		return
	}
	line := fmt.Sprintf("%-8s %-8s median of per-round ratios (lowest-highest):", scenario, "hearth")
	for _, other := range []string{"base", "gorilla", "tcp"} {
		v, ok := values[other]
		if !ok {
			continue
		}
		var ratios []float64
		for i := range min(len(h), len(v)) {
			if v[i] > 0 {
				ratios = append(ratios, h[i]/v[i])
			}
		}
		if len(ratios) == 0 {
			continue
		}
		slices.Sort(ratios)
		line += fmt.Sprintf("  %.2f× %s (%.2f-%.2f over %d)", ratios[len(ratios)/2], other, ratios[0], ratios[len(ratios)-1], len(ratios))
	}
	fmt.Println(line + hearthNote)
}

// connectTally adds up one target's slices of a connect round.
type connectTally struct {
	done, failed         int64
	elapsed              time.Duration
	serverCPU, clientCPU time.Duration
}

func (a *connectTally) add(b connectTally) {
	a.done += b.done
	a.failed += b.failed
	a.elapsed += b.elapsed
	a.clientCPU += b.clientCPU
}

func (a connectTally) perSec() float64 { return float64(a.done) / a.elapsed.Seconds() }

func (a connectTally) per(cpu time.Duration) time.Duration {
	return cpu / time.Duration(max(1, a.done))
}

// dialFor opens and closes connections to t from workers dialers for d. The
// clients' CPU is the load tool's own: on a machine the servers share with
// it, a target whose clients work harder (reading a hello, say) gets fewer
// handshakes for that too. The server's is left to the caller.
func dialFor(ctx context.Context, t target, d time.Duration, workers int) connectTally {
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	start, self0 := time.Now(), cpuTime(os.Getpid())
	for range workers {
		wg.Go(func() {
			for runCtx.Err() == nil {
				c, err := t.Dial()
				if err != nil {
					failed.Add(1)
					continue
				}
				c.Close()
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return connectTally{
		done:      done.Load(),
		failed:    failed.Load(),
		elapsed:   time.Since(start),
		clientCPU: cpuTime(os.Getpid()) - self0,
	}
}

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
