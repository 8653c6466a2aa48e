package gateway

import (
	"golang.org/x/text/language"

	"higate/lang"
	"higate/registry"
	"higate/registry/phone"
)

// inbound routes a message a user sent to a gateway number: a greeting
// registers, an opt-out word opts out, anything else gets the daily hint
// (or, on an instance with a webhook, goes there only).
//
// A message from one of our own gateway numbers (to itself, or to another
// of ours, directly or in a group) is dropped before anything else: it is
// not a user, and answering it could start a loop of confirmations and
// hints between two numbers that both answer.
func (s *Service) inbound(ev Event) {
	n, err := s.store.Number(ev.Gateway)
	if err != nil {
		return
	}
	if ev.From != "" {
		if _, err := s.store.Number(ev.From); err == nil {
			s.log.Debug("inbound from a gateway number ignored", "gateway", phone.Mask(ev.Gateway), "from", phone.Mask(ev.From))
			return
		}
	}
	in, err := s.store.Instance(n.Instance)
	if err != nil {
		return
	}
	defer func() {
		if s.opts.Hooks.Inbound != nil {
			s.opts.Hooks.Inbound(in, ev)
		}
	}()
	if ev.GroupID != "" || ev.From == "" {
		return // group chatter is for webhooks only
	}
	intent, tag := lang.Classify(ev.Text, ev.From)
	auto := !in.NoAutoReplies // the instance's owner may answer alone
	switch intent {
	case lang.Greeting:
		reply := ""
		if auto {
			reply = lang.Confirmation(tag, ev.Gateway)
		}
		if _, err := s.store.Greet(in.ID, ev.Gateway, ev.From, tag.String(), ev.Text, reply); err != nil {
			s.log.Error("register", "err", err)
			return
		}
		s.log.Info("registered", "instance", in.ID, "gateway", phone.Mask(ev.Gateway), "user", phone.Mask(ev.From), "lang", tag)
	case lang.OptOut:
		var reply func(registry.Registration, bool) string
		if auto {
			reply = func(reg registry.Registration, found bool) string {
				if found && reg.Lang != "" {
					return lang.OptOutConfirmation(language.Make(reg.Lang), ev.Gateway)
				}
				return lang.OptOutConfirmation(tag, ev.Gateway)
			}
		}
		if _, _, err := s.store.OptOut(in.ID, ev.Gateway, ev.From, reply); err != nil {
			s.log.Error("opt out", "err", err)
			return
		}
		s.log.Info("opted out", "instance", in.ID, "gateway", phone.Mask(ev.Gateway), "user", phone.Mask(ev.From))
	default:
		if !auto || (s.opts.Hooks.Inbound != nil && s.webhookHandles(in)) {
			return
		}
		tag = lang.ForSender(ev.From)
		if reg, err := s.store.Registration(ev.Gateway, ev.From); err == nil && reg.Lang != "" {
			tag = language.Make(reg.Lang)
		}
		if _, err := s.store.Hint(in.ID, ev.Gateway, ev.From, lang.Hint(tag, ev.Gateway)); err != nil {
			s.log.Error("hint", "err", err)
			return
		}
	}
	// A reply may be queued, and after a greeting jobs awaiting this user's
	// re-registration may go now.
	s.Wake(in.ID)
}

// webhookHandles reports whether free text on this instance goes to a
// webhook instead of getting the hint: a dedicated (Enterprise) instance
// whose owner's webhook takes inbound messages.
func (s *Service) webhookHandles(in registry.Instance) bool {
	if !in.Dedicated || in.Owner == "" {
		return false
	}
	a, err := s.store.Account(in.Owner)
	return err == nil && a.Webhook.Wants(registry.EventInbound)
}
