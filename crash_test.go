// crash_test.go proves the durability promise on the real binary: clients
// send as fast as they are acknowledged while the server is killed with
// SIGKILL at a random moment, round after round on the same database. After
// each kill, every acknowledged message is stored exactly once, ids in each
// room strictly increase, every client gets back in with its old cookie,
// and resending what was not acknowledged stores each message exactly once.
// A last round stops the server with SIGTERM: close frames 1001, exit
// within 5 s, nothing acknowledged lost.
//
// HEARTH_CRASH_ROUNDS raises the number of SIGKILL rounds (default 10);
// HEARTH_CRASH_SEED fixes the random seed.

package main

import (
	"go.etcd.io/bbolt"

	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const (
	crashClients = 12
	crashWindow  = 4 // messages in flight per client
)

var crashRooms = []string{"general", "kitchen", "garden"}

// crashClient is one person typing fast. It remembers what the server
// acknowledged and what it sent without an acknowledgement.
type crashClient struct {
	user, cookie, room string
	seq                int
	acked              map[string]uint64 // client_id → id
	bodies             map[string]string // client_id → body
	unacked            []string          // sent (or about to be) without ack, in order
}

func (c *crashClient) nextMessage() string {
	c.seq++
	cid := fmt.Sprintf("%s-%d", c.user, c.seq)
	c.bodies[cid] = fmt.Sprintf("message %d from %s", c.seq, c.user)
	c.unacked = append(c.unacked, cid)
	return cid
}

// session dials the server with the old cookie, resends what is
// unacknowledged, then sends new messages with up to crashWindow in flight
// until the connection dies. acks counts acknowledgements across clients.
// It returns the error that ended the connection, or the dial refusal.
func (c *crashClient) session(wsURL string, acks, connected *atomic.Int64) (dialed bool, err error) {
	h := http.Header{"Cookie": {c.cookie}}
	ws, resp, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(wsURL, h)
	if err != nil {
		if resp != nil {
			return false, fmt.Errorf("dial refused with %d", resp.StatusCode)
		}
		return false, err
	}
	defer ws.Close()
	connected.Add(1)
	send := func(cid string) error {
		ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		return ws.WriteJSON(clientFrame{Type: "send", Room: c.room, Body: c.bodies[cid], ClientID: cid})
	}
	inFlight := 0
	for _, cid := range c.unacked {
		if err := send(cid); err != nil {
			return true, err
		}
		inFlight++
	}
	for {
		for inFlight < crashWindow {
			if err := send(c.nextMessage()); err != nil {
				return true, err
			}
			inFlight++
		}
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			return true, err
		}
		var f wireFrame
		if err := json.Unmarshal(data, &f); err != nil {
			return true, fmt.Errorf("bad frame %q: %v", data, err)
		}
		if f.Type == "error" {
			return true, fmt.Errorf("server refused %s: %s %s", f.ClientID, f.Code, f.Message)
		}
		if f.Type != "message" || f.User != c.user {
			continue
		}
		for i, cid := range c.unacked {
			if cid == f.ClientID {
				if f.Body != c.bodies[cid] || f.Room != c.room {
					return true, fmt.Errorf("ack for %s carries %q in %s", cid, f.Body, f.Room)
				}
				c.acked[cid] = f.ID
				c.unacked = append(c.unacked[:i], c.unacked[i+1:]...)
				inFlight--
				acks.Add(1)
				break
			}
		}
	}
}

// crashRun is the database and clients shared by the rounds.
type crashRun struct {
	t       *testing.T
	dir, db string
	clients []*crashClient
}

