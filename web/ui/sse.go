package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Patch replaces the inner HTML of the element with id Target. static/app.js
// applies the patches of a page's event stream (data-sse on any element).
type Patch struct {
	Target string `json:"target"`
	HTML   string `json:"html"`
}

// EventStream is one Server-Sent Events response.
type EventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// StartEvents begins an event stream on w. It lifts the server's write
// timeout for this response (a stream lives as long as the page) and tells
// the browser to reconnect after 2 s if the connection drops.
func StartEvents(w http.ResponseWriter) (*EventStream, error) {
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && err != http.ErrNotSupported {
		return nil, err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	s := &EventStream{w: w, rc: rc}
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return nil, err
	}
	return s, rc.Flush()
}

// Send writes one event whose data is v as JSON, and flushes it.
func (s *EventStream) Send(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	return s.rc.Flush()
}

// Patch sends patches as one "patch" event.
func (s *EventStream) Patch(patches ...Patch) error { return s.Send("patch", patches) }

// Ping writes a comment, which keeps proxies from closing an idle stream
// and tells the server early that the browser has gone.
func (s *EventStream) Ping() error {
	if _, err := fmt.Fprint(s.w, ": ping\n\n"); err != nil {
		return err
	}
	return s.rc.Flush()
}
