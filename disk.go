// disk.go owns watching the free space on the database's file system and
// what the server does about it. Below the low mark uploads are paused
// (the files handler asks before it reads a byte); below the floor the
// committer refuses everything that would grow the database except
// deletes, rather than let bbolt run out of space in the middle of a
// commit. Admins hear of each change of state (a notice frame, see hub.go)
// and the log gets one line per change, never one per check. When space
// returns the next reading lifts the refusals: the watcher reads every few
// seconds, and uploads and commits read afresh too.
//
// The free-space call itself is per platform (disk_unix.go,
// disk_windows.go, disk_other.go); where there is none, free space is
// unknown and nothing is refused. disk.go never writes to disk.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// defaultDiskFloor is the free space below which new messages are
	// refused: a reserve for what still writes (deletes, logins, read
	// markers, the audit log) and for bbolt's own pages.
	defaultDiskFloor = 32 << 20
	// minDiskLow is the least default low mark, however small -max-upload.
	minDiskLow = 256 << 20
	// diskCheckEvery is how often the watcher reads the free space. A
	// reading is one statfs call, also taken before every commit and
	// upload (and each MiB of one), so what writes never goes by an old
	// reading: the watcher only notices space that others take or free
	// while Hearth is idle, for the banner. Every wake-up of an idle
	// server counts on a Raspberry Pi: at 5 s, this timer and the
	// runtime's spinning after it were most of an idle Hearth's
	// wake-ups (strace, 150 idle sockets).
	diskCheckEvery = 30 * time.Second
)

// defaultDiskLow is the low mark when -disk-low is not given: room for two
// of the largest uploads arriving at once, and at least minDiskLow. (An
// upload is stopped as soon as free space passes the mark; see
// handleUpload.)
func defaultDiskLow(maxUpload int64) int64 { return max(2*maxUpload, minDiskLow) }

// diskLowMark is the low mark c asks for: -disk-low, or its default.
func (c config) diskLowMark() int64 {
	if c.DiskLow > 0 {
		return c.DiskLow
	}
	return defaultDiskLow(c.MaxUpload)
}

// errDiskFull refuses a change to the database while free space is below
// the floor. Nothing of the change was stored.
var errDiskFull = errors.New("the server's disk is full")

// errNoFreeSpaceCall is what freeSpace returns on a platform that cannot
// say how much space is free.
var errNoFreeSpaceCall = errors.New("this platform cannot report free disk space")

// What people are told: the upload refusal (HTTP 507), and the refusal of
// a message or change (store_failed, or HTTP 507).
const (
	diskLowMessage  = "the server's disk is nearly full: uploads are paused until space is freed"
	diskFullMessage = "the server's disk is full: nothing new can be saved until space is freed"
)

// diskState is what the free space allows.
type diskState int

const (
	diskUnknown diskState = iota // no reading (no free-space call here, or it failed): nothing is refused
	diskOK
	diskLow  // below the low mark: uploads are paused
	diskFull // below the floor: only deletes are committed
)

func (s diskState) String() string {
	switch s {
	case diskOK:
		return "ok"
	case diskLow:
		return "low"
	case diskFull:
		return "full"
	}
	return "unknown"
}

// pausesUploads reports whether an upload must be refused in state s.
func (s diskState) pausesUploads() bool { return s == diskLow || s == diskFull }

// diskReading is one look at the file system.
type diskReading struct {
	State diskState
	Free  int64 // bytes available to Hearth; -1 when unknown
	At    time.Time
}

// nextDiskState is the state free bytes put the server in, coming from
// prev. To leave a state, free space must clear its mark by a sixteenth,
// so a disk that hovers at a mark changes state (and logs, and tells the
// admins) once, not at every reading.
func nextDiskState(prev diskState, free, low, floor int64) diskState {
	lowExit, floorExit := low, floor
	switch prev {
	case diskFull:
		floorExit += floor / 16
		lowExit += low / 16
	case diskLow:
		lowExit += low / 16
	}
	switch {
	case free < floor, prev == diskFull && free < floorExit:
		return diskFull
	case free < low, prev >= diskLow && free < lowExit:
		return diskLow
	}
	return diskOK
}

// diskWatch reads the free space of the file system that holds a
// directory and keeps the state it puts the server in. Its methods are
// safe for concurrent use.
type diskWatch struct {
	// Read-only after newDiskWatch.
	dir        string
	low, floor int64
	freeSpace  func(dir string) (int64, error) // the platform's, or a test's
	onChange   func(noticeFrame)               // told of every change of state, in order; may be nil

	// mu serialises readings, so that changes of state are logged and
	// told in the order they happened.
	mu      sync.Mutex
	last    diskReading // guarded by mu
	checked bool        // guarded by mu: last holds a reading
}

