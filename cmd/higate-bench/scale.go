package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"higate/quota"
	"higate/registry"
)

// scaleFigures compare the accept run on a loaded registry with the same
// run on an empty one.
type scaleFigures struct {
	regs, accounts int
	seedTime       time.Duration
	dbSize         int64
	empty, loaded  []figures
}

// scaleStage loads a registry with a million registrations and 100,000
// accounts once, then runs the 200-connection accept run alternately on a
// copy of it and on an empty registry.
func (b *bench) scaleStage(ctx context.Context) error {
	sf := scaleFigures{regs: b.scaleRegs, accounts: b.scaleAccounts}
	template := b.newDir("scale-template")
	t0 := time.Now()
	f, err := seedScale(template, b.scaleRegs, b.scaleAccounts)
	if err != nil {
		return err
	}
	sf.seedTime = time.Since(t0)
	if st, err := os.Stat(filepath.Join(template, "higate.db")); err == nil {
		sf.dbSize = st.Size()
	}
	b.logf("  seeded %d registrations and %d accounts in %s: %s", b.scaleRegs, b.scaleAccounts, sf.seedTime.Round(time.Second), mb(sf.dbSize))
	for round := range b.rounds {
		if err := ctx.Err(); err != nil {
			return err
		}
		profile := ""
		if round == 0 {
			profile = filepath.Join(b.profiles, "accept-200-loaded.pprof")
		}
		e, l, err := b.emptyThenLoaded(ctx, "scale", template, f, profile)
		if err != nil {
			return err
		}
		b.logf("  round %d: empty %7.0f/s p99 %-8s loaded %7.0f/s p99 %-8s start %s, RSS %s idle, %s peak",
			round+1, e.rate, ms(e.p99), l.rate, ms(l.p99), l.up.Round(time.Millisecond), mb(l.rssStart), mb(l.peak))
		sf.empty, sf.loaded = append(sf.empty, e), append(sf.loaded, l)
	}
	b.rep.scale(sf)
	return nil
}

// seedScale writes the scale stage's registry: regs registered users (the
// accept runs' 1,000 among them) and accounts accounts, of which the first
// 100 are the load's.
func seedScale(dir string, regs, accounts int) (fixture, error) {
	f, err := seed(dir, nil, 0)
	if err != nil {
		return f, err
	}
	st, err := registry.Open(dir, registry.Options{})
	if err != nil {
		return f, err
	}
	defer st.Close()
	const chunk = 100_000
	batch := make([]registry.Registration, 0, chunk)
	for i := 0; i < regs; i++ {
		batch = append(batch, registry.Registration{Gateway: gatewayNum, Recipient: userNumber(i), Lang: "en", Greeting: "Hi"})
		if len(batch) == chunk || i == regs-1 {
			if err := st.SeedRegistrations(batch); err != nil {
				return f, err
			}
			batch = batch[:0]
		}
	}
	if regs < 1000*1000 { // a small -scale-registrations still needs the load's users
		users := loadUsers()
		batch = batch[:0]
		for _, u := range users {
			batch = append(batch, registry.Registration{Gateway: gatewayNum, Recipient: u, Lang: "en", Greeting: "Hi"})
		}
		if err := st.SeedRegistrations(batch); err != nil {
			return f, err
		}
	}
	nas := make([]registry.NewAccount, accounts)
	for i := range nas {
		nas[i] = registry.NewAccount{Email: fmt.Sprintf("scale%d@bench.invalid", i), Plan: quota.Enterprise,
			Instance: registry.SandboxInstance, Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 30}}
	}
	creds, err := st.SeedAccounts(nas)
	if err != nil {
		return f, err
	}
	return fixture{accounts: creds, users: loadUsers()}, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// emptyThenLoaded is one round of a stage that compares accept at 200
// connections on an empty registry with the same on a copy of the stage's
// template registry (fixture f); profile, if set, gets the loaded run's
// CPU profile.
func (b *bench) emptyThenLoaded(ctx context.Context, stage, template string, f fixture, profile string) (empty, loaded figures, err error) {
	dir := b.newDir(stage + "-empty")
	ef, err := seed(dir, loadUsers(), 100)
	if err != nil {
		return empty, loaded, err
	}
	if empty, err = b.acceptRun(ctx, dir, ef, 200, ""); err != nil {
		return empty, loaded, err
	}
	dir = b.newDir(stage + "-loaded")
	if err := copyFile(filepath.Join(template, "higate.db"), filepath.Join(dir, "higate.db")); err != nil {
		return empty, loaded, err
	}
	loaded, err = b.acceptRun(ctx, dir, f, 200, profile)
	return empty, loaded, err
}
