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
	historyN           int
	baseline           string // a git ref, for the "base" target
	workDir            string
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
	flag.DurationVar(&cfg.connectDuration, "connect-duration", 5*time.Second, "how long connect dials")
	flag.IntVar(&cfg.connectWorkers, "connect-workers", 16, "parallel dialers, for connect")
	flag.IntVar(&cfg.historyN, "history-n", 1_000_000, "messages stored, for history")
	flag.StringVar(&cfg.baseline, "baseline", "", "also build Hearth at this git `ref` and run it as target \"base\"")
	pprofAddr := flag.String("hearth-pprof", "", "pass -pprof ADDR to Hearth, to profile it during a run")
	flag.Parse()
	if *pprofAddr != "" {
		hearthLoadFlags = append(hearthLoadFlags, "-pprof", *pprofAddr)
	}
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
	fmt.Printf("loadtest: %s, %d CPUs; Hearth started with raised limits: %s\n",
		time.Now().Format("2006-01-02 15:04"), numCPU(), strings.Join(hearthLoadFlags, " "))
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
