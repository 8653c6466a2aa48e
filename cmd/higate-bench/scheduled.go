package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"higate/registry"
)

// scheduledFigures compare the accept run on a registry holding scheduled
// jobs with the same run on an empty one.
type scheduledFigures struct {
	jobs          int
	seedTime      time.Duration
	empty, loaded []figures
}

// scheduledStage queues jobs with a send_at from one to thirty days ahead
// into a registry once, then runs the 200-connection accept run alternately
// on a copy of it and on an empty registry: scheduled jobs are kept out of
// the queue, so the dispatcher's claims never read them and the accepts
// should not notice them.
func (b *bench) scheduledStage(ctx context.Context) error {
	sf := scheduledFigures{jobs: b.scheduledJobs}
	template := b.newDir("scheduled-template")
	t0 := time.Now()
	f, err := seedScheduled(template, b.scheduledJobs)
	if err != nil {
		return err
	}
	sf.seedTime = time.Since(t0)
	b.logf("  scheduled %d jobs in %s", b.scheduledJobs, sf.seedTime.Round(time.Second))
	for round := range b.rounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, l, err := b.emptyThenLoaded(ctx, "scheduled", template, f, "")
		if err != nil {
			return err
		}
		b.logf("  round %d: empty %7.0f/s p99 %-8s with %d scheduled %7.0f/s p99 %-8s (dispatched %.0f/s, backlog %d)",
			round+1, e.rate, ms(e.p99), b.scheduledJobs, l.rate, ms(l.p99), l.dispatched, l.backlog)
		sf.empty, sf.loaded = append(sf.empty, e), append(sf.loaded, l)
	}
	b.rep.scheduled(sf)
	return nil
}

// seedScheduled writes the accept fixture and n jobs of its accounts to its
// users, each with a send_at between one and thirty days ahead, through
// the registry's own Accept (from parallel's goroutines, so its group
// commit batches them).
func seedScheduled(dir string, n int) (fixture, error) {
	f, err := seed(dir, loadUsers(), 100)
	if err != nil {
		return f, err
	}
	st, err := registry.Open(dir, registry.Options{})
	if err != nil {
		return f, err
	}
	defer st.Close()
	// Accept needs the instance's number; the server keeps this one.
	if _, err := st.AddNumber(registry.Number{Number: gatewayNum, Instance: registry.SandboxInstance,
		Transport: "sim", Role: registry.RoleActive, State: registry.StateDisconnected}); err != nil {
		return f, err
	}
	now := time.Now()
	var failed atomic.Int64
	firstErr := parallel(n, func(i int) error {
		acct := f.accounts[i%len(f.accounts)]
		at := now.Add(24*time.Hour + time.Duration(i)*(29*24*time.Hour/time.Duration(n)))
		_, err := st.Accept(registry.SendRequest{ClientID: acct.ClientID, Instance: registry.SandboxInstance, Kind: "text",
			To: f.users[i%len(f.users)], Text: fmt.Sprint("api: scheduled ", i), SendAt: at})
		if err != nil {
			failed.Add(1)
		}
		return err
	})
	if firstErr != nil {
		return f, fmt.Errorf("%d of %d scheduled sends failed: %w", failed.Load(), n, firstErr)
	}
	if got := st.Scheduled(registry.SandboxInstance); got != n {
		return f, fmt.Errorf("%d jobs scheduled, want %d", got, n)
	}
	if _, err := os.Stat(filepath.Join(dir, "higate.db")); err != nil {
		return f, err
	}
	return f, nil
}
