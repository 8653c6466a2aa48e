package phone

import (
	"bytes"
	"mime"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway"
)

// serveMedia serves the image or document of a message in a user's inbox,
// from the bytes the simulated network keeps (sim.Network.Media): the
// gateway deletes its spooled copy once the message is delivered. Only
// what instance 0's numbers sent is served, as only their conversations
// are public. Images the page shows in place go out inline; everything
// else, SVG included, as an attachment. The response may not be sniffed
// into another type, and its own policy forbids scripts and plugins
// should a browser open it anyway.
func (h *Handler) serveMedia(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	user, id := vars["number"], vars["message"]
	var found bool
	var kind gateway.MessageKind
	var mimetype, filename, sum string
	for _, m := range h.Sim.Messages(user) {
		if m.ID == id && m.SHA256 != "" {
			if _, err := h.gateway(m.From); err == nil {
				found, kind, mimetype, filename, sum = true, m.Kind, m.Mimetype, m.Filename, m.SHA256
			}
			break
		}
	}
	data, ok := h.Sim.Media(sum)
	if !found || !ok {
		http.Error(w, "404 not found: the sandbox no longer keeps this file (it keeps the newest media, in memory)", http.StatusNotFound)
		return
	}
	inline := kind == gateway.KindImage && inlineTypes[mimetype]
	if mimetype == "" || (!inline && mimetype == "image/svg+xml") {
		mimetype = "application/octet-stream"
	}
	disposition := "attachment"
	if inline {
		disposition = "inline"
	}
	params := map[string]string{}
	if filename != "" {
		params["filename"] = filename
	}
	hd := w.Header()
	hd.Set("Content-Type", mimetype)
	cd := mime.FormatMediaType(disposition, params)
	if cd == "" { // a filename it cannot encode
		cd = disposition
	}
	hd.Set("Content-Disposition", cd)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("ETag", `"`+sum+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}
