package webhook_test

import (
	"context"
	"strings"
	"testing"

	"higate/quota"
	"higate/registry"
	"higate/web/webhook"
)

func TestFailedDeliveryErrorHidesURL(t *testing.T) {
	dir := t.TempDir()
	store, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	store.EnsureInstance(0, "sandbox")
	c, _ := store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Enterprise})
	a, _ := store.UpdateAccount(c.ClientID, func(a *registry.Account) error {
		a.Webhook = registry.Webhook{URL: "http://127.0.0.1:1/hook?key=receiver-secret", Secret: "s", Active: true}
		return nil
	})
	// Private targets allowed, so the dial is tried and fails.
	status, err := webhook.New(webhook.Options{Store: store, AllowPrivate: true}).Test(context.Background(), a)
	if err == nil || status != 0 || strings.Contains(err.Error(), "receiver-secret") {
		t.Fatalf("status %d, err %v", status, err)
	}
}
