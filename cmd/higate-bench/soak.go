package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// soakSample is one look at the server during the soak.
type soakSample struct {
	at         time.Duration // since the start
	requests   int64         // answered 200 so far
	rss, anon  int64
	file       int64
	heapLive   uint64 // after a GC
	goroutines int
	fds        int
	backlog    int
}

// soakStage runs a steady mixed load (sends, greetings from new users, job
// status reads) for the soak duration, looking at the server every few
// seconds, and says whether goroutines, open files and memory stay flat.
func (b *bench) soakStage(ctx context.Context) error {
	dir := b.newDir("soak")
	f, err := seed(dir, loadUsers(), 100)
	if err != nil {
		return err
	}
	s, err := b.startServer(dir)
	if err != nil {
		return err
	}
	defer s.stop()
	sends := sendBuilder(f, "api: soak ")
	// Job reads are of jobs sent by account 2 (sendBuilder takes account
	// seq%100), with its credentials.
	jobHeaders := []string{"X-WM-CLIENT-ID", f.accounts[2].ClientID, "X-WM-CLIENT-SECRET", f.accounts[2].ClientSecret}
	var lastJob atomic.Value
	lastJob.Store("1")
	var answered atomic.Int64
	l := load{addr: s.addr, conns: 32, rate: b.soakRate, duration: b.soak,
		build: func(buf []byte, seq int64) []byte {
			switch seq % 20 {
			case 0: // a new user says Hi
				body := fmt.Appendf(nil, `{"from":"%s","to":"%s","text":"Hi"}`, userNumber(70_000_000+int(seq)), gatewayNum)
				return request{method: "POST", path: "/sandbox/api/inbound", body: body}.append(buf)
			case 1: // a developer polls a job
				return request{method: "GET", path: "/v3/whatsapp/jobs/" + lastJob.Load().(string), headers: jobHeaders}.append(buf)
			}
			return sends(buf, seq)
		},
		observe: func(seq int64, _ time.Time, status int, body []byte) {
			if status != 200 {
				return
			}
			answered.Add(1)
			if seq%20 > 1 {
				if _, rest, ok := bytes.Cut(body, []byte(`"id":"`)); ok {
					if id, _, ok := bytes.Cut(rest, []byte(`"`)); ok && int(seq)%100 == 2 {
						lastJob.Store(string(id))
					}
				}
			}
		}}
	every := min(max(b.soak/30, 5*time.Second), 30*time.Second)
	var samples []soakSample
	start := time.Now()
	look := func() {
		m := s.memory()
		st, err := s.stats(true)
		if err != nil {
			b.logf("soak: stats: %v", err)
		}
		depth, _ := s.queueDepth()
		sm := soakSample{at: time.Since(start), requests: answered.Load(), rss: m.rss, anon: m.anon, file: m.file,
			heapLive: st.HeapLive, goroutines: st.Goroutines, fds: s.fds(), backlog: depth}
		samples = append(samples, sm)
		b.logf("  %6s  %8d requests  RSS %s (anon %s, file %s)  heap %s  goroutines %d  fds %d  backlog %d",
			sm.at.Round(time.Second), sm.requests, mb(sm.rss), mb(sm.anon), mb(sm.file), mb(int64(sm.heapLive)), sm.goroutines, sm.fds, sm.backlog)
	}
	look() // idle, before the load: what the process must return to
	done := make(chan result, 1)
	go func() { done <- l.run(ctx) }()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var res result
wait:
	for {
		select {
		case res = <-done:
			break wait
		case <-tick.C:
			look()
		}
	}
	if err := s.waitDrained(time.Minute); err != nil {
		return err
	}
	look()
	verdict, body := soakVerdict(samples, res, b.soak, b.soakRate)
	fmt.Fprintln(b.out)
	fmt.Fprint(b.out, body)
	if b.report != "" {
		if err := replaceSection(b.report, "soak", body); err != nil {
			return err
		}
		b.logf("wrote the soak section of %s", b.report)
	}
	if !verdict {
		return fmt.Errorf("the soak found growth; see the table")
	}
	return nil
}

