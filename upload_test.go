// upload_test.go tests files as they stream: a 150 MiB upload and its
// download through the real binary with its memory measured, a kill -9 in
// the middle of an upload, uploads cut short (the client leaving, the
// limit, the disk), storage quotas, and Range requests on new files and
// on files stored before chunks.

package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// streamOf is n pseudo-random bytes made as they are read: a file of any
// size without holding it.
func streamOf(n int64, seed byte) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

// TestRange: a file is served through http.ServeContent: byte ranges (one,
// several, suffix, open-ended, across a chunk boundary) come as 206 with
// the right bytes, one that cannot be met as 416, If-Range with the ETag
// decides between a range and the whole file, If-None-Match gives 304,
// and the headers that keep a file from being a page stay.
func TestRange(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	data := randomBytes(2*chunkSize+500, 7)
	status, m := upload(t, ann, "general", "film.bin", data)
	if status != http.StatusCreated || m.File == nil {
		t.Fatalf("upload: %d %+v", status, m)
	}
	url := fmt.Sprintf("%s/api/files/%d", ts.URL, m.File.ID)
	resp, err := ann.http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag, size := resp.Header.Get("ETag"), int64(len(data))
	if !strings.HasPrefix(etag, `"hearth-file-`) || resp.Header.Get("Last-Modified") == "" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("headers %v, want a strong ETag, Last-Modified and Accept-Ranges", resp.Header)
	}
	if resp, err := ann.http.Head(url); err != nil || resp.StatusCode != 200 || resp.ContentLength != size || resp.Header.Get("ETag") != etag {
		t.Errorf("HEAD: %v %+v, want 200 with the length and the ETag", err, resp)
	}

	for _, tc := range []struct {
		name    string
		headers map[string]string
		status  int
		from    int64 // the bytes expected: data[from:to]
		to      int64
		parts   [][2]int64 // for several ranges: each part's [from, to)
	}{
		{"whole", nil, 200, 0, size, nil},
		{"first bytes", map[string]string{"Range": "bytes=0-99"}, 206, 0, 100, nil},
		{"middle", map[string]string{"Range": "bytes=1000-1999"}, 206, 1000, 2000, nil},
		{"across a chunk boundary", map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", chunkSize-50, chunkSize+49)}, 206, chunkSize - 50, chunkSize + 50, nil},
		{"suffix", map[string]string{"Range": "bytes=-100"}, 206, size - 100, size, nil},
		{"open-ended", map[string]string{"Range": fmt.Sprintf("bytes=%d-", 2*chunkSize)}, 206, 2 * chunkSize, size, nil},
		{"several", map[string]string{"Range": "bytes=0-9,1048570-1048580"}, 206, 0, 0, [][2]int64{{0, 10}, {1048570, 1048581}}},
		{"past the end", map[string]string{"Range": fmt.Sprintf("bytes=%d-", size+10)}, 416, 0, 0, nil},
		{"not a range", map[string]string{"Range": "bytes=abc"}, 416, 0, 0, nil},
		{"If-Range with the ETag", map[string]string{"Range": "bytes=0-99", "If-Range": etag}, 206, 0, 100, nil},
		{"If-Range with another ETag", map[string]string{"Range": "bytes=0-99", "If-Range": `"hearth-file-0"`}, 200, 0, size, nil},
		{"If-None-Match", map[string]string{"If-None-Match": etag}, 304, 0, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", url, nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := ann.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			h := resp.Header
			if h.Get("X-Content-Type-Options") != "nosniff" || (tc.status < 300 && (!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
				!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("Cache-Control") != "private, max-age=86400")) {
				t.Errorf("headers %v, want nosniff, the sandbox, attachment and private caching", h)
			}
			switch {
			case tc.status == 416 && tc.name == "past the end":
				if got := h.Get("Content-Range"); got != fmt.Sprintf("bytes */%d", size) {
					t.Errorf("Content-Range = %q, want bytes */%d", got, size)
				}
			case tc.parts != nil:
				_, params, err := mime.ParseMediaType(h.Get("Content-Type"))
				if err != nil || !strings.HasPrefix(h.Get("Content-Type"), "multipart/byteranges") {
					t.Fatalf("Content-Type = %q, want multipart/byteranges", h.Get("Content-Type"))
				}
				mr := multipart.NewReader(resp.Body, params["boundary"])
				for i, want := range tc.parts {
					part, err := mr.NextPart()
					if err != nil {
						t.Fatalf("part %d: %v", i, err)
					}
					got, _ := io.ReadAll(part)
					if wantRange := fmt.Sprintf("bytes %d-%d/%d", want[0], want[1]-1, size); part.Header.Get("Content-Range") != wantRange || !bytes.Equal(got, data[want[0]:want[1]]) {
						t.Errorf("part %d: %q, %d bytes; want %s", i, part.Header.Get("Content-Range"), len(got), wantRange)
					}
				}
			case tc.status == 200 || tc.status == 206:
				got, err := io.ReadAll(resp.Body)
				if err != nil || !bytes.Equal(got, data[tc.from:tc.to]) {
					t.Errorf("body: %d bytes (%v), want bytes %d to %d", len(got), err, tc.from, tc.to)
				}
				if tc.status == 206 {
					if want := fmt.Sprintf("bytes %d-%d/%d", tc.from, tc.to-1, size); h.Get("Content-Range") != want {
						t.Errorf("Content-Range = %q, want %q", h.Get("Content-Range"), want)
					}
				}
			}
		})
	}
}

