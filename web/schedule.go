package web

import (
	"time"

	"higate/registry"
)

// scheduleFields reads the optional send_at and priority of a send into
// req. send_at is an RFC 3339 time; the registry checks that it is in the
// future and at most 30 days ahead when it accepts the send
// (registry.CheckSendAt), after the Idempotency-Key, so the retry of a
// scheduled send replays its job even once send_at has passed.
func scheduleFields(sendAt, priority string, req *registry.SendRequest) error {
	if sendAt != "" {
		t, err := time.Parse(time.RFC3339, sendAt)
		if err != nil {
			return registry.Errorf(registry.CodeBadRequest,
				"give an RFC 3339 time with its offset, e.g. 2026-12-24T18:00:00+01:00 or 2026-12-24T17:00:00Z",
				"send_at %q is not an RFC 3339 time", sendAt)
		}
		req.SendAt = t.UTC()
	}
	p, err := registry.ParsePriority(priority)
	if err != nil {
		return err
	}
	req.Priority = p
	return nil
}
