// timeouts_test.go tests that no client holds a connection for ever: a
// request body trickled byte by byte is cut at ReadTimeout, an idle
// keep-alive connection is closed at IdleTimeout (on the plain-HTTP side of
// the HTTPS port too), while WebSockets and uploads, which legitimately
// last longer, outlive ReadTimeout.

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// trickle writes b to w once per tick until done is closed or a write
// fails: a slow client, paced, not a synchronisation.
func trickle(w io.Writer, b []byte, tick time.Duration, done <-chan struct{}) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if _, err := w.Write(b); err != nil {
				return
			}
		}
	}
}

func TestReadTimeoutCutsATricklingBody(t *testing.T) {
	const readTimeout = time.Second
	ts := newTestServer(t, func(c *config) { c.ReadTimeout = readTimeout })
	start := time.Now() // before the server can have started its clock
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", ts.addr)
	done := make(chan struct{})
	defer close(done)
	// JSON allows any amount of leading space, so the body never ends.
	go trickle(conn, []byte(" "), 100*time.Millisecond, done)

	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, conn) // until the server closes
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection was still open after %v", time.Since(start).Round(time.Millisecond))
	}
	if d := time.Since(start); d < readTimeout {
		t.Errorf("closed after %v, before ReadTimeout", d)
	}
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	const idle = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		edit func(*config)
		path string
	}{
		{"plain HTTP", func(*config) {}, "/healthz"},
		{"plain side of the HTTPS port", func(c *config) { c.TLSLocal = true }, "/trust"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(c *config) { c.IdleTimeout = idle; tc.edit(c) })
			conn, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", tc.path, ts.addr)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Close {
				t.Fatalf("status %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
			}
			idleFrom := time.Now()
			if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
				t.Fatalf("idle connection: %v after %v, want EOF", err, time.Since(idleFrom).Round(time.Millisecond))
			}
		})
	}
}

func TestSocketOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 500 * time.Millisecond
	ts := newTestServer(t, func(c *config) {
		c.ReadTimeout = readTimeout
		c.MsgRate, c.MsgBurst = rate.Inf, 100
	})
	s := ts.loggedIn("ann").dial()
	opened := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// The socket carries a message both ways every tick until well past
	// the ReadTimeout of the request that opened it.
	for i := 0; time.Since(opened) < 3*readTimeout; i++ {
		<-tick.C
		id := fmt.Sprintf("c-%d", i)
		s.say("general", "still here", id)
		if f := s.ack(id); f.Type == "error" {
			t.Fatalf("after %v: %+v", time.Since(opened).Round(time.Millisecond), f)
		}
	}
}

func TestUploadOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 500 * time.Millisecond
	ts := newTestServer(t, func(c *config) { c.ReadTimeout = readTimeout })
	ann := ts.loggedIn("ann")
	body, w := io.Pipe()
	req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/general/files?name=slow.png", body)
	req.ContentLength = int64(len(tinyPNG))
	go func() {
		// A slow link: the file takes three times ReadTimeout to arrive.
		n := len(tinyPNG) / 15
		tick := time.NewTicker(readTimeout / 5)
		defer tick.Stop()
		for rest := tinyPNG; len(rest) > 0; rest = rest[min(n, len(rest)):] {
			<-tick.C
			if _, err := w.Write(rest[:min(n, len(rest))]); err != nil {
				return
			}
		}
		w.Close()
	}()
	start := time.Now()
	resp, err := ann.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("upload over %v: %d %s", time.Since(start).Round(time.Millisecond), resp.StatusCode, strings.TrimSpace(string(raw)))
	}
}
