package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"higate/gateway"
	"higate/quota"
	"higate/registry"
	"higate/registry/phone"
)

// Options configure a Sender. Zero values take the documented defaults.
type Options struct {
	Store *registry.Store
	// AllowPrivate lets webhooks reach loopback, private and CGNAT
	// addresses (receivers on the operator's LAN); see Policy.
	AllowPrivate bool
	// Resolver looks up receivers' host names, when checking a URL and
	// when dialing; default the system's.
	Resolver Resolver
	// Client sends the deliveries. The default dials through the Policy
	// (every address checked as it is dialed), uses no proxy (a proxy
	// would dial for us, unchecked), follows no redirects (a 3xx is a
	// failed delivery) and gives up after 10 s. A Client given here
	// replaces all of that.
	Client *http.Client
	Logger *slog.Logger
	// Backoff is the wait before retry n (1-based); default exponential
	// from 10 s to 1 h with jitter.
	Backoff  func(attempt int) time.Duration
	MaxAge   time.Duration // give up on a delivery this old; default 24 h
	MaxFails int           // consecutive failures that deactivate a webhook; default 20
	Workers  int           // deliveries in flight at once (to different accounts); default 8
	Poll     time.Duration // how often to look for due deliveries; default 250 ms
	// Deactivated is told when a webhook is switched off after MaxFails
	// failures, so the operator and the account can be told.
	Deactivated func(a registry.Account)
	// PublicURL is how receivers reach this server (e.g.
	// https://gw.example.com), the base of inbound media links; without
	// it a media_url is a path on this server (/v3/media/...).
	PublicURL string
	// MediaLinkTTL is how long an inbound media link works; default 7
	// days, past the 24 hours a delivery is retried, so a receiver that
	// was down for a day still gets its files. A replay after that needs
	// the account's credentials on the same URL without exp and sig.
	MediaLinkTTL time.Duration
	// Metrics, if set, counts delivery attempts (NewMetrics).
	Metrics *Metrics
}

// Sender delivers the outbox. Each conversation (an account and an end
// user) has at most one delivery in flight and its deliveries go in order;
// a slow or dead receiver delays only its own account's events, never
// sending or other accounts, and one delivery its receiver keeps refusing
// holds back only its own conversation.
type Sender struct {
	opts   Options
	policy Policy
	store  *registry.Store
	log    *slog.Logger
	wake   chan struct{}

	mu       sync.Mutex
	inflight map[string]bool // account \x00 conversation
	// settled are the conversations whose attempt ended during the
	// current pass: its list of due deliveries was read before, so it may
	// still show the delivery just made. They wait for the next pass (the
	// attempt's end wakes it), which reads the outbox afresh.
	settled map[string]bool
}

