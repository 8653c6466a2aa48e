package web

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"higate/gateway/sim"
	"higate/quota"
	"higate/registry"
	"higate/registry/phone"
)

// The sandbox API's scope. Instance 0's simulated number is a public test
// phone: anyone may greet it, make groups with it, read what it sent, and
// read the inbox of a simulated user as far as instance 0's numbers wrote
// to them. Everything else, the simulated numbers of other instances (an
// operator's tests of a dedicated instance, say) and every fault, needs the
// admin token, since an anonymous caller could otherwise register users on
// someone else's instance or ban the sandbox number for everyone.

// simNumber normalizes a number and checks it is a simulated gateway number
// the request may act on: instance 0's, or with the admin token any
// instance's. The sandbox may only act for the simulated network.
func (s *server) simNumber(w http.ResponseWriter, r *http.Request, field, v string) (string, error) {
	num, err := phone.Normalize(v)
	if err != nil {
		return "", registry.Errorf(registry.CodeInvalidNumber, "include the country code", "%s %q is invalid", field, v)
	}
	n, err := s.Store.Number(num)
	if err != nil || n.Transport != "sim" {
		return "", registry.Errorf(registry.CodeNotFound, "use a simulated gateway number, e.g. +15550000001",
			"%s %s is not a simulated gateway number", field, num)
	}
	if n.Instance != registry.SandboxInstance {
		if err := s.sandboxAdmin(w, r, "a simulated number of an instance other than 0"); err != nil {
			return "", err
		}
	}
	return num, nil
}

// sandboxAdmin lets a sandbox request past only with the admin token,
// saying what needed it.
func (s *server) sandboxAdmin(w http.ResponseWriter, r *http.Request, what string) error {
	err := s.requireAdmin(w, r)
	var e *registry.Error
	if errors.As(err, &e) {
		return registry.Errorf(e.Code, e.Remedy, "%s needs the admin token (%s)", what, e.Message)
	}
	return err
}

// sandboxNumbers is the set of instance 0's gateway numbers, retired ones
// included: what they sent stays public.
func (s *server) sandboxNumbers() (map[string]bool, error) {
	in, err := s.Store.Instance(registry.SandboxInstance)
	if errors.Is(err, registry.ErrNotFound) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(in.Numbers))
	for _, num := range in.Numbers {
		set[num] = true
	}
	return set, nil
}

// sandboxUser reports whether simulated user num is one of instance 0's
// users, whose settings anyone may change: a user who has exchanged
// messages only with instance 0's numbers, as far as the registry and the
// inbox tell. That is, num is not a gateway number of another instance,
// has no registration (active or opted out) with a simulated number of
// another instance, and has received nothing from a number outside
// instance 0. A user who has done nothing yet is instance 0's.
// Registrations with real (whatsmeow) numbers are not looked at, so the
// answer says nothing about real people.
func (s *server) sandboxUser(num string) (bool, error) {
	public, err := s.sandboxNumbers()
	if err != nil {
		return false, err
	}
	numbers, err := s.Store.Numbers()
	if err != nil {
		return false, err
	}
	for _, n := range numbers {
		if n.Instance == registry.SandboxInstance {
			continue
		}
		if n.Number == num {
			return false, nil
		}
		if n.Transport != "sim" {
			continue
		}
		if _, err := s.Store.Registration(n.Number, num); err == nil {
			return false, nil
		} else if !errors.Is(err, registry.ErrNotFound) {
			return false, err
		}
	}
	for _, m := range s.Sim.Messages(num) {
		if !public[m.From] {
			return false, nil
		}
	}
	return true, nil
}

func userNumber(field, v string) (string, error) {
	num, err := phone.Normalize(v)
	if err != nil {
		return "", registry.Errorf(registry.CodeInvalidNumber, "include the country code", "%s %q is invalid", field, v)
	}
	return num, nil
}

