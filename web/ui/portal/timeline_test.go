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

// Every step a job reached shows when it did; a job sent by a version that
// did not record the steps' times shows its last change on its current
// step, and no time on the steps before.
func TestTimelineShowsWhenEachStepWasReached(t *testing.T) {
	at := time.Date(2026, 12, 24, 17, 0, 0, 0, time.UTC)
	j := registry.Job{State: registry.JobRead, CreatedAt: at, SentAt: at.Add(time.Second),
		DeliveredAt: at.Add(2 * time.Second), ReadAt: at.Add(time.Minute), UpdatedAt: at.Add(time.Minute)}
	steps := timeline(j, registry.JobRead)
	for i, want := range []time.Time{j.CreatedAt, j.SentAt, j.DeliveredAt, j.ReadAt} {
		if !steps[i].At.Equal(want) || steps[i].Status != "done" {
			t.Errorf("step %s at %v (%s), want %v", steps[i].Name, steps[i].At, steps[i].Status, want)
		}
	}
	earlier := registry.Job{State: registry.JobDelivered, CreatedAt: at, UpdatedAt: at.Add(time.Minute)}
	steps = timeline(earlier, registry.JobDelivered)
	if !steps[1].At.IsZero() || !steps[2].At.Equal(earlier.UpdatedAt) || !steps[3].At.IsZero() {
		t.Errorf("earlier job: %+v", steps)
	}
}