// TestLegacyFileDownloadsWithRange: a file stored whole in blobs before
// format 4 (golden format 3's garden.png) downloads as it was, and by
// ranges too, after the database is migrated.
func TestLegacyFileDownloadsWithRange(t *testing.T) {
	raw, err := os.ReadFile("testdata/golden/format-3.json")
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFacts
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile("testdata/golden/format-3.db")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, cfg: testConfig(t)}
	ts.addr = ts.cfg.Addr
	if err := os.WriteFile(ts.cfg.DBPath, db, 0o600); err != nil {
		t.Fatal(err)
	}
	ts.start()
	t.Cleanup(ts.stop)
	a, err := ts.store().getFile(g.File.ID)
	if err != nil || a.Chunks != 0 || a.User != "kid" {
		t.Fatalf("the old file: %+v %v; want it in blobs, said by migration 4 to be kid's", a, err)
	}
	kid := ts.newClient()
	kid.do("POST", "/api/login", map[string]string{"username": "kid", "password": g.Passwords["kid"]}, nil)
	get := func(rng string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/files/%d", ts.URL, g.File.ID), nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := kid.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, whole := get("")
	sum := sha256.Sum256(whole)
	if resp.StatusCode != 200 || fmt.Sprintf("%x", sum) != g.File.SHA256 || resp.Header.Get("ETag") != fmt.Sprintf(`"hearth-file-%d"`, g.File.ID) {
		t.Fatalf("whole: %d, sha256 %x, ETag %q", resp.StatusCode, sum, resp.Header.Get("ETag"))
	}
	for rng, want := range map[string][]byte{"bytes=0-7": whole[:8], "bytes=-10": whole[len(whole)-10:], "bytes=8-": whole[8:]} {
		if resp, got := get(rng); resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want) {
			t.Errorf("%s: %d, %d bytes; want 206 and %d bytes", rng, resp.StatusCode, len(got), len(want))
		}
	}
}