// handleSandboxInbound is a simulated user writing to a gateway number:
// text, or a file (media, base64) with an optional caption, as a user
// sends an Enterprise webhook its inbound media.
func (s *server) handleSandboxInbound(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		From, To, Text string
		Media          string `json:"media"`
		Mimetype       string `json:"mimetype" max:"100"`
		Filename       string `json:"filename"`
		Caption        string `json:"caption"`
	}
	if err := decode(w, r, sandboxInboundLimit, &b); err != nil {
		return err
	}
	from, err := userNumber("from", b.From)
	if err != nil {
		return err
	}
	to, err := s.simNumber(w, r, "to", b.To)
	if err != nil {
		return err
	}
	if _, err := s.Store.Number(from); err == nil {
		// A gateway number greeting one of ours (or itself) would register
		// it and have the gateway send confirmations to itself.
		return registry.Errorf(registry.CodeBadRequest, "send from a simulated user's number, not from a gateway number",
			"from %s is a gateway number; gateway numbers cannot greet gateway numbers", from)
	}
	if b.Media != "" {
		a, err := sandboxAttachment(b.Media, b.Mimetype, b.Filename, b.Caption, b.Text)
		if err != nil {
			return err
		}
		if err := s.Sim.InboundMedia(r.Context(), from, to, a); err != nil {
			return simError(err)
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "sent"})
		return nil
	}
	if b.Text == "" {
		return badRequest("text", "give the text the user sends")
	}
	if err := s.Sim.Inbound(r.Context(), from, to, b.Text); err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "sent"})
	return nil
}

// sandboxInboundLimit bounds a sandbox inbound body: a file as large as
// an audio or video send may be, in base64.
const sandboxInboundLimit = avBodyLimit

// sandboxAttachment checks the file of a sandbox inbound message: base64
// of at most MaxVideoBytes, a well-formed mimetype if one is given (else
// it is sniffed), a file name without directories, and a caption (text,
// if no caption is given) within the text limit.
func sandboxAttachment(b64, mimetype, filename, caption, text string) (sim.Attachment, error) {
	data, err := decodeMedia(b64, "media", quota.MaxVideoBytes)
	if err != nil {
		return sim.Attachment{}, err
	}
	if mimetype != "" {
		if _, _, err := mime.ParseMediaType(mimetype); err != nil || !strings.Contains(mimetype, "/") {
			return sim.Attachment{}, badRequest("mimetype", "give a media type such as image/jpeg or application/pdf, or leave it out to have it sniffed")
		}
	}
	filename = filepath.Base(strings.ReplaceAll(filename, "\\", "/"))
	if filename == "." || filename == "/" {
		filename = ""
	}
	if len(filename) > maxFilenameBytes {
		return sim.Attachment{}, registry.Errorf(registry.CodeBadRequest, fmt.Sprintf("shorten filename to at most %d bytes", maxFilenameBytes),
			"filename is %d bytes long, over the limit of %d", len(filename), maxFilenameBytes)
	}
	if caption == "" {
		caption = text
	}
	if caption, err = textField("caption", caption, false); err != nil {
		return sim.Attachment{}, err
	}
	return sim.Attachment{Data: data, Mimetype: mimetype, Filename: filename, Caption: caption}, nil
}

