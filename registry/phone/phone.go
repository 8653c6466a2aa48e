// Package phone normalizes the numbers developers and users type into E.164.
package phone

import (
	"errors"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is returned for anything that is not a plausible international number.
var ErrInvalid = errors.New("invalid phone number")

// Normalize turns "+49 151 1234-5678", "(49)15112345678" or "4915112345678"
// into "+4915112345678". Numbers always carry their country code (there is
// no default region), as in the WhatsMate API. A number must be possible
// for its country by libphonenumber's length rules; full validity is not
// required, because WhatsApp serves ranges libphonenumber does not know yet
// (and the sandbox uses the fictional 555 ranges).
func Normalize(s string) (string, error) {
	if len(s) > maxCachedInput {
		return normalize(s)
	}
	cache.mu.RLock()
	r, ok := cache.m[s]
	cache.mu.RUnlock()
	if ok {
		return r.e164, r.err
	}
	e164, err := normalize(s)
	cache.mu.Lock()
	if cache.m == nil || len(cache.m) >= cacheSize {
		cache.m = make(map[string]normalized, 1024)
	}
	cache.m[s] = normalized{e164, err}
	cache.mu.Unlock()
	return e164, err
}

// cache holds Normalize's recent results. Parsing with libphonenumber's
// regular expressions was the costliest step of accepting a send, and
// developers send to the same recipients again and again (plans cap how
// many there may be). Normalize is a pure function, so the cache changes
// nothing but speed. When full it starts afresh.
var cache struct {
	mu sync.RWMutex
	m  map[string]normalized
}

type normalized struct {
	e164 string
	err  error
}

const (
	cacheSize      = 16384
	maxCachedInput = 32 // longer inputs are not numbers worth remembering
)

func normalize(s string) (string, error) {
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", ErrInvalid
		}
	}
	e164, err := parse(digits.String())
	if err != nil {
		return "", err
	}
	// libphonenumber drops a national prefix written after the country
	// code ("+44 (0) 20 ..." is +4420...). Where what is left has one
	// again ("+81 0 0..."), the result would not be its own normal form:
	// such input is no number.
	if again, err := parse(Digits(e164)); err != nil || again != e164 {
		return "", ErrInvalid
	}
	return e164, nil
}

// parse makes an E.164 number of the digits of one with its country code.
func parse(d string) (string, error) {
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", ErrInvalid
	}
	num, err := phonenumbers.Parse("+"+d, "")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", ErrInvalid
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// Digits returns an E.164 number without its "+", as wa.me links and the
// WhatsMate webhook payloads want it.
func Digits(e164 string) string { return strings.TrimPrefix(e164, "+") }

// Mask hides the middle of a number for logs: "+49******678".
func Mask(e164 string) string {
	if len(e164) < 7 {
		return "***"
	}
	return e164[:3] + strings.Repeat("*", len(e164)-6) + e164[len(e164)-3:]
}
