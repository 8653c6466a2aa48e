package phone

import (
	"net/http"
	"time"

	"higate/web/ui"
)

const (
	// pingEvery is how often an idle stream sends a comment, so that
	// proxies keep it open.
	pingEvery = 25 * time.Second
	// stateEvery is how often a stream reads the gateway number's state,
	// which has no push signal: one registry read.
	stateEvery = 2 * time.Second
)

// serveEvents is the chat page's live updates: whenever the user's
// conversations change on the simulated network (sim.Network.Watch pushes
// it; only the gateway number's state is polled, every 2 s), it renders
// the state, the message list and the unread count again and sends them
// as patches, if they changed. It starts by comparing with the version the
// page was rendered at (?v=), so that what happened between the page and
// the stream is not lost. The stream ends when the client goes, the server
// shuts down (Deps.Done) or the network closes.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request, c chatRequest) {
	changed, stop, err := h.Sim.Watch(c.User)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	defer stop()
	es, err := ui.StartEvents(w)
	if err != nil {
		return // the client went
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	poll := time.NewTicker(stateEvery)
	defer poll.Stop()
	shown := r.URL.Query().Get("v") // the page's version (chatView.Version)
	for dirty := true; ; {
		if dirty {
			v, err := h.chatView(c)
			if err != nil {
				h.Logger.Error("sandbox phone: live update", "err", err)
				return
			}
			if v.Version != shown {
				patches, err := livePatches(v)
				if err != nil {
					h.Logger.Error("sandbox phone: live update", "err", err)
					return
				}
				if err := es.Patch(patches...); err != nil {
					return
				}
				shown = v.Version
			}
			dirty = false
		}
		select {
		case <-changed:
			dirty = true
		case <-ping.C:
			if err := es.Ping(); err != nil {
				return
			}
		case <-poll.C:
			if n, err := h.Store.Number(c.Gateway.Number); err == nil && (n.State != c.Gateway.State || n.Role != c.Gateway.Role) {
				c.Gateway, dirty = n, true
			}
		case <-r.Context().Done():
			return
		case <-h.Done: // nil: never
			return
		case <-h.Sim.Done():
			return
		}
	}
}

// livePatches renders the page's live parts: the gateway number's state,
// the message list and the unread count with its Mark as read button.
func livePatches(v chatView) ([]ui.Patch, error) {
	out := make([]ui.Patch, 0, 3)
	for _, target := range []string{"gateway-state", "messages", "unread"} {
		html, err := pages.Fragment("chat.html", target, v)
		if err != nil {
			return nil, err
		}
		out = append(out, ui.Patch{Target: target, HTML: html})
	}
	return out, nil
}
