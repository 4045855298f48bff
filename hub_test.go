// hub_test.go tests who hears what: presence (joined, back, left, the
// grace, second devices), and sockets closed when their session ends.

package main

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestPresenceJoinedBackLeft(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	isPresence := func(user, event string) func(wireFrame) bool {
		return func(f wireFrame) bool {
			return f.Type == "presence" && f.User == user && f.Event == event && f.Room == "general"
		}
	}
	sb := bob.dial()
	if f := sa.expect(isPresence("bob", "joined")); fmt.Sprint(f.Online) != "[ann bob]" {
		t.Errorf("online = %v, want [ann bob]", f.Online)
	}
	// A second device of bob's is not news.
	sb2 := bob.dial()
	sb2.ws.Close()
	sb.ws.Close()
	if f := sa.expect(isPresence("bob", "left")); fmt.Sprint(f.Online) != "[ann]" {
		t.Errorf("online after left = %v, want [ann]", f.Online)
	}
	// Returning: "bob is back", not joined.
	bob.dial()
	f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" })
	if f.Event != "back" {
		t.Errorf("returning user event = %q, want back", f.Event)
	}
}

// Each hello lists who is online as things are when it is sent: the list
// is kept encoded between changes, and every coming and going changes it.
func TestHelloSaysWhoIsOnline(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob, cy := ts.loggedIn("ann"), ts.loggedIn("bob"), ts.loggedIn("cy")
	steps := []struct {
		do   func() *socket
		want string
	}{
		{func() *socket { return ann.dial() }, "[ann]"},
		{func() *socket { return bob.dial() }, "[ann bob]"},
		{func() *socket { return bob.dial() }, "[ann bob]"}, // a second device
		{func() *socket { return cy.dial() }, "[ann bob cy]"},
	}
	var bobs []*socket
	for i, step := range steps {
		s := step.do()
		if got := fmt.Sprint(s.hello.Online); got != step.want {
			t.Errorf("step %d: hello online = %s, want %s", i, got, step.want)
		}
		if s.hello.User == "bob" {
			bobs = append(bobs, s)
		}
	}
	watcher := ann.dial()
	for _, s := range bobs {
		s.ws.Close()
	}
	watcher.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" && f.Event == "left" })
	if s := cy.dial(); fmt.Sprint(s.hello.Online) != "[ann cy]" {
		t.Errorf("after bob left, hello online = %v, want [ann cy]", s.hello.Online)
	}
	s := bob.dial()
	if fmt.Sprint(s.hello.Online) != "[ann bob cy]" || s.hello.User != "bob" || s.hello.Admin || fmt.Sprint(s.hello.Rooms) != "[general]" {
		t.Errorf("bob's hello after coming back = %+v", s.hello)
	}
}

// A logout is not a reload: "left" comes at once, not after the grace,
// unless another device of the user is still connected.
func TestLogoutAnnouncesLeftAtOnce(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.PresenceGrace = time.Hour })
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	bob.dial()
	sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" && f.Event == "joined" })

	// bob on a second device logs out: he is still on the first.
	phone := ts.newClient()
	phone.do("POST", "/api/login", map[string]string{"username": "bob", "password": "password-bob"}, nil)
	phone.dial()
	if status, _ := phone.do("POST", "/api/logout", nil, nil); status != http.StatusNoContent {
		t.Fatalf("logout: %d", status)
	}
	sa.say("general", "marker", "c-m")
	if f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" || f.ClientID == "c-m" }); f.Type == "presence" {
		t.Fatalf("logging out one of two devices was announced: %+v", f)
	}

	if status, _ := bob.do("POST", "/api/logout", nil, nil); status != http.StatusNoContent {
		t.Fatalf("logout: %d", status)
	}
	if f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" }); f.Event != "left" || fmt.Sprint(f.Online) != "[ann]" {
		t.Errorf("after bob's logout: %+v, want left with [ann] online (the grace is an hour)", f)
	}
}

func TestSecondDeviceIsNotAnnounced(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	bob.dial()
	sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" })
	bob.dial() // same user, second socket
	sa.say("general", "marker", "c-m")
	// The next frame after the second socket is the marker, not a presence.
	f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" || f.ClientID == "c-m" })
	if f.Type == "presence" {
		t.Errorf("second device announced: %+v", f)
	}
}

