package docs_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"higate/web/openapi"
	"higate/web/ui/docs"
)

// serve mounts the reference of the repository's contract on a test server
// and returns the page.
func serve(t *testing.T) (*http.Response, string) {
	t.Helper()
	spec, err := openapi.Parse()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := docs.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := mux.NewRouter()
	docs.New(docs.Deps{Reference: ref}).Mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + docs.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// The page shows every operation of the spec, under its tag, with its
// method and path, its authentication, and each status it answers.
func TestDocsRendersEveryOperation(t *testing.T) {
	resp, page := serve(t)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	spec, _ := openapi.Parse()
	n := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			// The operation's card, from its id to the next card.
			start := strings.Index(page, `<article class="card docs-op" id="`+op.OperationID+`"`)
			if start < 0 {
				t.Errorf("no card for %s %s (%s)", method, path, op.OperationID)
				continue
			}
			card := page[start:]
			if end := strings.Index(card[1:], "<article"); end > 0 {
				card = card[:end+1]
			}
			if !strings.Contains(card, ">"+method+"</span> <code class=\"docs-path\">"+path+"</code>") {
				t.Errorf("%s: the card does not show %s %s", op.OperationID, method, path)
			}
			if !strings.Contains(card, html.EscapeString(op.Summary)) {
				t.Errorf("%s: the card does not show its summary %q", op.OperationID, op.Summary)
			}
			if !strings.Contains(card, "Authentication:") {
				t.Errorf("%s: the card does not say who may call it", op.OperationID)
			}
			for status := range op.Responses.Map() {
				if !strings.Contains(card, "<strong>"+status+"</strong>") {
					t.Errorf("%s: the card does not list status %s", op.OperationID, status)
				}
			}
			if op.RequestBody != nil && !strings.Contains(card, "Request body") {
				t.Errorf("%s: the card does not show its request body", op.OperationID)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d operations in the spec", n)
	}
	for _, tag := range spec.Tags {
		if !strings.Contains(page, ">"+html.EscapeString(tag.Name)+"</h2>") {
			t.Errorf("no section for tag %q", tag.Name)
		}
	}
}

// The page has a section for the webhooks Higate sends: a card for each,
// in the contents too, with its event name, summary, headers, body fields,
// examples and what Higate makes of each answer.
func TestDocsRendersTheWebhooks(t *testing.T) {
	_, page := serve(t)
	spec, _ := openapi.Parse()
	start := strings.Index(page, `<section class="docs-group" id="webhooks"`)
	if start < 0 || !strings.Contains(page[start:], ">Webhooks Higate sends</h2>") {
		t.Fatal("no Webhooks section")
	}
	section := page[start:]
	if len(spec.Webhooks) < 3 {
		t.Fatalf("%d webhooks in the spec, want inbound, job.status and ping at least", len(spec.Webhooks))
	}
	for name, item := range spec.Webhooks {
		op := item.Post
		id := "webhook-" + strings.ReplaceAll(name, ".", "-")
		if !strings.Contains(page, `<li><a href="#`+id+`"><span class="method method-post">POST</span> <code>`+name+`</code></a></li>`) {
			t.Errorf("%s: not in the contents", name)
		}
		i := strings.Index(section, `<article class="card docs-op" id="`+id+`"`)
		if i < 0 {
			t.Errorf("%s: no card", name)
			continue
		}
		card := section[i:]
		if end := strings.Index(card[1:], "<article"); end > 0 {
			card = card[:end+1]
		}
		want := []string{`>POST</span> <code class="docs-path">` + name + `</code></h3>`, html.EscapeString(op.Summary), "<h4>Headers</h4>", "<h4>Body "}
		for _, p := range op.Parameters {
			want = append(want, "<code>"+p.Value.Name+"</code> <span class=\"badge\">always</span>")
		}
		for field := range op.RequestBody.Value.Content.Get("application/json").Schema.Value.Properties {
			want = append(want, "<code>"+field+"</code>")
		}
		for status := range op.Responses.Map() {
			want = append(want, "<strong>"+status+"</strong>")
		}
		for _, w := range want {
			if !strings.Contains(card, w) {
				t.Errorf("%s: the card lacks %s", name, w)
			}
		}
	}
	for _, want := range []string{
		`<code>X-Higate-Event</code> <span class="badge">always</span></td><td>one of: job.status</td>`,
		`matches ^t=[0-9]&#43;,v1=[0-9a-f]{64}$`, `HMAC-SHA256`,
		`<code>media_url</code></td>`, `<code>mime_type</code></td>`, `<code>filename</code></td>`, `<code>caption</code></td>`,
		`Example: A document in a group`, `/v3/media/7?exp=1772971200&amp;sig=`,
		`<strong>2XX</strong>`, `<strong>410</strong>`, `<strong>default</strong>`, `exponential backoff`,
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the Webhooks section lacks %s", want)
		}
	}
}

// The page documents the error body, every error status with its headers,
// and the authentication schemes; the send route's card shows its body
// fields and example.
func TestDocsShowsErrorsAuthAndBodies(t *testing.T) {
	_, page := serve(t)
	for _, want := range []string{
		`"status": "error"`, `"remedy"`,
		`id="error-400"`, `id="error-401"`, `id="error-404"`, `id="error-405"`, `id="error-409"`, `id="error-413"`,
		`id="error-469"`, `id="error-470"`, `id="error-471"`, `id="error-472"`, `id="error-473"`, `id="error-474"`,
		`id="error-475"`, `id="error-500"`, `id="error-503"`,
		`<code>Retry-After</code> (always)`, `<code>WWW-Authenticate</code> (always)`, `<code>Allow</code> (always)`,
		`<code>X-WM-CLIENT-ID header</code>`, `<code>Authorization: Bearer &lt;token&gt;</code>`,
		`<code>Idempotency-Key</code>`, `<code>Idempotent-Replayed</code>`, `<code>RateLimit-Remaining</code>`,
		`<code>message</code> <span class="badge">required</span>`, `at most 800 characters`,
		`&#34;message&#34;: &#34;Hello (y)&#34;`,
		`<code>limits.daily</code>`, `<code>deliveries[].id</code>`,
		`X-WM-CLIENT-ID &#43; X-WM-CLIENT-SECRET`, `none, or the adminToken (Authorization: Bearer &lt;token&gt;)`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// The page works offline: it loads only the shared stylesheet and script
// of this origin, and sends the pages' Content-Security-Policy.
func TestDocsLoadsNothingFromElsewhere(t *testing.T) {
	resp, page := serve(t)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if u := m[1]; !strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "#") || strings.HasPrefix(u, "//") {
			t.Errorf("the page refers to %s, which is not of this origin", u)
		}
	}
	if n := strings.Count(page, "<script"); n != 1 || !strings.Contains(page, `<script src="/static/app.js?v=`) {
		t.Errorf("%d scripts; want only the shared /static/app.js", n)
	}
}
