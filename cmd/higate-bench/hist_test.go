package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsAreContiguousAndPrecise(t *testing.T) {
	prev := -1
	for v := int64(0); v < 1<<20; v++ {
		b := bucket(v)
		if b != prev && b != prev+1 {
			t.Fatalf("bucket(%d) = %d after %d", v, b, prev)
		}
		prev = b
	}
	for _, v := range []int64{0, 1, 127, 128, 1000, 123456, 50e6, 3e9, 1 << 62} {
		mid := bucketMid(bucket(v))
		if d := float64(mid-v) / float64(max(v, 1)); d > 1.0/64 || d < -1.0/64 {
			t.Errorf("bucketMid(bucket(%d)) = %d, off by %.2f%%", v, mid, d*100)
		}
	}
}

func TestQuantilesMatchSorting(t *testing.T) {
	var h hist
	vals := make([]int64, 100_000)
	for i := range vals {
		vals[i] = int64(rand.ExpFloat64() * 2e6) // exponential, mean 2 ms
		h.record(time.Duration(vals[i]))
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := vals[int(q*float64(len(vals)))]
		got := int64(h.quantile(q))
		if d := float64(got-want) / float64(want); d > 0.02 || d < -0.02 {
			t.Errorf("p%v = %v, want %v", q*100, time.Duration(got), time.Duration(want))
		}
	}
	if h.quantile(1) != time.Duration(vals[len(vals)-1]) {
		t.Errorf("max %v, want %v", h.quantile(1), time.Duration(vals[len(vals)-1]))
	}
	var empty hist
	if empty.quantile(0.99) != 0 {
		t.Error("empty histogram has a p99")
	}
}
