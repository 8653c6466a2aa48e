package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"higate/web/forwarded"
)

// config is the server's configuration. Every flag has a HIGATE_* twin in
// the environment and a key in the config file (configfile.go): a flag
// given on the command line wins over the environment, which wins over
// the file, which wins over the default.
type config struct {
	Addr       string
	Data       string
	ConfigFile string // --config: where the file layer came from, if any
	AdminToken string
	Sandbox    bool
	Demo       bool
	LogLevel   slog.Level
	LogFormat  string // "text" or "json" (logging.go)
	JobExpiry  time.Duration
	Retention  time.Duration
	WATyping   bool          // whatsmeow numbers show "typing…" before each send
	Billing    billingConfig // PayPal and mail (billing.go)

	// WebhookAllowPrivate lets webhooks reach loopback, private and CGNAT
	// addresses (receivers on the operator's LAN); --demo implies it.
	WebhookAllowPrivate bool
	Backups             backupSchedule // scheduled backups (backup.go); off without a directory
	TLS                 tlsConfig      // HTTPS from certificate files or ACME (tls.go)
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto count; none by default.
	TrustedProxies forwarded.Proxies

	// MetricsAddr is a listener for GET /metrics alone, without the admin
	// token (metrics.go); off when empty.
	MetricsAddr string
}

// parseServeFlags reads serve's configuration from its arguments, the
// environment and the config file, and validates it.
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	s, err := parseServe(args, getenv, stderr)
	return s.config, err
}

// serveSettings is a parsed configuration with what config check shows
// of it: the flags and where each value came from.
type serveSettings struct {
	config
	fs      *flag.FlagSet
	sources sources
	token   *adminToken
}

