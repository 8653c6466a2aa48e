package registry_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"higate/quota"
	"higate/registry"
)

const benchGateway = "+15550000001"

// benchStore is a store with the sandbox instance, its active number, an
// account with limits no benchmark reaches, and `users` registered users.
// Its metrics are on, as in production.
func benchStore(b *testing.B, users int) (*registry.Store, string, []string) {
	b.Helper()
	s, err := registry.Open(b.TempDir(), registry.Options{Metrics: registry.NewMetrics(prometheus.NewRegistry())})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.EnsureInstance(0, "sandbox"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.AddNumber(registry.Number{Number: benchGateway, Transport: "sim", Role: registry.RoleActive, State: registry.StateActive}); err != nil {
		b.Fatal(err)
	}
	creds, err := s.CreateAccount(registry.NewAccount{Email: "bench@example.com", Plan: quota.Enterprise,
		Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 30}})
	if err != nil {
		b.Fatal(err)
	}
	regs := make([]registry.Registration, users)
	nums := make([]string, users)
	for i := range regs {
		nums[i] = fmt.Sprintf("+49151%08d", i)
		regs[i] = registry.Registration{Gateway: benchGateway, Recipient: nums[i], Lang: "en", Greeting: "Hi"}
	}
	if err := s.SeedRegistrations(regs); err != nil {
		b.Fatal(err)
	}
	return s, creds.ClientID, nums
}

// BenchmarkAccept is the registry's share of a durable send: checks, quota,
// job and indexes in one group-committed transaction, from 200 concurrent
// callers as in the load test's 200 connections; from one account, and
// from 100 taking turns as in the load test (each account's own indexes
// then take their own pages in every transaction).
func BenchmarkAccept(b *testing.B) {
	for _, accounts := range []int{1, 100} {
		b.Run(fmt.Sprintf("accounts=%d", accounts), func(b *testing.B) {
			s, client, users := benchStore(b, 1000)
			clients := []string{client}
			for i := 1; i < accounts; i++ {
				c, err := s.CreateAccount(registry.NewAccount{Email: "bench@example.com", Plan: quota.Enterprise,
					Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 30}})
				if err != nil {
					b.Fatal(err)
				}
				clients = append(clients, c.ClientID)
			}
			var seq atomic.Int64
			b.SetParallelism(100)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					_, err := s.Accept(registry.SendRequest{ClientID: clients[i%int64(len(clients))], Kind: "text",
						To: users[i%int64(len(users))], Text: "Your code is 123456"})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepts/s")
		})
	}
}

// BenchmarkAcceptRejected is a refused send (recipient not registered): the
// transaction reads and writes nothing, but still waits for its batch.
func BenchmarkAcceptRejected(b *testing.B) {
	s, client, _ := benchStore(b, 10)
	b.SetParallelism(100)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := s.Accept(registry.SendRequest{ClientID: client, Kind: "text", To: "+4917099999999", Text: "x"})
			if registry.ErrorCode(err) != registry.CodeNotRegistered {
				b.Errorf("got %v, want 472", err)
				return
			}
		}
	})
}

