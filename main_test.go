// main_test.go tests start-up and shutdown: nothing is left running.

package main

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Shutdown leaves no goroutine behind: every goroutine alive once the
// server and its clients are gone was alive before the server started.
// Goroutines are compared by id, not counted, so others ending meanwhile
// (left by earlier tests) cannot hide a leak.
func TestShutdownLeavesNoGoroutines(t *testing.T) {
	before := goroutines()
	ts := newTestServer(t, nil)
	var clients []*client
	for _, name := range []string{"ann", "bob", "cy"} {
		c := ts.loggedIn(name)
		clients = append(clients, c)
		s := c.dial()
		s.say("general", "hi from "+name, "c-1")
		s.ack("c-1")
	}
	ts.stop()
	for _, c := range clients {
		c.http.CloseIdleConnections()
	}
	// Closed sockets and connections take a moment to wind down.
	var leaked []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		leaked = leaked[:0]
		for id, stack := range goroutines() {
			if _, ok := before[id]; !ok {
				leaked = append(leaked, stack)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(leaked) > 0 {
		t.Fatalf("%d goroutines started since the server did are still running 10 s after shutdown:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
}

// goroutines returns the stack of every goroutine, by goroutine id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	stacks := make(map[string]string)
	for _, g := range strings.Split(string(buf), "\n\n") {
		// "goroutine 42 [chan receive]:\n..."
		if id, _, ok := strings.Cut(strings.TrimPrefix(g, "goroutine "), " "); ok {
			stacks[id] = g
		}
	}
	return stacks
}
