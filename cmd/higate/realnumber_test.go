package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestWhatsmeowNumberOffline: with no route to WhatsApp, adding a whatsmeow
// number answers at once and its pairing says within 15 s that WhatsApp
// cannot be reached; the server stays healthy, the sandbox keeps working,
// and after a restart the number is dialled again on its own.
func TestWhatsmeowNumberOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	srv := startServer(t, dir)
	defer func() { srv.kill() }()
	admin := []string{"Authorization", "Bearer " + crashAdmin}
	const real = "+4915111112222"

	start := time.Now()
	code, body, err := srv.call("POST", "/admin/api/instances/0/numbers", map[string]string{"number": real, "transport": "whatsmeow", "role": "standby"}, admin...)
	if err != nil || code != 200 {
		t.Fatalf("add number: %d %v %v", code, body, err)
	}
	waitPairingError := func() {
		t.Helper()
		for {
			_, st, err := srv.call("GET", "/admin/api/numbers/"+real+"/pairing", nil, admin...)
			if err == nil && st["step"] == "error" && strings.Contains(st["message"].(string), "cannot reach WhatsApp") {
				return
			}
			if time.Since(start) > 15*time.Second {
				t.Fatalf("no clear pairing error within 15 s: %v %v", st, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitPairingError()
	t.Logf("pairing reported the offline error after %v", time.Since(start).Round(time.Millisecond))

	// The sandbox is unaffected.
	_, acct, _ := srv.call("POST", "/admin/api/accounts", map[string]any{"email": "a@example.com", "plan": "trial"}, admin...)
	auth := []string{"X-WM-CLIENT-ID", acct["client_id"].(string), "X-WM-CLIENT-SECRET", acct["client_secret"].(string)}
	srv.call("POST", "/sandbox/api/inbound", map[string]string{"from": "+12025550108", "to": "+15550000001", "text": "Hi"})
	if code, body, _ := srv.call("POST", "/v3/whatsapp/single/text/message/0", map[string]string{"number": "12025550108", "message": "still fine"}, auth...); code != 200 {
		t.Fatalf("sandbox send: %d %v", code, body)
	}
	if _, st, _ := srv.call("GET", "/v1/gateway/status?instance=0", nil); st["status"] != "up" {
		t.Fatalf("status %v", st)
	}

	// The operator commands against the running server.
	ctx := context.Background()
	getenv := func(k string) string {
		return map[string]string{"HIGATE_SERVER": srv.base, "HIGATE_ADMIN_TOKEN": crashAdmin}[k]
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"higate", "numbers"}, getenv, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), real) || !strings.Contains(out.String(), "whatsmeow") {
		t.Fatalf("numbers:\n%s", out.String())
	}
	srv.call("POST", "/admin/api/instances/0/numbers", map[string]string{"number": "+15550000002", "transport": "sim", "role": "standby"}, admin...)
	for deadline := time.Now().Add(10 * time.Second); ; {
		out.Reset()
		err := run(ctx, []string{"higate", "rotate", "--instance", "0", "--to", "+15550000002"}, getenv, &out, &out)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotate: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "+15550000002 is active") {
		t.Fatalf("rotate:\n%s", out.String())
	}

	// Restart: the number is still there and dialled again on its own.
	srv.kill()
	srv = startServer(t, dir)
	start = time.Now()
	waitPairingError()
}