// TestQuota: an admin sets a person's storage quota, and sees it with what
// they use; an upload that would pass it is refused with 413 and a
// message saying both, before its body when its size is declared and as
// soon as it passes when not, storing nothing; 0 lifts it. Setting only a
// quota leaves the admin and disabled flags as they were.
func TestQuota(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	ann := ts.loggedIn("ann")
	users := func() map[string]adminUser {
		var list struct{ Users []adminUser }
		mustDo(t, admin, http.StatusOK, "GET", "/api/admin/users", nil, &list)
		out := map[string]adminUser{}
		for _, u := range list.Users {
			out[u.Name] = u
		}
		return out
	}
	var set adminUser
	mustDo(t, admin, http.StatusOK, "PUT", "/api/admin/users/ann", map[string]int64{"quota_bytes": 3 << 20}, &set)
	if set.QuotaBytes != 3<<20 || set.Admin || set.Disabled {
		t.Errorf("PUT quota answered %+v", set)
	}
	if status, _ := admin.do("PUT", "/api/admin/users/ann", map[string]int64{"quota_bytes": -1}, nil); status != http.StatusBadRequest {
		t.Errorf("a negative quota: %d, want 400", status)
	}
	if status, body := uploadFile(t, ann, "general", "two.bin", make([]byte, 2<<20)); status != http.StatusCreated {
		t.Fatalf("upload within the quota: %d %s", status, body)
	}
	if u := users()["ann"]; u.QuotaBytes != 3<<20 || u.UsedBytes != 2<<20 {
		t.Errorf("admin sees ann with %+v, want a 3 MiB quota and 2 MiB used", u)
	}
	before := countChunks(t, ts.store())

	const want = `{"error":"this upload would pass your storage quota of 3 MiB (you use 2 MiB)"}`
	status, body := uploadFile(t, ann, "general", "more.bin", make([]byte, 1<<20+1))
	if status != http.StatusRequestEntityTooLarge || strings.TrimSpace(body) != want {
		t.Errorf("declared upload past the quota: %d %s, want 413 %s", status, body, want)
	}
	// No Content-Length: stopped when it passes.
	req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/general/files?name=stream.bin", io.MultiReader(bytes.NewReader(make([]byte, 2<<20))))
	req.ContentLength = -1
	resp, err := ann.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.TrimSpace(string(raw)) != want {
		t.Errorf("streamed upload past the quota: %d %s, want 413 %s", resp.StatusCode, raw, want)
	}
	eventually(t, 5*time.Second, "nothing stored of the refused uploads", func() bool { return countChunks(t, ts.store()) == before })

	// Only a quota: an admin stays an admin.
	mustDo(t, admin, http.StatusOK, "PUT", "/api/admin/users/ann", map[string]bool{"admin": true}, nil)
	mustDo(t, admin, http.StatusOK, "PUT", "/api/admin/users/ann", map[string]int64{"quota_bytes": 0}, &set)
	if u := users()["ann"]; !u.Admin || u.Disabled || u.QuotaBytes != 0 || set.QuotaBytes != 0 {
		t.Errorf("after lifting the quota: %+v", u)
	}
	if status, body := uploadFile(t, ann, "general", "more.bin", make([]byte, 2<<20)); status != http.StatusCreated {
		t.Errorf("upload with the quota lifted: %d %s", status, body)
	}
}

// TestUploadCutShortLeavesNothing: an upload stopped after some of its
// chunks are stored (the client leaves, a body of unknown size passes the
// limit, free space falls under the low mark) answers why when it can and
// leaves no chunk, no upload and no message behind.
func TestUploadCutShortLeavesNothing(t *testing.T) {
	const low = 64 << 20
	var fd fakeDisk
	fd.free.Store(1 << 30)
	ts := newTestServer(t, func(c *config) {
		c.MaxUpload = 5 << 20
		c.DiskLow, c.DiskFloor, c.FreeSpace = low, 1<<20, fd.freeSpace
	})
	ann := ts.loggedIn("ann")
	for _, tc := range []struct {
		name     string
		declared int64
		stop     func(p *pendingUpload) // after 2 chunks are stored
		status   int                    // 0: the client is gone, nothing to hear
	}{
		{"the client leaves", 4 << 20, func(p *pendingUpload) { p.body.CloseWithError(errors.New("phone lost its signal")) }, 0},
		{"past the limit, size unknown", -1, func(p *pendingUpload) { p.sendUnread(4 << 20) }, http.StatusRequestEntityTooLarge},
		{"the disk fills", 4 << 20, func(p *pendingUpload) { fd.free.Store(low - 1); p.sendUnread(2 << 20) }, http.StatusInsufficientStorage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer fd.free.Store(1 << 30)
			p := startUpload(t, ann, "general", "video.mp4", tc.declared)
			p.send(t, 2<<20+1)
			eventually(t, 5*time.Second, "two chunks stored", func() bool { return countChunks(t, ts.store()).chunks >= 2 })
			tc.stop(p)
			select {
			case status := <-p.status:
				if status != tc.status {
					t.Errorf("status = %d, want %d", status, tc.status)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no answer within 10s")
			}
			eventually(t, 5*time.Second, "the upload and its chunks deleted", func() bool {
				return countChunks(t, ts.store()) == chunkCount{} && ts.inFlight("ann") == 0
			})
			if n := countMessages(t, ts.store(), "general"); n != 0 {
				t.Errorf("general holds %d messages", n)
			}
		})
	}
}

