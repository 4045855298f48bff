// Command loadtest measures Hearth beside the chat example shipped with
// gorilla/websocket (one room, in memory, no auth) and a raw-TCP fan-out
// server of its own (the ceiling), in one run on one machine, and prints one
// line of figures per scenario and target with the ratios between them.
//
//	go run ./loadtest                         # every scenario, every target
//	go run ./loadtest -scenarios fanout,rate  # some of them
//	go run ./loadtest -baseline main          # also Hearth at main, as target "base"
//
// Run it from the repository root: it builds Hearth from there, installs
// the gorilla example from the Go module proxy, starts every server on a
// loopback port with a temp database, and stops every process it started.
// Hearth runs with its per-connection message limit and socket caps raised
// (-msg-rate, -msg-burst, -max-conns-*), since one machine plays thousands
// of clients; every other guarantee (fsync before delivery, the session
// check at the handshake) stays on. With -baseline REF it also builds
// Hearth as committed at REF (from git archive, so the working tree is not
// touched) and runs it as one more target, "base", with the same flags: a
// before/after comparison on the same machine in the same run.
//
// Two scenarios are not in the default list; they measure Hearth as a
// household runs it, on one small machine: each server is pinned to one
// core (taskset -c 0) with GOMAXPROCS=1 and GOMEMLIMIT=256MiB.
//
//	go run ./loadtest -scenarios household -targets hearth,gorilla   # a family's evening, 2 minutes
//	go run ./loadtest -scenarios idlecost -targets hearth,gorilla    # 150 idle sockets, 5 minutes
//
// household plays 50 people on 150 sockets: bursts of a few messages,
// mostly idle, a phone photo every minute and sockets that drop and catch
// up (Hearth only: the gorilla example has no files, history or
// accounts). It reports delivery latency, server CPU, RSS and disk writes
// per message; -household-strace also counts fsyncs with strace. idlecost
// reports the CPU and the wakeups per second of a server holding idle
// sockets. With -hearth-arch arm64 (or arm) Hearth is built for that
// architecture and run under qemu-user, and every line for it says so:
//
//	go run ./loadtest -scenarios household -targets hearth -hearth-arch arm64 -household-duration 1m
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is what the flags choose.
type config struct {
	scenarios, targets []string
	rounds             int
	n, senders, window int
	duration           time.Duration
	rate               int
	idleN              int
	idleSettle         time.Duration
	connectDuration    time.Duration
	connectWorkers     int
	connectSlice       time.Duration
	historyN           int
	baseline           string // a git ref, for the "base" target
	household          householdConfig
	idleCostN          int
	idleCostDuration   time.Duration
	hearthArch         string // "", or the GOARCH to build Hearth for and run under qemu-user
	workDir            string

	// Set by a scenario for the targets it starts, not by flags.
	users  int  // accounts Hearth is given (loadUsers unless a scenario says)
	pinned bool // start servers on one core with one P (serverCommand)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "tcp-fanout-server" {
		serveTCPFanout(os.Args[2:])
		return
	}
	var cfg config
	scenarios := flag.String("scenarios", "fanout,rate,idle,connect,history", "scenarios to run, comma separated")
	targets := flag.String("targets", "hearth,gorilla,tcp", "targets to run, comma separated")
	flag.IntVar(&cfg.rounds, "rounds", 1, "runs of each scenario per target; ratios are of the medians")
	flag.IntVar(&cfg.n, "n", 1000, "clients in the room for fanout and rate")
	flag.IntVar(&cfg.senders, "senders", 10, "clients that send, for fanout and rate")
	flag.IntVar(&cfg.window, "window", 16, "messages each sender keeps in flight, for fanout")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long fanout and rate send")
	flag.IntVar(&cfg.rate, "rate", 200, "messages per second, all senders together, for rate")
	flag.IntVar(&cfg.idleN, "idle-n", 5000, "idle sockets, for idle")
	flag.DurationVar(&cfg.idleSettle, "idle-settle", 3*time.Second, "how long idle sockets sit before RSS is read")
	flag.DurationVar(&cfg.connectDuration, "connect-duration", 5*time.Second, "how long connect dials each target in a round")
	flag.DurationVar(&cfg.connectSlice, "connect-slice", 250*time.Millisecond, "how long connect dials one target before moving to the next")
	flag.IntVar(&cfg.connectWorkers, "connect-workers", 16, "parallel dialers, for connect")
	flag.IntVar(&cfg.historyN, "history-n", 1_000_000, "messages stored, for history")
	flag.StringVar(&cfg.baseline, "baseline", "", "also build Hearth at this git `ref` and run it as target \"base\"")
	flag.DurationVar(&cfg.household.duration, "household-duration", 2*time.Minute, "how long household runs")
	flag.IntVar(&cfg.household.people, "household-people", 50, "people (accounts), for household")
	flag.IntVar(&cfg.household.sockets, "household-sockets", 150, "sockets of those people (phones, laptops, idle tabs), for household")
	flag.BoolVar(&cfg.household.strace, "household-strace", false, "count Hearth's fsyncs in household with strace (which slows each one it traces)")
	flag.IntVar(&cfg.idleCostN, "idle-cost-n", 150, "idle sockets, for idlecost")
	flag.DurationVar(&cfg.idleCostDuration, "idle-cost-duration", 5*time.Minute, "how long idlecost holds the sockets")
	flag.StringVar(&cfg.hearthArch, "hearth-arch", "", "build Hearth for `arch` (arm64 or arm) and run it under qemu-user")
	pprofAddr := flag.String("hearth-pprof", "", "pass -pprof ADDR to Hearth, to profile it during a run")
	flag.Parse()
	if *pprofAddr != "" {
		hearthLoadFlags = append(hearthLoadFlags, "-pprof", *pprofAddr)
	}
	if cfg.connectDuration < 10*time.Millisecond || cfg.connectSlice < 10*time.Millisecond {
		log.Fatal("-connect-duration and -connect-slice must be at least 10ms")
	}
	cfg.connectSlice = min(cfg.connectSlice, cfg.connectDuration)
	cfg.users = loadUsers
	cfg.scenarios = strings.Split(*scenarios, ",")
	cfg.targets = strings.Split(*targets, ",")
	if cfg.baseline != "" && !wants(cfg.targets, "base") {
		cfg.targets = append(cfg.targets, "base")
	}

	log.SetFlags(0)
	log.SetPrefix("loadtest: ")
	raiseFileLimit()
	dir, err := os.MkdirTemp("", "hearth-loadtest-")
	if err != nil {
		log.Fatal(err)
	}
	cfg.workDir = dir
	// Every process we start is killed on the way out, signal or not.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := 0
	if err := run(ctx, cfg); err != nil {
		log.Print(err)
		code = 1
	}
	killAll()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(ctx context.Context, cfg config) error {
	bins, err := buildBinaries(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("loadtest: %s, %d CPUs; Hearth started with raised limits: %s%s\n",
		time.Now().Format("2006-01-02 15:04"), numCPU(), strings.Join(hearthLoadFlags, " "), hearthNote)
	if bins.base != "" {
		fmt.Printf("loadtest: base is Hearth at %s (%s); hearth is the working tree\n", cfg.baseline, bins.baseCommit)
	}
	for _, sc := range cfg.scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var err error
		switch sc {
		case "fanout":
			err = scenarioFanout(ctx, cfg, bins)
		case "rate":
			err = scenarioRate(ctx, cfg, bins)
		case "idle":
			err = scenarioIdle(ctx, cfg, bins)
		case "connect":
			err = scenarioConnect(ctx, cfg, bins)
		case "history":
			err = scenarioHistory(ctx, cfg, bins)
		case "household":
			err = scenarioHousehold(ctx, cfg, bins)
		case "idlecost":
			err = scenarioIdleCost(ctx, cfg, bins)
		default:
			err = fmt.Errorf("unknown scenario %q", sc)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sc, err)
		}
	}
	return nil
}

// raiseFileLimit lets this process (and the servers it starts) hold
// thousands of sockets.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
