package portal

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"higate/quota"
	"higate/registry"
	"higate/web/ui"
)

// sendKinds are the kinds of message the form sends, in its tabs' order.
var sendKinds = []sendKind{
	{Kind: "text", Label: "Text"},
	{Kind: "image", Label: "Image"},
	{Kind: "document", Label: "Document"},
	{Kind: "url", Label: "Link"},
}

type sendKind struct{ Kind, Label string }

// sendView is the send page's data.
type sendView struct {
	Kind     string
	Kinds    []sendKind
	Instance uint64
	Gateway  string   // the number the message goes out from
	Known    []string // the account's recipients, offered as the form is filled in
	Form     url.Values
	Key      string // the form's idempotency key: sending it twice queues once
	Queued   string // the job just queued, to link to
	MaxText  int
	MaxImage int // MB
	MaxDoc   int // MB
}

// formLimit bounds a send form: the largest document, and room for the
// other fields and the multipart framing.
const formLimit = quota.MaxDocumentBytes + 256<<10

func (h *Handler) sendView(r *http.Request, a registry.Account, kind string) *sendView {
	v := &sendView{Kind: "text", Kinds: sendKinds, Instance: a.Instance, Form: url.Values{}, Key: registry.RandomHex(16),
		MaxText: quota.MaxTextChars, MaxImage: quota.MaxImageBytes >> 20, MaxDoc: quota.MaxDocumentBytes >> 20}
	for _, k := range sendKinds {
		if k.Kind == kind {
			v.Kind = kind
		}
	}
	if n, err := h.Store.ActiveNumber(a.Instance); err == nil {
		v.Gateway = n.Number
	}
	if rs, _, err := h.Store.RecipientsOf(a.ClientID, "", "", 50); err == nil {
		for _, rc := range rs {
			v.Known = append(v.Known, rc.Number)
		}
	}
	return v
}

// serveSendForm shows the form for one kind of message (?kind=), and the
// job just queued (?queued=) if it is the account's.
func (h *Handler) serveSendForm(w http.ResponseWriter, r *http.Request, a registry.Account) {
	v := h.sendView(r, a, r.URL.Query().Get("kind"))
	page := ui.Page{Data: v}
	if id := r.URL.Query().Get("queued"); id != "" {
		if n, err := registry.ParseJobID(id); err == nil {
			if j, err := h.Store.Job(n); err == nil && j.Account == a.ClientID {
				v.Queued = j.IDString()
			}
		}
	}
	h.render(w, r, http.StatusOK, "send.html", "Send a test message", "/portal/send", page)
}

// serveSend sends the form's message through the API's path (Deps.Send)
// and goes to the page that links to the new job; a refusal shows the
// form again with the API's message and remedy.
func (h *Handler) serveSend(w http.ResponseWriter, r *http.Request, a registry.Account) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	err := r.ParseMultipartForm(1 << 20)
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		v := h.sendView(r, a, r.FormValue("kind"))
		page := ui.Page{Data: v}
		page.Error = "The form could not be read (is the file over " + itoa(v.MaxDoc) + " MB?). Try again."
		h.render(w, r, http.StatusRequestEntityTooLarge, "send.html", "Send a test message", "/portal/send", page)
		return
	}
	defer func() {
		if r.MultipartForm != nil {
			_ = r.MultipartForm.RemoveAll()
		}
	}()
	v := h.sendView(r, a, r.PostFormValue("kind"))
	v.Form = r.PostForm
	if key := r.PostFormValue("key"); key != "" && len(key) <= 64 {
		v.Key = key // the same form sent again keeps its key
	}
	fields, err := sendFields(r, v.Kind)
	var jobID string
	if err == nil {
		fields["idempotency_key"] = "portal-" + v.Key
		jobID, err = h.Send(r.Context(), a, v.Kind, fields)
	}
	if err != nil {
		page := ui.Page{Data: v, Error: h.errorText(err, "send")}
		h.render(w, r, errorStatus(err), "send.html", "Send a test message", "/portal/send", page)
		return
	}
	http.Redirect(w, r, "/portal/send?"+url.Values{"kind": {v.Kind}, "queued": {jobID}}.Encode(), http.StatusSeeOther)
}

// sendFields turns the form into the API body's fields. A file becomes
// base64, as the API takes it; its name is the document's file name unless
// one was typed.
func sendFields(r *http.Request, kind string) (map[string]string, error) {
	f := map[string]string{"number": strings.TrimSpace(r.PostFormValue("number"))}
	switch kind {
	case "text":
		f["message"] = r.PostFormValue("message")
	case "url":
		f["url"] = strings.TrimSpace(r.PostFormValue("url"))
	case "image", "document":
		f["caption"] = r.PostFormValue("caption")
		file, hdr, err := r.FormFile("file")
		if err != nil {
			if errors.Is(err, http.ErrMissingFile) {
				return f, registry.Errorf(registry.CodeEmptyMedia, "choose a file to send", "no %s was chosen", kind)
			}
			return f, err
		}
		defer file.Close()
		data, err := io.ReadAll(file)
		if err != nil {
			return f, err
		}
		f[kind] = base64.StdEncoding.EncodeToString(data)
		if kind == "document" {
			name := strings.TrimSpace(r.PostFormValue("filename"))
			if name == "" {
				name = path.Base(strings.ReplaceAll(hdr.Filename, "\\", "/"))
			}
			f["filename"] = name
		}
	}
	return f, nil
}
