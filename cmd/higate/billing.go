package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"higate/registry"
	"higate/web"
	"higate/web/mail"
	"higate/web/paypal"
)

// billingConfig is the PayPal and mail part of the configuration. Billing
// is on when a PayPal client ID is set; then the rest must be too.
type billingConfig struct {
	PayPalClientID  string
	PayPalSecret    string
	PayPalAPIBase   string
	PayPalWebhookID string
	Plans           web.PlanIDs
	SMTPURL         string
	MailFrom        string
	PublicURL       string
	SharedInstance  uint64
	Grace           time.Duration
	RemindBefore    time.Duration
	TickEvery       time.Duration
}

// secretValue is a flag whose value never shows in -h output: the default
// printed would otherwise be the secret, taken from the environment.
type secretValue struct{ p *string }

// String is empty, so flag's help shows no default for the secret.
func (v secretValue) String() string { return "" }

// Set stores the flag's value.
func (v secretValue) Set(s string) error { *v.p = s; return nil }

// register adds the billing flags to fs, with their defaults from the
// environment (env is parseServeFlags' lookup).
func (b *billingConfig) register(fs *flag.FlagSet, env func(name, def string) string) error {
	b.registerPayPal(fs, env)
	fs.StringVar(&b.PayPalWebhookID, "paypal-webhook-id", env("HIGATE_PAYPAL_WEBHOOK_ID", ""), "ID of the webhook at PayPal, for signature verification (HIGATE_PAYPAL_WEBHOOK_ID)")
	fs.StringVar(&b.Plans.Trial, "paypal-plan-trial", env("HIGATE_PAYPAL_PLAN_TRIAL", ""), "PayPal plan ID: 14-day trial, then Forever Green monthly (HIGATE_PAYPAL_PLAN_TRIAL)")
	fs.StringVar(&b.Plans.ForeverGreen, "paypal-plan-forever-green", env("HIGATE_PAYPAL_PLAN_FOREVER_GREEN", ""), "PayPal plan ID: Forever Green monthly (HIGATE_PAYPAL_PLAN_FOREVER_GREEN)")
	fs.StringVar(&b.Plans.ForeverGreenYearly, "paypal-plan-forever-green-yearly", env("HIGATE_PAYPAL_PLAN_FOREVER_GREEN_YEARLY", ""), "PayPal plan ID: Forever Green yearly (HIGATE_PAYPAL_PLAN_FOREVER_GREEN_YEARLY)")
	fs.StringVar(&b.Plans.Enterprise, "paypal-plan-enterprise", env("HIGATE_PAYPAL_PLAN_ENTERPRISE", ""), "PayPal plan ID: Enterprise quarterly (HIGATE_PAYPAL_PLAN_ENTERPRISE)")
	b.SMTPURL = env("HIGATE_SMTP_URL", "")
	fs.Var(secretValue{&b.SMTPURL}, "smtp-url", "mail server, smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (HIGATE_SMTP_URL)")
	fs.StringVar(&b.MailFrom, "mail-from", env("HIGATE_MAIL_FROM", ""), "From address of Higate's mail, e.g. \"Higate <billing@example.com>\" (HIGATE_MAIL_FROM)")
	fs.StringVar(&b.PublicURL, "public-url", env("HIGATE_PUBLIC_URL", ""), "how buyers and webhook receivers reach this server, e.g. https://gw.example.com: links in mails and inbound media links (HIGATE_PUBLIC_URL)")
	shared, err := strconv.ParseUint(env("HIGATE_SHARED_INSTANCE", "0"), 10, 64)
	if err != nil {
		return fmt.Errorf("HIGATE_SHARED_INSTANCE: %w", err)
	}
	fs.Uint64Var(&b.SharedInstance, "shared-instance", shared, "instance of new Trial and Forever Green accounts (HIGATE_SHARED_INSTANCE)")
	for _, d := range []struct {
		p          *time.Duration
		name, env  string
		def, usage string
	}{
		{&b.Grace, "grace", "HIGATE_GRACE", "72h", "how long the API keeps working after a paid period ends (HIGATE_GRACE)"},
		{&b.RemindBefore, "remind-before", "HIGATE_REMIND_BEFORE", "72h", "how long before a period ends the reminder mail goes (HIGATE_REMIND_BEFORE)"},
		{&b.TickEvery, "billing-tick", "HIGATE_BILLING_TICK", "10m", "how often expiry, reminders and renewals are checked (HIGATE_BILLING_TICK)"},
	} {
		v, err := time.ParseDuration(env(d.env, d.def))
		if err != nil {
			return fmt.Errorf("%s: %w", d.env, err)
		}
		fs.DurationVar(d.p, d.name, v, d.usage)
	}
	return nil
}

