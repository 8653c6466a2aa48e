package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a latency histogram in the manner of HDR histograms: values
// below 128 ns have a bucket each, and every power of two above that is
// split into 64 buckets, so any recorded value is known to within 1/64
// (1.6 %) however large it is. Recording is one atomic add, so every load
// worker records into the same histogram. The zero value is empty and ready.
type hist struct {
	counts [64 * 58]atomic.Uint64
	n      atomic.Uint64
	max    atomic.Int64
}

// bucket returns the index of the bucket holding v (ns, >= 0).
func bucket(v int64) int {
	if v < 128 {
		return int(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - 7 // >= 1
	return e*64 + int(v>>e)
}

// bucketMid is a representative value of bucket i: its middle.
func bucketMid(i int) int64 {
	if i < 128 {
		return int64(i)
	}
	e := i/64 - 1
	m := int64(i - e*64)
	return m<<e + (int64(1)<<e)/2
}

func (h *hist) record(d time.Duration) {
	v := int64(d)
	h.counts[bucket(v)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// count is how many values were recorded.
func (h *hist) count() uint64 { return h.n.Load() }

// quantile returns the value at quantile q (0..1); 0 if nothing was recorded.
func (h *hist) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	if q >= 1 {
		return time.Duration(h.max.Load())
	}
	rank := uint64(q*float64(n)) + 1
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(min(bucketMid(i), h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}
