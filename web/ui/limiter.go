package ui

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
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
	ok, _ := l.Try(key)
	return ok
}

// Try is Allow that also says, when it refuses, how long until key may try
// again (for the page's message and a Retry-After header).
func (l *Limiter) Try(key string) (bool, time.Duration) {
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
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	// The next attempt comes with the next token; in whole seconds, up.
	wait := time.Duration((1 - b.lim.TokensAt(now)) * float64(l.Every))
	return false, (wait + time.Second - 1).Truncate(time.Second)
}

// ClientKey is the key of a request's client for Limiter: its IP address.
func ClientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
