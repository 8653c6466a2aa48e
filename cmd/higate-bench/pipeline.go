package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pipelineFigures are accept-to-delivery latencies at a fixed send rate.
type pipelineFigures struct {
	rate             float64
	accept           figures // the API's side
	p50, p99, p999   time.Duration
	max              time.Duration
	measured, missed int // messages accepted in the window; of them, never delivered
}

// pipelineStage sends at a fixed rate (open loop) and measures, per
// message, from when it was due to be sent to when the simulated recipient
// had it, by the timestamps of the sandbox inbox (same machine, same clock).
func (b *bench) pipelineStage(ctx context.Context) error {
	var runs []pipelineFigures
	for round := range b.rounds {
		pf, err := b.pipelineRun(ctx)
		if err != nil {
			return err
		}
		b.logf("  round %d: %.0f msgs/s accepted; delivery p50 %s p99 %s p99.9 %s; %d missed",
			round+1, pf.accept.rate, ms(pf.p50), ms(pf.p99), ms(pf.p999), pf.missed)
		runs = append(runs, pf)
	}
	b.rep.pipeline(runs)
	return nil
}

func (b *bench) pipelineRun(ctx context.Context) (pipelineFigures, error) {
	pf := pipelineFigures{rate: b.pipelineRate}
	dir := b.newDir("pipeline")
	f, err := seed(dir, loadUsers(), 100)
	if err != nil {
		return pf, err
	}
	s, err := b.startServer(dir)
	if err != nil {
		return pf, err
	}
	defer func() { s.stop() }()
	var mu sync.Mutex
	due := map[int64]time.Time{} // seq -> when it was due, for accepted sends in the window
	warmup := 2 * time.Second
	l := load{addr: s.addr, conns: 64, rate: b.pipelineRate, warmup: warmup, duration: b.duration * 2,
		build: sendBuilder(f, "api: p"),
		observe: func(seq int64, sched time.Time, status int, _ []byte) {
			if status == 200 {
				mu.Lock()
				due[seq] = sched
				mu.Unlock()
			}
		}}
	r := l.run(ctx)
	pf.accept = fromResult(r)
	pf.accept.rate = float64(r.ok) / l.duration.Seconds()
	if err := s.waitDrained(time.Minute); err != nil {
		return pf, err
	}
	lat := new(hist)
	seen := map[int64]bool{}
	for _, u := range f.users {
		msgs, err := s.messages(u)
		if err != nil {
			return pf, err
		}
		for _, m := range msgs {
			seq, err := strconv.ParseInt(strings.TrimPrefix(m.Text, "api: p"), 10, 64)
			if err != nil || !strings.HasPrefix(m.Text, "api: p") {
				continue
			}
			if t, ok := due[seq]; ok && !seen[seq] {
				seen[seq] = true
				lat.record(m.At.Sub(t))
			}
		}
	}
	pf.measured, pf.missed = len(due), len(due)-len(seen)
	pf.p50, pf.p99, pf.p999, pf.max = lat.quantile(0.5), lat.quantile(0.99), lat.quantile(0.999), lat.quantile(1)
	if pf.measured == 0 {
		return pf, fmt.Errorf("no send was accepted (%s)", r.errSummary())
	}
	return pf, nil
}
