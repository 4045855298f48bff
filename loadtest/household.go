// household.go owns the two scenarios that measure Hearth as a household
// runs it, on one small machine: household (a family's evening on 150
// sockets, with photos and sockets that drop and catch up) and idlecost
// (what idle sockets cost in CPU and wakeups). Both start every server
// pinned to one core (cfg.pinned). What /proc says of a server is read in
// proc.go; how a server is started is decided in targets.go.

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// householdConfig is what the -household-* flags choose.
type householdConfig struct {
	duration        time.Duration
	people, sockets int
	strace          bool
}

// A family's evening. Every random choice comes from generators with
// fixed seeds, so every target and every run plays the same evening.
const (
	householdSeed = 16 // issue 16

	burstGapMin, burstGapMax = 8 * time.Second, 15 * time.Second // from one burst to the next
	burstMin, burstMax       = 2, 6                              // messages in a burst, from one person
	burstSpacing             = 300 * time.Millisecond            // between a burst's messages

	photoFirst = 15 * time.Second // early, so that a short run has a photo too
	photoEvery = time.Minute

	reconnectMin, reconnectMax = 25 * time.Second, 35 * time.Second // from one round of reconnects to the next
	reconnectSockets           = 5                                  // sockets that leave in a round
	awayMin, awayMax           = 2 * time.Second, 10 * time.Second  // a screen off, a lid shut

	// A 12-megapixel phone photo. Hearth thumbnails it before the message
	// commits (photos.go), which is part of what is measured.
	photoWidth, photoHeight = 4000, 3000

	householdSettle = 2 * time.Second // after dialling, before measuring
)

// scenarioHousehold plays the household's evening against each target.
//
// Each person has three sockets: a phone, a laptop and an idle tab in the
// laptop's browser. The phone and the laptop log in on their own (two
// sessions a person, as two devices do); the tab shares the laptop's
// cookie, as tabs do. Logins cost a bcrypt hash each, before measuring.
// Sockets [0, people) send (one each, the device a person types on); the
// others drop and reconnect. Hearth alone gets photos and catch-ups: the
// gorilla example has no files, no history and no accounts, so its line is
// the fan-out of the same messages only.
func scenarioHousehold(ctx context.Context, cfg config, bins binaries) error {
	hc := cfg.household
	if hc.people < 1 || hc.sockets < hc.people {
		return fmt.Errorf("-household-sockets (%d) must be at least -household-people (%d), and that at least 1", hc.sockets, hc.people)
	}
	if hc.strace {
		if _, err := exec.LookPath("strace"); err != nil {
			return fmt.Errorf("-household-strace: %w (apt-get install strace)", err)
		}
	}
	photo, err := phonePhoto(photoWidth, photoHeight)
	if err != nil {
		return err
	}
	cfg.pinned = true
	cfg.users = hc.people
	values, err := forEachTarget(cfg, bins, "household", 2*hc.people, func(t target) (string, float64, error) {
		return householdEvening(ctx, cfg, t, photo)
	})
	if err != nil {
		return err
	}
	report("household", values, "p99 delivery latency (Hearth's with photos and catch-ups beside)", "lower")
	return nil
}

// householdSocket is one of the household's sockets. Its goroutine (run)
// is its only reader and the only one that redials; the schedule sends on
// it (a sender never leaves) or makes it leave (a leaver never sends).
type householdSocket struct {
	mu     sync.Mutex
	c      client        // guarded by mu: replaced by run after leaving, closed by leave and shut
	away   time.Duration // guarded by mu: set by leave, how long run waits before redialling
	closed bool          // guarded by mu: set by shut; run must not redial after it

	lats []uint32 // delivery latencies in µs; written by run only, read after it returns
}

func (s *householdSocket) client() client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// leave closes the socket; run redials after away.
func (s *householdSocket) leave(away time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.away = away
		s.c.Close()
	}
}

// shut closes the socket for good.
func (s *householdSocket) shut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.c.Close()
}