// sendUnread writes up to n more bytes of the body, stopping without a
// fuss when the server has answered and the client stopped sending.
func (p *pendingUpload) sendUnread(n int) {
	p.body.Write(make([]byte, n))
}

// countMessages is how many messages a room holds.
func countMessages(t testing.TB, st *store, room string) int {
	t.Helper()
	n := 0
	if err := st.eachMessage(room, func(message) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// binaryUser makes an account in a new database at path, for a binary to
// serve, and returns a client for it once the binary runs.
func binaryUser(t *testing.T, path, name string) {
	t.Helper()
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := newUser(name, "password-long", false)
	if err := st.createUser(u); err != nil {
		t.Fatal(err)
	}
	st.Close()
}

// binaryClient logs in to the binary at base as name (made by binaryUser).
// It has no overall timeout: a test's uploads take as long as they take,
// bounded by the test's own deadlines.
func binaryClient(t *testing.T, base, name string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(base+"/api/login", "application/json", jsonBody(map[string]string{"username": name, "password": "password-long"}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %d", name, resp.StatusCode)
	}
	return c
}

// postFile uploads size bytes from body to the binary at base and returns
// the status and the message the answer carries.
func postFile(t *testing.T, c *http.Client, base, name string, size int64, body io.Reader) (int, message) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/rooms/general/files?name="+name, body)
	req.ContentLength = size
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	defer resp.Body.Close()
	var m message
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusCreated {
		json.Unmarshal(raw, &m)
	}
	return resp.StatusCode, m
}

// procStatus reads the named fields (in kB, as /proc says) of a process.
func procStatus(t *testing.T, pid int, fields ...string) map[string]int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for _, want := range fields {
			if name == want {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
				out[name] = n << 10
			}
		}
	}
	return out
}

