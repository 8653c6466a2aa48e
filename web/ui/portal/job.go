package portal

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"higate/registry"
	"higate/web/ui"
)

// jobView is the job page's data.
type jobView struct {
	Job      registry.Job
	Shown    registry.JobState
	To       string
	Timeline []step
}

// step is one step of a job's timeline, with the time the job reached it
// (none for a job sent by a version that did not record the steps' times).
type step struct {
	Name   string
	Status string // done, current, waiting, failed, skipped
	Mark   string // a sign for the status that does not rely on colour
	At     time.Time
	Note   string // what is going on at this step
	Code   int    // the error code of a failed step
	Remedy string
}

// serveJob shows one of the account's jobs with its timeline. Another
// account's job is not found, exactly as a job that does not exist.
func (h *Handler) serveJob(w http.ResponseWriter, r *http.Request, a registry.Account) {
	id, err := registry.ParseJobID(mux.Vars(r)["id"])
	var j registry.Job
	if err == nil {
		j, err = h.Store.Job(id)
	}
	if err != nil || j.Account != a.ClientID {
		h.render(w, r, http.StatusNotFound, "problem.html", "No such job", "/portal/jobs", ui.Page{Data: problem{
			Heading: "No such job",
			Text:    "None of your jobs has that ID. Finished jobs are deleted after the retention period (30 days unless the operator changed it).",
			Back:    "/portal/jobs"}})
		return
	}
	shown := h.shownState(j)
	v := jobView{Job: j, Shown: shown, To: destination(j), Timeline: timeline(j, shown)}
	h.render(w, r, http.StatusOK, "job.html", "Job "+j.IDString(), "/portal/jobs", ui.Page{Data: v})
}

// Marks of the timeline's steps.
const (
	markDone    = "✓"
	markCurrent = "●"
	markTodo    = "○"
	markFailed  = "✗"
)

// timeline is the steps of a job's life: queued, sent, delivered, read,
// or queued then failed or expired.
func timeline(j registry.Job, shown registry.JobState) []step {
	queued := step{Name: "Queued", Status: "done", Mark: markDone, At: j.CreatedAt,
		Note: "Accepted and stored on disk; counted against your 24-hour window."}
	switch shown {
	case registry.JobScheduled:
		queued.Name, queued.Status, queued.Mark = "Scheduled", "current", markCurrent
		queued.Note = "Accepted and stored on disk; it is queued at " + when(j.SendAt) + " and not sent before."
		return []step{queued}
	case registry.JobCanceled:
		end := step{Name: "Canceled", Status: "failed", Mark: markFailed, At: j.UpdatedAt, Note: "Canceled before it was sent."}
		if j.Refunded {
			end.Note += " The message was given back to your 24-hour window."
		}
		return []step{queued, end}
	case registry.JobQueued, registry.JobSending:
		queued.Status, queued.Mark = "current", markCurrent
		switch {
		case shown == registry.JobSending:
			queued.Note = "Being sent right now."
		case j.Waiting != "":
			queued.Note = "Waiting: " + j.Waiting + ". It is sent as soon as it can be, or expires at " + when(j.ExpiresAt) + "."
		case j.Attempts > 0:
			queued.Note = "Attempt " + strconv.Itoa(j.Attempts) + " did not go through (" + j.Error + "); it is tried again, until " + when(j.ExpiresAt) + "."
		default:
			queued.Note = "Waiting for its turn; it expires at " + when(j.ExpiresAt) + " if it cannot be sent."
		}
	case registry.JobFailed, registry.JobExpired:
		end := step{Name: "Failed", Status: "failed", Mark: markFailed, At: j.UpdatedAt, Note: j.Error,
			Code: j.ErrorCode, Remedy: remedy(j.ErrorCode)}
		if shown == registry.JobExpired {
			end.Name = "Expired"
		}
		if j.Refunded {
			end.Note += " The message was given back to your 24-hour window."
		}
		return []step{queued, end}
	}
	rank := map[registry.JobState]int{registry.JobSent: 1, registry.JobDelivered: 2, registry.JobRead: 3}[shown]
	out := []step{queued}
	for i, s := range []step{
		{Name: "Sent", Note: "Handed to WhatsApp by the gateway number " + j.SentVia + ".", At: j.SentAt},
		{Name: "Delivered", Note: "On the recipient's phone.", At: j.DeliveredAt},
		{Name: "Read", Note: "The recipient opened it (only if they share read receipts).", At: j.ReadAt},
	} {
		switch {
		case i+1 < rank:
			s.Status, s.Mark = "done", markDone
		case i+1 == rank:
			s.Status, s.Mark = "done", markDone
			if s.At.IsZero() { // a job of an earlier version: its last change is this step's
				s.At = j.UpdatedAt
			}
		default:
			s.Status, s.Mark, s.Note = "waiting", markTodo, ""
		}
		if s.Name == "Sent" && j.SentVia == "" {
			s.Note = "Handed to WhatsApp."
		}
		out = append(out, s)
	}
	return out
}

// remedy is what to do about a job's error code (see registry/errors.go's
// job errors).
func remedy(code int) string {
	switch code {
	case registry.CodeNotOnWhatsApp:
		return "The number has no WhatsApp account. Check it (with its country code), or stop sending to it."
	case registry.CodeExpired:
		return "The gateway could not send it in time (its number was down, or the recipient has not greeted a new gateway number yet). Send it again later; the status page tells whether the gateway is up."
	case registry.CodeRecipientOptOut:
		return "The recipient sent STOP while the message waited. They must say Hi to the gateway number again before you can message them."
	case registry.CodeSendRefused:
		return "WhatsApp refused the message (its reason is above). Check the content and the number, and try again later."
	case 0:
		return ""
	}
	return "Try again; if it keeps failing, tell the operator the job ID."
}
