package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"higate/gateway"
	"higate/gateway/backup"
	"higate/gateway/sim"
	"higate/gateway/wameow"
	"higate/registry"
	"higate/web"
	"higate/web/webhook"
)

// sandboxNumber is the simulated gateway number of instance 0.
const sandboxNumber = "+15550000001"

// serve runs the gateway until ctx ends, then shuts down in order: HTTP,
// then the dispatchers and transports, then the simulated network and the
// store. The log says when it started and with what, and what each step of
// the shutdown waited for.
func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	down := &shutdownLog{log: log}
	defer down.Done()
	reg := newMetricsRegistry() // metrics.go; every part registers on it
	store, err := registry.Open(cfg.Data, registry.Options{Logger: log, JobExpiry: cfg.JobExpiry, Retention: cfg.Retention,
		Metrics: registry.NewMetrics(reg)})
	if err != nil {
		return err
	}
	defer down.Step("registry closed", store.Close)
	reg.MustRegister(store.Collector())
	if n, err := backup.RemoveLeftovers(cfg.Data); err != nil {
		return err
	} else if n > 0 {
		log.Warn("removed the files of backups cut short", "count", n)
	}

	var network *sim.Network
	if cfg.Sandbox {
		network, err = sim.Open(filepath.Join(cfg.Data, "sim"), sim.Options{Logger: log})
		if err != nil {
			return fmt.Errorf("open simulated network: %w", err)
		}
		defer down.Step("simulated network closed", network.Close)
		if err := seedSandbox(store); err != nil {
			return err
		}
	}
	var demo demoCreds
	if cfg.Demo {
		// The same credentials every start (demo.go); an admin token
		// given by flag or environment wins over the stored one.
		if demo, err = loadDemo(cfg.Data, store, log); err != nil {
			return err
		}
		if cfg.AdminToken == "" {
			cfg.AdminToken = demo.AdminToken
		}
	}
	if cfg.AdminToken == "" {
		log.Warn("no admin token: the admin API is off (set --admin-token-file, HIGATE_ADMIN_TOKEN_FILE or HIGATE_ADMIN_TOKEN)")
	}

	hooks := webhook.New(webhook.Options{Store: store, Logger: log, AllowPrivate: cfg.WebhookAllowPrivate, PublicURL: cfg.Billing.PublicURL,
		Metrics: webhook.NewMetrics(reg), Deactivated: func(a registry.Account) {
			log.Warn("operator alert: webhook deactivated after repeated failures", "account", a.ClientID)
		}})
	gw := gateway.NewService(gateway.Options{
		Store:   store,
		Logger:  log,
		Metrics: gateway.NewMetrics(reg),
		Dial:    dialer(ctx, cfg, network, log),
		Hooks: gateway.Hooks{
			Inbound: hooks.Inbound,
			Alert: func(e registry.Event) {
				// An event's detail may name numbers in full (it is for the
				// admin API); the log gets them masked.
				log.Warn("operator alert", "kind", e.Kind, "instance", e.Instance, "number", maskNumbers(e.Number), "detail", maskNumbers(e.Detail))
			},
		},
	})
	if err := gw.Start(ctx); err != nil {
		return err
	}
	defer down.Step("dispatchers and transports stopped", func() error { gw.Stop(); return nil })
	// Deferred calls run last-in first-out: the webhook sender stops before
	// the gateway, after HTTP.
	hookCtx, stopHooks := context.WithCancel(context.WithoutCancel(ctx))
	hooksDone := make(chan struct{})
	go func() { hooks.Run(hookCtx); close(hooksDone) }()
	defer down.Step("webhook sender stopped", func() error { stopHooks(); <-hooksDone; return nil })
	billing, stopBilling, err := startBilling(cfg.Billing, store, log, reg) // its loop stops after HTTP, before the gateway
	if err != nil {
		return err
	}
	defer down.Step("billing stopped", func() error { stopBilling(); return nil })
	if cfg.Backups.Dir != "" {
		// Like the webhook sender, the schedule stops after HTTP, before the store.
		backupCtx, stopBackups := context.WithCancel(context.WithoutCancel(ctx))
		backupsDone := make(chan struct{})
		go func() { cfg.Backups.run(backupCtx, store, cfg.Data, log); close(backupsDone) }()
		defer down.Step("backup schedule stopped", func() error { stopBackups(); <-backupsDone; return nil })
	}

	// done ends the web pages' live streams when shutdown begins; Shutdown
	// would otherwise wait for every open page until its timeout.
	done := make(chan struct{})
	metrics := web.NewMetrics(reg)
	srv := &http.Server{
		Handler: web.NewServer(web.Deps{Store: store, Gateway: gw, Sim: network, Webhooks: hooks, Billing: billing,
			AdminToken: cfg.AdminToken, TrustedProxies: cfg.TrustedProxies, Logger: log, Done: done, DataDir: cfg.Data, Version: version, Metrics: metrics}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          httpErrorLog(log),
	}
	srv.RegisterOnShutdown(func() { close(done) })
	listeners, err := listen(cfg, srv)
	if err != nil {
		return err
	}
	base := listeners.baseURL()
	fmt.Fprintf(stdout, "higate %s listening on %s\n", version, base)
	log.Info("higate started", "version", version, "url", base, "data", cfg.Data, "sandbox", cfg.Sandbox,
		"admin_api", cfg.AdminToken != "", "tls", cfg.TLS.Mode(), "acme_domains", strings.Join(cfg.TLS.ACMEDomains, ","),
		"http_addr", listeners.plainAddr(), "trusted_proxies", cfg.TrustedProxies.String(), "config", cfg.ConfigFile)
	if cfg.MetricsAddr != "" {
		// Like the main listener, it stops before the gateway does.
		stopMetrics, err := serveMetrics(cfg.MetricsAddr, metrics.Handler(), stdout, log)
		if err != nil {
			listeners.close()
			return err
		}
		defer stopMetrics()
	}
	if cfg.Demo {
		printDemo(stdout, base, demo, cfg.AdminToken, filepath.Join(cfg.Data, demoFileName))
	}
	errc := listeners.serve()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	down.Begin()
	down.Step("http drained", listeners.shutdown)
	return err
}