// registerPayPal adds the PayPal credential flags, which `higate paypal
// setup` shares with serve.
func (b *billingConfig) registerPayPal(fs *flag.FlagSet, env func(name, def string) string) {
	fs.StringVar(&b.PayPalClientID, "paypal-client-id", env("HIGATE_PAYPAL_CLIENT_ID", ""), "PayPal REST app client ID; billing is off without it (HIGATE_PAYPAL_CLIENT_ID)")
	b.PayPalSecret = env("HIGATE_PAYPAL_SECRET", "")
	fs.Var(secretValue{&b.PayPalSecret}, "paypal-secret", "PayPal REST app secret; prefer the environment variable (HIGATE_PAYPAL_SECRET)")
	fs.StringVar(&b.PayPalAPIBase, "paypal-api-base", env("HIGATE_PAYPAL_API_BASE", paypal.SandboxAPIBase), "PayPal API: sandbox, live, or a URL (HIGATE_PAYPAL_API_BASE)")
}

// Enabled reports whether PayPal billing is configured.
func (b billingConfig) Enabled() bool { return b.PayPalClientID != "" }

// Validate reports the first thing wrong: half a billing configuration is
// an error at start, not a surprise at the first purchase.
func (b billingConfig) Validate() error {
	if b.Grace < 0 || b.RemindBefore < 0 {
		return errors.New("--grace and --remind-before must not be negative")
	}
	if b.TickEvery < time.Second {
		return errors.New("--billing-tick must be at least 1s")
	}
	if (b.SMTPURL == "") != (b.MailFrom == "") {
		return errors.New("set both --smtp-url and --mail-from, or neither")
	}
	if b.SMTPURL != "" {
		if _, err := mail.New(mail.Config{URL: b.SMTPURL, From: b.MailFrom}); err != nil {
			return fmt.Errorf("--smtp-url / --mail-from: %w", err)
		}
	}
	if !b.Enabled() {
		if b.PayPalSecret != "" || b.PayPalWebhookID != "" || b.Plans != (web.PlanIDs{}) {
			return errors.New("PayPal settings are given but --paypal-client-id is not")
		}
		return nil
	}
	switch {
	case b.PayPalSecret == "":
		return errors.New("billing needs --paypal-secret (HIGATE_PAYPAL_SECRET)")
	case b.PayPalWebhookID == "":
		return errors.New("billing needs --paypal-webhook-id (HIGATE_PAYPAL_WEBHOOK_ID)")
	case b.Plans == (web.PlanIDs{}):
		return errors.New("billing needs at least one --paypal-plan-* (run higate paypal setup)")
	case b.SMTPURL == "":
		return errors.New("billing needs --smtp-url and --mail-from, to send the credentials")
	}
	if _, err := paypal.APIBase(b.PayPalAPIBase); err != nil {
		return fmt.Errorf("--paypal-api-base: %w", err)
	}
	if u, err := url.Parse(b.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("billing needs --public-url, an absolute http(s) URL (HIGATE_PUBLIC_URL)")
	}
	return nil
}

