package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"higate/registry"
	"higate/web/ui/portal"
)

// The developer portal (web/ui/portal) acts for a developer it has signed
// in. Sending and the webhook settings go through the API's own handlers
// here, with the signed-in account in the request's context instead of
// the X-WM-CLIENT-* headers, so a form gets exactly the validation and
// accept path of the API, and follows it when that changes.

// signedInKey carries the account a web page signed in; authenticate takes
// it in place of credentials. Only this file sets it, on requests it makes
// itself: nothing from the network can.
type signedInKey struct{}

func signedIn(ctx context.Context) (registry.Account, bool) {
	a, ok := ctx.Value(signedInKey{}).(registry.Account)
	return a, ok
}

// portalDeps is what the developer portal gets from the server.
func (s *server) portalDeps() portal.Deps {
	d := portal.Deps{Store: s.Store, Gateway: s.Gateway, Send: s.portalSend, Webhooks: portalWebhooks{s}, Logger: s.log}
	if s.Billing != nil {
		d.PublicURL = s.Billing.public
	}
	if s.Billing.Enabled() {
		for _, of := range s.Billing.offers {
			d.Offers = append(d.Offers, portal.Offer{Key: of.Key, Name: of.Name, Term: of.Term})
		}
	}
	return d
}

// recorded is the response of a handler called in-process.
type recorded struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorded) Header() http.Header         { return r.header }
func (r *recorded) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorded) WriteHeader(status int)      { r.status = status }

// callAs runs an API handler for account a with body as its JSON request
// and decodes a successful JSON response into out. The handler's error is
// returned as it is (a *registry.Error with code and remedy); a body over
// the handler's limit becomes the 413 the API would answer.
func (s *server) callAs(ctx context.Context, a registry.Account, h handler, method string, vars map[string]string, header http.Header, body, out any) error {
	if err := s.Store.CheckUsable(a); err != nil {
		return err
	}
	var rd bytes.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd.Reset(data)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, signedInKey{}, a), method, "/", &rd)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req = mux.SetURLVars(req, vars)
	rec := &recorded{header: http.Header{}, status: http.StatusOK}
	if err := h(rec, req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return registry.Errorf(registry.CodeTooLarge, fmt.Sprintf("send at most %d MB", tooBig.Limit>>20), "the message is too large")
		}
		return err
	}
	if rec.status != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", method, rec.status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(rec.body.Bytes(), out)
}

// portalSend sends a message of kind to a single recipient for a, through
// handleSend. fields are the send body's fields (number, message, url,
// image and document in base64, filename, caption); "idempotency_key",
// if set, is the Idempotency-Key header, so a form sent twice queues once.
func (s *server) portalSend(ctx context.Context, a registry.Account, kind string, fields map[string]string) (string, error) {
	body := make(map[string]string, len(fields))
	header := http.Header{}
	for k, v := range fields {
		if k == "idempotency_key" {
			header.Set("Idempotency-Key", v)
			continue
		}
		body[k] = v
	}
	var out struct{ ID string }
	vars := map[string]string{"instance": strconv.FormatUint(a.Instance, 10)}
	if err := s.callAs(ctx, a, s.handleSend(kind, false), http.MethodPost, vars, header, body, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// portalWebhooks is the webhook API (webhooks.go) for the portal.
type portalWebhooks struct{ s *server }

var _ portal.Webhooks = portalWebhooks{}

func (p portalWebhooks) Settings(ctx context.Context, a registry.Account) (portal.WebhookSettings, error) {
	var out portal.WebhookSettings
	err := p.s.callAs(ctx, a, p.s.handleGetWebhook, http.MethodGet, nil, nil, nil, &out)
	return out, err
}

func (p portalWebhooks) Change(ctx context.Context, a registry.Account, c portal.WebhookChange) (portal.WebhookSettings, error) {
	var out portal.WebhookSettings
	err := p.s.callAs(ctx, a, p.s.handlePutWebhook, http.MethodPut, nil, nil, c, &out)
	return out, err
}

func (p portalWebhooks) Test(ctx context.Context, a registry.Account) (portal.WebhookTest, error) {
	var out portal.WebhookTest
	err := p.s.callAs(ctx, a, p.s.handleTestWebhook, http.MethodPost, nil, nil, nil, &out)
	return out, err
}

func (p portalWebhooks) Deliveries(ctx context.Context, a registry.Account) ([]portal.Delivery, error) {
	var out struct{ Deliveries []portal.Delivery }
	err := p.s.callAs(ctx, a, p.s.handleDeliveries, http.MethodGet, nil, nil, nil, &out)
	return out.Deliveries, err
}

func (p portalWebhooks) Replay(ctx context.Context, a registry.Account) (int, error) {
	var out struct{ Replayed int }
	err := p.s.callAs(ctx, a, p.s.handleReplay, http.MethodPost, nil, nil, nil, &out)
	return out.Replayed, err
}
