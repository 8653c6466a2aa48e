package quota

import "time"

// Usage is an account's current 24-hour window. The zero value is "no window
// open". A window opens with the first message sent while none is open and
// lasts exactly Window; the first message after it closes opens the next.
type Usage struct {
	Start time.Time `json:"start"` // zero when no window has ever opened
	Used  int       `json:"used"`  // messages counted in the window that began at Start
}

// open reports whether the window is open at now.
func (u Usage) open(now time.Time) bool {
	return !u.Start.IsZero() && now.Before(u.Start.Add(Window))
}

// Take counts one message at now against limit. It returns the updated usage
// and true, or the unchanged usage and false when the window's messages are
// used up.
func (u Usage) Take(now time.Time, limit int) (Usage, bool) {
	if !u.open(now) {
		u = Usage{Start: now}
	}
	if u.Used >= limit {
		return u, false
	}
	u.Used++
	return u, true
}

// Refund gives back a message that was counted at countedAt, if the window
// it was counted in is still the current one. A refund into a window that has
// closed changes nothing: that window's allowance is gone anyway.
func (u Usage) Refund(countedAt time.Time) Usage {
	if u.Used > 0 && !countedAt.Before(u.Start) && countedAt.Before(u.Start.Add(Window)) {
		u.Used--
	}
	return u
}

// Remaining is how many messages may still be sent at now.
func (u Usage) Remaining(now time.Time, limit int) int {
	if !u.open(now) {
		return limit
	}
	return max(limit-u.Used, 0)
}

// Reset is how long until the current window closes; when no window is open
// a new one would start with the next message, so it is a whole Window.
func (u Usage) Reset(now time.Time) time.Duration {
	if !u.open(now) {
		return Window
	}
	return u.Start.Add(Window).Sub(now)
}
