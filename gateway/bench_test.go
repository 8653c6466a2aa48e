package gateway_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/quota"
	"higate/registry"
)

// BenchmarkDispatch is the dispatcher draining a queue to the simulated
// network: claim a batch, send each job, record the outcomes, apply the
// delivery receipts. b.N jobs are queued first (not timed); the timer runs
// from the service's start until the queue is empty.
func BenchmarkDispatch(b *testing.B) {
	dir := b.TempDir()
	store, err := registry.Open(dir, registry.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	network, err := sim.Open(filepath.Join(dir, "sim"), sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer network.Close()
	if err := store.EnsureInstance(0, "sandbox"); err != nil {
		b.Fatal(err)
	}
	if _, err := store.AddNumber(registry.Number{Number: gw, Transport: "sim", Role: registry.RoleActive}); err != nil {
		b.Fatal(err)
	}
	c, err := store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Enterprise,
		Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	users := make([]registry.Registration, 100)
	for i := range users {
		users[i] = registry.Registration{Gateway: gw, Recipient: fmt.Sprintf("+49151%08d", i), Lang: "en", Greeting: "Hi"}
	}
	if err := store.SeedRegistrations(users); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += 64 {
				if _, err := store.Accept(registry.SendRequest{ClientID: c.ClientID, Kind: "text",
					To: users[i%len(users)].Recipient, Text: fmt.Sprint("msg ", i)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	svc := gateway.NewService(gateway.Options{Store: store,
		Dial: func(n registry.Number) (gateway.Transport, error) { return network.Attach(n.Number), nil }})
	if err := svc.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer svc.Stop()
	for store.QueueDepth(0) > 0 {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
