// connect.go measures handshakes per second, every target running at
// once and dialled in turn a quarter-second at a time (scenarioConnect).

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

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
	// perServerCPU is handshakes per second of the server's own CPU: what
	// a server whose clients are other machines (phones, laptops) could
	// do, where here the clients take their CPU from the same two cores.
	perServerCPU := map[string][]float64{}
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
			if tl.done > 0 && tl.serverCPU > 0 {
				perServerCPU[t.Name()] = append(perServerCPU[t.Name()], float64(tl.done)/tl.serverCPU.Seconds())
			}
		}
	}
	report("connect", values, "handshakes/s", "higher")
	reportPaired("connect", "", values)
	reportPaired("connect", "per CPU-second of the server's own", perServerCPU)
	return nil
}

// reportPaired prints, for rounds whose targets ran interleaved, the ratio
// of Hearth's value to each other target's within each round, and their
// median: a round's targets saw the same machine, so its ratio is the
// measurement, and the drift between rounds cancels out of it.
// what, when given, says what the values are.
func reportPaired(scenario, what string, values map[string][]float64) {
	h, ok := values["hearth"]
	if !ok {
		return
	}
	if what != "" {
		what = ", " + what
	}
	line := fmt.Sprintf("%-8s %-8s median of per-round ratios%s (lowest-highest):", scenario, "hearth", what)
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
