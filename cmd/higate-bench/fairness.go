package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"higate/registry"
)

// fairnessFigures are one run of the fairness stage: how long the single
// messages of accounts with nothing queued waited on a paced number while
// another account had a backlog, in pacing gaps, from the request to the
// delivery: one at a time (the target), and arriving at random, so that
// several are sometimes waiting at once.
type fairnessFigures struct {
	gap           time.Duration
	backlog       int           // messages the backlog account queued
	acceptBacklog time.Duration // how long queuing them took
	alone, mixed  singles
	backlogSent   int           // backlog messages sent from the first single to the end
	window        time.Duration // from the first single to the last delivery
}

// singles are the waits of one kind of single messages, in gaps; one not
// delivered within the run waits +Inf.
type singles struct {
	sent, delivered      int
	p50, p99, max        float64
	queuedP50, queuedP99 float64       // the waits from the answer (the job on disk) to the delivery
	acceptP99            time.Duration // of their requests
}

func (x *singles) measure(waits, queued []float64, accept *hist) {
	x.sent = len(waits)
	for _, w := range waits {
		if !math.IsInf(w, 1) {
			x.delivered++
		}
	}
	x.p50, x.p99, x.max = quantile(waits, 0.5), quantile(waits, 0.99), quantile(waits, 1)
	x.queuedP50, x.queuedP99 = quantile(queued, 0.5), quantile(queued, 0.99)
	x.acceptP99 = accept.quantile(0.99)
}

// fairnessStage measures fair share: 100 accounts on the sandbox number,
// paced; one queues a backlog; then the 99 others send single messages,
// first one at a time (each at a random moment after the last was
// delivered: a message of an account with nothing queued, and nobody else
// waiting but the backlog), then as a Poisson process, one every 4 gaps on
// average, so that several sometimes wait at once. Each single's wait from
// its request to its delivery is taken from the sim's inbox.
func (b *bench) fairnessStage(ctx context.Context) error {
	var runs []fairnessFigures
	for round := range b.rounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		ff, err := b.fairnessRun(ctx, int64(round))
		if err != nil {
			return err
		}
		b.logf("  round %d: backlog %d queued in %s; one at a time: %d of %d delivered, wait p50 %.2f p99 %.2f max %.2f gaps; at random: %d of %d, p50 %.2f p99 %.2f max %.2f gaps; %d backlog sent meanwhile",
			round+1, ff.backlog, ff.acceptBacklog.Round(time.Millisecond), ff.alone.delivered, ff.alone.sent, ff.alone.p50, ff.alone.p99, ff.alone.max,
			ff.mixed.delivered, ff.mixed.sent, ff.mixed.p50, ff.mixed.p99, ff.mixed.max, ff.backlogSent)
		runs = append(runs, ff)
	}
	b.rep.fairness(runs)
	return nil
}

