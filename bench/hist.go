package bench

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram counts values (durations in microseconds, or plain counts) in
// log-linear buckets: exact below 128, then 64 buckets per power of two
// (under 1.6 % error), up to 2^32. It takes concurrent records without
// locks and has a fixed size, so a run of any length costs the same memory.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	max    atomic.Int64
	n      atomic.Uint64
}

const (
	histSubBits = 6 // 64 buckets per power of two
	histSub     = 1 << histSubBits
	histMaxExp  = 32 // 2^32 µs ≈ 71 minutes
	histBuckets = 2*histSub + (histMaxExp-histSubBits-1)*histSub
)

func histIndex(us int64) int {
	if us < 2*histSub {
		return int(max(us, 0))
	}
	exp := bits.Len64(uint64(us)) - 1 // us in [2^exp, 2^(exp+1))
	if exp >= histMaxExp {
		return histBuckets - 1
	}
	shift := exp - histSubBits
	sub := int(uint64(us)>>shift) - histSub // 0..histSub-1
	return 2*histSub + (exp-histSubBits-1)*histSub + sub
}

// histValue is the upper bound in µs of bucket i.
func histValue(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	i -= 2 * histSub
	exp := i/histSub + histSubBits + 1
	sub := i % histSub
	shift := exp - histSubBits
	return int64(histSub+sub+1)<<shift - 1
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) { h.RecordValue(d.Microseconds()) }

// RecordValue adds one value.
func (h *Histogram) RecordValue(v int64) {
	h.counts[histIndex(v)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Count is how many durations were recorded.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max is the largest duration recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) * time.Microsecond }

// Quantile returns the duration below which a fraction q of the recorded
// durations fall (the bucket's upper bound, never more than Max).
func (h *Histogram) Quantile(q float64) time.Duration {
	return time.Duration(h.QuantileValue(q)) * time.Microsecond
}

// QuantileValue is Quantile for plain values.
func (h *Histogram) QuantileValue(q float64) int64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(histValue(i), h.max.Load())
		}
	}
	return h.max.Load()
}
