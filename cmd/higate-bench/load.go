package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// load describes one load run against one server.
type load struct {
	addr     string // host:port
	conns    int    // connections, one worker each
	warmup   time.Duration
	duration time.Duration // measured, after the warm-up
	// rate is the arrival rate of an open-loop run, requests per second in
	// all; zero makes a closed loop, where each worker sends its next
	// request as soon as the last is answered.
	rate float64
	// build appends request number seq to b.
	build func(b []byte, seq int64) []byte
	// ok says whether a response is a success; nil means status 200.
	ok func(status int, body []byte) bool
	// observe, if set, sees every response in the measured window; sched
	// is when the request was due (sent, for a closed loop).
	observe func(seq int64, sched time.Time, status int, body []byte)
}

// result is what a load run measured, over the measured window only.
type result struct {
	ok     int64            // successful requests completed in the window
	failed int64            // the others, by reason in errs
	errs   map[string]int64 // reason -> count
	lat    *hist            // latency of successful requests
	window time.Duration
}

func (r result) perSecond() float64 { return float64(r.ok) / r.window.Seconds() }

// errSummary lists the failure reasons, most frequent first.
func (r result) errSummary() string {
	if r.failed == 0 {
		return ""
	}
	type kv struct {
		k string
		v int64
	}
	var list []kv
	for k, v := range r.errs {
		list = append(list, kv{k, v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v })
	var parts []string
	for i, e := range list {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%d× %s", e.v, e.k))
	}
	return strings.Join(parts, ", ")
}

// run drives the load. A closed loop counts requests by when they
// complete; an open loop schedules request seq at start+seq/rate and
// measures latency from then, so a server that falls behind is charged for
// the time requests waited to be sent (no coordinated omission).
func (l load) run(ctx context.Context) result {
	res := result{errs: map[string]int64{}, lat: new(hist), window: l.duration}
	var mu sync.Mutex
	fail := func(reason string) {
		mu.Lock()
		res.failed++
		res.errs[reason]++
		mu.Unlock()
	}
	okFn := l.ok
	if okFn == nil {
		okFn = func(status int, _ []byte) bool { return status == 200 }
	}
	start := time.Now()
	from, end := start.Add(l.warmup), start.Add(l.warmup+l.duration)
	var next atomic.Int64
	var good atomic.Int64
	var wg sync.WaitGroup
	for range l.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newConn(l.addr)
			defer c.close()
			var buf []byte
			for ctx.Err() == nil {
				seq := next.Add(1) - 1
				sched := time.Now()
				if l.rate > 0 {
					sched = start.Add(time.Duration(float64(seq) / l.rate * float64(time.Second)))
					if !sched.Before(end) {
						return
					}
					if d := time.Until(sched); d > 0 {
						time.Sleep(d)
					}
				} else if !sched.Before(end) {
					return
				}
				buf = l.build(buf[:0], seq)
				status, body, err := c.do(buf)
				done := time.Now()
				measured := !sched.Before(from)
				if l.rate == 0 {
					measured = !done.Before(from) && !done.After(end)
				}
				if !measured {
					continue
				}
				switch {
				case err != nil:
					fail(errReason(err))
				case !okFn(status, body):
					fail(fmt.Sprintf("status %d", status))
				default:
					good.Add(1)
					res.lat.record(done.Sub(sched))
				}
				if l.observe != nil && err == nil {
					l.observe(seq, sched, status, body)
				}
			}
		}()
	}
	wg.Wait()
	res.ok = good.Load()
	return res
}

// errReason shortens a network error to its kind, so a thousand resets
// are one line of the report.
func errReason(err error) string {
	s := err.Error()
	for _, k := range []string{"connection reset", "broken pipe", "connection refused", "EOF", "timeout"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	return s
}