// peakAnon samples a process's anonymous resident memory (RssAnon: its
// heap and stacks, not the database file bbolt maps, which the page cache
// holds) every few milliseconds until stop is called, which returns the
// highest reading.
func peakAnon(t *testing.T, pid int) (stop func() int64) {
	done, peak := make(chan struct{}), make(chan int64)
	go func() {
		var most int64
		for {
			f, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err == nil {
				for line := range strings.Lines(string(f)) {
					if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
						n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
						most = max(most, n<<10)
					}
				}
			}
			select {
			case <-done:
				peak <- most
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() int64 { close(done); return <-peak }
}

// TestUploadMemoryIsBounded uploads a 150 MiB file, made as it is sent,
// to the real binary and downloads it again, checking its SHA-256, while
// measuring the server's memory from /proc: an upload and a download must
// hold about a chunk at a time, not the file.
//
// The baseline is taken after a warm-up upload and download of 8 MiB, by
// the same code: what the server needs for any upload (its 1 MiB chunk
// buffer, bbolt's page buffer for the chunk it commits, the Go runtime's
// headroom of GOGC=100 over that live heap) is counted in the baseline,
// and the 150 MiB file must not add more than maxGrowth to it (measured:
// under 3 MiB; the rest is room for the collector's timing, as the Go
// heap may grow to twice what is live before a collection). Were even a
// tenth of the file held at once, the growth would be 15 MiB or more.
// (The mmap counts too: were bbolt to rewrite earlier chunks with each
// new one, reading them back, VmHWM would grow by tens of MiB; see
// chunkValue.) Two figures are checked: VmHWM, the peak of all resident memory,
// during the upload (bbolt writes chunks with pwrite, so the mapped file
// stays out of it); and the peak of RssAnon, sampled, during the download
// too (reads go through bbolt's read-only mmap, whose pages count as
// RssFile: the page cache's, not the process's).
func TestUploadMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 150 MiB through the binary")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the server's memory")
	}
	const size, warmSize = 150 << 20, 8 << 20
	const maxGrowth = 8 << 20
	dir := t.TempDir()
	db := filepath.Join(dir, "hearth.db")
	binaryUser(t, db, "ann")
	p := startBinary(t, dir, nil, "-db", db, "-disk-low", "1MiB", "-disk-floor", "0")
	pid := p.cmd.Process.Pid
	c := binaryClient(t, p.URL, "ann")
	download := func(id uint64) [32]byte {
		resp, err := c.Get(fmt.Sprintf("%s/api/files/%d", p.URL, id))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		h := sha256.New()
		if _, err := io.Copy(h, resp.Body); err != nil || resp.StatusCode != 200 {
			t.Fatalf("download: %d %v", resp.StatusCode, err)
		}
		return [32]byte(h.Sum(nil))
	}

	if status, m := postFile(t, c, p.URL, "warm.bin", warmSize, streamOf(warmSize, 1)); status != http.StatusCreated {
		t.Fatalf("warm-up upload: %d", status)
	} else {
		download(m.File.ID)
	}
	base := procStatus(t, pid, "VmHWM", "RssAnon")

	sent := sha256.New()
	stopUp := peakAnon(t, pid)
	status, m := postFile(t, c, p.URL, "film.bin", size, io.TeeReader(streamOf(size, 2), sent))
	upAnon := stopUp()
	if status != http.StatusCreated || m.File == nil || m.File.Size != size {
		t.Fatalf("upload: %d %+v", status, m)
	}
	afterUp := procStatus(t, pid, "VmHWM")
	stopDown := peakAnon(t, pid)
	got := download(m.File.ID)
	downAnon := stopDown()
	if want := [32]byte(sent.Sum(nil)); got != want {
		t.Fatalf("downloaded sha256 %x, sent %x", got, want)
	}

	mib := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
	grew := func(n int64) string { return fmt.Sprintf("%+.1f MiB", float64(n)/(1<<20)) }
	t.Logf("server memory: baseline VmHWM %s, RssAnon %s; uploading 150 MiB: VmHWM %s (%s), peak RssAnon %s (%s); downloading it: peak RssAnon %s (%s)",
		mib(base["VmHWM"]), mib(base["RssAnon"]), mib(afterUp["VmHWM"]), grew(afterUp["VmHWM"]-base["VmHWM"]),
		mib(upAnon), grew(upAnon-base["RssAnon"]), mib(downAnon), grew(downAnon-base["RssAnon"]))
	if grew := afterUp["VmHWM"] - base["VmHWM"]; grew > maxGrowth {
		t.Errorf("the 150 MiB upload raised the server's peak memory (VmHWM) by %s, want under %s", mib(grew), mib(maxGrowth))
	}
	for what, peak := range map[string]int64{"upload": upAnon, "download": downAnon} {
		if grew := peak - base["RssAnon"]; grew > maxGrowth {
			t.Errorf("during the %s, RssAnon peaked %s over the baseline, want under %s", what, mib(grew), mib(maxGrowth))
		}
	}
}

// TestUploadKilledMidwayLeavesNothing kills the real binary with SIGKILL
// while an upload's body is half sent: its chunks are on disk then, in the
// uploads bucket. Started again on the same file, the server shows no
// file and no message, a new upload works, and once it is stopped the
// database holds no upload and no chunk but the new file's.
func TestUploadKilledMidwayLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the binary")
	}
	const size = 16 << 20
	dir := t.TempDir()
	db := filepath.Join(dir, "hearth.db")
	binaryUser(t, db, "ann")
	p := startBinary(t, dir, nil, "-db", db)
	c := binaryClient(t, p.URL, "ann")

	pr, pw := io.Pipe()
	answered := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", p.URL+"/api/rooms/general/files?name=half.mp4", pr)
		req.ContentLength = size
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		answered <- err
	}()
	if _, err := io.CopyN(pw, streamOf(size, 3), size/2); err != nil {
		t.Fatal(err)
	}
	// Until the server has stored some of it: its own count of the bytes.
	eventually(t, 10*time.Second, "the server to store half the upload", func() bool {
		return uploadBytesMetric(t, p.URL) >= 4<<20
	})
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil // for the cleanup
	pw.CloseWithError(errors.New("the server is gone"))
	if err := <-answered; err == nil || strings.HasPrefix(err.Error(), "answered") {
		t.Fatalf("the upload to a killed server: %v", err)
	}
	if c := countChunksIn(t, db); c.uploads != 1 || c.chunks < 4 {
		t.Fatalf("after the kill the file holds %+v: the kill was not mid-upload", c)
	}

	p = startBinary(t, dir, nil, "-db", db)
	c = binaryClient(t, p.URL, "ann")
	if resp, err := c.Get(p.URL + "/api/files/1"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the killed upload's file: %v %v, want 404", resp.StatusCode, err)
	}
	resp, err := c.Get(p.URL + "/api/rooms/general/messages")
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Messages []message }
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.Messages) != 0 {
		t.Errorf("messages after the kill: %+v", page.Messages)
	}
	status, m := postFile(t, c, p.URL, "whole.mp4", 3<<20, streamOf(3<<20, 4))
	if status != http.StatusCreated || m.File == nil {
		t.Fatalf("upload after the restart: %d %+v", status, m)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	p.done <- nil
	if c := countChunksIn(t, db); c != (chunkCount{chunks: 3, bytes: 3 << 20}) {
		t.Errorf("the stopped server's file holds %+v, want only the new file's 3 chunks", c)
	}
}

