package web_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"higate/web/openapi"
)

// The contract check of what Higate sends: every request a test's webhook
// receiver (newReceiver) gets is validated against the entry of the spec's
// webhooks named by its X-Higate-Event, as the API's requests and responses
// are against its paths (openapi_validate_test.go): the headers, the
// Content-Type and the body. And every field of the body must be one its
// schema names. openapi3filter does not check that, and the schemas allow
// more fields on purpose (a receiver generated from them keeps working when
// a field is added), but a field the code sends under a name the spec does
// not know is a mismatch, so a field renamed on either side fails.

// deliveryRoutes are the spec's webhooks as routes openapi3filter can
// validate a request against, by event name, made once per test binary.
var deliveryRoutes = sync.OnceValues(func() (map[string]*routers.Route, error) {
	doc, err := openapi.Parse()
	if err != nil {
		return nil, err
	}
	if len(doc.Webhooks) == 0 {
		return nil, fmt.Errorf("web/openapi/openapi.yaml has no webhooks")
	}
	// Checked with kin-openapi's own schema engine, as loadContract
	// explains: the routes' document is labelled 3.0.3.
	check := *doc
	check.OpenAPI = "3.0.3"
	routes := map[string]*routers.Route{}
	for name, item := range doc.Webhooks {
		if item.Post == nil || item.Post.RequestBody == nil || bodySchema(item.Post) == nil {
			return nil, fmt.Errorf("webhook %q of web/openapi/openapi.yaml has no POST with a JSON body", name)
		}
		routes[name] = &routers.Route{Spec: &check, Path: name, PathItem: item, Method: http.MethodPost, Operation: item.Post}
	}
	return routes, nil
})

