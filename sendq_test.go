// sendq_test.go tests the per-socket send queue: a reader that stops
// reading is cut off, never waited for.

package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestSlowReaderIsDroppedNotWaitedFor(t *testing.T) {
	const bodySize = 60000
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 100000; c.MsgRate = 100000; c.MaxBody = bodySize })
	ann, bob, cy := ts.loggedIn("ann"), ts.loggedIn("bob"), ts.loggedIn("cy")
	stalled := bob.dial() // never reads until the end
	sa := ann.dial()
	// cy reads normally all along and must get every message.
	healthy := cy.dial()
	cyGot := make(chan int, 1)
	go func() {
		n := 0
		for {
			// Raw reads: decoding 60 KB frames under -race is slow.
			healthy.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := healthy.ws.ReadMessage()
			if err != nil {
				cyGot <- -1
				return
			}
			if bytes.HasPrefix(data, []byte(`{"type":"message"`)) {
				if n++; n == 2*sendQueueSize+300 {
					cyGot <- n
					return
				}
			}
		}
	}()
	// Big bodies fill the stalled socket's TCP buffers (a few MB on
	// loopback), then its queue, bounded at maxQueuedBytes (48 MB are
	// sent). ann's acknowledgements keep coming all the while.
	body := strings.Repeat("z", bodySize)
	const total = 2*sendQueueSize + 300
	const inFlight = 8
	for i := range total + inFlight {
		if i < total {
			sa.say("general", body, fmt.Sprint("c-", i))
		}
		if i >= inFlight {
			sa.ack(fmt.Sprint("c-", i-inFlight))
		}
	}
	// The stalled socket got what fitted, then was cut off: it reads the
	// frames buffered for it and then finds the connection closed.
	code := stalled.closed(10 * time.Second)
	if code != websocket.ClosePolicyViolation && code != websocket.CloseAbnormalClosure {
		t.Errorf("stalled reader close code = %d, want 1008 or 1006", code)
	}
	if n := <-cyGot; n != total {
		t.Errorf("the healthy reader got %d messages, want all %d", n, total)
	}
}