// countChunksIn opens a stopped server's database read-only and counts its
// chunks, uploads and thumbnails.
func countChunksIn(t *testing.T, path string) chunkCount {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c chunkCount
	db.View(func(tx *bbolt.Tx) error { c = countChunksTx(tx); return nil })
	return c
}

// uploadBytesMetric reads hearth_upload_bytes_total from a server's
// /metrics (open to loopback).
func uploadBytesMetric(t *testing.T, base string) int64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "hearth_upload_bytes_total "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int64(n)
		}
	}
	return 0
}

// TestQuotaHoldsForUploadsAtOnce sends two uploads of unknown length at
// once, each within what is left of the quota and together past it: both
// are let in while their bodies arrive, and the commit that would pass the
// quota refuses the second to finish, leaving nothing of it.
func TestQuotaHoldsForUploadsAtOnce(t *testing.T) {
	ts := newTestServer(t, nil)
	admin := adminClient(t, ts)
	ann := ts.loggedIn("ann")
	mustDo(t, admin, http.StatusOK, "PUT", "/api/admin/users/ann", map[string]int64{"quota_bytes": 3 << 20}, nil)
	type answer struct {
		status int
		body   string
	}
	start := func(name string) (*io.PipeWriter, chan answer) {
		pr, pw := io.Pipe()
		done := make(chan answer, 1)
		req, _ := http.NewRequest("POST", ts.URL+"/api/rooms/general/files?name="+name, pr) // no Content-Length: chunked
		go func() {
			resp, err := ann.http.Do(req)
			if err != nil {
				done <- answer{0, err.Error()}
				return
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			done <- answer{resp.StatusCode, string(raw)}
		}()
		return pw, done
	}
	first, firstDone := start("first.bin")
	second, secondDone := start("second.bin")
	two := make([]byte, 2<<20)
	if _, err := first.Write(two); err != nil {
		t.Fatal(err)
	}
	if _, err := second.Write(two); err != nil {
		t.Fatal(err)
	}
	second.Close()
	if a := <-secondDone; a.status != http.StatusCreated {
		t.Fatalf("the first to finish: %d %s", a.status, a.body)
	}
	first.Close()
	a := <-firstDone
	if a.status != http.StatusRequestEntityTooLarge || !strings.Contains(a.body, "quota of 3 MiB (you use 2 MiB)") {
		t.Errorf("the second to finish: %d %s, want 413 with the quota", a.status, a.body)
	}
	used := func() int64 {
		var n int64
		ts.store().db.View(func(tx *bbolt.Tx) error { n, _ = completedUsageTx(tx, "ann"); return nil })
		return n
	}
	if got := used(); got != 2<<20 {
		t.Errorf("ann stores %d bytes, want 2 MiB", got)
	}
	eventually(t, 5*time.Second, "the refused upload's chunks deleted", func() bool { c := countChunks(t, ts.store()); return c.uploads == 0 && c.bytes == 2<<20 })
}
