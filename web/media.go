package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"higate/registry"
)

// handleMedia serves GET /v3/media/{id}: a file a user sent to a dedicated
// number, which the inbound webhook linked as media_url. Either the link's
// exp and sig check out (registry.Store.CheckMediaLink: 403 if altered,
// 410 once expired), or, without them, the request carries the client ID
// and secret of the account it arrived for, which works as long as the
// file is kept (a replayed delivery's link may have expired).
//
// The file goes out as an attachment of its declared type, never sniffed
// into another, under a policy that forbids scripts and plugins: a user
// may send an HTML or SVG document, and it must not run on this origin.
func (s *server) handleMedia(w http.ResponseWriter, r *http.Request) error {
	notFound := registry.Errorf(registry.CodeNotFound,
		"media is kept for the server's retention (30 days by default) and then deleted; use a media_url from a recent webhook",
		"no such media")
	id, err := strconv.ParseUint(mux.Vars(r)["id"], 10, 64)
	if err != nil {
		return notFound
	}
	q := r.URL.Query()
	var acct registry.Account
	if q.Has("exp") || q.Has("sig") {
		exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
		if err != nil {
			return registry.Errorf(registry.CodeBadLink, "use the media_url exactly as the webhook gave it", "the media link's exp is not a time")
		}
		if err := s.Store.CheckMediaLink(id, exp, q.Get("sig")); err != nil {
			return err
		}
	} else if acct, err = s.authenticate(r); err != nil {
		return err
	}
	m, f, err := s.Store.OpenInboundMedia(id)
	if errors.Is(err, registry.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if acct.ClientID != "" && acct.ClientID != m.Account {
		return notFound // another account's media: not even its existence is told
	}
	mimetype := m.Mimetype
	if _, _, err := mime.ParseMediaType(mimetype); err != nil {
		mimetype = "application/octet-stream"
	}
	params := map[string]string{}
	if m.Filename != "" {
		params["filename"] = m.Filename
	}
	disposition := mime.FormatMediaType("attachment", params)
	if disposition == "" { // a filename it cannot encode
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", mimetype)
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, "", m.CreatedAt, f)
	return nil
}
