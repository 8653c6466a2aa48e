package registry

import (
	bolt "go.etcd.io/bbolt"
)

// Cancel cancels one of the account's jobs that has not left yet: one that
// is scheduled, queued, or parked awaiting re-registration. In one
// group-committed transaction it takes the job out of the schedule, queue
// or parked jobs, marks it canceled (a job.status event for a webhook that
// wants one), and gives its message back to the window it was counted in
// (if it was counted, and that window is still open). A job that is
// already canceled is returned as it is, so a retried cancel succeeds.
//
// A job another account owns, or none, is a 404; one that was sent (or
// delivered, read), failed or expired is a 409. Cancel knows nothing of a
// job a dispatcher holds right now, which is still queued on disk: the
// gateway checks that before it calls Cancel (gateway.Service.Cancel).
func (s *Store) Cancel(clientID string, id uint64) (Job, error) {
	var j Job
	var reject error
	err := s.batch(func(tx *bolt.Tx) error {
		j, reject = Job{}, nil
		err := s.cancel(tx, clientID, id, &j)
		if _, ok := err.(*Error); ok {
			reject = err // a rejection writes nothing: let the batch commit the others
			return nil
		}
		return err
	})
	if err != nil {
		return j, err
	}
	return j, reject
}

func (s *Store) cancel(tx *bolt.Tx, clientID string, id uint64, j *Job) error {
	if err := getJob(tx.Bucket(bucketJobs), u64(id), j); err != nil || j.Account != clientID || clientID == "" {
		if err != nil && err != ErrNotFound {
			return err
		}
		*j = Job{}
		return Errorf(CodeNotFound, "use the id returned when the message was queued", "no such job")
	}
	switch j.State {
	case JobCanceled:
		return nil
	case JobScheduled:
		if ok, err := deleteKey(tx.Bucket(bucketScheduled), scheduledKey(*j)); err != nil {
			return err
		} else if ok {
			s.db.pending.schedule(j.Instance, -1)
		}
	case JobQueued, JobSending:
		// Counted out of whichever it is in (counts.go).
		if err := s.dequeue(tx, *j); err != nil {
			return err
		}
		if j.To != "" { // parked under its recipient, awaiting re-registration
			if err := s.unparkJob(tx, *j); err != nil {
				return err
			}
		}
	case JobSent, JobDelivered, JobRead:
		return Errorf(CodeConflict, "a message that has left cannot be called back",
			"job %d was already sent", id)
	default:
		return Errorf(CodeConflict, "nothing to cancel: GET the job to see why it ended",
			"job %d has already ended (%s)", id, j.State)
	}
	return s.end(tx, j, s.now().UTC(), JobCanceled, 0, "", true)
}
