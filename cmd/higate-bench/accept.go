package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"higate/registry"
)

// figures are one run's measurements.
type figures struct {
	rate             float64 // successful requests per second
	p50, p99, p999   time.Duration
	failed           int64
	errs             string
	serverCPU        float64 // cores the server used on average
	backlog          int     // jobs still queued when the run ended
	dispatched       float64 // jobs the dispatcher sent per second over the run
	rssStart, rssEnd int64
	peak             int64
	anon, file       int64
	listening, up    time.Duration
	dbSize           int64
}

func fromResult(r result) figures {
	return figures{rate: r.perSecond(), p50: r.lat.quantile(0.5), p99: r.lat.quantile(0.99), p999: r.lat.quantile(0.999),
		failed: r.failed, errs: r.errSummary()}
}

// bareRun measures the baseline at conns connections with requests shaped
// like the accept run's.
func (b *bench) bareRun(ctx context.Context, conns int) (figures, error) {
	p, err := startProc(b.self, []string{"bare"}, nil, filepath.Join(b.profiles, "bare.log"), false)
	if err != nil {
		return figures{}, err
	}
	defer p.stop()
	f := fixture{accounts: loadCredentials(), users: loadUsers()}
	cpu0, t0 := p.cpu(), time.Now()
	r := load{addr: p.addr, conns: conns, warmup: time.Second, duration: b.duration * 5 / 8, build: sendBuilder(f, "api: bare ")}.run(ctx)
	fig := fromResult(r)
	fig.serverCPU = (p.cpu() - cpu0).Seconds() / time.Since(t0).Seconds()
	return fig, nil
}

// loadCredentials are stand-in credentials for the baseline, which checks none.
func loadCredentials() []registry.Credentials {
	out := make([]registry.Credentials, 100)
	for i := range out {
		out[i].ClientID = fmt.Sprintf("hg_%024d", i)
		out[i].ClientSecret = fmt.Sprintf("%064d", i)
	}
	return out
}

// acceptRun measures authenticated, durable text sends at conns
// connections against a server started on dir (already seeded with f),
// the dispatcher delivering to the simulated network all the while. With
// profile set it keeps a 5-second CPU profile of the server, and a heap
// profile taken right after it (the path with .heap.pprof).
func (b *bench) acceptRun(ctx context.Context, dir string, f fixture, conns int, profile string) (figures, error) {
	var fig figures
	t0 := time.Now()
	s, err := b.startServer(dir)
	if err != nil {
		return fig, err
	}
	defer func() { s.stop(); os.RemoveAll(dir) }()
	fig.listening, fig.up = s.listening, time.Since(t0)
	fig.rssStart = s.memory().rss
	if st, err := os.Stat(filepath.Join(dir, "higate.db")); err == nil {
		fig.dbSize = st.Size()
	}

	var accepted atomic.Int64
	warmup := 2 * time.Second
	l := load{addr: s.addr, conns: conns, warmup: warmup, duration: b.duration, build: sendBuilder(f, "api: load "),
		observe: func(_ int64, _ time.Time, status int, _ []byte) {
			if status == 200 {
				accepted.Add(1)
			}
		}}
	done := make(chan struct{})
	if profile != "" {
		go func() {
			defer close(done)
			time.Sleep(warmup + time.Second)
			if err := s.saveProfile(profile, "profile?seconds=5"); err != nil {
				b.logf("profile: %v", err)
			}
			// The heap right after, still under load: what the RSS is made of.
			if err := s.saveProfile(strings.TrimSuffix(profile, ".pprof")+".heap.pprof", "heap"); err != nil {
				b.logf("heap profile: %v", err)
			}
		}()
	} else {
		close(done)
	}
	cpu0, start := s.cpu(), time.Now()
	r := l.run(ctx)
	elapsed := time.Since(start)
	fig2 := fromResult(r)
	fig2.listening, fig2.up, fig2.rssStart, fig2.dbSize = fig.listening, fig.up, fig.rssStart, fig.dbSize
	fig = fig2
	fig.serverCPU = (s.cpu() - cpu0).Seconds() / elapsed.Seconds()
	<-done
	m := s.memory()
	fig.rssEnd, fig.peak, fig.anon, fig.file = m.rss, m.peak, m.anon, m.file
	if depth, err := s.queueDepth(); err == nil {
		fig.backlog = depth
		// The observed count misses the warm-up's sends, so count the
		// dispatcher's share over the measured window only.
		fig.dispatched = max(float64(accepted.Load()-int64(depth)), 0) / b.duration.Seconds()
	}
	return fig, nil
}

// saveProfile saves one of the server's /debug/pprof/ profiles.
func (s *server) saveProfile(path, which string) error {
	resp, err := setupClient.Get(fmt.Sprintf("http://%s/debug/pprof/%s", s.debug, which))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.ReadFrom(resp.Body)
	return err
}

// acceptStage compares accepts with the bare baseline at each connection
// count, alternating the two round by round.
func (b *bench) acceptStage(ctx context.Context) error {
	for _, conns := range b.conns {
		var bare, acc []figures
		for round := range b.rounds {
			if err := ctx.Err(); err != nil {
				return err
			}
			bf, err := b.bareRun(ctx, conns)
			if err != nil {
				return fmt.Errorf("bare baseline: %w", err)
			}
			dir := b.newDir(fmt.Sprintf("accept-%d", conns))
			f, err := seed(dir, loadUsers(), 100)
			if err != nil {
				return err
			}
			profile := ""
			if conns == 200 && round == 0 {
				profile = filepath.Join(b.profiles, "accept-200.pprof")
				b.rep.profile = profile
			}
			af, err := b.acceptRun(ctx, dir, f, conns, profile)
			if err != nil {
				return err
			}
			b.logf("  %4d conns round %d: bare %8.0f/s p99 %-8s accept %7.0f/s p99 %-8s (server %.2f cores, backlog %d)",
				conns, round+1, bf.rate, ms(bf.p99), af.rate, ms(af.p99), af.serverCPU, af.backlog)
			bare, acc = append(bare, bf), append(acc, af)
		}
		b.rep.accept(conns, bare, acc)
	}
	return nil
}