// catchUps collects reconnects: from redial to the missed messages read.
type catchUps struct {
	mu      sync.Mutex
	took    []time.Duration // guarded by mu
	fetched int             // guarded by mu: messages the catch-ups returned
	err     error           // guarded by mu: the first failure
}

func (cu *catchUps) add(took time.Duration, fetched int, err error) {
	cu.mu.Lock()
	defer cu.mu.Unlock()
	if err != nil {
		cu.err = cmpOr(cu.err, err)
		return
	}
	cu.took = append(cu.took, took)
	cu.fetched += fetched
}

// run reads the socket until shut, recording each message's latency. When
// the socket was made to leave, it waits, redials and (Hearth) fetches
// what it missed, timing the two together. stop ends a wait early.
func (s *householdSocket) run(t target, h *hearthTarget, stop <-chan struct{}, dropped *atomic.Int64, cu *catchUps) {
	var lastID uint64
	record := func(d delivery) {
		s.lats = append(s.lats, uint32((time.Now().UnixNano()-d.sentNs)/1000))
		lastID = max(lastID, d.id)
	}
	for {
		c := s.client()
		if c.Read(record) == nil {
			continue
		}
		s.mu.Lock()
		closed, away := s.closed, s.away
		s.away = 0
		s.mu.Unlock()
		if closed {
			return
		}
		if away == 0 { // the server cut it off
			dropped.Add(1)
			return
		}
		select {
		case <-time.After(away):
		case <-stop:
			return
		}
		t0 := time.Now()
		c, err := t.Dial()
		if err != nil {
			cu.add(0, 0, fmt.Errorf("redial: %w", err))
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.c = c
		s.mu.Unlock()
		if h == nil {
			continue
		}
		last, n, err := h.catchUp(lastID)
		cu.add(time.Since(t0), n, err)
		lastID = max(lastID, last)
	}
}

// householdEvening plays the evening against t for cfg.household.duration
// and returns its line and its p99 delivery latency.
func householdEvening(ctx context.Context, cfg config, t target, photo []byte) (string, float64, error) {
	hc := cfg.household
	h, _ := t.(*hearthTarget) // nil: no photos, no catch-ups
	clients, err := dialAll(t, hc.sockets)
	if err != nil {
		return "", 0, err
	}
	socks := make([]*householdSocket, len(clients))
	stop := make(chan struct{})
	var dropped atomic.Int64
	var cu catchUps
	var readers sync.WaitGroup
	for i, c := range clients {
		socks[i] = &householdSocket{c: c}
		readers.Add(1)
		go func() {
			defer readers.Done()
			socks[i].run(t, h, stop, &dropped, &cu)
		}()
	}
	shutAll := func() {
		close(stop)
		for _, s := range socks {
			s.shut()
		}
		readers.Wait()
	}
	time.Sleep(householdSettle) // the dialling's work done before the baseline

	pid := t.PID()
	before, err := takeSample(pid, h)
	if err != nil {
		shutAll()
		return "", 0, err
	}
	var strace *fsyncCounter
	if hc.strace && h != nil {
		if strace, err = countFsyncs(cfg.workDir, pid); err != nil {
			shutAll()
			return "", 0, err
		}
	}
	runCtx, cancel := context.WithTimeout(ctx, hc.duration)
	defer cancel()
	var rss rssPeak
	var sent, bursts int
	var photos photoLog
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); rss.sample(runCtx, pid) }()
	go func() { defer wg.Done(); sent, bursts = sendBursts(runCtx, socks[:hc.people]) }()
	if h != nil {
		wg.Add(2)
		go func() { defer wg.Done(); photos = h.postPhotos(runCtx, photo) }()
		go func() { defer wg.Done(); leaveAndReturn(runCtx, socks[hc.people:]) }()
	}
	wg.Wait()
	time.Sleep(time.Second) // the last burst's deliveries
	after, err := takeSample(pid, h)
	rss.add(pid)
	var fsyncs int64 = -1
	if strace != nil {
		var serr error
		if fsyncs, serr = strace.stop(); serr != nil {
			err = cmpOr(err, serr)
		}
	}
	shutAll()
	if err != nil {
		return "", 0, err
	}
	if cu.err != nil {
		return "", 0, fmt.Errorf("catch-up: %w", cu.err)
	}

	var all []uint32
	for _, s := range socks {
		all = append(all, s.lats...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		return "", 0, errors.New("no message was delivered")
	}
	p50 := time.Duration(all[len(all)/2]) * time.Microsecond
	p99 := time.Duration(all[len(all)*99/100]) * time.Microsecond
	elapsed := after.at.Sub(before.at)
	cpu := float64(after.cpu-before.cpu) / float64(elapsed) * 100

	line := fmt.Sprintf("p50 %s  p99 %s  CPU %.2f%% of one core  RSS peak %.1f MiB, end %.1f MiB  (%d people on %d sockets, %v: %d msgs in %d bursts, %d live deliveries, %d sockets dropped)",
		ms(p50), ms(p99), cpu, float64(rss.peak)/(1<<20), float64(rss.last)/(1<<20),
		hc.people, hc.sockets, hc.duration, sent, bursts, len(all), dropped.Load())
	// The messages' share of the writes is the whole run's less what was
	// written while a photo was being uploaded (which includes any message
	// committed meanwhile: a burst and a photo seldom meet).
	msgIO := after.io.sub(before.io).sub(photos.io)
	perMsg := func(n int64) float64 { return float64(n) / float64(max(1, sent)) }
	line += fmt.Sprintf("  per message: %.1f KiB to disk (write_bytes), %.1f KiB and %.1f write calls in all (sockets included)",
		perMsg(msgIO.writeBytes)/1024, perMsg(msgIO.wchar)/1024, perMsg(msgIO.syscw))
	if h != nil {
		commits := after.commits - before.commits
		if fsyncs >= 0 {
			line += fmt.Sprintf(", %.2f fsyncs (strace: %d fsync+fdatasync calls in the run, photos' included; %d commits)",
				perMsg(fsyncs), fsyncs, commits)
		} else {
			// bbolt's Tx.Commit calls fdatasync after writing the dirty
			// pages and again after the meta page (tx.go), unless NoSync.
			line += fmt.Sprintf(", %.2f commits = %.2f fdatasyncs (%d commits by the committer, two fdatasyncs each in bbolt; an upload's own transactions not counted)",
				perMsg(commits), 2*perMsg(commits), commits)
		}
		line += "  " + photos.String() + "  " + cu.String()
	}
	return line, float64(p99), nil
}