// dialer makes transports: the simulated network's, or whatsmeow's.
func dialer(ctx context.Context, cfg config, network *sim.Network, log *slog.Logger) gateway.Dialer {
	return func(n registry.Number) (gateway.Transport, error) {
		switch n.Transport {
		case "sim":
			if network == nil {
				return nil, errors.New("the simulated network is off (--sandbox=false)")
			}
			return network.Attach(n.Number), nil
		case "whatsmeow":
			return wameow.Open(ctx, wameow.Options{Dir: cfg.Data, Number: n.Number, Logger: log, Typing: cfg.WATyping})
		}
		return nil, fmt.Errorf("unknown transport %q", n.Transport)
	}
}

// seedSandbox makes sure instance 0 exists with its simulated number.
func seedSandbox(store *registry.Store) error {
	if err := store.EnsureInstance(registry.SandboxInstance, "sandbox"); err != nil {
		return err
	}
	if _, err := store.Number(sandboxNumber); err == nil {
		return nil
	}
	if _, err := store.ActiveNumber(registry.SandboxInstance); err == nil {
		return nil // the operator rotated another number in and removed this one
	}
	_, err := store.AddNumber(registry.Number{Number: sandboxNumber, Instance: registry.SandboxInstance,
		Transport: "sim", Role: registry.RoleActive})
	return err
}

// printDemo prints the demo Trial account's credentials and the admin
// token with curl lines to try. They are the same on every start: file is
// where they are kept (loadDemo).
func printDemo(w io.Writer, base string, creds demoCreds, adminToken, file string) {
	auth := fmt.Sprintf(`-H "X-WM-CLIENT-ID: %s" -H "X-WM-CLIENT-SECRET: %s"`, creds.ClientID, creds.ClientSecret)
	fmt.Fprintf(w, `
Demo account (Trial, sandbox instance 0); the same on every start, kept in %[8]s
  client ID:     %[2]s
  client secret: %[3]s
  admin token:   %[4]s

1. A simulated user greets the sandbox gateway number:
curl -s -X POST %[1]s/sandbox/api/inbound -d '{"from":"+12025550108","to":"+15550000001","text":"Hi"}'

2. Send them a text, an image, a document and a link:
JOB=$(curl -s -X POST %[1]s/v3/whatsapp/single/text/message/0 %[5]s -d '{"number":"12025550108","message":"Hello from Higate (y)"}' | grep -o '[0-9][0-9]*' | head -1); echo "queued job $JOB"
curl -s -X POST %[1]s/v3/whatsapp/single/image/message/0 %[5]s -d '{"number":"12025550108","image":"%[6]s","caption":"a tiny picture"}'
curl -s -X POST %[1]s/v3/whatsapp/single/document/message/0 %[5]s -d '{"number":"12025550108","document":"%[7]s","filename":"hello.pdf","caption":"a tiny PDF"}'
curl -s -X POST %[1]s/v3/whatsapp/single/url/message/0 %[5]s -d '{"number":"12025550108","url":"https://example.com/"}'

3. Read what they received, and the text job's status:
curl -s '%[1]s/sandbox/api/messages?number=%%2B12025550108'
curl -s %[1]s/v3/whatsapp/jobs/$JOB %[5]s

4. Admin: instances and numbers:
curl -s %[1]s/admin/api/instances -H "Authorization: Bearer %[4]s"

Web pages:
  sandbox phone     %[1]s/sandbox/chat/+12025550108/+15550000001  (be that user in the browser; any number at %[1]s/sandbox/)
  opt-in page       %[1]s/join/0
  developer portal  %[1]s/portal/   (sign in with the client ID and secret above)
  operator console  %[1]s/console/  (sign in with the admin token)

`, base, creds.ClientID, creds.ClientSecret, adminToken, auth, demoPNG, demoPDF, file)
}

// A 1x1 PNG and a minimal PDF, base64, for the demo's curl lines.
const (
	demoPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
	demoPDF = "JVBERi0xLjQKMSAwIG9iajw8L1R5cGUvQ2F0YWxvZy9QYWdlcyAyIDAgUj4+ZW5kb2JqCjIgMCBvYmo8PC9UeXBlL1BhZ2VzL0tpZHNbXS9Db3VudCAwPj5lbmRvYmoKdHJhaWxlcjw8L1Jvb3QgMSAwIFI+PgolJUVPRgo="
)