// parseServe is parseServeFlags, keeping the flags and their sources.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveSettings, error) {
	var s serveSettings
	c := &s.config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	s.fs = fs
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("HIGATE_ADDR", "127.0.0.1:8080"), "listen address (HIGATE_ADDR)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("HIGATE_METRICS_ADDR", ""),
		"serve GET /metrics without the admin token on this address too, for a private interface only; off when empty (HIGATE_METRICS_ADDR)")
	fs.StringVar(&c.Data, "data", env("HIGATE_DATA", "./data"), "data directory (HIGATE_DATA)")
	fs.StringVar(&c.ConfigFile, "config", env("HIGATE_CONFIG", ""),
		"read settings from this file: key = value lines, keys named like these flags; the command line and the environment win over it (HIGATE_CONFIG)")
	adminToken := registerAdminToken(fs, getenv) // admin routes are off without a token
	s.token = adminToken
	sandbox, err := strconv.ParseBool(env("HIGATE_SANDBOX", "true"))
	if err != nil {
		return s, fmt.Errorf("HIGATE_SANDBOX: %w", err)
	}
	fs.BoolVar(&c.Sandbox, "sandbox", sandbox, "run the simulated network and sandbox instance 0 (HIGATE_SANDBOX)")
	demo, err := strconv.ParseBool(env("HIGATE_DEMO", "false"))
	if err != nil {
		return s, fmt.Errorf("HIGATE_DEMO: %w", err)
	}
	fs.BoolVar(&c.Demo, "demo", demo, "seed a demo account and print credentials and curl lines (HIGATE_DEMO)")
	level := fs.String("log-level", env("HIGATE_LOG_LEVEL", "info"), "debug, info, warn or error (HIGATE_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("HIGATE_LOG_FORMAT", "text"), "text (logfmt) or json, one record a line (HIGATE_LOG_FORMAT)")
	expiry, err := time.ParseDuration(env("HIGATE_JOB_EXPIRY", "24h"))
	if err != nil {
		return s, fmt.Errorf("HIGATE_JOB_EXPIRY: %w", err)
	}
	fs.DurationVar(&c.JobExpiry, "job-expiry", expiry, "how long a job may wait before it fails as expired (HIGATE_JOB_EXPIRY)")
	retention, err := time.ParseDuration(env("HIGATE_RETENTION", "720h"))
	if err != nil {
		return s, fmt.Errorf("HIGATE_RETENTION: %w", err)
	}
	fs.DurationVar(&c.Retention, "retention", retention, "how long finished jobs, webhook deliveries and events are kept (HIGATE_RETENTION)")
	typing, err := strconv.ParseBool(env("HIGATE_WA_TYPING", "false"))
	if err != nil {
		return s, fmt.Errorf("HIGATE_WA_TYPING: %w", err)
	}
	fs.BoolVar(&c.WATyping, "wa-typing", typing, "real numbers show a typing indicator before each send, as a person would (HIGATE_WA_TYPING)")
	allowPrivate, err := strconv.ParseBool(env("HIGATE_WEBHOOK_ALLOW_PRIVATE", "false"))
	if err != nil {
		return s, fmt.Errorf("HIGATE_WEBHOOK_ALLOW_PRIVATE: %w", err)
	}
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", allowPrivate,
		"let webhooks reach loopback, private and CGNAT addresses, for receivers on your LAN; --demo implies it (HIGATE_WEBHOOK_ALLOW_PRIVATE)")
	fs.StringVar(&c.Backups.Dir, "backup-dir", env("HIGATE_BACKUP_DIR", ""), "write a backup into this directory every --backup-every; off when empty (HIGATE_BACKUP_DIR)")
	every, err := time.ParseDuration(env("HIGATE_BACKUP_EVERY", "6h"))
	if err != nil {
		return s, fmt.Errorf("HIGATE_BACKUP_EVERY: %w", err)
	}
	fs.DurationVar(&c.Backups.Every, "backup-every", every, "how often to write a scheduled backup (HIGATE_BACKUP_EVERY)")
	keep, err := strconv.Atoi(env("HIGATE_BACKUP_KEEP", "14"))
	if err != nil {
		return s, fmt.Errorf("HIGATE_BACKUP_KEEP: %w", err)
	}
	fs.IntVar(&c.Backups.Keep, "backup-keep", keep, "how many scheduled backups to keep, newest first (HIGATE_BACKUP_KEEP)")
	if err := c.Billing.register(fs, env); err != nil {
		return s, err
	}
	c.TLS.register(fs, env)
	proxies := fs.String("trusted-proxies", env("HIGATE_TRUSTED_PROXIES", ""),
		"reverse proxies whose X-Forwarded-For and X-Forwarded-Proto count: CIDR prefixes or addresses, comma-separated (HIGATE_TRUSTED_PROXIES)")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	s.sources = sourcesOf(fs, getenv)
	if c.ConfigFile != "" {
		file, err := readConfigFile(c.ConfigFile, stderr)
		if err != nil {
			return s, err
		}
		if err := file.apply(fs, s.sources); err != nil {
			return s, err
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return s, fmt.Errorf("--log-level: %w", err)
	}
	if c.TrustedProxies, err = forwarded.ParseProxies(*proxies); err != nil {
		return s, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if c.AdminToken, err = adminToken.resolveFrom(s.sources, stderr); err != nil {
		return s, err
	}
	// The demo runs on a developer's machine, where the receiver they try
	// is on localhost.
	c.WebhookAllowPrivate = c.WebhookAllowPrivate || c.Demo
	if len(c.TLS.ACMEDomains) > 0 && c.TLS.HTTPAddr == "" {
		c.TLS.HTTPAddr = ":80" // the HTTP-01 challenge comes to port 80
	}
	return s, c.Validate()
}

// Validate reports the first thing wrong with the configuration.
func (c config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		return fmt.Errorf("--metrics-addr %q: %w", c.MetricsAddr, err)
	}
	if strings.TrimSpace(c.Data) == "" {
		return errors.New("--data must name a directory")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.LogFormat)
	}
	if err := c.TLS.Validate(); err != nil {
		return err
	}
	if c.Backups.Dir != "" && c.Backups.Every < time.Minute {
		return errors.New("--backup-every must be at least 1m")
	}
	if c.Backups.Dir != "" && c.Backups.Keep < 1 {
		return errors.New("--backup-keep must be at least 1")
	}
	if c.Demo && !c.Sandbox {
		return errors.New("--demo needs the sandbox (--sandbox=true)")
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return errors.New("the admin token (--admin-token-file, HIGATE_ADMIN_TOKEN) must be at least 16 characters")
	}
	if c.JobExpiry < time.Minute {
		return errors.New("--job-expiry must be at least 1m")
	}
	if c.Retention < time.Hour {
		return errors.New("--retention must be at least 1h")
	}
	if err := c.Billing.Validate(); err != nil {
		return err
	}
	return nil
}
