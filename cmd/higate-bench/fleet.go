package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"higate/quota"
	"higate/registry"
)

// fleetFigures are one run of the fleet stage.
type fleetFigures struct {
	instances        int
	seedTime         time.Duration
	listening, up    time.Duration // from exec to listening, and to every instance up
	rssUp, rssPeak   int64         // after start-up; the peak over the run
	jobs             int           // accepted before the bans
	queuedAtBan      int           // of those, not yet sent when the bans began
	banPosting       time.Duration // how long posting the 1,000 bans took
	failover         time.Duration // from the first ban to every instance up on its standby
	switched         time.Duration // from the first ban to every standby active, up or not
	drained          time.Duration // from the first ban to every queue empty
	delivered        int           // of the accepted jobs, delivered exactly once
	lost, duplicated int
}

// fleetActive and fleetStandby are instance i's simulated gateway numbers,
// fleetUser its account's recipient.
func fleetActive(i int) string  { return "+1555" + fmt.Sprintf("%07d", 1_000_000+i) }
func fleetStandby(i int) string { return "+1555" + fmt.Sprintf("%07d", 2_000_000+i) }
func fleetUser(i int) string    { return userNumber(60_000_000 + i) }

// fleetStage runs many instances on one server: each has an active and a
// standby simulated number and one account, whose recipient has greeted
// both numbers (so no job waits for re-registration after the failover).
// It measures the start-up with them all and the RSS, has every account
// queue jobs, then bans every active number at once through the sandbox
// fault API and measures how long until every instance is up again on its
// standby; at the end every job accepted before the bans must have been
// delivered exactly once.
func (b *bench) fleetStage(ctx context.Context) error {
	ff := fleetFigures{instances: b.fleetInstances}
	n := b.fleetInstances
	dir := b.newDir("fleet")
	t0 := time.Now()
	ids, accts, err := seedFleet(dir, n)
	if err != nil {
		return err
	}
	ff.seedTime = time.Since(t0)
	b.logf("  seeded %d instances, %d numbers, %d accounts in %s", n, 2*n, n, ff.seedTime.Round(time.Millisecond))

	t0 = time.Now()
	s, err := b.startServer(dir)
	if err != nil {
		return err
	}
	defer s.stop()
	ff.listening = s.listening
	if _, err := s.waitFleet(ids, func(i int) string { return fleetActive(i) }, 60*time.Second); err != nil {
		return err
	}
	ff.up = time.Since(t0)
	ff.rssUp = s.memory().rss
	b.logf("  listening after %s, all %d instances up after %s, RSS %s", ms(ff.listening), n, ms(ff.up), mb(ff.rssUp))

	// Pace the active numbers at a minute, so that after each account's
	// first job the rest wait in the queue when the bans come: the failover
	// has jobs to carry over.
	if err := parallel(n, func(i int) error {
		code, err := call("PUT", s.base+"/admin/api/numbers/"+url.PathEscape(fleetActive(i))+"/pacing",
			map[string]int64{"gap_ms": time.Minute.Milliseconds(), "jitter_ms": 0}, nil, "Authorization", "Bearer "+adminToken)
		if err == nil && code != 200 {
			err = fmt.Errorf("pacing of %s: %d", fleetActive(i), code)
		}
		return err
	}); err != nil {
		return err
	}

	// Every account queues jobs to its recipient.
	per := b.fleetJobs
	if err := sendAll(ctx, s.addr, 32, n*per, func(k int) request {
		i := k % n
		return fleetRequest(ids[i], accts[i], fleetUser(i), "api: fleet "+strconv.Itoa(k))
	}); err != nil {
		return fmt.Errorf("sends: %w", err)
	}
	ff.jobs = n * per
	if depths, err := s.queueDepths(); err == nil {
		for _, id := range ids {
			ff.queuedAtBan += depths[id]
		}
	}

	// Ban every active number at once, from 32 connections.
	t0 = time.Now()
	err = parallel(n, func(i int) error {
		code, err := call("POST", s.base+"/sandbox/api/numbers/"+url.PathEscape(fleetActive(i))+"/fault",
			map[string]string{"kind": "ban"}, nil, "Authorization", "Bearer "+adminToken)
		if err == nil && code != 200 {
			err = fmt.Errorf("ban of %s: %d", fleetActive(i), code)
		}
		return err
	})
	ff.banPosting = time.Since(t0)
	if err != nil {
		return err
	}
	switched, err := s.waitFleet(ids, func(i int) string { return fleetStandby(i) }, 60*time.Second)
	if err != nil {
		return err
	}
	ff.switched = switched.Sub(t0)
	ff.failover = time.Since(t0)
	b.logf("  %d jobs accepted, %d queued at the bans; bans posted in %s; every standby active after %s, all up after %s",
		ff.jobs, ff.queuedAtBan, ms(ff.banPosting), ms(ff.switched), ms(ff.failover))

	// Nothing lost: every job delivered exactly once, by either number.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		depths, err := s.queueDepths()
		left := 0
		for _, id := range ids {
			left += depths[id]
		}
		if err == nil && left == 0 {
			ff.drained = time.Since(t0)
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("queues not drained after 2 minutes: %d left (%v)", left, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	count := make([]int, n*per)
	for i := range n {
		var out struct{ Messages []simMessage }
		// Only the admin token shows messages from numbers of instances
		// other than 0.
		_, err := call("GET", s.base+"/sandbox/api/messages?number="+url.QueryEscape(fleetUser(i)), nil, &out, "Authorization", "Bearer "+adminToken)
		msgs := out.Messages
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if k, err := strconv.Atoi(strings.TrimPrefix(m.Text, "api: fleet ")); err == nil && k >= 0 && k < len(count) {
				count[k]++
			}
		}
	}
	var examples []string
	for k, c := range count {
		switch {
		case c == 1:
			ff.delivered++
		case c == 0:
			ff.lost++
			examples = append(examples, fmt.Sprintf("lost fleet %d", k))
		default:
			ff.duplicated++
			examples = append(examples, fmt.Sprintf("fleet %d delivered %d times", k, c))
		}
	}
	ff.rssPeak = s.memory().peak
	b.logf("  queues drained %s after the first ban; %d delivered once, %d lost, %d duplicated; RSS peak %s",
		ms(ff.drained), ff.delivered, ff.lost, ff.duplicated, mb(ff.rssPeak))
	b.rep.fleet(ff)
	if len(examples) > 0 {
		return fmt.Errorf("fleet check failed: %s", strings.Join(examples[:min(len(examples), 10)], "; "))
	}
	return nil
}

// seedFleet loads a data directory with instance 0 and n instances, each
// with an active and a standby simulated number, one Enterprise account,
// and one recipient registered with both numbers.
func seedFleet(dir string, n int) ([]uint64, []registry.Credentials, error) {
	if _, err := seed(dir, nil, 0); err != nil {
		return nil, nil, err
	}
	st, err := registry.Open(dir, registry.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	ids := make([]uint64, n)
	regs := make([]registry.Registration, 0, 2*n)
	nas := make([]registry.NewAccount, n)
	for i := range n {
		in, err := st.CreateInstance("fleet "+strconv.Itoa(i), false)
		if err != nil {
			return nil, nil, err
		}
		ids[i] = in.ID
		for _, num := range []registry.Number{
			{Number: fleetActive(i), Instance: in.ID, Transport: "sim", Role: registry.RoleActive, State: registry.StateDisconnected},
			{Number: fleetStandby(i), Instance: in.ID, Transport: "sim", Role: registry.RoleStandby, State: registry.StateDisconnected},
		} {
			if _, err := st.AddNumber(num); err != nil {
				return nil, nil, err
			}
		}
		regs = append(regs,
			registry.Registration{Gateway: fleetActive(i), Recipient: fleetUser(i), Lang: "en", Greeting: "Hi"},
			registry.Registration{Gateway: fleetStandby(i), Recipient: fleetUser(i), Lang: "en", Greeting: "Hi"})
		nas[i] = registry.NewAccount{Email: "fleet" + strconv.Itoa(i) + "@bench.invalid", Plan: quota.Enterprise,
			Instance: in.ID, Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 30}}
	}
	if err := st.SeedRegistrations(regs); err != nil {
		return nil, nil, err
	}
	creds, err := st.SeedAccounts(nas)
	if err != nil {
		return nil, nil, err
	}
	return ids, creds, nil
}

// fleetRequest is a text send of acct through its instance to user.
func fleetRequest(instance uint64, acct registry.Credentials, to, text string) request {
	return request{method: "POST", path: "/v3/whatsapp/single/text/message/" + strconv.FormatUint(instance, 10),
		headers: []string{"X-WM-CLIENT-ID", acct.ClientID, "X-WM-CLIENT-SECRET", acct.ClientSecret},
		body:    fmt.Appendf(nil, `{"number":"%s","message":"%s"}`, to[1:], text)}
}

// fleetInstance is an instance as the admin API lists it.
type fleetInstance struct {
	ID         uint64 `json:"id"`
	Active     string `json:"active"`
	Up         bool   `json:"up"`
	QueueDepth int    `json:"queue_depth"`
}

func (s *server) listInstances() ([]fleetInstance, error) {
	var out struct{ Instances []fleetInstance }
	code, err := call("GET", s.base+"/admin/api/instances", nil, &out, "Authorization", "Bearer "+adminToken)
	if err == nil && code != 200 {
		err = fmt.Errorf("GET /admin/api/instances: %d", code)
	}
	return out.Instances, err
}

// queueDepths is every instance's jobs not yet sent.
func (s *server) queueDepths() (map[uint64]int, error) {
	ins, err := s.listInstances()
	out := make(map[uint64]int, len(ins))
	for _, in := range ins {
		out[in.ID] = in.QueueDepth
	}
	return out, err
}

// waitFleet polls the admin listing until the i-th of ids is up with
// active(i) as its active number, for every i. It returns when the last
// of them had active(i) as its active number, up or not.
func (s *server) waitFleet(ids []uint64, active func(i int) string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	var switched time.Time
	for {
		ins, err := s.listInstances()
		byID := make(map[uint64]fleetInstance, len(ins))
		for _, in := range ins {
			byID[in.ID] = in
		}
		pending, other := 0, 0
		for i, id := range ids {
			in := byID[id]
			if in.Active != active(i) {
				other++
			}
			if !in.Up || in.Active != active(i) {
				pending++
			}
		}
		if err == nil && other == 0 && switched.IsZero() {
			switched = time.Now()
		}
		if err == nil && pending == 0 {
			return switched, nil
		}
		if time.Now().After(deadline) {
			return switched, fmt.Errorf("%d of %d instances not up on the expected number after %s (%v)", pending, len(ids), timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// parallel runs fn(0) to fn(n-1) from 32 goroutines and returns the first
// error.
func parallel(n int, fn func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	wg.Wait()
	return first
}
