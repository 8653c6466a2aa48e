package web

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"higate/lang"
	"higate/quota"
	"higate/registry"
	"higate/registry/phone"
)

// sendBody is the union of the send endpoints' bodies.
type sendBody struct {
	Number     string `json:"number"`
	GroupName  string `json:"group_name" max:"100"`
	GroupAdmin string `json:"group_admin"`
	Message    string `json:"message"`
	Image      string `json:"image"`
	Document   string `json:"document"`
	Filename   string `json:"filename"`
	Caption    string `json:"caption"`
	URL        string `json:"url"`
	// The kinds beyond WhatsMate's (kinds.go).
	Audio         string   `json:"audio"`
	Video         string   `json:"video"`
	Latitude      *float64 `json:"latitude"`
	Longitude     *float64 `json:"longitude"`
	Name          string   `json:"name"`
	Address       string   `json:"address"`
	ContactName   string   `json:"contact_name"`
	ContactNumber string   `json:"contact_number"`
	// Beyond WhatsMate on every kind (schedule.go).
	SendAt   string `json:"send_at"`  // RFC 3339; schedules the send
	Priority string `json:"priority"` // high, normal or low, among the account's own jobs
}

// Body limits: base64 is 4/3 of the decoded size, plus room for the rest.
const (
	textBodyLimit  = 64 << 10
	mediaBodyLimit = quota.MaxDocumentBytes*4/3 + 64<<10
)

// maxFilenameBytes is the longest document file name: what common file
// systems store, so the recipient can save the document under its name.
const maxFilenameBytes = 255

// handleSend serves one of the send endpoints: a kind, single or group.
func (s *server) handleSend(kind string, group bool) handler {
	limit := int64(textBodyLimit)
	switch kind {
	case "image", "document":
		limit = mediaBodyLimit
	case "audio", "video":
		limit = avBodyLimit
	}
	counter := s.Metrics.acceptCounter(kind, group)
	send := func(w http.ResponseWriter, r *http.Request) error {
		acct, instance, err := s.authorizeInstance(r)
		if err != nil {
			return err
		}
		req, err := s.sendRequest(w, r, acct, instance, kind, group, limit)
		if err != nil {
			s.rateHeaders(w, acct)
			return err
		}
		acc, err := s.Store.Accept(req)
		s.billingSendHook(acct, err) // a 469 may mail the owner, once a window
		setRateHeaders(w, acc.Limit, acc.Remaining, acc.Reset.Seconds())
		if err != nil {
			return err
		}
		if acc.Duplicate {
			// The Idempotency-Key named an earlier job: this is its answer again.
			w.Header().Set("Idempotent-Replayed", "true")
		}
		s.Gateway.Wake(instance)
		status := "queued" // WhatsMate's answer; a send with a future send_at is "scheduled"
		if acc.Job.State == registry.JobScheduled {
			status = string(registry.JobScheduled)
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": status, "id": acc.Job.IDString()})
		return nil
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		err := send(w, r)
		counter.count(err)
		return err
	}
}

// sendRequest validates a send body into a registry.SendRequest, resolving
// the group and spooling media on the way.
func (s *server) sendRequest(w http.ResponseWriter, r *http.Request, acct registry.Account, instance uint64, kind string, group bool, limit int64) (registry.SendRequest, error) {
	var b sendBody
	if err := decode(w, r, limit, &b); err != nil {
		return registry.SendRequest{}, err
	}
	req := registry.SendRequest{ClientID: acct.ClientID, Instance: instance, Kind: kind,
		IdempotencyKey: r.Header.Get("Idempotency-Key")}
	if len(req.IdempotencyKey) > 200 {
		return req, badRequest("Idempotency-Key", "use at most 200 characters")
	}
	if err := scheduleFields(b.SendAt, b.Priority, &req); err != nil {
		return req, err
	}
	if group {
		if b.GroupName == "" {
			return req, badRequest("group_name", "give the group's name")
		}
		req.GroupName = b.GroupName
		if b.GroupAdmin != "" {
			admin, err := phone.Normalize(b.GroupAdmin)
			if err != nil {
				return req, registry.Errorf(registry.CodeInvalidNumber, "include the country code, e.g. 4915112345678",
					"group_admin %q is not a valid number", b.GroupAdmin)
			}
			req.GroupAdmin = admin
		}
	} else {
		if b.Number == "" {
			return req, badRequest("number", "give the recipient's number with country code")
		}
		to, err := phone.Normalize(b.Number)
		if err != nil {
			return req, registry.Errorf(registry.CodeInvalidNumber, "include the country code, e.g. 4915112345678",
				"destination number %q is invalid", b.Number)
		}
		req.To = to
	}
	var err error
	switch kind {
	case "text":
		req.Text, err = textField("message", b.Message, true)
		req.Text = lang.Emojify(req.Text)
	case "url":
		req.Text, err = urlField(b.URL)
	case "image":
		req.Caption, err = textField("caption", b.Caption, false)
		req.Caption = lang.Emojify(req.Caption)
		if err == nil {
			req.Media, req.Mimetype, err = s.media(b.Image, "image", quota.MaxImageBytes, "")
		}
	case "document":
		req.Caption, err = textField("caption", b.Caption, false)
		req.Caption = lang.Emojify(req.Caption)
		if err == nil && strings.TrimSpace(b.Filename) == "" {
			err = badRequest("filename", "give the document's file name, e.g. report.pdf")
		}
		if err == nil {
			req.Filename = filepath.Base(strings.ReplaceAll(b.Filename, "\\", "/"))
			if n := len(req.Filename); n > maxFilenameBytes {
				err = registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("shorten filename to at most %d bytes", maxFilenameBytes),
					"filename is %d bytes long, over the limit of %d", n, maxFilenameBytes)
			}
		}
		if err == nil {
			req.Media, req.Mimetype, err = s.media(b.Document, "document", quota.MaxDocumentBytes, req.Filename)
		}
	case "audio", "video", "location", "contact":
		err = s.kindFields(&req, b) // kinds.go
	}
	if err != nil {
		return req, err
	}
	if group {
		// The group must exist now; the dispatcher looks it up again at send time.
		if _, err := s.Gateway.FindGroup(r.Context(), instance, req.GroupName, req.GroupAdmin); err != nil {
			return req, err
		}
	}
	return req, nil
}

