// bench_test.go holds the benchmarks behind the performance claims: group
// commit against one fsync per message, a page of history from a room of a
// million messages, start-up on that database, its size per message, and
// an authenticated socket's handshake.
//
//	go test -run '^$' -bench . -benchtime 2s
//
// The million-message database is built once per run in a temp dir (about
// 20 s); HEARTH_BENCH_MESSAGES changes its size.

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// commitBench runs b.N messages through a real committer on a real file
// from senders goroutines, each waiting for its message to be committed
// before sending the next, as a client waits for its acknowledgement.
func commitBench(b *testing.B, senders int) {
	st := newTestStore(b)
	h := newHub([]room{{Name: defaultRoom}}, 1, 1, time.Hour, 0)
	cm := newCommitter(st, h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := ctx.Done()
	go cm.run(ctx)
	// Stand in for the hub: acknowledge each committed message to its sender.
	var waiting sync.Map // *pendingSend → chan struct{}
	go func() {
		for {
			select {
			case batch := <-h.deliver:
				for _, p := range batch {
					if p.err != nil {
						b.Error(p.err)
					}
					if ch, ok := waiting.LoadAndDelete(p); ok {
						close(ch.(chan struct{}))
					}
				}
			case <-stop:
				return
			}
		}
	}()
	body := strings.Repeat("x", 100)
	var next sync.WaitGroup
	per := b.N / senders
	b.ResetTimer()
	start := time.Now()
	for i := range senders {
		n := per
		if i == 0 {
			n += b.N % senders
		}
		next.Add(1)
		go func() {
			defer next.Done()
			for j := range n {
				// Time first, as the web client makes them.
				cid := "c" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(j)
				p := &pendingSend{req: appendRequest{Msg: message{Room: defaultRoom, User: fmt.Sprint("u", i), Body: body, ClientID: cid}}}
				done := make(chan struct{})
				waiting.Store(p, done)
				cm.submit(p)
				<-done
			}
		}()
	}
	next.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkCommitGrouped is 100 senders through the committer: one
// transaction, and one fsync, for everything that queued meanwhile.
func BenchmarkCommitGrouped(b *testing.B) { commitBench(b, 100) }

// BenchmarkCommitEach commits each message in a transaction of its own: one
// fsync per message, the rate group commit is measured against.
func BenchmarkCommitEach(b *testing.B) {
	st := newTestStore(b)
	body := strings.Repeat("x", 100)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		req := &appendRequest{Msg: message{Room: defaultRoom, User: "ann", Body: body, ClientID: "c" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(i)}}
		if err := st.appendMessages([]*appendRequest{req}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

var (
	bigDBOnce sync.Once
	bigDBPath string
	bigDBN    int
	bigDBErr  error
)

// bigDatabase builds, once per run, a database whose general room holds a
// million 100-byte messages (HEARTH_BENCH_MESSAGES to change), written in
// batches as the committer would.
func bigDatabase(b *testing.B) (string, int) {
	b.Helper()
	bigDBOnce.Do(func() {
		bigDBN = 1_000_000
		if n, err := strconv.Atoi(os.Getenv("HEARTH_BENCH_MESSAGES")); err == nil && n > 0 {
			bigDBN = n
		}
		dir, err := os.MkdirTemp("", "hearth-bench-")
		if err != nil {
			bigDBErr = err
			return
		}
		bigDBPath = filepath.Join(dir, "big.db")
		st, err := openStore(bigDBPath)
		if err != nil {
			bigDBErr = err
			return
		}
		defer st.Close()
		body := strings.Repeat("x", 100)
		reqs := make([]*appendRequest, maxBatch)
		for done := 0; done < bigDBN; {
			n := min(maxBatch, bigDBN-done)
			for i := range n {
				cid := "c" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(done+i)
				reqs[i] = &appendRequest{Msg: message{Room: defaultRoom, User: fmt.Sprint("user", (done+i)%20), Body: body, ClientID: cid}}
			}
			if err := st.appendMessages(reqs[:n], time.Now()); err != nil {
				bigDBErr = err
				return
			}
			done += n
		}
	})
	if bigDBErr != nil {
		b.Fatal(bigDBErr)
	}
	return bigDBPath, bigDBN
}

// BenchmarkHistoryPage reads a page of 50 just before a random point of a
// room holding a million messages.
func BenchmarkHistoryPage(b *testing.B) {
	path, n := bigDatabase(b)
	st, err := openStore(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	fi, _ := os.Stat(path)
	b.ResetTimer()
	for i := range b.N {
		before := uint64(51 + (i*7919)%(n-51))
		msgs, err := st.history(defaultRoom, historyQuery{Before: before, Limit: 50})
		if err != nil || len(msgs) != 50 {
			b.Fatalf("page before %d: %d messages, %v", before, len(msgs), err)
		}
	}
	b.ReportMetric(float64(fi.Size())/float64(n), "db-bytes/msg")
}

// BenchmarkStartup measures opening the million-message database and
// starting the server on it, up to serving its first request.
func BenchmarkStartup(b *testing.B) {
	path, _ := bigDatabase(b)
	cfg := defaultConfig()
	cfg.DBPath = path
	b.ResetTimer()
	for range b.N {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		a, err := startApp(cfg, ln, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := http.Get("http://" + ln.Addr().String() + "/api/me")
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		a.shutdown(ctx)
		cancel()
		b.StartTimer()
	}
}

// BenchmarkDiskPerMessage commits household messages one at a time (a
// family's evening: too sparse for two to share a commit) into a room
// that already holds 20,000 of them, and reports what each commit writes:
// database pages (4 KiB each, the two meta pages included) and bytes.
// This is what wears an SD card.
func BenchmarkDiskPerMessage(b *testing.B) {
	st := newTestStore(b)
	words := strings.Fields("are we still on for dinner tonight can someone pick up milk and bread on the way home " +
		"the bus is late again who has the car keys school trip form needs signing by friday grandma called back " +
		"love you all see you soon football practice moved to thursday lasagne pizza swimming homework doctor")
	body := func(n int) string {
		var s strings.Builder
		for x := uint64(n) + 1; s.Len() < 60; {
			x = x*6364136223846793005 + 1442695040888963407
			s.WriteString(words[(x>>33)%uint64(len(words))])
			s.WriteByte(' ')
		}
		return s.String()
	}
	req := func(n int) *appendRequest {
		return &appendRequest{Msg: message{Room: defaultRoom, User: fmt.Sprint("user", n%8), Body: body(n), ClientID: "c" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(n)}}
	}
	const seeded = 20_000
	for done := 0; done < seeded; done += maxBatch {
		reqs := make([]*appendRequest, maxBatch)
		for i := range reqs {
			reqs[i] = req(done + i)
		}
		if err := st.appendMessages(reqs, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	before := st.db.Stats().TxStats
	b.ResetTimer()
	for i := range b.N {
		if err := st.appendMessages([]*appendRequest{req(seeded + i)}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after := st.db.Stats().TxStats
	// Each write is one page run, the meta page being the last of each
	// commit; PageAlloc counts the bytes of the dirty pages (not meta).
	pageSize := float64(st.db.Info().PageSize)
	writes := float64(after.GetWrite() - before.GetWrite())
	bytes := float64(after.GetPageAlloc()-before.GetPageAlloc()) + pageSize*float64(b.N) // + the meta page
	b.ReportMetric(writes/float64(b.N), "writes/msg")
	b.ReportMetric(bytes/float64(b.N)/1024, "KiB/msg")
	if fi, err := os.Stat(st.path); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(seeded+b.N), "db-bytes/msg")
	}
}

// BenchmarkHandshake is one authenticated socket after another, as the
// load tool's connect scenario does them: dial with the session cookie,
// read up to the hello, close. The server runs in this process on a real
// port; the client is a fixed request written on a raw TCP connection, so
// allocs/op are nearly all the server's.
func BenchmarkHandshake(b *testing.B) {
	ts := newTestServer(b, func(cfg *config) {
		cfg.MaxConnsPerUser, cfg.MaxConnsPerAddr = 1<<20, 1<<20
		cfg.PresenceGrace = defaultConfig().PresenceGrace // a quick reconnect announces nothing, as in use
	})
	c := ts.loggedIn("ann")
	request := []byte("GET /ws HTTP/1.1\r\nHost: " + ts.addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Origin: " + ts.URL + "\r\nCookie: " + c.cookieHeader() + "\r\n\r\n")
	hello := []byte(`{"type":"hello"`)
	buf := make([]byte, 4096)
	var n uint32
	for b.Loop() {
		// A source address per dial: the client's TIME_WAIT sockets do not
		// use up one address's ephemeral ports.
		n++
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 1, byte(n>>8), byte(n))}}
		conn, err := d.Dial("tcp", ts.addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Write(request); err != nil {
			b.Fatal(err)
		}
		got := 0
		for !bytes.Contains(buf[:got], hello) {
			m, err := conn.Read(buf[got:])
			if err != nil {
				b.Fatalf("read %q: %v; want the 101 and the hello", buf[:got], err)
			}
			got += m
		}
		conn.Close()
	}
}
