package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"higate/registry"
	"higate/registry/phone"
	"higate/web/mail"
)

//go:embed templates/billing
var billingTemplates embed.FS

// The templates Billing needs; NewBilling fails if one is missing.
var (
	billingPages = []string{"checkout.html", "return.html"}
	billingMails = []string{"credentials.txt", "expiring.txt", "expired.txt", "quota.txt", "payment_failed.txt",
		"suspended.txt", "cancelled.txt", "upgraded.txt"}
)

// parseBillingTemplates parses the embedded pages and mails once, at start-up.
func parseBillingTemplates() (*htmltemplate.Template, *texttemplate.Template, error) {
	pages, err := htmltemplate.ParseFS(billingTemplates, "templates/billing/*.html")
	if err != nil {
		return nil, nil, fmt.Errorf("billing page templates: %w", err)
	}
	mails, err := texttemplate.ParseFS(billingTemplates, "templates/billing/mail/*.txt")
	if err != nil {
		return nil, nil, fmt.Errorf("billing mail templates: %w", err)
	}
	for _, name := range billingPages {
		if pages.Lookup(name) == nil {
			return nil, nil, fmt.Errorf("billing: page template %s is missing", name)
		}
	}
	for _, name := range billingMails {
		if mails.Lookup(name) == nil {
			return nil, nil, fmt.Errorf("billing: mail template %s is missing", name)
		}
	}
	return pages, mails, nil
}

// mailData is what every mail template may use.
type mailData struct {
	PublicURL     string
	Email         string
	ClientID      string
	Secret        string // only in credentials mails
	Reason        string // credentials mails: new, recovered, resent, rotated
	Instance      uint64
	Plan          string
	Daily         int
	Recipients    int
	Gateway       string // E.164 of the instance's active number; empty if it has none yet
	GatewayDigits string
	PaidThrough   string
	AccessUntil   string
	ResetAt       string
	Dedicated     bool
}

// letter is a mail to send once the state change behind it has committed.
type letter struct {
	to        string
	tmpl      string
	data      mailData
	delivered string // the client ID whose credentials this mail delivers
}

// mailFor fills the data every mail about the account needs.
func (b *Billing) mailFor(a registry.Account) mailData {
	d := mailData{PublicURL: b.public, Email: a.Email, ClientID: a.ClientID, Instance: a.Instance, Plan: a.Plan.Name(),
		Daily: a.EffectiveLimits().Daily, Recipients: a.EffectiveLimits().Recipients,
		Dedicated: a.Plan.Features().Dedicated}
	if !a.PaidThrough.IsZero() {
		d.PaidThrough = a.PaidThrough.Format(time.DateOnly)
	}
	if !a.PeriodEnd.IsZero() {
		d.AccessUntil = a.PeriodEnd.Format(time.DateOnly)
	}
	if n, err := b.store.ActiveNumber(a.Instance); err == nil {
		d.Gateway, d.GatewayDigits = n.Number, phone.Digits(n.Number)
	}
	return d
}

// credentialsLetter is the mail that carries a secret.
func (b *Billing) credentialsLetter(a registry.Account, c registry.Credentials, reason string) letter {
	d := b.mailFor(a)
	d.Secret, d.Reason = c.ClientSecret, reason
	return letter{to: a.Email, tmpl: "credentials.txt", data: d, delivered: a.ClientID}
}

// render executes a mail template. Its first line is "Subject: ...", then
// a blank line, then the body.
func (b *Billing) render(l letter) (mail.Message, error) {
	var buf bytes.Buffer
	if err := b.mails.ExecuteTemplate(&buf, l.tmpl, l.data); err != nil {
		return mail.Message{}, fmt.Errorf("render %s: %w", l.tmpl, err)
	}
	head, body, ok := strings.Cut(buf.String(), "\n\n")
	subject, isSubject := strings.CutPrefix(head, "Subject: ")
	if !ok || !isSubject {
		return mail.Message{}, fmt.Errorf("render %s: no Subject line", l.tmpl)
	}
	return mail.Message{To: l.to, Subject: strings.TrimSpace(subject), Text: body}, nil
}

// send delivers letters, logging (never with their contents: they may hold
// a secret) what could not be sent. A credentials mail that fails stays
// marked undelivered, and the lifecycle tick sends new credentials later.
func (b *Billing) send(ctx context.Context, letters ...letter) {
	for _, l := range letters {
		if l.to == "" {
			continue // an account created by the operator without an address
		}
		if b.mailer == nil {
			b.log.Warn("no mailer configured: mail not sent", "kind", l.tmpl, "account", l.data.ClientID)
			continue
		}
		msg, err := b.render(l)
		if err == nil {
			err = b.mailer.Send(ctx, msg)
		}
		if err != nil {
			b.log.Error("mail not sent", "kind", l.tmpl, "account", l.data.ClientID, "err", err)
			continue
		}
		b.log.Info("mail sent", "kind", l.tmpl, "account", l.data.ClientID)
		if l.delivered != "" {
			if err := b.store.MarkCredentialsDelivered(l.delivered); err != nil {
				b.log.Error("mark credentials delivered", "account", l.delivered, "err", err)
			}
		}
	}
}

// background runs fn after the response, tracked so Close can wait for it.
func (b *Billing) background(fn func(ctx context.Context)) {
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		fn(ctx)
	}()
}