func badRequest(field, remedy string) *registry.Error {
	return registry.Errorf(registry.CodeBadRequest, remedy, "%s is missing or invalid", field)
}

// textField checks a message or caption: valid UTF-8, at most MaxTextChars
// code points after NFC, and present if required. It returns the NFC form.
func textField(name, v string, required bool) (string, error) {
	return limitedText(name, v, required, quota.MaxTextChars)
}

// limitedText is textField with another limit.
func limitedText(name, v string, required bool, limit int) (string, error) {
	if !utf8.ValidString(v) {
		return "", badRequest(name, "send UTF-8 text")
	}
	v = norm.NFC.String(v)
	if required && strings.TrimSpace(v) == "" {
		return "", badRequest(name, "give the text to send")
	}
	if n := utf8.RuneCountInString(v); n > limit {
		return "", registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("shorten it to at most %d characters", limit),
			"%s is %d characters long, over the limit of %d", name, n, limit)
	}
	return v, nil
}

func urlField(v string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(v))
	if v == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", badRequest("url", "give an absolute http:// or https:// URL")
	}
	if len(v) > quota.MaxTextChars {
		return "", registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("use at most %d characters", quota.MaxTextChars), "url is too long")
	}
	return u.String(), nil
}

// media decodes base64 media, checks it and spools it; it returns the spool
// name and the mimetype.
func (s *server) media(b64, field string, limit int, filename string) (string, string, error) {
	data, err := decodeMedia(b64, field, limit)
	if err != nil {
		return "", "", err
	}
	mimetype := http.DetectContentType(data)
	if field == "image" && !strings.HasPrefix(mimetype, "image/") {
		return "", "", registry.Errorf(registry.CodeBadRequest, "send a JPEG, PNG, GIF or WebP image", "image is not an image (%s)", mimetype)
	}
	if byExt := mime.TypeByExtension(filepath.Ext(filename)); filename != "" && byExt != "" {
		mimetype = byExt
	}
	name, err := s.Store.SpoolMedia(data)
	return name, mimetype, err
}

// decodeMedia decodes base64 media of at most limit bytes.
func decodeMedia(b64, field string, limit int) ([]byte, error) {
	if strings.TrimSpace(b64) == "" {
		return nil, registry.Errorf(registry.CodeEmptyMedia, "specify the "+field+" content as base64", "the %s is empty", field)
	}
	if base64.StdEncoding.DecodedLen(len(b64)) > limit+3 {
		return nil, tooLarge(field, limit)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, registry.Errorf(registry.CodeBadRequest, "encode the "+field+" as standard base64 (RFC 4648)", "%s is not valid base64", field)
	}
	switch {
	case len(data) == 0:
		return nil, registry.Errorf(registry.CodeEmptyMedia, "specify the "+field+" content", "the %s is empty", field)
	case len(data) > limit:
		return nil, tooLarge(field, limit)
	}
	return data, nil
}

func tooLarge(field string, limit int) *registry.Error {
	return registry.Errorf(registry.CodeTooLarge, fmt.Sprintf("send at most %d bytes (%d MB) of %s", limit, limit>>20, field),
		"the %s is larger than %d MB", field, limit>>20)
}

func parseInstance(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, registry.Errorf(registry.CodeBadRequest, "use the instance number, e.g. /0", "instance %q is not a number", s)
	}
	return n, nil
}

// rateHeaders sets the RateLimit-* headers from the account's stored usage.
func (s *server) rateHeaders(w http.ResponseWriter, a registry.Account) {
	u, err := s.Store.UsageOf(a.ClientID)
	if err != nil {
		return
	}
	now := s.Store.Now()
	limit := a.EffectiveLimits().Daily
	setRateHeaders(w, limit, u.Window.Remaining(now, limit), u.Window.Reset(now).Seconds())
}

func setRateHeaders(w http.ResponseWriter, limit, remaining int, reset float64) {
	if limit == 0 {
		return
	}
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(int(reset+0.5)))
}
