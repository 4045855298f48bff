// scenarios.go holds what every scenario shares (starting targets,
// dialing clients, rounds in rotating order, the ratios printed after) and
// the streaming scenarios: fanout, rate and idle. connect.go, history.go
// and household.go have the others.

package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
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