// sendBursts sends the evening's messages until ctx is done: every 8-15 s
// one person sends 2-6 messages 0.3 s apart. It returns how many messages
// and bursts it sent.
func sendBursts(ctx context.Context, senders []*householdSocket) (sent, bursts int) {
	rng := rand.New(rand.NewPCG(householdSeed, 1))
	for seq := 0; sleepCtx(ctx, between(rng, burstGapMin, burstGapMax)); bursts++ {
		who := rng.IntN(len(senders))
		for n := burstMin + rng.IntN(burstMax-burstMin+1); n > 0; n-- {
			if senders[who].client().Send(who, seq, time.Now().UnixNano()) == nil {
				sent++
				seq++
			}
			if n > 1 && !sleepCtx(ctx, burstSpacing) {
				return sent, bursts + 1
			}
		}
	}
	return sent, bursts
}

// leaveAndReturn makes a few sockets leave every ~30 s, each for 2-10 s,
// until ctx is done; their goroutines redial and catch up.
func leaveAndReturn(ctx context.Context, leavers []*householdSocket) {
	rng := rand.New(rand.NewPCG(householdSeed, 2))
	for sleepCtx(ctx, between(rng, reconnectMin, reconnectMax)) {
		for _, i := range rng.Perm(len(leavers))[:min(reconnectSockets, len(leavers))] {
			leavers[i].leave(between(rng, awayMin, awayMax))
		}
	}
}

// between is a random duration in [lo, hi).
func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}