func (b *bench) fairnessRun(ctx context.Context, round int64) (fairnessFigures, error) {
	ff := fairnessFigures{gap: b.fairGap, backlog: b.fairBacklog}
	dir := b.newDir("fairness")
	users := loadUsers()
	f, err := seed(dir, users, 100)
	if err != nil {
		return ff, err
	}
	s, err := b.startServer(dir)
	if err != nil {
		return ff, err
	}
	defer s.stop()
	if code, err := call("PUT", s.base+"/admin/api/numbers/"+gatewayNum+"/pacing",
		map[string]int64{"gap_ms": b.fairGap.Milliseconds(), "jitter_ms": 0}, nil, "Authorization", "Bearer "+adminToken); err != nil || code != 200 {
		return ff, fmt.Errorf("set pacing: %d %v", code, err)
	}
	// The backlog goes to the first half of the users, the singles to the
	// second, one user each, so reading a single's inbox reads nothing else.
	backlogUsers, singleUsers := users[:len(users)/2], users[len(users)/2:]
	t0 := time.Now()
	if err := sendAll(ctx, s.addr, 32, b.fairBacklog, func(i int) request {
		return textRequest(f.accounts[0], backlogUsers[i%len(backlogUsers)], "api: backlog "+strconv.Itoa(i))
	}); err != nil {
		return ff, fmt.Errorf("backlog: %w", err)
	}
	ff.acceptBacklog = time.Since(t0)
	rng := rand.New(rand.NewPCG(uint64(round), 12))
	others := f.accounts[1:]
	n := min(b.fairSingles, len(singleUsers)/2)
	start := time.Now()

	// One at a time.
	waits, queued, accept := make([]float64, n), make([]float64, n), new(hist)
	c := newConn(s.addr)
	for k := range n {
		if err := ctx.Err(); err != nil {
			return ff, err
		}
		sleepUntil(ctx, time.Now().Add(time.Duration(rng.Float64()*2*float64(b.fairGap)))) // a random phase of the number's slots
		user, text := singleUsers[k], "api: alone "+strconv.Itoa(k)
		sent := time.Now()
		if code, _, err := c.do(textRequest(others[k%len(others)], user, text).append(nil)); err != nil || code != 200 {
			return ff, fmt.Errorf("single send: %d %v", code, err)
		}
		answered := time.Now()
		accept.record(answered.Sub(sent))
		waits[k], queued[k] = math.Inf(1), math.Inf(1)
		for deadline := time.Now().Add(max(100*b.fairGap, 10*time.Second)); time.Now().Before(deadline); {
			got, err := deliveredAt(s, []string{user}, "api: alone ")
			if err != nil {
				return ff, err
			}
			if at, ok := got[k]; ok {
				waits[k] = float64(at.Sub(sent)) / float64(b.fairGap)
				queued[k] = float64(at.Sub(answered)) / float64(b.fairGap)
				break
			}
			time.Sleep(b.fairGap / 10)
		}
	}
	c.close()
	ff.alone.measure(waits, queued, accept)

	// At random, as a Poisson process.
	mixedUsers := singleUsers[n:]
	sentAt, answeredAt := make([]time.Time, n), make([]time.Time, n)
	accept = new(hist)
	var mu sync.Mutex
	var failed atomic.Int64
	var wg sync.WaitGroup
	next := time.Now()
	for k := range n {
		next = next.Add(time.Duration(rng.ExpFloat64() * 4 * float64(b.fairGap)))
		at := next
		req := textRequest(others[k%len(others)], mixedUsers[k], "api: mixed "+strconv.Itoa(k))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sleepUntil(ctx, at)
			c := newConn(s.addr)
			defer c.close()
			sentAt[k] = time.Now()
			if code, _, err := c.do(req.append(nil)); err != nil || code != 200 {
				failed.Add(1)
			}
			answeredAt[k] = time.Now()
			mu.Lock()
			accept.record(answeredAt[k].Sub(sentAt[k]))
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return ff, fmt.Errorf("%d single sends failed", n)
	}
	// Wait for the last: a fair queue delivers them within a few gaps; an
	// unfair one would take the backlog's time, so give up after a while
	// and count them as not delivered.
	waits, queued = make([]float64, n), make([]float64, n)
	for deadline := time.Now().Add(max(100*b.fairGap, 10*time.Second)); ; {
		got, err := deliveredAt(s, mixedUsers, "api: mixed ")
		if err != nil {
			return ff, err
		}
		for k := range waits {
			waits[k], queued[k] = math.Inf(1), math.Inf(1)
			if t, ok := got[k]; ok {
				waits[k] = float64(t.Sub(sentAt[k])) / float64(b.fairGap)
				queued[k] = float64(t.Sub(answeredAt[k])) / float64(b.fairGap)
			}
		}
		if len(got) == n || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	ff.mixed.measure(waits, queued, accept)
	ff.window = time.Since(start)
	backlog, err := deliveredAt(s, backlogUsers, "api: backlog ")
	if err != nil {
		return ff, err
	}
	for _, at := range backlog {
		if !at.Before(start) {
			ff.backlogSent++
		}
	}
	return ff, nil
}

// quantile is the p-quantile of xs (nearest rank), which it sorts.
func quantile(xs []float64, p float64) float64 {
	slices.Sort(xs)
	return xs[max(min(int(math.Ceil(p*float64(len(xs))))-1, len(xs)-1), 0)]
}

// textRequest is a text send of acct to user.
func textRequest(acct registry.Credentials, to, text string) request {
	return request{method: "POST", path: "/v3/whatsapp/single/text/message/0",
		headers: []string{"X-WM-CLIENT-ID", acct.ClientID, "X-WM-CLIENT-SECRET", acct.ClientSecret},
		body:    fmt.Appendf(nil, `{"number":"%s","message":"%s"}`, to[1:], text)}
}

// sendAll sends n requests over conns connections and fails unless each
// is answered 200.
func sendAll(ctx context.Context, addr string, conns, n int, build func(i int) request) error {
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newConn(addr)
			defer c.close()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if code, _, err := c.do(build(i).append(nil)); err != nil || code != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("%d of %d sends failed", f, n)
	}
	return ctx.Err()
}

// deliveredAt reads the inboxes of users and returns, per number k of the
// messages whose text is prefix + k, when it arrived.
func deliveredAt(s *server, users []string, prefix string) (map[int]time.Time, error) {
	out := map[int]time.Time{}
	for _, u := range users {
		msgs, err := s.messages(u)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if rest, ok := strings.CutPrefix(m.Text, prefix); ok {
				if k, err := strconv.Atoi(rest); err == nil {
					out[k] = m.At
				}
			}
		}
	}
	return out, nil
}

func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
