package gateway_test

import (
	"testing"
	"time"

	"higate/registry"
)

// Changes wakes a watcher when a number's state changes and when jobs are
// accepted and sent, and its count only grows.
func TestChangesWakeWatchers(t *testing.T) {
	h := newHarness(t, registry.Pacing{})
	h.waitFor("the number connected", func() bool {
		n, _ := h.store.Number(gw)
		return n.State == registry.StateActive
	})
	wait := func(what string, next <-chan struct{}) {
		t.Helper()
		select {
		case <-next:
		case <-time.After(10 * time.Second):
			t.Fatalf("no change for %s", what)
		}
	}

	v0, next := h.svc.Changes()
	if err := h.net.Fault(gw, "disconnect", 0); err != nil {
		t.Fatal(err)
	}
	wait("a disconnect", next)
	h.waitFor("the state recorded", func() bool {
		n, _ := h.store.Number(gw)
		return n.State == registry.StateDisconnected
	})
	v1, next := h.svc.Changes()
	if v1 <= v0 {
		t.Fatalf("version %d after %d", v1, v0)
	}
	select {
	case <-next:
		t.Fatal("a fresh channel is closed before any change")
	default:
	}
	if err := h.net.Fault(gw, "clear", 0); err != nil {
		t.Fatal(err)
	}
	wait("a reconnect", next)

	const user = "+4915100000001"
	_, next = h.svc.Changes()
	h.queue(user, 1) // accepts, then Wake
	wait("an accept", next)
	h.waitFor("the send", func() bool { return len(h.net.Messages(user)) == 1 })
	h.waitFor("the queue empty", func() bool { return h.store.QueueDepth(0) == 0 })
}