// sleepCtx sleeps for d, reporting false if ctx was done first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// catchUp fetches the messages after id, a page of 200 at a time, as the
// client does after a reconnect (or the newest page, if the socket had
// seen none). It returns the last id it read and how many messages it got.
func (h *hearthTarget) catchUp(id uint64) (last uint64, n int, err error) {
	last = id
	for {
		path := "/api/rooms/general/messages?limit=50"
		if last > 0 {
			path = fmt.Sprintf("/api/rooms/general/messages?after=%d&limit=200", last)
		}
		req, _ := http.NewRequest("GET", "http://"+h.addr+path, nil)
		req.Header.Set("Cookie", h.cookie())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return last, n, err
		}
		var page struct {
			Messages []struct {
				ID uint64 `json:"id"`
			} `json:"messages"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil {
			return last, n, fmt.Errorf("GET %s: status %d, %v", path, resp.StatusCode, err)
		}
		for _, m := range page.Messages {
			last = max(last, m.ID)
		}
		n += len(page.Messages)
		if id == 0 || len(page.Messages) < 200 {
			return last, n, nil
		}
	}
}

func (cu *catchUps) String() string {
	if len(cu.took) == 0 {
		return "no reconnects"
	}
	slices.Sort(cu.took)
	return fmt.Sprintf("%d reconnects: redial + catch-up p50 %s, max %s, %d messages caught up",
		len(cu.took), ms(cu.took[len(cu.took)/2]), ms(cu.took[len(cu.took)-1]), cu.fetched)
}

// --- photos ---

// photoLog is what uploading the photos took and wrote.
type photoLog struct {
	took []time.Duration
	size int
	io   procIO // written while an upload was under way
	err  error  // the first failure
}

func (p photoLog) String() string {
	if p.err != nil {
		return "photos: " + p.err.Error()
	}
	if len(p.took) == 0 {
		return "no photos"
	}
	slices.Sort(p.took)
	return fmt.Sprintf("%d photos of %.1f MiB: upload p50 %s, max %s, %.1f MiB to disk and %.0f write calls each",
		len(p.took), float64(p.size)/(1<<20), ms(p.took[len(p.took)/2]), ms(p.took[len(p.took)-1]),
		float64(p.io.writeBytes)/float64(len(p.took))/(1<<20), float64(p.io.syscw)/float64(len(p.took)))
}

// postPhotos uploads photo at photoFirst and then every photoEvery until
// ctx is done, reading the server's writes around each upload.
func (h *hearthTarget) postPhotos(ctx context.Context, photo []byte) photoLog {
	pl := photoLog{size: len(photo)}
	start := time.Now()
	for i := 0; sleepCtx(ctx, time.Until(start.Add(photoFirst+time.Duration(i)*photoEvery))); i++ {
		io0, err := readIO(h.PID())
		if err != nil {
			pl.err = err
			return pl
		}
		t0 := time.Now()
		if err := h.postPhoto(photo, i); err != nil {
			pl.err = err
			return pl
		}
		pl.took = append(pl.took, time.Since(t0))
		io1, err := readIO(h.PID())
		if err != nil {
			pl.err = err
			return pl
		}
		pl.io = pl.io.add(io1.sub(io0))
	}
	return pl
}

// postPhoto uploads photo to the room as the web client does
// (assets/js/uploads.js): the file itself as the body, no multipart, its
// name and a client_id in the query, with the session cookie. A browser
// sends Origin and Sec-Fetch-Site with it, which is what
// http.CrossOriginProtection checks on a POST.
func (h *hearthTarget) postPhoto(photo []byte, i int) error {
	url := fmt.Sprintf("http://%s/api/rooms/general/files?name=IMG_%04d.jpg&client_id=p%s-%d",
		h.addr, i+1, strconv.FormatInt(time.Now().UnixNano(), 36), i)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(photo))
	req.Header.Set("Content-Type", "image/jpeg")
	req.Header.Set("Cookie", h.cookie())
	req.Header.Set("Origin", "http://"+h.addr)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("upload a photo: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("upload a photo: status %d: %.200s", resp.StatusCode, body)
	}
	return nil
}

// phonePhoto makes a JPEG of a phone photo's size: a gradient under fine
// noise, which JPEG compresses about as badly as a real scene, so 12
// megapixels come out at about 2.6 MB, as a phone's photo does.
func phonePhoto(w, h int) ([]byte, error) {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(householdSeed, 3))
	for y := range h {
		row := img.Y[y*img.YStride:]
		for x := range w {
			row[x] = uint8(40 + x*120/w + y*60/h + rng.IntN(16))
		}
	}
	for y := range h / 2 {
		for x := range w / 2 {
			img.Cb[y*img.CStride+x] = uint8(100 + x*50/w)
			img.Cr[y*img.CStride+x] = uint8(140 - y*40/h)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("make a photo: %w", err)
	}
	return buf.Bytes(), nil
}

// --- what the evening cost ---

// sample is a server's counters at one moment.
type sample struct {
	at      time.Time
	cpu     time.Duration
	io      procIO
	commits int64 // Hearth's committer's commits; 0 for other targets
}

func takeSample(pid int, h *hearthTarget) (sample, error) {
	s := sample{at: time.Now(), cpu: cpuTime(pid)}
	var err error
	if s.io, err = readIO(pid); err != nil {
		return s, err
	}
	if h != nil {
		s.commits, err = h.commits()
	}
	return s, err
}

// commits reads from Hearth's /metrics how many transactions its committer
// has committed (the count of the hearth_commit_seconds histogram). The
// load tool asks over loopback, which /metrics answers without a session.
func (h *hearthTarget) commits() (int64, error) {
	resp, err := http.Get("http://" + h.addr + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "hearth_commit_seconds_count "); ok {
			return strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
		}
	}
	return 0, fmt.Errorf("read /metrics: status %d, no hearth_commit_seconds_count", resp.StatusCode)
}

// --- idle cost ---

// scenarioIdleCost holds cfg.idleCostN idle sockets on each target for
// cfg.idleCostDuration and reports the CPU the server used and how often
// its threads woke: an appliance should be near zero.
func scenarioIdleCost(ctx context.Context, cfg config, bins binaries) error {
	cfg.pinned = true
	values, err := forEachTarget(cfg, bins, "idlecost", 50, func(t target) (string, float64, error) {
		clients, err := dialAll(t, cfg.idleCostN)
		if err != nil {
			return "", 0, err
		}
		defer closeAll(clients)
		// Drain whatever the server says (Hearth's presence), as clients do.
		for _, c := range clients {
			go func() {
				for c.Read(func(delivery) {}) == nil {
				}
			}()
		}
		time.Sleep(householdSettle)
		pid := t.PID()
		t0, cpu0 := time.Now(), cpuTime(pid)
		tasks0, err := readTasks(pid)
		if err != nil {
			return "", 0, err
		}
		if !sleepCtx(ctx, cfg.idleCostDuration) {
			return "", 0, ctx.Err()
		}
		tasks1, err := readTasks(pid)
		if err != nil {
			return "", 0, err
		}
		elapsed, cpu := time.Since(t0), cpuTime(pid)-cpu0
		d, gone := taskDelta(tasks0, tasks1)
		wakeups := float64(d.runs) / elapsed.Seconds()
		// cpuTime counts in ticks of 10 ms, too coarse for an idle
		// server; schedstat's nanoseconds are the figure, ticks a check.
		line := fmt.Sprintf("%7.1f wakeups/s  %.1f context switches/s  CPU %.1f ms in %v = %.4f%% of one core (%v in ticks)  (%d idle sockets; threads %d → %d, %d gone in between)",
			wakeups, float64(d.switches)/elapsed.Seconds(), float64(d.cpu)/float64(time.Millisecond), cfg.idleCostDuration,
			float64(d.cpu)/float64(elapsed)*100, cpu, cfg.idleCostN, len(tasks0), len(tasks1), gone)
		return line, wakeups, nil
	})
	if err != nil {
		return err
	}
	report("idlecost", values, "wakeups/s", "lower")
	return nil
}