func TestLogoutClosesItsSocketsWithinASecond(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	s1, s2 := ann.dial(), ann.dial()
	// Another session of ann's stays open.
	other := ts.newClient()
	other.do("POST", "/api/login", map[string]string{"username": "ann", "password": "password-ann"}, nil)
	s3 := other.dial()

	if status, _ := ann.do("POST", "/api/logout", nil, nil); status != http.StatusNoContent {
		t.Fatalf("logout status %d", status)
	}
	for _, s := range []*socket{s1, s2} {
		if code := s.closed(time.Second); code != closeSessionEnded {
			t.Errorf("close code = %d, want %d", code, closeSessionEnded)
		}
	}
	s3.say("general", "still here", "c-1")
	s3.ack("c-1")
	if status, _ := ann.do("GET", "/api/me", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("/api/me after logout = %d, want 401", status)
	}
}

func TestRevokeClosesThatDevicesSockets(t *testing.T) {
	ts := newTestServer(t, nil)
	phone := ts.loggedIn("ann")
	ps := phone.dial()
	revokeAll(t, ts, "ann")
	if code := ps.closed(time.Second); code != closeSessionEnded {
		t.Errorf("close code = %d, want %d", code, closeSessionEnded)
	}
}

func TestPresenceWithManyRoomsTakesOneQueueSlot(t *testing.T) {
	ts := newTestServer(t, nil)
	for i := range 400 {
		if err := ts.store().createRoom(room{Name: fmt.Sprintf("room-%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	ts.restart() // the hub loads the rooms at start
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	// ann reads as any client does, while bob comes and goes: each time,
	// 400 presence frames head her way.
	got := make(chan error, 1)
	go func() {
		for {
			f, err := sa.next()
			if err != nil {
				got <- err
				return
			}
			if f.Type == "message" && f.ClientID == "c-1" {
				got <- nil
				return
			}
		}
	}()
	for range 40 {
		sb := bob.dial()
		sb.ws.Close()
	}
	other := ts.loggedIn("cy").dial()
	other.say("general", "are you there?", "c-1")
	other.ack("c-1")
	if err := <-got; err != nil {
		t.Fatalf("ann was dropped: %v", err)
	}
}

func TestReloginClosesTheReplacedSessionsSockets(t *testing.T) {
	ts := newTestServer(t, nil)
	c := ts.loggedIn("ann")
	old := c.dial()
	if status, _ := c.do("POST", "/api/login", map[string]string{"username": "ann", "password": "password-ann"}, nil); status != 200 {
		t.Fatal("re-login failed")
	}
	if code := old.closed(time.Second); code != closeSessionEnded {
		t.Errorf("socket of the replaced session: close %d, want %d", code, closeSessionEnded)
	}
}

func TestQuickReconnectIsNotAnnounced(t *testing.T) {
	// A grace no reload outlasts: when "left" is due is the next test's.
	ts := newTestServer(t, func(c *config) { c.PresenceGrace = time.Hour })
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	sa := ann.dial()
	sb := bob.dial()
	sa.expect(func(f wireFrame) bool { return f.Type == "presence" && f.User == "bob" && f.Event == "joined" })
	// bob reloads the page: gone and back within the grace.
	sb.ws.Close()
	bob.dial()
	sa.say("general", "marker", "c-m")
	if f := sa.expect(func(f wireFrame) bool { return f.Type == "presence" || f.ClientID == "c-m" }); f.Type == "presence" {
		t.Fatalf("a reload was announced: %+v", f)
	}
}

// A phone that drops and redials all day, each time within the grace,
// leaves nothing pending behind it: one timer serves everyone in their
// grace, rather than one per leave living out its grace (thousands of
// them, on a busy evening, each waking the hub for nothing when it fires).
func TestFlappingLeavesNoTimersBehind(t *testing.T) {
	h := startHub(t, time.Hour)
	flap := func(n int) {
		for range n {
			c := fakeConn("bob", "key-bob")
			if refusal := h.join(c); refusal != "" {
				t.Fatalf("join: %s", refusal)
			}
			h.leave(c)
		}
	}
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	flap(100)
	before := live()
	const flaps = 20_000
	flap(flaps)
	if grew := int64(live()) - int64(before); grew > flaps*32 {
		t.Errorf("the live heap grew by %d bytes over %d flaps (%d each): their graces' timers are still pending", grew, flaps, grew/flaps)
	}
}

// startHub runs a hub with one room, "general", and the given presence
// grace, until the test ends.
func startHub(t *testing.T, grace time.Duration) *hub {
	h := newHub([]room{{Name: "general"}}, 16, 64, time.Hour, grace)
	ctx, cancel := context.WithCancel(context.Background())
	go h.run(ctx)
	t.Cleanup(func() { cancel(); <-h.done })
	return h
}

// The presence grace, on the hub alone in a synctest bubble: "left" comes
// exactly when the grace runs out, not a moment before; a return within it
// is never announced; and leaving again starts a new grace.
func TestPresenceGraceDelaysLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const grace = 5 * time.Second
		h := startHub(t, grace)
		join := func(user string) *conn {
			t.Helper()
			c := fakeConn(user, "key-"+user)
			if refusal := h.join(c); refusal != "" {
				t.Fatalf("join %s: %s", user, refusal)
			}
			return c
		}
		// presence returns the presence frames ann was sent since last asked.
		ann := join("ann")
		presence := func() []wireFrame {
			t.Helper()
			synctest.Wait() // the hub and its timers have done what they can
			var got []wireFrame
			for _, f := range queued(t, ann) {
				if f.Type == "presence" {
					got = append(got, f)
				}
			}
			return got
		}
		presence() // her own arrival
		bob := join("bob")
		if got := presence(); len(got) != 1 || got[0].User != "bob" || got[0].Event != "back" {
			t.Fatalf("bob's arrival: %+v, want bob back", got)
		}

		h.leave(bob) // bob's only socket closes
		time.Sleep(grace - time.Nanosecond)
		if got := presence(); len(got) != 0 {
			t.Fatalf("announced before the grace ran out: %+v", got)
		}
		// Still in the grace, bob is shown online to newcomers.
		if cy := join("cy"); !slices.Contains(queued(t, cy)[0].Online, "bob") {
			t.Error("bob not shown online during his grace")
		}
		presence() // cy's arrival
		time.Sleep(time.Nanosecond)
		if got := presence(); len(got) != 1 || got[0].User != "bob" || got[0].Event != "left" || fmt.Sprint(got[0].Online) != "[ann cy]" {
			t.Fatalf("when the grace ran out: %+v, want bob left with [ann cy] online", got)
		}

		// A reload: back within the grace, never announced, even when the
		// first grace's timer fires.
		bob = join("bob")
		presence() // back
		h.leave(bob)
		time.Sleep(grace / 2)
		bob = join("bob")
		time.Sleep(grace)
		if got := presence(); len(got) != 0 {
			t.Fatalf("a reload within the grace was announced: %+v", got)
		}
		// Leaving again restarts the grace: the earlier leave's timer, due
		// first, announces nothing.
		h.leave(bob)
		time.Sleep(grace / 2)
		bob = join("bob")
		h.leave(bob)
		time.Sleep(grace/2 + time.Nanosecond) // the first leave's grace is over
		if got := presence(); len(got) != 0 {
			t.Fatalf("announced at the end of an earlier grace: %+v", got)
		}
		time.Sleep(grace / 2)
		if got := presence(); len(got) != 1 || got[0].Event != "left" {
			t.Fatalf("at the end of the last grace: %+v, want left", got)
		}
	})
}

// One timer serves everyone in their grace: each "left" still comes when
// that user's own grace runs out, those due together come in order, and
// the timer is set again for whoever is still in it.
func TestEveryonesGraceEndsOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const grace = 5 * time.Second
		h := startHub(t, grace)
		conns := map[string]*conn{}
		for _, user := range []string{"ann", "bob", "cy", "dee", "eve"} {
			conns[user] = fakeConn(user, "key-"+user)
			if refusal := h.join(conns[user]); refusal != "" {
				t.Fatalf("join %s: %s", user, refusal)
			}
		}
		// lefts returns who ann heard leave since last asked, in order.
		lefts := func() string {
			t.Helper()
			synctest.Wait()
			var who []string
			for _, f := range queued(t, conns["ann"]) {
				if f.Type == "presence" && f.Event == "left" {
					who = append(who, f.User)
				}
			}
			return fmt.Sprint(who)
		}
		lefts()
		h.leave(conns["eve"]) // leaves at 0, comes back at 1
		h.leave(conns["bob"]) // leaves at 0
		time.Sleep(time.Second)
		if refusal := h.join(fakeConn("eve", "key-eve")); refusal != "" {
			t.Fatal(refusal)
		}
		time.Sleep(time.Second)
		h.leave(conns["dee"]) // both at 2
		h.leave(conns["cy"])
		for _, step := range []struct {
			sleep time.Duration
			want  string
		}{
			{grace - 2*time.Second - time.Nanosecond, "[]"}, // just before 5
			{time.Nanosecond, "[bob]"},                      // 5: bob's grace, not eve's
			{2*time.Second - time.Nanosecond, "[]"},         // just before 7
			{time.Nanosecond, "[cy dee]"},                   // 7: both, in order
			{time.Hour, "[]"},
		} {
			time.Sleep(step.sleep)
			if got := lefts(); got != step.want {
				t.Fatalf("after another %v: left %s, want %s", step.sleep, got, step.want)
			}
		}
	})
}
