package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"higate/web/openapi"
)

// The contract check of the end-to-end tests: newEnv wraps the server's
// handler in contract.check, so every request and response of every test
// that uses it (directly, through e.do, e.raw or any other client) is
// validated against web/openapi/openapi.yaml with kin-openapi's
// openapi3filter, and a mismatch fails that test. Server-side is where every
// request passes, whichever client a test uses.
//
// The rules, for a request to an API path (isAPIPath):
//
//   - A request the spec has an operation for is validated (parameters,
//     security, body), and its response must have a status the operation
//     lists (IncludeResponseStatus), with the headers the spec requires and
//     a body of the documented schema: the error body for the error statuses.
//   - A request the spec refuses is fine, as tests send invalid input on
//     purpose, but then the server must refuse it too (a status of 400 or
//     more): if the server accepted what the spec forbids, the spec is
//     wrong.
//   - HEAD on a GET route is checked as that GET, without a body.
//   - A request the spec has no operation for must get a 404 or a 405 in the
//     error body: the route test (openapi_test.go) sees to it that the spec
//     and the router list the same routes.
//
// As the server does, the check reads a JSON body whatever its Content-Type
// says and ignores a leading byte order mark.

// contract is the parsed spec and a router over it, made once per test binary.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	doc, err := openapi.Parse()
	if err != nil {
		return nil, err
	}
	// The check validates with kin-openapi's own schema engine: for an
	// OpenAPI 3.1 document openapi3filter would compile every schema with a
	// JSON Schema 2020-12 compiler at every check (about 1 ms each, so the
	// tests that send a thousand requests took fifteen times as long), and
	// for a schema with a $ref it then falls back to this engine anyway. The
	// spec uses only keywords both engines check (type, also as [T, "null"];
	// enum, required, properties, items, lengths, bounds, item counts);
	// TestContractCheckCatchesMismatches shows the check fails what it must.
	// The router gets a copy of the document labelled 3.0.3, which is how
	// openapi3filter picks the engine; paths and components are shared.
	check := *doc
	check.OpenAPI = "3.0.3"
	router, err := gorillamux.NewRouter(&check)
	if err != nil {
		return nil, fmt.Errorf("router over the spec: %w", err)
	}
	// The non-JSON bodies the spec names, read as opaque bytes.
	for _, ct := range []string{"application/gzip", "image/png", "text/html"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	return &contract{doc: doc, router: router}, nil
})

// checked wraps h so that every request and response through it is checked
// against the contract, reporting a mismatch as an error of t.
func checked(t testing.TB, h http.Handler) http.Handler {
	c, err := loadContract()
	if err != nil {
		t.Fatalf("contract: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPIPath(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		body, readErr := io.ReadAll(r.Body)
		r.Body = &replayBody{Reader: bytes.NewReader(body), err: readErr, closer: r.Body}
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if err := c.check(r, body, readErr, rec); err != nil {
			t.Errorf("contract web/openapi/openapi.yaml: %s %s answered %d: %v\nresponse body: %.400s",
				r.Method, r.URL.RequestURI(), rec.code(), err, rec.body.Bytes())
		}
	})
}

// check validates one exchange. body is the request body as sent; readErr
// is the error reading it ended with, if it did not end cleanly (a test of
// a short body), in which case the request is not validated.
func (c *contract) check(r *http.Request, body []byte, readErr error, rec *recorder) error {
	ctx := context.Background()
	status := rec.code()
	req := c.requestForCheck(r, body)
	head := r.Method == http.MethodHead
	if head {
		req.Method = http.MethodGet // checked as the GET it is answered as
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if !errors.Is(err, routers.ErrPathNotFound) && !errors.Is(err, routers.ErrMethodNotAllowed) {
			return err
		}
		// No operation: the server must say there is no such route.
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			return fmt.Errorf("the spec has no operation %s %s (%v), yet the server answered %d: add the operation to the spec", req.Method, r.URL.Path, err, status)
		}
		if head {
			return nil
		}
		return c.checkErrorBody(rec)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: authenticated, IncludeResponseStatus: true, ExcludeResponseBody: head}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if readErr == nil {
		if reqErr := openapi3filter.ValidateRequest(ctx, in); reqErr != nil && status < 400 {
			return fmt.Errorf("the spec refuses this request, yet the server accepted it (%d): make the spec allow it: %v", status, reqErr)
		}
	}
	return openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: rec.Header(),
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), Options: opts,
	})
}

