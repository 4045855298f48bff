// proc.go reads what a server process costs from /proc: its writes
// (/proc/PID/io), its RSS over time, how often its threads ran
// (/proc/PID/task/*/schedstat and status), and counts its fsyncs with
// strace, and its RSS and CPU time now. It never starts or stops a
// server.

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// procIO is what /proc/PID/io counts of a process's writes: bytes passed
// to write calls (wchar) and the calls (syscw), sockets included, and the
// bytes it sent toward the disk (write_bytes, counted when a page of the
// page cache is dirtied).
type procIO struct{ wchar, syscw, writeBytes int64 }

func (a procIO) sub(b procIO) procIO {
	return procIO{a.wchar - b.wchar, a.syscw - b.syscw, a.writeBytes - b.writeBytes}
}

func (a procIO) add(b procIO) procIO {
	return procIO{a.wchar + b.wchar, a.syscw + b.syscw, a.writeBytes + b.writeBytes}
}

func readIO(pid int) (procIO, error) {
	var p procIO
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return p, err
	}
	fields := map[string]*int64{"wchar": &p.wchar, "syscw": &p.syscw, "write_bytes": &p.writeBytes}
	for line := range strings.Lines(string(data)) {
		name, value, _ := strings.Cut(strings.TrimSpace(line), ": ")
		if f, ok := fields[name]; ok {
			if *f, err = strconv.ParseInt(value, 10, 64); err != nil {
				return p, fmt.Errorf("/proc/%d/io: %s: %w", pid, name, err)
			}
		}
	}
	return p, nil
}

// rssPeak samples a process's RSS every second.
type rssPeak struct{ peak, last int64 }

func (r *rssPeak) sample(ctx context.Context, pid int) {
	for {
		r.add(pid)
		if !sleepCtx(ctx, time.Second) {
			return
		}
	}
}

func (r *rssPeak) add(pid int) {
	if b, err := rssBytes(pid); err == nil {
		r.last, r.peak = b, max(r.peak, b)
	}
}

// fsyncCounter is strace attached to a server, counting its fsync and
// fdatasync calls. Tracing slows every call it traces, so it is optional.
type fsyncCounter struct {
	cmd *exec.Cmd
	out string
}

func countFsyncs(dir string, pid int) (*fsyncCounter, error) {
	out := filepath.Join(dir, fmt.Sprintf("strace-%d.txt", pid))
	cmd, err := startProcess(dir, nil, "strace", "-q", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", out, "-p", strconv.Itoa(pid))
	if err != nil {
		return nil, fmt.Errorf("strace: %w", err)
	}
	time.Sleep(time.Second) // attached to every thread
	return &fsyncCounter{cmd: cmd, out: out}, nil
}

// stop detaches strace, which then writes its summary, and returns the
// calls counted.
func (f *fsyncCounter) stop() (int64, error) {
	stopProcess(f.cmd)
	data, err := os.ReadFile(f.out)
	if err != nil {
		return 0, fmt.Errorf("strace: %w", err)
	}
	// Summary rows: % time, seconds, usecs/call, calls, [errors,] syscall.
	var calls int64
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) >= 5 && (f[len(f)-1] == "fsync" || f[len(f)-1] == "fdatasync") {
			n, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("strace summary %q: %w", line, err)
			}
			calls += n
		}
	}
	return calls, nil
}

// taskCounts are how often one thread was put on a CPU: the third field of
// its schedstat (timeslices run), and its voluntary plus involuntary
// context switches from its status, a second view of the same; and the
// time it ran, schedstat's first field.
type taskCounts struct {
	runs, switches int64
	cpu            time.Duration
}

// readTasks reads the counts of every thread of pid, by thread id. A
// thread that ends while it is read is left out.
func readTasks(pid int) (map[string]taskCounts, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	tasks := map[string]taskCounts{}
	for _, e := range ents {
		stat, err1 := os.ReadFile(filepath.Join(dir, e.Name(), "schedstat"))
		status, err2 := os.ReadFile(filepath.Join(dir, e.Name(), "status"))
		if err1 != nil || err2 != nil {
			continue
		}
		var tc taskCounts
		if f := strings.Fields(string(stat)); len(f) >= 3 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			tc.cpu = time.Duration(ns)
			tc.runs, _ = strconv.ParseInt(f[2], 10, 64)
		}
		for line := range strings.Lines(string(status)) {
			name, value, _ := strings.Cut(line, ":")
			if name == "voluntary_ctxt_switches" || name == "nonvoluntary_ctxt_switches" {
				n, _ := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
				tc.switches += n
			}
		}
		tasks[e.Name()] = tc
	}
	return tasks, nil
}

// taskDelta sums what each thread did between two readings. A thread that
// started in between counts from zero. One that ended in between took its
// counts with it (a process's schedstat is its main thread's, not a sum),
// so then the sum is a lower bound; gone says how many did. Go parks idle
// threads rather than ending them, so gone is normally 0.
func taskDelta(before, after map[string]taskCounts) (d taskCounts, gone int) {
	for tid, a := range after {
		b := before[tid]
		d.runs += a.runs - b.runs
		d.switches += a.switches - b.switches
		d.cpu += a.cpu - b.cpu
	}
	for tid := range before {
		if _, ok := after[tid]; !ok {
			gone++
		}
	}
	return d, gone
}

// rssBytes reads a process's resident set size from /proc.
func rssBytes(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// cpuTime is the user+system CPU a process has used, from /proc.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15, in clock ticks.
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}
