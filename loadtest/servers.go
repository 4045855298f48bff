// servers.go builds the servers under test (Hearth from the working tree,
// and with -baseline from an older commit, with -hearth-arch for another
// architecture; the gorilla example from the module proxy) and runs their
// processes: started pinned or not, stopped, and all killed on the way out.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// gorillaExample is the peer: the chat example of the websocket version
// Hearth itself uses.
const gorillaExample = "github.com/gorilla/websocket/examples/chat@v1.5.3"

type binaries struct {
	hearth, gorilla, self string
	base, baseCommit      string   // Hearth at -baseline, and that commit; "" without it
	hearthVia             []string // what runs Hearth's binary (qemu-user with -hearth-arch), or nothing
}

// hearthArgv is the command line that runs Hearth's binary with args.
func (b binaries) hearthArgv(args ...string) []string {
	return append(append(slices.Clone(b.hearthVia), b.hearth), args...)
}

// hearthNote follows every line printed for Hearth when it runs emulated
// (-hearth-arch), so that no one takes its figures for native ones.
var hearthNote string

// emulators are the qemu-user programs that run Hearth built for another
// architecture (-hearth-arch), and the names the lines give it.
var emulators = map[string]struct{ qemu, name string }{
	"arm64": {"qemu-aarch64", "arm64"},
	"arm":   {"qemu-arm", "arm/v7"},
}

func buildBinaries(cfg config) (binaries, error) {
	b := binaries{hearth: filepath.Join(cfg.workDir, "hearth"), gorilla: filepath.Join(cfg.workDir, "chat")}
	var err error
	if b.self, err = os.Executable(); err != nil {
		return b, err
	}
	if cfg.hearthArch != "" {
		emu, ok := emulators[cfg.hearthArch]
		if !ok {
			return b, fmt.Errorf("-hearth-arch %q: want arm64 or arm", cfg.hearthArch)
		}
		path, err := exec.LookPath(emu.qemu)
		if err != nil {
			return b, fmt.Errorf("-hearth-arch %s needs %s on PATH (apt-get install qemu-user): %w", cfg.hearthArch, emu.qemu, err)
		}
		b.hearthVia = []string{path}
		hearthNote = fmt.Sprintf(" (emulated %s under qemu-user)", emu.name)
	}
	build := exec.Command("go", "build", "-tags", "pprof", "-o", b.hearth, ".")
	build.Env = hearthBuildEnv(cfg)
	if out, err := build.CombinedOutput(); err != nil {
		return b, fmt.Errorf("build Hearth (run from the repository root): %v\n%s", err, out)
	}
	if cfg.baseline != "" {
		if err := buildBaseline(cfg, &b); err != nil {
			return b, err
		}
	} else if wants(cfg.targets, "base") {
		return b, errors.New(`target "base" needs -baseline REF`)
	}
	if wants(cfg.targets, "gorilla") {
		cmd := exec.Command("go", "install", gorillaExample)
		cmd.Env = append(os.Environ(), "GOBIN="+cfg.workDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("install %s: %v\n%s", gorillaExample, err, out)
		}
	}
	return b, nil
}

// buildBaseline builds Hearth as committed at cfg.baseline into b.base. The
// tree comes from git archive into the work directory, so neither the
// working tree nor the repository's list of worktrees changes, and nothing
// is left behind if the run is killed.
func buildBaseline(cfg config, b *binaries) error {
	out, err := exec.Command("git", "rev-parse", "--short", "--verify", cfg.baseline+"^{commit}").Output()
	if err != nil {
		return fmt.Errorf("-baseline %q: not a commit here: %v", cfg.baseline, err)
	}
	b.baseCommit = strings.TrimSpace(string(out))
	src := filepath.Join(cfg.workDir, "base-src")
	if err := os.Mkdir(src, 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(src)
	archive := exec.Command("git", "archive", b.baseCommit)
	untar := exec.Command("tar", "-x", "-C", src)
	if untar.Stdin, err = archive.StdoutPipe(); err != nil {
		return err
	}
	var archiveErr bytes.Buffer
	archive.Stderr = &archiveErr
	if err := archive.Start(); err != nil {
		return fmt.Errorf("git archive %s: %w", b.baseCommit, err)
	}
	tarOut, tarErr := untar.CombinedOutput()
	if tarErr != nil {
		archive.Process.Kill() // it may be blocked writing to a pipe no one reads
	}
	if err := archive.Wait(); err != nil && tarErr == nil {
		return fmt.Errorf("git archive %s: %v\n%s", b.baseCommit, err, archiveErr.Bytes())
	}
	if tarErr != nil {
		return fmt.Errorf("extract %s: %v\n%s", b.baseCommit, tarErr, tarOut)
	}
	b.base = filepath.Join(cfg.workDir, "hearth-base")
	build := exec.Command("go", "build", "-tags", "pprof", "-o", b.base, ".")
	build.Dir = src
	build.Env = hearthBuildEnv(cfg)
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build Hearth at %s: %v\n%s", b.baseCommit, err, out)
	}
	return nil
}

// hearthBuildEnv is the environment Hearth is built in: this one, or with
// -hearth-arch a static Linux build for that architecture (ARMv7 for arm,
// as the release builds it).
func hearthBuildEnv(cfg config) []string {
	env := os.Environ()
	if cfg.hearthArch != "" {
		env = append(env, "GOOS=linux", "GOARCH="+cfg.hearthArch, "CGO_ENABLED=0")
		if cfg.hearthArch == "arm" {
			env = append(env, "GOARM=7")
		}
	}
	return env
}

func wants(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func numCPU() int { return runtime.NumCPU() }

// --- processes ---

var (
	procsMu sync.Mutex
	procs   = map[*exec.Cmd]bool{}
)

// pinnedWrap and pinnedEnv start a server as the household scenarios
// want it (cfg.pinned): on one core, with one P and a soft memory limit,
// like an appliance on a Raspberry Pi that has other work to do.
var (
	pinnedWrap = []string{"taskset", "-c", "0"}
	pinnedEnv  = []string{"GOMAXPROCS=1", "GOMEMLIMIT=256MiB"}
)

// serverCommand is argv as cfg wants a server started: pinned or not. env
// is what to add to this process's environment.
func serverCommand(cfg config, argv ...string) (env, _ []string) {
	if !cfg.pinned {
		return nil, argv
	}
	return pinnedEnv, append(slices.Clone(pinnedWrap), argv...)
}

// startProcess starts argv in dir with env added to this process's
// environment, and remembers it for killAll. With a wrapper such as
// taskset (which execs the program) the PID is the program's own.
func startProcess(dir string, env []string, argv ...string) (*exec.Cmd, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	procsMu.Lock()
	procs[cmd] = true
	procsMu.Unlock()
	return cmd, nil
}

// stopProcess sends SIGTERM, then SIGKILL after 5 s, and reaps it.
func stopProcess(cmd *exec.Cmd) {
	procsMu.Lock()
	delete(procs, cmd)
	procsMu.Unlock()
	cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

func killAll() {
	procsMu.Lock()
	defer procsMu.Unlock()
	for cmd := range procs {
		cmd.Process.Kill()
		cmd.Wait()
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitServing polls until something answers on addr.
func waitServing(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("nothing serving on %s after %v", addr, within)
}