// requestForCheck is a copy of r to validate, with the body as sent but
// read as the server reads it: JSON whatever the Content-Type, without a
// leading byte order mark.
func (c *contract) requestForCheck(r *http.Request, body []byte) *http.Request {
	req := r.Clone(context.Background())
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// checkErrorBody checks a body against the documented error body.
func (c *contract) checkErrorBody(rec *recorder) error {
	schema := c.doc.Components.Schemas["Error"]
	if schema == nil || schema.Value == nil {
		return errors.New("the spec has no components/schemas/Error")
	}
	var v any
	if err := json.Unmarshal(rec.body.Bytes(), &v); err != nil {
		return fmt.Errorf("the error body is not JSON: %v", err)
	}
	if err := schema.Value.VisitJSON(v); err != nil {
		return fmt.Errorf("the error body does not fit components/schemas/Error: %v", err)
	}
	return nil
}

// authenticated checks that a request carries what a security scheme
// needs: the header of an apiKey scheme, an Authorization: Bearer for a
// bearer scheme. Whether the credentials are right is the server's matter.
func authenticated(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s, h := in.SecurityScheme, in.RequestValidationInput.Request.Header
	switch {
	case s.Type == "apiKey" && s.In == "header":
		if h.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
		if !strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
			return errors.New("no Authorization: Bearer header")
		}
	default:
		return fmt.Errorf("the check does not know security scheme %s of type %s", in.SecuritySchemeName, s.Type)
	}
	return nil
}

// replayBody gives the handler the request body the check has read, and
// then the error reading it ended with, so a handler sees a short body as
// short.
type replayBody struct {
	*bytes.Reader
	err    error
	closer io.Closer
}

func (b *replayBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF && b.err != nil {
		err = b.err
	}
	return n, err
}

func (b *replayBody) Close() error { return b.closer.Close() }

// recorder passes a response through and keeps a copy of its status and
// body for the check.
type recorder struct {
	http.ResponseWriter
	mu     sync.Mutex
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.mu.Lock()
	if r.status == 0 {
		r.status = code
	}
	r.mu.Unlock()
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(p)
	r.mu.Unlock()
	return r.ResponseWriter.Write(p)
}

// Flush and Unwrap keep http.NewResponseController working through the
// recorder (the backup route lifts its write deadline).
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) code() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// errorsOf is a testing.TB that keeps the errors reported to it.
type errorsOf struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (e *errorsOf) Errorf(format string, args ...any) {
	e.mu.Lock()
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
	e.mu.Unlock()
}

// The check fails what it must: responses of the wrong shape or status,
// missing required headers, a request the spec refuses that the server
// accepts, a route the spec lacks; and passes a good exchange.
func TestContractCheckCatchesMismatches(t *testing.T) {
	const send = "/v3/whatsapp/single/text/message/0"
	auth := []string{"X-WM-CLIENT-ID", "hg_x", "X-WM-CLIENT-SECRET", "s"}
	good := `{"number":"12025550108","message":"hi"}`
	errBody := `{"status":"error","code":%d,"message":"m","remedy":"r"}`
	for _, c := range []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		respHeaders              []string
		resp                     string
		wantFail                 bool
	}{
		{"a good send", "POST", send, good, auth, 200, nil, `{"status":"queued","id":"1"}`, false},
		{"a good error", "POST", send, good, auth, 472, nil, fmt.Sprintf(errBody, 472), false},
		{"a send without its job id", "POST", send, good, auth, 200, nil, `{"status":"queued"}`, true},
		{"a status the operation does not list", "POST", send, good, auth, 418, nil, fmt.Sprintf(errBody, 418), true},
		{"an error body without its remedy", "POST", send, good, auth, 400, nil, `{"status":"error","code":400,"message":"m"}`, true},
		{"a 469 without Retry-After", "POST", send, good, auth, 469, nil, fmt.Sprintf(errBody, 469), true},
		{"a 469 with Retry-After", "POST", send, good, auth, 469, []string{"Retry-After", "60"}, fmt.Sprintf(errBody, 469), false},
		{"a 401 without WWW-Authenticate", "GET", "/admin/api/events", "", []string{"Authorization", "Bearer x"}, 401, nil, fmt.Sprintf(errBody, 401), true},
		{"a request the spec refuses, accepted", "POST", send, `{"number":"12025550108"}`, auth, 200, nil, `{"status":"queued","id":"1"}`, true},
		{"a request without credentials, accepted", "POST", send, good, nil, 200, nil, `{"status":"queued","id":"1"}`, true},
		{"a request the spec refuses, refused", "POST", send, `{"number":"12025550108"}`, auth, 400, nil, fmt.Sprintf(errBody, 400), false},
		{"a route the spec lacks, served", "GET", "/v3/whatsapp/nothing", "", nil, 200, nil, `{}`, true},
		{"a route the spec lacks, 404", "GET", "/v3/whatsapp/nothing", "", nil, 404, nil, fmt.Sprintf(errBody, 404), false},
		{"a wrong field type in a job", "GET", "/v3/whatsapp/jobs/1", "", auth, 200, nil,
			`{"id":1,"status":"sent","kind":"text","number":"+1","created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:00Z","error_code":0,"error":"","attempts":1,"message_id":"m"}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := &errorsOf{TB: t}
			h := checked(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.ReadAll(r.Body)
				for i := 0; i+1 < len(c.respHeaders); i += 2 {
					w.Header().Set(c.respHeaders[i], c.respHeaders[i+1])
				}
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.resp)
			}))
			r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			for i := 0; i+1 < len(c.headers); i += 2 {
				r.Header.Set(c.headers[i], c.headers[i+1])
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if failed := len(tb.errs) > 0; failed != c.wantFail {
				t.Errorf("check failed = %v, want %v: %v", failed, c.wantFail, tb.errs)
			}
		})
	}
}
