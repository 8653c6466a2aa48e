// Command higate-bench measures Higate on the machine it runs on and writes
// the report docs/BENCHMARKS.md: a bare net/http handler as the baseline,
// durable accepts at 50, 200 and 1,000 connections with the dispatcher
// delivering to the simulated network at the same time, the same accept
// run with 100,000 jobs scheduled for later, accept-to-delivery latency at
// a fixed rate, registrations, the same accept run against a registry of a
// million registrations, fair share on a paced number, a fleet of 1,000
// instances failing over at once, kill -9 crash
// cycles, and (with -soak) a soak that watches memory, goroutines and open
// files.
//
// The gateway under test is the real server, cmd/higate built with
// -tags benchdebug (which adds a pprof listener), run as a child process on
// loopback with a fresh data directory per run. Everything is measured side
// by side in one run, round by round, because the machine is small and
// shared: a figure and its baseline come from adjacent minutes.
//
// Usage (see the Makefile's bench and soak targets):
//
//	go build -tags benchdebug -o bin/higate-benchserver ./cmd/higate
//	go run ./cmd/higate-bench -server bin/higate-benchserver -report docs/BENCHMARKS.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "higate-bench:", err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	server         string
	report         string
	gobench        string
	profiles       string
	work           string
	stages         map[string]bool
	rounds         int
	duration       time.Duration
	conns          []int
	pipelineRate   float64
	scaleRegs      int
	scaleAccounts  int
	crashCycles    int
	fairGap        time.Duration
	fairBacklog    int
	fairSingles    int
	scheduledJobs  int
	fleetInstances int
	fleetJobs      int
	soak           time.Duration
	soakRate       float64
}

const allStages = "accept,accept-scheduled,pipeline,registration,scale,fairness,fleet,crash"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "bare" {
		return serveBare(ctx, args[2:], stdout)
	}
	var c config
	fs := flag.NewFlagSet("higate-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.server, "server", "bin/higate-benchserver", "the gateway binary: cmd/higate built with -tags benchdebug")
	fs.StringVar(&c.report, "report", "docs/BENCHMARKS.md", "where to write the report (\"\" for none)")
	fs.StringVar(&c.gobench, "gobench", "", "output of go test -bench to include in the report")
	fs.StringVar(&c.profiles, "profiles", "bin/bench", "where to keep CPU profiles and server logs")
	fs.StringVar(&c.work, "work", "", "scratch directory for data directories (default: a new temp dir, removed at the end)")
	stages := fs.String("stages", allStages, "stages to run, comma-separated: "+allStages)
	fs.IntVar(&c.rounds, "rounds", 3, "rounds of each side-by-side comparison; the report gives the median")
	fs.DurationVar(&c.duration, "duration", 8*time.Second, "measured time of each accept run (after a 2 s warm-up)")
	conns := fs.String("conns", "50,200,1000", "connection counts of the accept stage")
	fs.Float64Var(&c.pipelineRate, "pipeline-rate", 1000, "sends per second of the pipeline stage")
	fs.IntVar(&c.scaleRegs, "scale-registrations", 1_000_000, "registrations loaded for the scale stage")
	fs.IntVar(&c.scaleAccounts, "scale-accounts", 100_000, "accounts loaded for the scale stage")
	fs.IntVar(&c.crashCycles, "crash-cycles", 20, "kill -9 cycles of the crash stage")
	fs.DurationVar(&c.fairGap, "fairness-gap", 50*time.Millisecond, "pacing gap of the sandbox number in the fairness stage")
	fs.IntVar(&c.fairBacklog, "fairness-backlog", 10_000, "messages one account queues in the fairness stage")
	fs.IntVar(&c.fairSingles, "fairness-singles", 100, "single messages the other 99 accounts send in each part of the fairness stage (at most 250)")
	fs.IntVar(&c.scheduledJobs, "scheduled-jobs", 100_000, "jobs scheduled 1 to 30 days ahead in the accept-scheduled stage")
	fs.IntVar(&c.fleetInstances, "fleet-instances", 1000, "instances of the fleet stage, each with an active and a standby simulated number and one account")
	fs.IntVar(&c.fleetJobs, "fleet-jobs", 10, "jobs each account of the fleet stage queues before every active number is banned")
	fs.DurationVar(&c.soak, "soak", 0, "run the soak for this long instead of the stages (make soak)")
	fs.Float64Var(&c.soakRate, "soak-rate", 400, "requests per second during the soak")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	c.stages = map[string]bool{}
	for s := range strings.SplitSeq(*stages, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if !strings.Contains(","+allStages+",", ","+s+",") {
				return fmt.Errorf("unknown stage %q", s)
			}
			c.stages[s] = true
		}
	}
	for s := range strings.SplitSeq(*conns, ",") {
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			return fmt.Errorf("-conns: %q is not a connection count", s)
		}
		c.conns = append(c.conns, n)
	}
	if c.rounds < 1 {
		return fmt.Errorf("-rounds must be at least 1")
	}
	if _, err := os.Stat(c.server); err != nil {
		return fmt.Errorf("the server binary: %w (build it with: go build -tags benchdebug -o %s ./cmd/higate)", err, c.server)
	}
	b, err := newBench(c, stdout)
	if err != nil {
		return err
	}
	defer b.cleanup()
	if c.soak > 0 {
		return b.soakStage(ctx)
	}
	return b.runStages(ctx)
}

// bench is one run of the tool: its configuration, where it keeps things,
// and the report it builds.
type bench struct {
	config
	self string // this executable, run again as the bare baseline
	out  io.Writer
	rep  *report
	tmp  bool // work is ours to remove
	seq  int  // numbers data directories
}

func newBench(c config, stdout io.Writer) (*bench, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b := &bench{config: c, self: self, out: stdout, rep: newReport()}
	if b.work == "" {
		if b.work, err = os.MkdirTemp("", "higate-bench-"); err != nil {
			return nil, err
		}
		b.tmp = true
	}
	if err := os.MkdirAll(b.profiles, 0o755); err != nil {
		return nil, err
	}
	if b.server, err = filepath.Abs(b.server); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *bench) cleanup() {
	if b.tmp {
		os.RemoveAll(b.work)
	}
}

// logf prints progress; the report comes at the end.
func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.out, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func (b *bench) runStages(ctx context.Context) error {
	b.rep.start(b.config)
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"accept", b.acceptStage},
		{"accept-scheduled", b.scheduledStage},
		{"pipeline", b.pipelineStage},
		{"registration", b.registrationStage},
		{"scale", b.scaleStage},
		{"fairness", b.fairnessStage},
		{"fleet", b.fleetStage},
		{"crash", b.crashStage},
	}
	for _, s := range steps {
		if !b.stages[s.name] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		b.logf("stage %s", s.name)
		if err := s.fn(ctx); err != nil {
			b.rep.fail(s.name, err)
			b.logf("stage %s failed: %v", s.name, err)
			continue
		}
		b.logf("stage %s done in %s", s.name, time.Since(t0).Round(time.Second))
	}
	if b.gobench != "" {
		if err := b.rep.addGoBench(b.gobench); err != nil {
			b.logf("go benchmarks: %v", err)
		}
	}
	text := b.rep.markdown(b.report)
	fmt.Fprintln(b.out)
	fmt.Fprint(b.out, b.rep.summary())
	if b.report != "" {
		if err := os.WriteFile(b.report, []byte(text), 0o644); err != nil {
			return err
		}
		b.logf("wrote %s", b.report)
	}
	return nil
}
