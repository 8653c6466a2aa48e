package portal

import (
	"strings"
	"testing"
	"time"

	"higate/registry"
)

// A scheduled job's timeline says when it goes out; a canceled one ends
// in a Canceled step, with the refund when there was one.
func TestTimelineOfScheduledAndCanceledJobs(t *testing.T) {
	at := time.Date(2026, 12, 24, 17, 0, 0, 0, time.UTC)
	steps := timeline(registry.Job{State: registry.JobScheduled, SendAt: at, CreatedAt: at.Add(-time.Hour)}, registry.JobScheduled)
	if len(steps) != 1 || steps[0].Name != "Scheduled" || steps[0].Status != "current" || !strings.Contains(steps[0].Note, when(at)) {
		t.Fatalf("scheduled: %+v", steps)
	}
	steps = timeline(registry.Job{State: registry.JobCanceled, Refunded: true}, registry.JobCanceled)
	if len(steps) != 2 || steps[1].Name != "Canceled" || !strings.Contains(steps[1].Note, "given back") {
		t.Fatalf("canceled: %+v", steps)
	}
}