// BenchmarkClaimFinish is the dispatcher's bookkeeping per job: claiming a
// batch of 64 and recording it sent, two transactions, per job reported.
// The jobs are one account's, or 100 accounts' (as in the load test), whose
// turns the claim takes; and the same with 20,000 jobs scheduled for later,
// which the claims should not notice.
func BenchmarkClaimFinish(b *testing.B) {
	for _, c := range []struct{ accounts, scheduled int }{{1, 0}, {100, 0}, {100, 20_000}} {
		b.Run(fmt.Sprintf("accounts=%d/scheduled=%d", c.accounts, c.scheduled), func(b *testing.B) {
			s, client, users := benchStore(b, 1000)
			clients := append([]string{client}, benchAccounts(b, s, c.accounts-1)...)
			benchSchedule(b, s, clients, users, c.scheduled)
			const batch = 64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				b.StopTimer()
				var wg sync.WaitGroup // queued from as many goroutines, so they share one commit
				for k := range batch {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := s.Accept(registry.SendRequest{ClientID: clients[(i+k)%len(clients)], Kind: "text", To: users[(i+k)%len(users)], Text: "hi"}); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
				b.StartTimer()
				jobs, _, err := s.Claim(0, benchGateway, batch, nil)
				if err != nil || len(jobs) != batch {
					b.Fatalf("claimed %d: %v", len(jobs), err)
				}
				out := make([]registry.Outcome, len(jobs))
				for k, j := range jobs {
					out[k] = registry.Outcome{JobID: j.ID, Sent: true}
				}
				if err := s.Finish(out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClaimPaced is a paced number's claim of one job while 100
// accounts have 100 jobs each queued: the claim lists the accounts and
// takes the next one's head (the jobs already claimed are skipped, as the
// dispatcher's in hand are).
func BenchmarkClaimPaced(b *testing.B) {
	s, client, users := benchStore(b, 1000)
	clients := append([]string{client}, benchAccounts(b, s, 99)...)
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 100*len(clients); i += 64 {
				if _, err := s.Accept(registry.SendRequest{ClientID: clients[i%len(clients)], Kind: "text", To: users[i%len(users)], Text: "hi"}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	held := map[uint64]bool{}
	skip := func(id uint64) bool { return held[id] }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		jobs, _, err := s.Claim(0, benchGateway, 1, skip)
		if err != nil {
			b.Fatal(err)
		}
		if len(jobs) == 0 {
			clear(held)
			continue
		}
		held[jobs[0].ID] = true
	}
}

// benchSchedule accepts n sends of the clients scheduled a day to a month
// ahead, from 64 goroutines (so they share commits).
func benchSchedule(b *testing.B, s *registry.Store, clients, users []string, n int) {
	b.Helper()
	var wg sync.WaitGroup
	at := s.Now().Add(24 * time.Hour)
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 64 {
				if _, err := s.Accept(registry.SendRequest{ClientID: clients[i%len(clients)], Kind: "text", To: users[i%len(users)],
					Text: "later", SendAt: at.Add(time.Duration(i) * time.Minute)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// benchAccounts creates n more accounts with limits no benchmark reaches.
func benchAccounts(b *testing.B, s *registry.Store, n int) []string {
	b.Helper()
	var out []string
	for i := range n {
		c, err := s.CreateAccount(registry.NewAccount{Email: fmt.Sprintf("bench%d@example.com", i), Plan: quota.Enterprise,
			Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 30}})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, c.ClientID)
	}
	return out
}

// BenchmarkRegister is a greeting's registration from 200 concurrent users.
func BenchmarkRegister(b *testing.B) {
	s, _, _ := benchStore(b, 0)
	var seq atomic.Int64
	b.SetParallelism(100)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			if _, err := s.Register(0, benchGateway, fmt.Sprintf("+49152%08d", i), "en", "Hi"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
}

// BenchmarkSeedRegistrations is the bulk path the scale benchmark loads a
// million registrations through.
func BenchmarkSeedRegistrations(b *testing.B) {
	s, _, _ := benchStore(b, 0)
	regs := make([]registry.Registration, 10_000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for k := range regs {
			regs[k] = registry.Registration{Gateway: benchGateway, Recipient: fmt.Sprintf("+4915%02d%07d", i%100, k), Lang: "en", Greeting: "Hi"}
		}
		if err := s.SeedRegistrations(regs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(regs))/b.Elapsed().Seconds(), "registrations/s")
}

// BenchmarkBoltBatchPut is the floor under Accept: bbolt's group commit of
// one put of a job-sized value per call, fsync included, from 200
// concurrent callers, with the registry's batch settings.
func BenchmarkBoltBatchPut(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.MaxBatchDelay, db.MaxBatchSize = 2e6, 1000
	bucket := []byte("jobs")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		b.Fatal(err)
	}
	value := []byte(strings.Repeat("j", 400))
	b.SetParallelism(100)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := db.Batch(func(tx *bolt.Tx) error {
				bk := tx.Bucket(bucket)
				id, err := bk.NextSequence()
				if err != nil {
					return err
				}
				return bk.Put(fmt.Appendf(nil, "%016x", id), value)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}