// bodySchema is the schema of an operation's JSON request body, or nil.
func bodySchema(op *openapi3.Operation) *openapi3.Schema {
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// checkDelivery validates one request Higate sent to a webhook receiver,
// with its body as received.
func checkDelivery(r *http.Request, body []byte) error {
	routes, err := deliveryRoutes()
	if err != nil {
		return err
	}
	event := r.Header.Get("X-Higate-Event")
	route, ok := routes[event]
	if !ok {
		return fmt.Errorf("X-Higate-Event is %q, which no entry of webhooks describes: add one", event)
	}
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: req, Route: route, Options: &openapi3filter.Options{MultiError: true}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("webhook %q: %w", event, err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("webhook %q: the body is not JSON: %w", event, err)
	}
	if err := undeclared(bodySchema(route.Operation), v, ""); err != nil {
		return fmt.Errorf("webhook %q: %w", event, err)
	}
	return nil
}

// undeclared finds a field of v, at any depth, that schema s does not name.
func undeclared(s *openapi3.Schema, v any, at string) error {
	switch v := v.(type) {
	case map[string]any:
		for _, name := range slices.Sorted(maps.Keys(v)) {
			p, ok := s.Properties[name]
			if !ok || p.Value == nil {
				return fmt.Errorf("the body has the field %s, which the schema does not name: rename it to the schema's name, or add it to the schema", at+name)
			}
			if err := undeclared(p.Value, v[name], at+name+"."); err != nil {
				return err
			}
		}
	case []any:
		if s.Items == nil || s.Items.Value == nil {
			return nil
		}
		for _, item := range v {
			if err := undeclared(s.Items.Value, item, at+"[]."); err != nil {
				return err
			}
		}
	}
	return nil
}

// Every kind of delivery, made by the real code: inbound text, media and
// group messages, job status changes of a single, a group, a failed and a
// canceled job, and the test ping. The receiver checks each against the
// spec (checkDelivery); here the signature is checked as the spec tells
// receivers to, and the deliveries of each event together carry every
// field its schema names, so none of them is renamed or left unsent
// unnoticed.
func TestEveryKindOfDeliveryMatchesTheSpec(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	a, instance := e.enterprise(rc, []string{"inbound", "job.status"}, false)
	const customer, member, gone = "+4915112340011", "+4915112340012", "+4915112340013"
	path := func(kind string) string { return "/v3/whatsapp/" + kind + "/text/message/" + instance }

	e.greet(customer, dedicatedGW, "Hello")
	for _, m := range []map[string]any{
		{"from": customer, "to": dedicatedGW, "media": b64(pngBytes), "caption": "my meter"},
		{"from": customer, "to": dedicatedGW, "media": b64(pdfBytes), "mimetype": "application/pdf", "filename": "invoice.pdf", "text": "the invoice"},
	} {
		if r := e.admin("POST", "/sandbox/api/inbound", m); r.status != 200 {
			t.Fatalf("inbound media: %d %s", r.status, r.raw)
		}
	}
	g := e.admin("POST", "/sandbox/api/groups", map[string]any{"name": "Team", "admin": customer, "members": []string{member}, "gateway": dedicatedGW})
	if g.status != 200 {
		t.Fatalf("group: %d %s", g.status, g.raw)
	}
	if err := e.net.GroupInbound(t.Context(), customer, g.str("id"), "lunch?"); err != nil {
		t.Fatal(err)
	}

	single := e.send(a, path("single"), map[string]any{"number": customer, "message": "api: to one"})
	group := e.send(a, path("group"), map[string]any{"group_name": "Team", "group_admin": customer, "message": "api: to the team"})
	e.register(gone, dedicatedGW)
	if r := e.admin("POST", "/sandbox/api/users/"+gone, map[string]any{"on_whatsapp": false}); r.status != 200 {
		t.Fatalf("off WhatsApp: %d %s", r.status, r.raw)
	}
	failed := e.send(a, path("single"), map[string]any{"number": gone, "message": "api: to nobody"})
	later := e.send(a, path("single"), map[string]any{"number": customer, "message": "api: never",
		"send_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	for _, r := range []response{single, group, failed, later} {
		if r.status != 200 {
			t.Fatalf("send: %d %s", r.status, r.raw)
		}
	}
	if r := e.do("DELETE", "/v3/whatsapp/jobs/"+later.str("id"), nil, a.headers()...); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/v3/webhook/test", nil, a.headers()...); r.body["ok"] != true {
		t.Fatalf("test ping: %s", r.raw)
	}

	// The last status event of each job, and how many inbound messages
	// (Hello, Hi, two files, the group's) and pings came.
	seen := func() (statuses map[string]string, inbound, pings int) {
		statuses = map[string]string{}
		for _, tr := range rc.attempts() {
			var m map[string]any
			_ = json.Unmarshal([]byte(tr.body), &m)
			switch tr.header.Get("X-Higate-Event") {
			case "job.status":
				statuses[str(m["id"])] = str(m["status"])
			case "inbound":
				inbound++
			case "ping":
				pings++
			}
		}
		return statuses, inbound, pings
	}
	e.eventually("the inbound messages, the ping and the jobs' ends", func() bool {
		s, inbound, pings := seen()
		return inbound == 5 && pings == 1 && s[single.str("id")] == "delivered" && s[group.str("id")] == "delivered" &&
			s[failed.str("id")] == "failed" && s[later.str("id")] == "canceled"
	})
	e.admin("POST", "/sandbox/api/read", map[string]string{"number": customer, "gateway": dedicatedGW})
	e.eventually("read", func() bool { s, _, _ := seen(); return s[single.str("id")] == "read" })

	routes, err := deliveryRoutes()
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := rc.secret.Load().(string)
	fields := map[string]map[string]bool{}
	for _, tr := range rc.attempts() {
		event := tr.header.Get("X-Higate-Event")
		if err := verifyAsTheSpecSays(secret, tr.header.Get("X-Higate-Signature"), []byte(tr.body)); err != nil {
			t.Errorf("%s delivery %s: %v", event, tr.delivery, err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(tr.body), &m); err != nil {
			t.Fatalf("%s: %v", tr.body, err)
		}
		if fields[event] == nil {
			fields[event] = map[string]bool{}
		}
		for name := range m {
			fields[event][name] = true
		}
		if event == "job.status" && m["id"] == group.str("id") && m["number"] != "" {
			t.Errorf("a group job's status event has number %v, want \"\" as the spec says", m["number"])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(routes)) {
		for _, field := range slices.Sorted(maps.Keys(bodySchema(routes[name].Operation).Properties)) {
			if !fields[name][field] {
				t.Errorf("no %s delivery carried the field %s that the spec names: the code sends it under another name, or not at all", name, field)
			}
		}
	}
}

// verifyAsTheSpecSays checks a signature the way the X-Higate-Signature
// header's description in the spec tells receivers to, written out here
// rather than calling webhook.Verify, so the description is what is tested.
func verifyAsTheSpecSays(secret, header string, body []byte) error {
	var ts, v1 string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	if want := hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(v1), []byte(want)) {
		return fmt.Errorf("signature %q, want v1=%s", header, want)
	}
	return nil
}

// The delivery check fails what it must: a field renamed, one missing, a
// value of the wrong form, a missing or malformed header, an event the
// spec does not describe; and passes good deliveries of each event.
func TestDeliveryCheckCatchesMismatches(t *testing.T) {
	const sig = "t=1772366400,v1=5f060e5370ab54eb7cfd62697cd40ec7d726815c0691ff92a1e2ffa8a4c62d51"
	inbound := `{"token":"t","type":"individual","instance_id":"3","gateway_number":"15550000100","number":"4915112345678","message":"Hi","group_name":"","group_admin":""}`
	media := strings.TrimSuffix(inbound, "}") + `,"media_url":"/v3/media/7?exp=1772971200&sig=` + strings.Repeat("ab", 32) + `","mime_type":"image/png","caption":"Hi"}`
	status := `{"event":"job.status","id":"2","status":"sent","number":"+4915112345678","error_code":0,"error":"","at":"2026-03-01T12:00:00.5Z"}`
	ping := `{"event":"ping","at":"2026-03-01T12:00:00Z"}`
	headers := func(event, delivery string) []string {
		return []string{"Content-Type", "application/json", "User-Agent", "Higate-Webhook/1", "X-Higate-Event", event,
			"X-Higate-Delivery", delivery, "X-Higate-Signature", sig}
	}
	for _, c := range []struct {
		name     string
		headers  []string
		body     string
		wantFail bool
	}{
		{"inbound text", headers("inbound", "dlv_1"), inbound, false},
		{"inbound media", headers("inbound", "dlv_1"), media, false},
		{"a job's status", headers("job.status", "dlv_2"), status, false},
		{"a ping", headers("ping", "dlv_test_1a2b"), ping, false},
		{"a field renamed", headers("inbound", "dlv_1"), strings.Replace(media, `"mime_type"`, `"mimetype"`, 1), true},
		{"a field missing", headers("job.status", "dlv_2"), strings.Replace(status, `"error":"",`, "", 1), true},
		{"instance_id as a number", headers("inbound", "dlv_1"), strings.Replace(inbound, `"3"`, `3`, 1), true},
		{"a number with +", headers("inbound", "dlv_1"), strings.Replace(inbound, `"4915112345678"`, `"+4915112345678"`, 1), true},
		{"a status the spec does not list", headers("job.status", "dlv_2"), strings.Replace(status, `"sent"`, `"queued"`, 1), true},
		{"at not a date-time", headers("job.status", "dlv_2"), strings.Replace(status, `"2026-03-01T12:00:00.5Z"`, `"yesterday"`, 1), true},
		{"a ping under another event", headers("job.status", "dlv_2"), ping, true},
		{"an event the spec lacks", headers("job.created", "dlv_2"), status, true},
		{"no signature", headers("inbound", "dlv_1")[:8], inbound, true},
		{"a signature without t", append(headers("inbound", "dlv_1")[:8], "X-Higate-Signature", "v1=00"), inbound, true},
		{"a ping's delivery ID on an event", headers("inbound", "dlv_test_1"), inbound, true},
		{"not JSON", append(headers("ping", "dlv_test_1")[2:], "Content-Type", "text/plain"), ping, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(c.body))
			for i := 0; i+1 < len(c.headers); i += 2 {
				r.Header.Set(c.headers[i], c.headers[i+1])
			}
			err := checkDelivery(r, []byte(c.body))
			if failed := err != nil; failed != c.wantFail {
				t.Errorf("check failed = %v, want %v: %v", failed, c.wantFail, err)
			}
		})
	}
}