// handleSandboxMessages lists what a simulated user received. Without the
// admin token it lists only what instance 0's numbers sent them, so the
// inbox of one of instance 0's users is open as a whole, and nothing another
// instance's number sent is shown to anyone but the operator.
func (s *server) handleSandboxMessages(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", r.URL.Query().Get("number"))
	if err != nil {
		return err
	}
	msgs := s.Sim.Messages(num)
	if msgs == nil {
		msgs = []sim.Message{}
	}
	if !s.isAdmin(r) {
		public, err := s.sandboxNumbers()
		if err != nil {
			return err
		}
		shown := msgs[:0]
		for _, m := range msgs {
			if public[m.From] {
				shown = append(shown, m)
			}
		}
		msgs = shown
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	return nil
}

func (s *server) handleSandboxGroup(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Name    string   `json:"name" max:"100"`
		Admin   string   `json:"admin"`
		Members []string `json:"members" max:"1024"`
		Gateway string   `json:"gateway"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	if b.Name == "" {
		return badRequest("name", "give the group a name")
	}
	admin, err := userNumber("admin", b.Admin)
	if err != nil {
		return err
	}
	gw, err := s.simNumber(w, r, "gateway", b.Gateway)
	if err != nil {
		return err
	}
	members := make([]string, 0, len(b.Members))
	for _, m := range b.Members {
		num, err := userNumber("members", m)
		if err != nil {
			return err
		}
		members = append(members, num)
	}
	g, err := s.Sim.CreateGroup(b.Name, admin, members, gw)
	if err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": g.ID, "name": g.Name, "admin": g.Admin, "members": g.Members})
	return nil
}

func (s *server) handleSandboxUser(w http.ResponseWriter, r *http.Request) error {
	num, err := userNumber("number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	var b struct {
		OnWhatsApp *bool `json:"on_whatsapp"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	if b.OnWhatsApp == nil {
		return badRequest("on_whatsapp", "give true or false")
	}
	if !s.isAdmin(r) {
		public, err := s.sandboxUser(num)
		if err != nil {
			return err
		}
		if !public {
			if err := s.sandboxAdmin(w, r, "a simulated user of an instance other than 0"); err != nil {
				return err
			}
		}
	}
	if err := s.Sim.SetOnWhatsApp(num, *b.OnWhatsApp); err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": num, "on_whatsapp": *b.OnWhatsApp})
	return nil
}

func (s *server) handleSandboxRead(w http.ResponseWriter, r *http.Request) error {
	var b struct{ Number, Gateway string }
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	num, err := userNumber("number", b.Number)
	if err != nil {
		return err
	}
	gw, err := s.simNumber(w, r, "gateway", b.Gateway)
	if err != nil {
		return err
	}
	if err := s.Sim.Read(num, gw); err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "read"})
	return nil
}

// handleSandboxFault injects a fault. It always needs the admin token: a
// ban of the sandbox number would take the public sandbox down for everyone.
func (s *server) handleSandboxFault(w http.ResponseWriter, r *http.Request) error {
	if err := s.sandboxAdmin(w, r, "a fault"); err != nil {
		return err
	}
	gw, err := s.simNumber(w, r, "number", mux.Vars(r)["number"])
	if err != nil {
		return err
	}
	var b struct {
		Kind    string  `json:"kind"`
		Seconds float64 `json:"seconds"`
	}
	if err := decode(w, r, textBodyLimit, &b); err != nil {
		return err
	}
	switch b.Kind {
	case "disconnect", "temp_ban", "ban", "slow", "clear":
	default:
		return badRequest("kind", "use disconnect, temp_ban, ban, slow or clear")
	}
	if b.Seconds < 0 {
		return badRequest("seconds", "use a number >= 0")
	}
	if err := s.Sim.Fault(gw, b.Kind, time.Duration(b.Seconds*float64(time.Second))); err != nil {
		return simError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": gw, "fault": b.Kind})
	return nil
}

// simError is what a client sees of an error of the simulated network: its
// own refusals (they start with "sim: " and wrap nothing) in its words, a
// network shutting down as a 503, and anything else (journal I/O) as an
// internal error, logged and not shown.
func simError(err error) error {
	switch {
	case errors.Is(err, sim.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return registry.Errorf(registry.CodeUnavailable, "retry in a moment", "the simulated network is not running")
	case errors.Unwrap(err) == nil && strings.HasPrefix(err.Error(), "sim: "):
		return registry.Errorf(registry.CodeBadRequest, "check the numbers (+ and 8 to 15 digits) and names in the request",
			"the simulated network refused: %s", strings.TrimPrefix(err.Error(), "sim: "))
	}
	return err
}
