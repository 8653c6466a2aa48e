package console

import (
	"context"
	"net/http"
	"time"

	"higate/web/ui"
)

// Live pages. A page with data-sse="<url>" opens a Server-Sent Events
// stream (static/app.js); the stream re-renders the page's live fragments
// with the same templates the page used, and sends those that differ from
// what it sent last as patches. It renders again when the gateway reports a
// change (gateway.Service.Changes: a number's state, a failover, jobs
// accepted or sent), a burst of changes settling into one update, and at
// least every Poll for what changes without a report (relative times,
// pacing edits). It never polls the registry faster than that.
//
// A stream ends when the browser goes (the request's context), when the
// server shuts down (Deps.Done; Shutdown would otherwise wait for it), and
// when the session ends, in which case it tells the page to reload, which leads to
// the sign-in page. An open live page counts as use of the session: the
// idle expiry counts from when it was closed, and the absolute one holds.

// settle is how long a stream waits after a change before rendering, so a
// thousand accepts in a second cost a few renders, not a thousand.
const settle = 300 * time.Millisecond

// render returns a live page's fragments, or reload when the page itself
// must be drawn again (an instance appeared, a number went away).
type render func() (patches []ui.Patch, reload bool, err error)

// stream runs one live page's event stream until it ends (see above).
// every is how often it renders without a change report.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, every time.Duration, draw render) {
	es, err := ui.StartEvents(w)
	if err != nil {
		return
	}
	ctx, stop := r.Context(), h.Done
	tick := time.NewTicker(every)
	defer tick.Stop()
	sent := map[string]string{} // target -> HTML last sent
	checked := time.Now()
	for {
		_, changed := h.Gateway.Changes() // before reading, so no change slips by
		patches, reload, err := draw()
		if err != nil {
			h.Logger.Error("live update", "path", r.URL.Path, "err", err)
			return
		}
		if reload {
			_ = es.Send("reload", "the page has changed")
			return
		}
		var fresh []ui.Patch
		for _, p := range patches {
			if sent[p.Target] != p.HTML {
				sent[p.Target] = p.HTML
				fresh = append(fresh, p)
			}
		}
		if len(fresh) > 0 {
			if es.Patch(fresh...) != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-changed:
			if !pause(ctx, stop, settle) {
				return
			}
		case <-tick.C:
			if time.Since(checked) >= h.Poll {
				checked = time.Now()
				if !h.signedIn(r) {
					_ = es.Send("reload", "signed out")
					return
				}
				if es.Ping() != nil {
					return
				}
			}
		}
	}
}

// pause waits d; false if the stream must end meanwhile.
func pause(ctx context.Context, stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-stop:
	}
	return false
}
