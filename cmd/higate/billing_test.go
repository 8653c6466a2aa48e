package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"higate/web/mail/smtptest"
	"higate/web/paypal"
	"higate/web/paypal/paypaltest"
)

// billingEnv maps HIGATE_* names to values, as the environment would.
type billingEnv map[string]string

func (e billingEnv) get(name string) string { return e[name] }

func TestPayPalSetupPrintsPlanIDs(t *testing.T) {
	fake := paypaltest.New(t)
	env := billingEnv{"HIGATE_PAYPAL_CLIENT_ID": paypaltest.ClientID, "HIGATE_PAYPAL_SECRET": paypaltest.Secret, "HIGATE_PAYPAL_API_BASE": fake.URL}
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"higate", "paypal", "setup", "--price-enterprise", "149.00"}, env.get, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if r := fake.Rejected(); len(r) != 0 {
		t.Fatalf("the fake PayPal refused: %v", r)
	}
	prods, plans := fake.Products(), fake.Plans()
	if len(prods) != 1 || len(plans) != 4 {
		t.Fatalf("%d products, %d plans", len(prods), len(plans))
	}
	if !strings.Contains(out.String(), prods[0].ID) {
		t.Errorf("product ID %s not printed:\n%s", prods[0].ID, out.String())
	}
	printed := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(HIGATE_PAYPAL_PLAN_\w+)=(\S+)$`).FindAllStringSubmatch(out.String(), -1) {
		printed[m[1]] = m[2]
	}
	byID := map[string]paypaltest.Plan{}
	for _, p := range plans {
		byID[p.ID] = p
	}
	for name, cycles := range map[string]int{"HIGATE_PAYPAL_PLAN_TRIAL": 2, "HIGATE_PAYPAL_PLAN_FOREVER_GREEN": 1,
		"HIGATE_PAYPAL_PLAN_FOREVER_GREEN_YEARLY": 1, "HIGATE_PAYPAL_PLAN_ENTERPRISE": 1} {
		p, ok := byID[printed[name]]
		if !ok || len(p.BillingCycles) != cycles || p.ProductID != prods[0].ID {
			t.Errorf("%s=%q: plan %+v", name, printed[name], p)
		}
	}
	if p := byID[printed["HIGATE_PAYPAL_PLAN_ENTERPRISE"]]; p.BillingCycles[0].PricingScheme.FixedPrice.Value != "149.00" {
		t.Errorf("enterprise price %+v", p.BillingCycles[0].PricingScheme)
	}

	if err := run(t.Context(), []string{"higate", "paypal", "setup"}, billingEnv{}.get, &out, &errOut); err == nil {
		t.Error("setup without credentials did not fail")
	}
	if err := run(t.Context(), []string{"higate", "paypal"}, env.get, &out, &errOut); err == nil {
		t.Error("paypal without a subcommand did not fail")
	}
}

// fullBilling is a complete, valid billing environment.
func fullBilling() billingEnv {
	return billingEnv{
		"HIGATE_PAYPAL_CLIENT_ID": "cid", "HIGATE_PAYPAL_SECRET": "pp-secret-value", "HIGATE_PAYPAL_WEBHOOK_ID": "WH-1",
		"HIGATE_PAYPAL_PLAN_TRIAL": "P-T", "HIGATE_SMTP_URL": "smtp://mailer:smtp-password@127.0.0.1:2525",
		"HIGATE_MAIL_FROM": "billing@example.com", "HIGATE_PUBLIC_URL": "https://gw.example.com",
	}
}

func TestBillingConfig(t *testing.T) {
	without := func(keys ...string) billingEnv {
		e := fullBilling()
		for _, k := range keys {
			delete(e, k)
		}
		return e
	}
	with := func(k, v string) billingEnv { e := fullBilling(); e[k] = v; return e }
	for _, c := range []struct {
		name    string
		env     billingEnv
		enabled bool
		ok      bool
	}{
		{"nothing set: billing off", billingEnv{}, false, true},
		{"mail only", billingEnv{"HIGATE_SMTP_URL": "smtp://h:25", "HIGATE_MAIL_FROM": "a@example.com"}, false, true},
		{"complete", fullBilling(), true, true},
		{"no secret", without("HIGATE_PAYPAL_SECRET"), true, false},
		{"no webhook ID", without("HIGATE_PAYPAL_WEBHOOK_ID"), true, false},
		{"no plan", without("HIGATE_PAYPAL_PLAN_TRIAL"), true, false},
		{"no mail", without("HIGATE_SMTP_URL", "HIGATE_MAIL_FROM"), true, false},
		{"no public URL", without("HIGATE_PUBLIC_URL"), true, false},
		{"plans without client ID", without("HIGATE_PAYPAL_CLIENT_ID"), false, false},
		{"bad API base", with("HIGATE_PAYPAL_API_BASE", "ftp://x"), true, false},
		{"live", with("HIGATE_PAYPAL_API_BASE", "live"), true, true},
		{"bad grace", with("HIGATE_GRACE", "-1h"), true, false},
		{"bad shared instance", with("HIGATE_SHARED_INSTANCE", "x"), true, false},
		{"smtp without from", billingEnv{"HIGATE_SMTP_URL": "smtp://h:25"}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseServeFlags(nil, c.env.get, io.Discard)
			if (err == nil) != c.ok {
				t.Fatalf("err %v", err)
			}
			if err == nil && cfg.Billing.Enabled() != c.enabled {
				t.Fatalf("enabled %v", cfg.Billing.Enabled())
			}
		})
	}
	cfg, err := parseServeFlags([]string{"--shared-instance", "3", "--grace", "24h", "--paypal-secret", "from-flag"}, fullBilling().get, io.Discard)
	if err != nil || cfg.Billing.SharedInstance != 3 || cfg.Billing.Grace != 24*time.Hour || cfg.Billing.PayPalSecret != "from-flag" ||
		cfg.Billing.PayPalAPIBase != paypal.SandboxAPIBase || cfg.Billing.Plans.Trial != "P-T" {
		t.Fatalf("%v %+v", err, cfg.Billing)
	}
}

func TestSecretsStayOutOfHelp(t *testing.T) {
	var help bytes.Buffer
	if _, err := parseServeFlags([]string{"-h"}, fullBilling().get, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, secret := range []string{"pp-secret-value", "smtp-password"} {
		if strings.Contains(help.String(), secret) {
			t.Errorf("-h shows %q", secret)
		}
	}
	if !strings.Contains(help.String(), "HIGATE_PAYPAL_SECRET") || !strings.Contains(help.String(), "HIGATE_SMTP_URL") {
		t.Error("-h does not list the billing flags")
	}
}

// lockedBuffer is a buffer the server goroutine writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// serveBilling runs `higate serve` in-process until the test ends, and
// returns its base URL and its log.
func serveBilling(t *testing.T, env billingEnv) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs lockedBuffer
	errc := make(chan error, 1)
	args := []string{"higate", "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--admin-token", "billing-cmd-admin-token"}
	go func() { errc <- run(ctx, args, env.get, &out, &logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, base, ok := strings.Cut(out.String(), " listening on "); ok {
			return strings.TrimSpace(strings.SplitN(base, "\n", 2)[0]), &logs
		}
		select {
		case err := <-errc:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func post(t *testing.T, url string, body []byte, header http.Header) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	for k := range header {
		req.Header.Set(k, header.Get(k))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestServeWiresBilling(t *testing.T) {
	fake := paypaltest.New(t)
	fake.AddPlan("P-FG", false, "MONTH", 1)
	smtp := smtptest.New(t, smtptest.Options{})
	env := fullBilling()
	env["HIGATE_PAYPAL_CLIENT_ID"], env["HIGATE_PAYPAL_SECRET"] = paypaltest.ClientID, paypaltest.Secret
	env["HIGATE_PAYPAL_API_BASE"], env["HIGATE_PAYPAL_WEBHOOK_ID"] = fake.URL, paypaltest.WebhookID
	env["HIGATE_PAYPAL_PLAN_FOREVER_GREEN"], env["HIGATE_SMTP_URL"] = "P-FG", smtp.URL()
	delete(env, "HIGATE_PAYPAL_PLAN_TRIAL")
	base, logs := serveBilling(t, env)

	status, body := post(t, base+"/paypal/subscriptions", []byte(`{"offer":"forever-green"}`), http.Header{"Content-Type": {"application/json"}})
	sub, _ := body["id"].(string)
	if status != 200 || sub == "" {
		t.Fatalf("create subscription: %d %v", status, body)
	}
	fake.Approve(sub, "buyer@example.com", time.Now())
	d := fake.SubscriptionEvent(paypal.EventSubscriptionActivated, sub)
	if status, body := post(t, base+"/paypal/webhook", d.Body, d.Header); status != 200 {
		t.Fatalf("webhook: %d %v", status, body)
	}
	m := smtp.Wait(t, 1)[0]
	if m.Recipients[0] != "buyer@example.com" || !strings.Contains(m.Text, "Client secret: ") || !strings.Contains(m.Text, "https://gw.example.com/v3/") {
		t.Fatalf("mail:\n%s", m.Text)
	}
	if !strings.Contains(logs.String(), "billing is on") {
		t.Errorf("no 'billing is on' in the log:\n%s", logs.String())
	}
	secret := regexp.MustCompile(`Client secret: (\S+)`).FindStringSubmatch(m.Text)[1]
	for _, s := range []string{paypaltest.Secret, smtptest.Password, secret} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log shows a secret %q", s)
		}
	}
}

func TestServeSaysBillingIsOff(t *testing.T) {
	base, logs := serveBilling(t, billingEnv{})
	if !strings.Contains(logs.String(), "billing is off") {
		t.Errorf("no 'billing is off' in the log:\n%s", logs.String())
	}
	if status, body := post(t, base+"/paypal/webhook", []byte(`{}`), nil); status != 503 || body["status"] != "error" {
		t.Fatalf("webhook with billing off: %d %v", status, body)
	}
}
