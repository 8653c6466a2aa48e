package ui

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"higate/web/forwarded"
)

// Limiter limits attempts (sign-ins) per client: each key gets a token
// bucket of Burst attempts refilled at Every per attempt. Keys idle for an
// hour are forgotten. Now is injected so tests step time; nil is time.Now.
type Limiter struct {
	Every time.Duration
	Burst int
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// Allow reports whether key may make an attempt now, and spends one if so.
func (l *Limiter) Allow(key string) bool {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	if now.Sub(l.swept) > time.Hour {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Hour {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.Every), l.Burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// ClientKey is the key of a request's client for Limiter: its IP address,
// the proxy's forwarded one only when the proxy is trusted (forwarded).
func ClientKey(r *http.Request) string { return forwarded.ClientIP(r) }
