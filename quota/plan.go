// Package quota holds the plans and their limits and the arithmetic of the
// 24-hour message window. It is pure: no I/O, time is passed in.
package quota

import (
	"fmt"
	"time"
)

// Plan names a plan as it appears in the API and the registry.
type Plan string

// The plans of DESIGN.md.
const (
	Trial        Plan = "trial"
	ForeverGreen Plan = "forever-green"
	Enterprise   Plan = "enterprise"
)

// Name is the plan as people call it ("Forever Green"), for pages and
// mail; an unknown plan is shown as it is stored.
func (p Plan) Name() string {
	switch p {
	case Trial:
		return "Trial"
	case ForeverGreen:
		return "Forever Green"
	case Enterprise:
		return "Enterprise"
	}
	return string(p)
}

// Per-message size limits, the same for every plan.
const (
	MaxTextChars     = 800            // Unicode code points after NFC
	MaxImageBytes    = 2 << 20        // decoded
	MaxDocumentBytes = 3 << 20        // decoded
	Window           = 24 * time.Hour // length of a quota window
	TrialTerm        = 14 * 24 * time.Hour
)

// Limits of the kinds beyond WhatsMate's. Audio and video take WhatsApp's
// own limit for both (16 MB, what its apps and the Cloud API accept), so
// whatever a phone could send goes through; the request body is then some
// 21 MB of base64, read whole, which is why they stop there rather than
// at WhatsApp's 100 MB for documents.
const (
	MaxAudioBytes   = 16 << 20 // decoded
	MaxVideoBytes   = 16 << 20 // decoded
	MaxPlaceChars   = 256      // a location's name or address, code points after NFC
	MaxContactChars = 256      // a contact's name, code points after NFC
	// MaxInboundMediaBytes is the largest file a user sends to a dedicated
	// number that the gateway downloads and keeps for the webhook; a larger
	// one reaches the webhook without its media_url.
	MaxInboundMediaBytes = 64 << 20
)

// Limits are the numbers a plan (or an operator's override) allows.
type Limits struct {
	Daily      int `json:"daily"`      // messages per 24-hour window
	Recipients int `json:"recipients"` // distinct recipients in total
}

// Features are what a plan may use beyond text, media, links and groups,
// which every plan has.
type Features struct {
	Webhooks  bool // inbound messages and job status by webhook
	Dedicated bool // dedicated number, bring your own number, profile picture
}

var plans = map[Plan]struct {
	limits   Limits
	features Features
}{
	Trial:        {Limits{Daily: 50, Recipients: 10}, Features{}},
	ForeverGreen: {Limits{Daily: 100, Recipients: 50}, Features{}},
	Enterprise:   {Limits{Daily: 1000, Recipients: 1000}, Features{Webhooks: true, Dedicated: true}},
}

// Parse returns the plan named s, or an error naming the valid plans.
func Parse(s string) (Plan, error) {
	p := Plan(s)
	if _, ok := plans[p]; !ok {
		return "", fmt.Errorf("unknown plan %q: use trial, forever-green or enterprise", s)
	}
	return p, nil
}

// Limits returns the plan's default limits; the zero Limits for an unknown plan.
func (p Plan) Limits() Limits { return plans[p].limits }

// Features returns what the plan may use.
func (p Plan) Features() Features { return plans[p].features }

// Effective returns the plan's limits with any positive field of override
// taking precedence, so an operator can raise or lower one number alone.
func (p Plan) Effective(override Limits) Limits {
	l := p.Limits()
	if override.Daily > 0 {
		l.Daily = override.Daily
	}
	if override.Recipients > 0 {
		l.Recipients = override.Recipients
	}
	return l
}