// newDiskWatch watches the file system of dir. Below low bytes free it
// pauses uploads, below floor it refuses new messages; low must be above
// floor. freeSpace nil means the platform's call (freeDiskSpace). Nothing
// is read until the first check.
func newDiskWatch(dir string, low, floor int64, freeSpace func(string) (int64, error), onChange func(noticeFrame)) *diskWatch {
	if freeSpace == nil {
		freeSpace = freeDiskSpace
	}
	return &diskWatch{dir: dir, low: low, floor: floor, freeSpace: freeSpace, onChange: onChange, last: diskReading{Free: -1}}
}

// check reads the free space now, records the state it puts the server in
// and returns the reading. A change of state is logged and told to
// onChange, which check calls before it returns (so it must not call back
// into d).
func (d *diskWatch) check() diskReading {
	d.mu.Lock()
	defer d.mu.Unlock()
	free, err := d.freeSpace(d.dir)
	r := diskReading{Free: free, At: time.Now()}
	if err != nil {
		r.State, r.Free = diskUnknown, -1
	} else {
		r.State = nextDiskState(d.last.State, free, d.low, d.floor)
	}
	prev, first := d.last.State, !d.checked
	d.last, d.checked = r, true
	if r.State == prev && !first {
		return r
	}
	d.log(r, prev, first, err)
	if d.onChange != nil && (!first || r.State != diskOK && r.State != diskUnknown) {
		d.onChange(d.notice(r.State))
	}
	return r
}

// watch is the watcher's goroutine: it reads the free space at once, then
// every interval (diskCheckEvery when not positive), until ctx is done.
func (d *diskWatch) watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = diskCheckEvery
	}
	d.check()
	every(ctx, interval, func() { d.check() })
}

// current is the last reading, without reading again (diskUnknown before
// the first check).
func (d *diskWatch) current() diskReading {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last
}

// log writes the one line a change of state (or the first reading) gets.
func (d *diskWatch) log(r diskReading, prev diskState, first bool, err error) {
	attrs := []any{"dir", d.dir, "free", r.Free, "low", d.low, "floor", d.floor}
	switch r.State {
	case diskFull:
		slog.Error("disk full: new messages are refused until space is freed", attrs...)
	case diskLow:
		slog.Warn("disk nearly full: uploads are paused until space is freed", attrs...)
	case diskOK:
		if first {
			slog.Info("watching free disk space", attrs...)
		} else if prev == diskUnknown {
			slog.Info("free disk space can be read again", attrs...)
		} else {
			slog.Info("disk space is back: uploads and messages are accepted", attrs...)
		}
	case diskUnknown:
		if errors.Is(err, errNoFreeSpaceCall) {
			slog.Info("free disk space is unknown on this platform: nothing is refused for lack of space", "dir", d.dir)
		} else {
			slog.Warn("cannot read free disk space: nothing is refused for lack of space until it can", "dir", d.dir, "err", err)
		}
	}
}

// notice is what admins are told of state s: a banner while the disk is
// low or full, and "ok" to take it down.
func (d *diskWatch) notice(s diskState) noticeFrame {
	n := noticeFrame{Type: "notice", Kind: "disk", Level: "ok"}
	switch s {
	case diskLow:
		n.Level = "warning"
		n.Message = fmt.Sprintf("The server's disk is nearly full (less than %s free): uploads are paused. Free some space on it; see Admin → Server.", byteSize64(d.low))
	case diskFull:
		n.Level = "error"
		n.Message = fmt.Sprintf("The server's disk is full (less than %s free): new messages are refused. Free some space on it now; see Admin → Server.", byteSize64(d.floor))
	}
	return n
}

// frees reports whether op may be committed while the disk is full: a
// delete, of a message or of a room, leaves pages free in the file for
// later writes. bbolt writes a few pages even to delete (copy on write),
// which the floor's reserve holds; everything else, edits and reactions
// included, waits for space.
func (op changeOp) frees() bool { return op == opDelete || op == opDeleteRoom }

// byteSize64 is n bytes for people: 1.5 GiB, 300 MiB, 12 KiB.
func byteSize64(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + suffix
}

// parseByteSize reads a size such as 268435456, 256MiB, 256M, 1.5G or
// 512 KiB. The units are binary (K and KiB are both 1024 bytes).
func parseByteSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TIB", 1 << 40}, {"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("%q is not a size (say 512MiB, 2GiB or a number of bytes)", s)
	}
	return int64(v * float64(mult)), nil
}

// byteSizeFlag is a flag.Value of bytes, given as parseByteSize reads them.
type byteSizeFlag struct{ n *int64 }

// String is "" for zero (the flag's default then goes unmentioned, as
// zero means "automatic" for -disk-low).
func (f byteSizeFlag) String() string {
	if f.n == nil || *f.n == 0 {
		return ""
	}
	return byteSize64(*f.n)
}

func (f byteSizeFlag) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*f.n = n
	return nil
}