// New returns a Sender; Run delivers.
func New(opts Options) *Sender {
	policy := Policy{AllowPrivate: opts.AllowPrivate, Resolver: opts.Resolver}
	if opts.Client == nil {
		opts.Client = &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{
				DialContext:           policy.DialContext,
				ForceAttemptHTTP2:     true,
				MaxIdleConns:          100,
				MaxIdleConnsPerHost:   8,
				IdleConnTimeout:       90 * time.Second,
				TLSHandshakeTimeout:   10 * time.Second,
				ResponseHeaderTimeout: 10 * time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Backoff == nil {
		opts.Backoff = func(n int) time.Duration {
			d := min(10*time.Second<<min(n-1, 9), time.Hour)
			return d/2 + rand.N(d/2+1)
		}
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = 24 * time.Hour
	}
	if opts.MaxFails == 0 {
		opts.MaxFails = 20
	}
	if opts.Workers == 0 {
		opts.Workers = 8
	}
	if opts.Poll == 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.MediaLinkTTL == 0 {
		opts.MediaLinkTTL = 7 * 24 * time.Hour
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	return &Sender{opts: opts, policy: policy, store: opts.Store, log: opts.Logger.With("component", "webhook"),
		wake: make(chan struct{}, 1), inflight: map[string]bool{}, settled: map[string]bool{}}
}

// CheckURL refuses a webhook URL the sender would not deliver to; see
// Policy.CheckURL.
func (s *Sender) CheckURL(ctx context.Context, raw string) error { return s.policy.CheckURL(ctx, raw) }

// Wake makes Run look for due deliveries now.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers due deliveries until ctx ends, then waits for those in flight.
func (s *Sender) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, s.opts.Workers)
	for {
		s.beginPass()
		due, err := s.store.DueDeliveries(4 * s.opts.Workers)
		if err != nil {
			s.log.Error("read outbox", "err", err)
		}
		for _, d := range due {
			conv := d.Account + "\x00" + d.Conversation
			if !s.claim(conv) {
				continue // its attempt is under way
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				s.release(conv)
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem; s.release(conv); s.Wake() }()
				s.deliver(ctx, d)
			}()
		}
		t := time.NewTimer(s.opts.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// beginPass starts a pass of Run, before it reads the due deliveries.
func (s *Sender) beginPass() {
	s.mu.Lock()
	clear(s.settled)
	s.mu.Unlock()
}

// claim takes conv's next attempt for this pass: not while one is under
// way, nor when one ended since the pass read what is due.
func (s *Sender) claim(conv string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[conv] || s.settled[conv] {
		return false
	}
	s.inflight[conv] = true
	return true
}

// release ends conv's attempt, once it is recorded.
func (s *Sender) release(conv string) {
	s.mu.Lock()
	delete(s.inflight, conv)
	s.settled[conv] = true
	s.mu.Unlock()
}

// deliver makes one attempt and records it.
func (s *Sender) deliver(ctx context.Context, d registry.Delivery) {
	a, err := s.store.Account(d.Account)
	if err != nil {
		s.log.Error("webhook account", "delivery", d.ID, "err", err)
		return
	}
	status, postErr := s.post(ctx, a.Webhook, d.Event, "dlv_"+strconv.FormatUint(d.ID, 10), d.Body)
	if ctx.Err() != nil && (postErr != nil || status >= 300) {
		return // shutting down: the attempt did not count; it is still pending
	}
	now := s.store.Now()
	// A 3xx is a failure too: redirects are not followed, so a receiver
	// cannot send deliveries on to an address the policy refuses.
	at := registry.Attempt{Status: status, OK: postErr == nil && status < 300, Gone: status == http.StatusGone,
		Next: now.Add(s.opts.Backoff(d.Attempts + 1))}
	at.GiveUp = !at.OK && (at.Gone || now.Sub(d.RetryingSince()) >= s.opts.MaxAge)
	if postErr != nil {
		at.Error = failure(postErr)
	} else if !at.OK {
		at.Error = "HTTP " + strconv.Itoa(status)
	}
	deactivated, err := s.store.DeliveryResult(d.ID, at, s.opts.MaxFails)
	if err != nil {
		s.log.Error("record webhook delivery", "delivery", d.ID, "err", err)
		return
	}
	s.opts.Metrics.attempt(d.Event, at, deactivated)
	if !at.OK {
		detail := at.Error // the operator's log may say more than the developer sees
		if postErr != nil {
			detail = postErr.Error()
		}
		s.log.Warn("webhook delivery failed", "delivery", d.ID, "account", d.Account, "status", status, "err", detail, "gave_up", at.GiveUp)
	}
	if deactivated {
		s.log.Warn("webhook deactivated", "account", d.Account, "failures", s.opts.MaxFails)
		if s.opts.Deactivated != nil {
			s.opts.Deactivated(a)
		}
	}
}

// post sends one signed webhook request and returns the HTTP status.
func (s *Sender) post(ctx context.Context, w registry.Webhook, event, deliveryID string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Higate-Webhook/1")
	req.Header.Set("X-Higate-Event", event)
	req.Header.Set("X-Higate-Delivery", deliveryID)
	req.Header.Set("X-Higate-Signature", Sign(w.Secret, time.Now(), body))
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		// The URL may carry the receiver's own token in its query; the
		// error is logged and stored, so keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// failure says what went wrong with an attempt that got no response, in
// words that are safe to show the developer: whether it was the policy,
// a timeout or anything else, and nothing of the dial error's text, which
// would make the deliveries list a port scanner's report.
func failure(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrTargetRefused):
		return "target address not allowed"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "unreachable"
}

// ErrUnreachable is Test's error when no response came.
var ErrUnreachable = errors.New("unreachable")

// Test sends a signed "ping" to the account's webhook now, outside the
// outbox, and returns the receiver's status. When no response comes the
// error is ErrUnreachable, whatever the reason: the endpoint must not tell
// a developer which hosts and ports answer.
func (s *Sender) Test(ctx context.Context, a registry.Account) (int, error) {
	if a.Webhook.URL == "" {
		return 0, errors.New("no webhook URL set")
	}
	body := fmt.Appendf(nil, `{"event":"ping","at":%q}`, s.store.Now().UTC().Format(time.RFC3339))
	status, err := s.post(ctx, a.Webhook, "ping", "dlv_test_"+strconv.FormatInt(time.Now().UnixNano(), 36), body)
	if err != nil {
		s.log.Info("webhook test unreachable", "account", a.ClientID, "err", err)
		return 0, ErrUnreachable
	}
	return status, nil
}

// keepMedia fetches an inbound message's file, keeps it in the registry
// and returns the signed link to it; "" if it could not (too large, the
// download failed, the disk is full), which the operator's log tells.
// The fetch happens here, in the order of the conversation's events, so
// a receiver gets a file's webhook before that of the text after it.
func (s *Sender) keepMedia(in registry.Instance, a *gateway.Attachment) string {
	if a.Fetch == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), mediaFetchTimeout)
	defer cancel()
	data, err := a.Fetch(ctx, quota.MaxInboundMediaBytes)
	if err != nil {
		s.log.Warn("inbound media not kept", "instance", in.ID, "kind", a.Kind, "err", err)
		return ""
	}
	m, err := s.store.SaveInboundMedia(registry.InboundMedia{Instance: in.ID, Account: in.Owner, Kind: string(a.Kind),
		Mimetype: a.Mimetype, Filename: a.Filename}, data)
	if err != nil {
		s.log.Error("keep inbound media", "instance", in.ID, "err", err)
		return ""
	}
	exp := s.store.Now().Add(s.opts.MediaLinkTTL).Truncate(time.Second)
	return fmt.Sprintf("%s/v3/media/%d?exp=%d&sig=%s", s.opts.PublicURL, m.ID, exp.Unix(), s.store.SignMediaLink(m.ID, exp))
}

// mediaFetchTimeout bounds one download of inbound media: 64 MB at a slow
// but working 1 MB/s.
const mediaFetchTimeout = 2 * time.Minute

// InboundEvent is the WhatsMate-shaped body of an inbound webhook, so
// receivers written for WhatsMate work unchanged.
type InboundEvent struct {
	Token         string `json:"token"`
	Type          string `json:"type"` // individual or group
	InstanceID    string `json:"instance_id"`
	GatewayNumber string `json:"gateway_number"`
	Number        string `json:"number"`
	Message       string `json:"message"`
	GroupName     string `json:"group_name"`
	GroupAdmin    string `json:"group_admin"`
	// A message with an image, document, audio or video: a signed link to
	// the file, valid for Options.MediaLinkTTL, its type and name, and its
	// caption (also in Message, as WhatsMate receivers read that). Left
	// out of text messages, whose body stays WhatsMate's byte for byte;
	// media_url is "" on a media message whose file could not be kept.
	MediaURL *string `json:"media_url,omitempty"`
	MimeType string  `json:"mime_type,omitempty"`
	Filename string  `json:"filename,omitempty"`
	Caption  string  `json:"caption,omitempty"`
}

// Inbound queues an inbound message for the webhook of the account a
// dedicated instance belongs to (or holds it for a replay while the
// webhook is off), in the conversation with its sender, or its group. It
// is the gateway's Inbound hook.
func (s *Sender) Inbound(in registry.Instance, ev gateway.Event) {
	if !in.Dedicated || in.Owner == "" {
		return
	}
	a, err := s.store.Account(in.Owner)
	if err != nil || !a.Webhook.Keeps(registry.EventInbound) {
		return
	}
	body := InboundEvent{Token: a.Webhook.Token, Type: "individual", InstanceID: strconv.FormatUint(in.ID, 10),
		GatewayNumber: phone.Digits(ev.Gateway), Number: phone.Digits(ev.From), Message: ev.Text}
	conv := registry.Conversation(ev.From, "", "")
	if ev.GroupID != "" {
		body.Type, body.GroupName, body.GroupAdmin = "group", ev.GroupName, phone.Digits(ev.GroupAdmin)
		conv = registry.Conversation("", ev.GroupAdmin, ev.GroupName)
	}
	if a := ev.Attachment; a != nil {
		body.MimeType, body.Filename, body.Caption = a.Mimetype, a.Filename, ev.Text
		link := s.keepMedia(in, a)
		body.MediaURL = &link
	}
	if _, err := s.store.AddDelivery(a.ClientID, conv, registry.EventInbound, body); err != nil {
		s.log.Error("queue inbound webhook", "err", err)
		return
	}
	s.Wake()
}