func newCrashRun(t *testing.T) *crashRun {
	r := &crashRun{t: t, dir: t.TempDir()}
	r.db = filepath.Join(r.dir, "hearth.db")
	st, err := openStore(r.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range crashRooms[1:] {
		if err := st.createRoom(room{Name: name, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range crashClients {
		u, _ := newUser(fmt.Sprintf("u%02d", i), "password-long", false)
		if err := st.createUser(u); err != nil {
			t.Fatal(err)
		}
		r.clients = append(r.clients, &crashClient{
			user: u.Name, room: crashRooms[i%len(crashRooms)],
			acked: map[string]uint64{}, bodies: map[string]string{},
		})
	}
	st.Close()
	return r
}

// start runs the binary on the run's database, with limits raised so the
// clients can send as fast as they are acknowledged.
func (r *crashRun) start() *serverProcess {
	return startBinary(r.t, r.dir, nil, "-db", r.db, "-msg-rate", "100000", "-msg-burst", "100000")
}

// login gives every client a session cookie, once.
func (r *crashRun) login(p *serverProcess) {
	for _, c := range r.clients {
		resp, err := http.Post(p.URL+"/api/login", "application/json",
			jsonBody(map[string]string{"username": c.user, "password": "password-long"}))
		if err != nil {
			r.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || len(resp.Cookies()) != 1 {
			r.t.Fatalf("login %s: %d", c.user, resp.StatusCode)
		}
		c.cookie = resp.Cookies()[0].Name + "=" + resp.Cookies()[0].Value
	}
}

// drive runs every client against p until stop is called, then returns each
// client's final error.
func (r *crashRun) drive(p *serverProcess, acks *atomic.Int64) (wait func() []error) {
	var connected, failed atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, len(r.clients))
	wsURL := "ws" + p.URL[len("http"):] + "/ws"
	for i, c := range r.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dialed, err := c.session(wsURL, acks, &connected)
			if !dialed {
				failed.Add(1)
				errs[i] = fmt.Errorf("%s could not reconnect with its old cookie: %w", c.user, err)
				return
			}
			errs[i] = err
		}()
	}
	wait = func() []error { wg.Wait(); return errs }
	// Every client is in before anything else happens: a kill must not
	// be mistaken for a refused reconnect.
	eventually(r.t, 10*time.Second, "every client connected", func() bool {
		return connected.Load()+failed.Load() == int64(len(r.clients))
	})
	if failed.Load() > 0 {
		for _, err := range wait() {
			if err != nil {
				r.t.Error(err)
			}
		}
		r.t.FailNow()
	}
	return wait
}

// check reads the stopped server's database and verifies every promise.
// It returns how many messages it checked.
func (r *crashRun) check(round string) int {
	r.t.Helper()
	st, err := openStore(r.db)
	if err != nil {
		r.t.Fatalf("%s: reopen after the stop: %v", round, err)
	}
	defer st.Close()
	type key struct{ user, cid string }
	stored := map[key]message{}
	total := 0
	for _, name := range crashRooms {
		var last uint64
		for {
			page, err := st.history(name, historyQuery{Forward: true, After: last, Limit: maxPageSize})
			if err != nil {
				r.t.Fatalf("%s: read %s: %v", round, name, err)
			}
			for _, m := range page {
				if m.ID <= last {
					r.t.Fatalf("%s: room %s: id %d after %d", round, name, m.ID, last)
				}
				last = m.ID
				k := key{m.User, m.ClientID}
				if prev, dup := stored[k]; dup {
					r.t.Fatalf("%s: %s's %s stored twice: ids %d and %d", round, m.User, m.ClientID, prev.ID, m.ID)
				}
				stored[k] = m
				total++
			}
			if len(page) < maxPageSize {
				break
			}
		}
	}
	// Every message stored is in the search index once the file is open
	// again: entries a kill kept from being written are written then.
	if err := st.db.View(func(tx *bbolt.Tx) error {
		index := tx.Bucket(bucketWords)
		for _, m := range stored {
			for _, w := range words(m.Body) {
				if !m.Deleted && index.Get(wordKey(w, &m)) == nil {
					r.t.Fatalf("%s: message %d of %s lacks its index entry for %q", round, m.ID, m.Room, w)
				}
			}
		}
		return nil
	}); err != nil {
		r.t.Fatal(err)
	}
	for _, c := range r.clients {
		for cid, id := range c.acked {
			m, ok := stored[key{c.user, cid}]
			if !ok {
				r.t.Fatalf("%s: acknowledged %s (id %d) is missing", round, cid, id)
			}
			if m.ID != id || m.Body != c.bodies[cid] || m.Room != c.room {
				r.t.Fatalf("%s: acknowledged %s was id %d %q, stored as %+v", round, cid, id, c.bodies[cid], m)
			}
		}
	}
	return total
}

func TestCrashKillNineLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary through SIGKILL rounds")
	}
	rounds := 10
	if n, err := strconv.Atoi(os.Getenv("HEARTH_CRASH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if n, err := strconv.ParseUint(os.Getenv("HEARTH_CRASH_SEED"), 10, 64); err == nil {
		seed = n
	}
	t.Logf("seed %d (HEARTH_CRASH_SEED to repeat), %d rounds", seed, rounds)
	rng := rand.New(rand.NewPCG(seed, seed))
	r := newCrashRun(t)

	var checked int
	for round := range rounds {
		p := r.start()
		if round == 0 {
			r.login(p)
		}
		var acks atomic.Int64
		wait := r.drive(p, &acks)
		// Kill after a random number of acknowledgements: a random moment
		// in the stream of commits, chosen by events rather than a timer.
		target := int64(20 + rng.IntN(400))
		eventually(t, 30*time.Second, "acknowledgements before the kill", func() bool { return acks.Load() >= target })
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		p.done <- nil // for the cleanup
		for _, err := range wait() {
			var ce *websocket.CloseError
			if err != nil && errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
				t.Fatalf("round %d: a killed server sent a close frame? %v", round, err)
			}
			if err != nil && !isConnectionDrop(err) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		checked = r.check(fmt.Sprintf("round %d (killed after %d acks)", round, acks.Load()))
	}

	// After the last kill: everyone reconnects with the old cookie and
	// resends what was never acknowledged; then SIGTERM.
	p := r.start()
	var acks atomic.Int64
	wait := r.drive(p, &acks)
	eventually(t, 30*time.Second, "the resends acknowledged", func() bool {
		return acks.Load() >= int64(crashClients*crashWindow*2)
	})
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, err := range wait() {
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("%s: after SIGTERM got %v, want close 1001", r.clients[i].user, err)
		}
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
		p.done <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after SIGTERM")
	}
	took := time.Since(start)
	checked = r.check("after SIGTERM")
	// Every message ever sent is now stored exactly once: what was not
	// acknowledged before a kill was resent and acknowledged since,
	// except what was in flight at the SIGTERM.
	inFlight := 0
	for _, c := range r.clients {
		inFlight += len(c.unacked)
	}
	if inFlight > crashClients*crashWindow {
		t.Errorf("%d messages unacknowledged at the end, want at most %d in flight", inFlight, crashClients*crashWindow)
	}
	acked := 0
	for _, c := range r.clients {
		acked += len(c.acked)
	}
	t.Logf("%d SIGKILL rounds survived; %d messages stored and checked (%d acknowledged); SIGTERM exit in %v",
		rounds, checked, acked, took.Round(time.Millisecond))
}

// isConnectionDrop reports whether err is what a client sees when the
// server process dies under it.
func isConnectionDrop(err error) bool {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code == websocket.CloseAbnormalClosure
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED)
}