// startBilling builds Billing from the configuration and starts its
// lifecycle loop; stop ends the loop and waits for mails in flight. With
// PayPal unset billing is off, and the log says so.
func startBilling(cfg billingConfig, store *registry.Store, log *slog.Logger, reg prometheus.Registerer) (b *web.Billing, stop func(), err error) {
	opts := web.BillingOptions{Store: store, SharedInstance: cfg.SharedInstance, Grace: cfg.Grace,
		RemindBefore: cfg.RemindBefore, PublicURL: cfg.PublicURL, Plans: cfg.Plans, Logger: log}
	if cfg.SMTPURL != "" {
		if opts.Mailer, err = mail.New(mail.Config{URL: cfg.SMTPURL, From: cfg.MailFrom, Metrics: mail.NewMetrics(reg)}); err != nil {
			return nil, nil, err
		}
	}
	if cfg.Enabled() {
		opts.PayPal, err = paypal.New(paypal.Config{ClientID: cfg.PayPalClientID, Secret: cfg.PayPalSecret,
			APIBase: cfg.PayPalAPIBase, WebhookID: cfg.PayPalWebhookID, Metrics: paypal.NewMetrics(reg)})
		if err != nil {
			return nil, nil, err
		}
		opts.PayPalClientID = cfg.PayPalClientID
		base, _ := paypal.APIBase(cfg.PayPalAPIBase)
		log.Info("billing is on", "paypal_api", base, "public_url", cfg.PublicURL, "mail", opts.Mailer.String(),
			"shared_instance", cfg.SharedInstance, "grace", cfg.Grace)
	} else {
		log.Info("billing is off: set HIGATE_PAYPAL_CLIENT_ID and the rest of the PayPal settings to sell plans (docs/BILLING.md)")
	}
	if b, err = web.NewBilling(opts); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx, cfg.TickEvery); close(done) }()
	return b, func() { cancel(); <-done; b.Close() }, nil
}

// paypalCmd is `higate paypal setup`: create the product and plans at
// PayPal and print their IDs as the environment lines serve reads.
func paypalCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "setup" {
		fmt.Fprintln(stderr, "usage: higate paypal setup [flags]   (higate paypal setup -h for flags)")
		return errors.New("paypal: unknown or missing subcommand")
	}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var b billingConfig
	var o paypal.SetupOptions
	fs := flag.NewFlagSet("paypal setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	b.registerPayPal(fs, env)
	fs.StringVar(&o.ProductName, "product-name", env("HIGATE_PRODUCT_NAME", "Higate"), "product name buyers see at PayPal (HIGATE_PRODUCT_NAME)")
	fs.StringVar(&o.Description, "product-description", env("HIGATE_PRODUCT_DESCRIPTION", "WhatsApp gateway API"), "product description (HIGATE_PRODUCT_DESCRIPTION)")
	fs.StringVar(&o.HomeURL, "home-url", env("HIGATE_PUBLIC_URL", ""), "product home page (HIGATE_PUBLIC_URL)")
	fs.StringVar(&o.Prices.Currency, "currency", env("HIGATE_CURRENCY", "USD"), "ISO 4217 currency of the prices (HIGATE_CURRENCY)")
	fs.StringVar(&o.Prices.ForeverGreen, "price-forever-green", env("HIGATE_PRICE_FOREVER_GREEN", "9.00"), "Forever Green, a month; also what a Trial becomes (HIGATE_PRICE_FOREVER_GREEN)")
	fs.StringVar(&o.Prices.ForeverGreenYearly, "price-forever-green-yearly", env("HIGATE_PRICE_FOREVER_GREEN_YEARLY", "90.00"), "Forever Green, a year (HIGATE_PRICE_FOREVER_GREEN_YEARLY)")
	fs.StringVar(&o.Prices.Enterprise, "price-enterprise", env("HIGATE_PRICE_ENTERPRISE", "99.00"), "Enterprise, a quarter (HIGATE_PRICE_ENTERPRISE)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	client, err := paypal.New(paypal.Config{ClientID: b.PayPalClientID, Secret: b.PayPalSecret, APIBase: b.PayPalAPIBase})
	if err != nil {
		return fmt.Errorf("paypal setup: %w (set HIGATE_PAYPAL_CLIENT_ID and HIGATE_PAYPAL_SECRET)", err)
	}
	res, err := client.Setup(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# PayPal product %s and its plans; put these in the server's environment:\n", res.ProductID)
	fmt.Fprintf(stdout, "HIGATE_PAYPAL_PLAN_TRIAL=%s\n", res.Trial)
	fmt.Fprintf(stdout, "HIGATE_PAYPAL_PLAN_FOREVER_GREEN=%s\n", res.ForeverGreen)
	fmt.Fprintf(stdout, "HIGATE_PAYPAL_PLAN_FOREVER_GREEN_YEARLY=%s\n", res.ForeverGreenYearly)
	fmt.Fprintf(stdout, "HIGATE_PAYPAL_PLAN_ENTERPRISE=%s\n", res.Enterprise)
	return nil
}
