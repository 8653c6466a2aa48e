package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// registrationFigures are greetings through the sandbox inbound path.
type registrationFigures struct {
	api              figures // the inbound requests
	confP50, confP99 time.Duration
	sampled, missing int
}

// registrationStage has new users greet the sandbox number as fast as 200
// connections can, then checks a sample of them for their confirmation.
func (b *bench) registrationStage(ctx context.Context) error {
	var runs []registrationFigures
	for round := range b.rounds {
		rf, err := b.registrationRun(ctx, round)
		if err != nil {
			return err
		}
		b.logf("  round %d: %.0f greetings/s, request p99 %s; confirmation p50 %s p99 %s (%d sampled, %d missing)",
			round+1, rf.api.rate, ms(rf.api.p99), ms(rf.confP50), ms(rf.confP99), rf.sampled, rf.missing)
		runs = append(runs, rf)
	}
	b.rep.registration(runs)
	return nil
}

func (b *bench) registrationRun(ctx context.Context, round int) (registrationFigures, error) {
	var rf registrationFigures
	dir := b.newDir("registration")
	if _, err := seed(dir, nil, 0); err != nil {
		return rf, err
	}
	s, err := b.startServer(dir)
	if err != nil {
		return rf, err
	}
	defer func() { s.stop() }()
	var mu sync.Mutex
	due := map[int64]time.Time{}
	base := 50_000_000 + round*10_000_000 // numbers no other run greets
	l := load{addr: s.addr, conns: 200, warmup: time.Second, duration: b.duration,
		build: func(buf []byte, seq int64) []byte {
			body := fmt.Appendf(nil, `{"from":"%s","to":"%s","text":"Hi"}`, userNumber(base+int(seq)), gatewayNum)
			return request{method: "POST", path: "/sandbox/api/inbound", body: body}.append(buf)
		},
		observe: func(seq int64, sched time.Time, status int, _ []byte) {
			if status == 200 {
				mu.Lock()
				due[seq] = sched
				mu.Unlock()
			}
		}}
	cpu0, t0 := s.cpu(), time.Now()
	r := l.run(ctx)
	rf.api = fromResult(r)
	rf.api.serverCPU = (s.cpu() - cpu0).Seconds() / time.Since(t0).Seconds()
	if err := s.waitDrained(2 * time.Minute); err != nil {
		return rf, err
	}
	seqs := make([]int64, 0, len(due))
	for seq := range due {
		seqs = append(seqs, seq)
	}
	rand.Shuffle(len(seqs), func(i, j int) { seqs[i], seqs[j] = seqs[j], seqs[i] })
	lat := new(hist)
	for _, seq := range seqs[:min(len(seqs), 3000)] {
		msgs, err := s.messages(userNumber(base + int(seq)))
		if err != nil {
			return rf, err
		}
		rf.sampled++
		if len(msgs) == 0 || msgs[0].From != gatewayNum {
			rf.missing++
			continue
		}
		lat.record(msgs[0].At.Sub(due[seq]))
	}
	rf.confP50, rf.confP99 = lat.quantile(0.5), lat.quantile(0.99)
	if rf.sampled == 0 {
		return rf, fmt.Errorf("no greeting was answered 200 (%s)", r.errSummary())
	}
	return rf, nil
}
