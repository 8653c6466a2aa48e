package sim_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"higate/gateway"
	"higate/gateway/sim"
)

// BenchmarkSend measures single-recipient text sends through one gateway
// number from many goroutines, receipts included, as the dispatcher drives
// the sandbox in a load test.
func BenchmarkSend(b *testing.B) {
	n, err := sim.Open(b.TempDir(), sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	num := n.Attach(gw)
	var receipts atomic.Int64
	connected := make(chan struct{}, 1)
	err = num.Start(context.Background(), func(ev gateway.Event) {
		switch ev.Kind {
		case gateway.EventConnected:
			connected <- struct{}{}
		case gateway.EventReceipt:
			receipts.Add(int64(len(ev.MessageIDs)))
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer num.Stop()
	<-connected
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("+4915100%06d", i)
	}
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			msg := gateway.Outbound{ID: fmt.Sprint("B", i), To: users[i%int64(len(users))], Kind: gateway.KindText, Text: "Your code is 123456"}
			if err := num.Send(context.Background(), msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkOpen measures how long a restart takes to replay a journal of
// 10,000 delivered messages. They are all still in inboxes, so compaction
// leaves the journal as it is; what compaction removes is what the state
// no longer needs.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	n, err := sim.Open(dir, sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	num := n.Attach(gw)
	connected := make(chan struct{}, 1)
	if err := num.Start(context.Background(), func(ev gateway.Event) {
		if ev.Kind == gateway.EventConnected {
			connected <- struct{}{}
		}
	}); err != nil {
		b.Fatal(err)
	}
	<-connected
	for i := range 10_000 {
		msg := gateway.Outbound{ID: fmt.Sprint("O", i), To: fmt.Sprintf("+4915100%06d", i%500), Kind: gateway.KindText, Text: "Your code is 123456"}
		if err := num.Send(context.Background(), msg); err != nil {
			b.Fatal(err)
		}
	}
	num.Stop()
	if err := n.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		n, err := sim.Open(dir, sim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n.Close()
	}
}
