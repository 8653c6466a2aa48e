package gateway

import (
	"context"
	"sync"
	"time"

	"higate/registry/phone"
)

// LookupLimit bounds how often a gateway number asks WhatsApp whether
// numbers are on it. WhatsApp reads many such questions from one number,
// above all about numbers that never wrote to it, as contact scraping, and
// bans for it; so each gateway number gets a token bucket of looked-up
// numbers, and answers are cached. The zero value takes the defaults.
type LookupLimit struct {
	// Burst is how many numbers a gateway number may look up at once,
	// and the most it saves up; default 100, one full check request.
	Burst int
	// Every is how long it takes to earn one more; default 36 s, that is
	// 100 an hour and at most 2,400 a day, well within what a person's
	// phone asks when its contacts sync.
	Every time.Duration
	// TTL is how long an answer is kept; default 24 hours.
	TTL time.Duration
}

func (l LookupLimit) withDefaults() LookupLimit {
	if l.Burst <= 0 {
		l.Burst = 100
	}
	if l.Every <= 0 {
		l.Every = 36 * time.Second
	}
	if l.TTL <= 0 {
		l.TTL = 24 * time.Hour
	}
	return l
}

// maxCachedLookups bounds the answer cache: some 100 bytes an answer, so
// at most about 10 MB however many numbers clients check.
const maxCachedLookups = 100_000

// lookupTimeout bounds one query to the transport.
const lookupTimeout = 15 * time.Second

// lookups is CheckOnWhatsApp's state: answers by transport kind and
// number, and each gateway number's token bucket. The zero value is ready.
type lookups struct {
	mu      sync.Mutex
	answers map[string]lookupAnswer // transport kind \x00 E.164 -> answer
	order   []cachedLookup          // answers in the order they came, so oldest (and first to expire) first
	buckets map[string]*tokenBucket // gateway number -> its bucket
}

type lookupAnswer struct {
	on bool
	at time.Time
}

type cachedLookup struct {
	key string
	at  time.Time
}

// CheckOnWhatsApp answers, for each of numbers (E.164, in that order),
// whether it has a WhatsApp account, as the transport of the instance's
// active number tells: from an answer of the last Lookups.TTL, else by
// asking it, in one query for all the numbers the number's token bucket
// allows. nil where it cannot tell: the bucket is empty, the number is
// offline or the query failed. Answers are kept per transport kind, so the
// simulated network's never stand for WhatsApp's.
func (s *Service) CheckOnWhatsApp(ctx context.Context, instance uint64, numbers []string) []*bool {
	out := make([]*bool, len(numbers))
	n, err := s.store.ActiveNumber(instance)
	if err != nil {
		return out
	}
	limit, now := s.opts.Lookups.withDefaults(), s.store.Now()
	l := &s.lookups
	var ask []string
	seen := map[string]bool{}
	l.mu.Lock()
	for i, num := range numbers {
		if a, ok := l.answers[n.Transport+"\x00"+num]; ok && now.Sub(a.at) < limit.TTL {
			out[i] = &a.on
		} else if !seen[num] {
			seen[num] = true
			ask = append(ask, num)
		}
	}
	l.mu.Unlock()
	t := s.line(n.Number)
	if len(ask) == 0 || t == nil {
		return s.fillLookups(out, numbers, n.Transport, limit, now)
	}
	granted := l.take(n.Number, len(ask), limit, now)
	if granted < len(ask) {
		s.log.Info("is-on-WhatsApp look-ups rate-limited", "number", phone.Mask(n.Number), "asked", len(ask), "granted", granted)
	}
	if ask = ask[:granted]; len(ask) == 0 {
		return out
	}
	qctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	on, err := t.IsOnWhatsApp(qctx, ask)
	if err != nil || len(on) != len(ask) {
		// The question did not reach WhatsApp, or not whole: the tokens
		// were not spent.
		l.giveBack(n.Number, len(ask), limit)
		s.log.Warn("is-on-WhatsApp look-up failed", "number", phone.Mask(n.Number), "err", err)
		return out
	}
	l.mu.Lock()
	for i, num := range ask {
		l.remember(n.Transport+"\x00"+num, on[i], now)
	}
	l.mu.Unlock()
	return s.fillLookups(out, numbers, n.Transport, limit, now)
}

// fillLookups sets the answers of out that the cache now has.
func (s *Service) fillLookups(out []*bool, numbers []string, transport string, limit LookupLimit, now time.Time) []*bool {
	l := &s.lookups
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, num := range numbers {
		if a, ok := l.answers[transport+"\x00"+num]; out[i] == nil && ok && now.Sub(a.at) < limit.TTL {
			out[i] = &a.on
		}
	}
	return out
}

// remember caches an answer, dropping expired and, past the bound, the
// oldest ones; l.mu held. All answers live equally long, so the oldest is
// the first to expire.
func (l *lookups) remember(key string, on bool, now time.Time) {
	if l.answers == nil {
		l.answers = map[string]lookupAnswer{}
	}
	l.answers[key] = lookupAnswer{on: on, at: now}
	l.order = append(l.order, cachedLookup{key: key, at: now})
	for len(l.order) > 0 && len(l.answers) > maxCachedLookups {
		l.forgetOldest()
	}
}

// forgetOldest drops the oldest entry of order, and its answer unless a
// later one replaced it; l.mu held.
func (l *lookups) forgetOldest() {
	c := l.order[0]
	l.order[0] = cachedLookup{}
	l.order = l.order[1:]
	if a, ok := l.answers[c.key]; ok && a.at.Equal(c.at) {
		delete(l.answers, c.key)
	}
}

// take takes up to want tokens from gateway number's bucket and returns
// how many it got.
func (l *lookups) take(number string, want int, limit LookupLimit, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*tokenBucket{}
	}
	b := l.buckets[number]
	if b == nil {
		b = &tokenBucket{tokens: float64(limit.Burst), last: now}
		l.buckets[number] = b
	}
	// Expired answers go while the lock is held anyway.
	for len(l.order) > 0 && now.Sub(l.order[0].at) >= limit.TTL {
		l.forgetOldest()
	}
	return b.take(now, want, limit)
}

func (l *lookups) giveBack(number string, n int, limit LookupLimit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[number]; b != nil {
		b.tokens = min(b.tokens+float64(n), float64(limit.Burst))
	}
}

// tokenBucket holds tokens that refill at one per LookupLimit.Every, up
// to Burst. Time comes from the caller (the registry's clock), so tests
// step it.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

func (b *tokenBucket) take(now time.Time, want int, limit LookupLimit) int {
	if now.After(b.last) {
		b.tokens = min(float64(limit.Burst), b.tokens+float64(now.Sub(b.last))/float64(limit.Every))
		b.last = now
	}
	n := min(want, int(b.tokens))
	b.tokens -= float64(n)
	return n
}
