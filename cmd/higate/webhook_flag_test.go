package main

import (
	"io"
	"testing"
)

// Private webhook targets are off unless the operator turns them on, by
// flag or environment; --demo, which runs on a developer's machine,
// implies them.
func TestWebhookAllowPrivateFlag(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"default", nil, nil, false},
		{"flag", []string{"--webhook-allow-private"}, nil, true},
		{"env", nil, map[string]string{"HIGATE_WEBHOOK_ALLOW_PRIVATE": "true"}, true},
		{"flag beats env", []string{"--webhook-allow-private=false"}, map[string]string{"HIGATE_WEBHOOK_ALLOW_PRIVATE": "true"}, false},
		{"demo", []string{"--demo"}, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseServeFlags(c.args, func(k string) string { return c.env[k] }, io.Discard)
			if err != nil || cfg.WebhookAllowPrivate != c.want {
				t.Fatalf("allow private %v, %v; want %v", cfg.WebhookAllowPrivate, err, c.want)
			}
		})
	}
	if _, err := parseServeFlags(nil, func(k string) string {
		return map[string]string{"HIGATE_WEBHOOK_ALLOW_PRIVATE": "maybe"}[k]
	}, io.Discard); err == nil {
		t.Fatal("bad HIGATE_WEBHOOK_ALLOW_PRIVATE accepted")
	}
}