// soakVerdict judges the samples: the first is the idle server before the
// load, the last the idle server after it (queue drained), the ones between
// are under load, of which the first fifth is the warm-up. Goroutines and
// open files must come back to their idle numbers and not creep up under
// load (the median of the second half against the first; single samples
// jitter with the requests in flight); the live heap may grow only by what
// the simulated network keeps by design for every message (inboxes and
// the window of delivered IDs live in memory, both bounded).
func soakVerdict(samples []soakSample, res result, d time.Duration, rate float64) (bool, string) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "## Soak\n\n%s of steady mixed load at %s requests/s (90%% text sends, 5%% greetings from new users, 5%% job reads), one gateway process; measured %s, by `make soak`.\n\n",
		d, num(rate), time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&sb, "Requests: %s answered 200, %d failed%s; latency p50 %s, p99 %s.\n\n", num(float64(res.ok)), res.failed, prefixed(": ", res.errSummary()), ms(res.lat.quantile(0.5)), ms(res.lat.quantile(0.99)))
	sb.WriteString("| time | requests | RSS | RSS anon | RSS file (mmap) | live heap after GC | goroutines | open fds | backlog |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range samples {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s | %d | %d | %d |\n", s.at.Round(time.Second), num(float64(s.requests)), mb(s.rss), mb(s.anon), mb(s.file), mb(int64(s.heapLive)), s.goroutines, s.fds, s.backlog)
	}
	if len(samples) < 7 {
		sb.WriteString("\nToo few samples for a verdict.\n")
		return true, sb.String()
	}
	idle0, idle1 := samples[0], samples[len(samples)-1]
	loaded := samples[1 : len(samples)-1]
	steady := loaded[len(loaded)/5:]
	half := len(steady) / 2
	first, second := steady[:half], steady[half:]
	medianOf := func(xs []soakSample, f func(soakSample) int) int {
		v := make([]int, len(xs))
		for i, x := range xs {
			v[i] = f(x)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	gr := func(s soakSample) int { return s.goroutines }
	fd := func(s soakSample) int { return s.fds }
	a, z := steady[0], steady[len(steady)-1]
	perReq := float64(int64(z.heapLive)-int64(a.heapLive)) / float64(max(z.requests-a.requests, 1))
	ok := true
	check := func(what string, good bool, detail string) {
		v := "flat"
		if !good {
			v, ok = "**grows**", false
		}
		fmt.Fprintf(&sb, "- %s: %s (%s)\n", what, v, detail)
	}
	sb.WriteString("\nVerdict (the first and last rows are the idle server before and after the load; the warm-up, the first fifth under load, is left out):\n\n")
	check("goroutines", idle1.goroutines <= idle0.goroutines+5 && medianOf(second, gr) <= medianOf(first, gr)+10,
		fmt.Sprintf("%d idle before, %d idle after; median under load %d in the first half, %d in the second",
			idle0.goroutines, idle1.goroutines, medianOf(first, gr), medianOf(second, gr)))
	check("open files", idle1.fds <= idle0.fds+2 && medianOf(second, fd) <= medianOf(first, fd)+5,
		fmt.Sprintf("%d idle before, %d idle after; median under load %d in the first half, %d in the second",
			idle0.fds, idle1.fds, medianOf(first, fd), medianOf(second, fd)))
	check("live heap", perReq < 1024, fmt.Sprintf("%s → %s, %.0f bytes per request; the simulated network keeps every delivered message in memory by design, a few hundred bytes each", mb(int64(a.heapLive)), mb(int64(z.heapLive)), perReq))
	fmt.Fprintf(&sb, "- RSS: %s → %s (anon %s → %s; file-backed %s → %s: bbolt's mmap, which grows with the registry file: finished jobs are kept for the retention, 30 days by default)\n",
		mb(a.rss), mb(z.rss), mb(a.anon), mb(z.anon), mb(a.file), mb(z.file))
	return ok, sb.String()
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
