package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"

	"higate/gateway/sim"
	"higate/web"
	"higate/web/openapi"
)

// htmlSurfaces are the path roots that are not API routes, so not in the
// contract: the HTML surfaces of web/ui (the join page, the developer
// portal, the operator console, the sandbox phone, their static files, the
// API reference) and the contract itself. A path is one of them if it is a
// root or lies below one (root + "/..."), except that the sandbox API,
// /sandbox/api/..., is API. /admin/pair and the /checkout pages are HTML
// too, but they are routes of the API's own table (routes.go, billing.go)
// and the contract lists them, with their text/html answers.
var htmlSurfaces = []string{"/join", "/portal", "/console", "/sandbox", "/static", "/docs", "/openapi.json"}

// isAPIPath reports whether a path, or a route's path template, belongs to
// the API and so to the contract.
func isAPIPath(p string) bool {
	if p == "/sandbox/api" || strings.HasPrefix(p, "/sandbox/api/") {
		return true
	}
	for _, root := range htmlSurfaces {
		if p == root || strings.HasPrefix(p, root+"/") {
			return false
		}
	}
	return true
}

// muxVariable is a path variable with a pattern, {name:pattern}, which the
// spec writes {name}.
var muxVariable = regexp.MustCompile(`\{([^{}:]+):[^{}]*\}`)

// routerRoutes lists the API routes of the router as "METHOD /path/{var}".
// HEAD is left out: every GET route answers it, and the spec says so once.
func routerRoutes(t *testing.T) []string {
	t.Helper()
	network, err := sim.Open(filepath.Join(t.TempDir(), "sim"), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { network.Close() })
	// The sandbox on, so that every surface is mounted and the rule above
	// meets all of them.
	r := web.Router(web.Deps{Sim: network, AdminToken: adminToken})
	var out []string
	err = r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			return fmt.Errorf("route %s has no methods: every route names its methods", tmpl)
		}
		tmpl = muxVariable.ReplaceAllString(tmpl, "{$1}")
		if !isAPIPath(tmpl) {
			return nil
		}
		for _, m := range methods {
			if m != http.MethodHead {
				out = append(out, m+" "+tmpl)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// specRoutes lists the operations of the spec as "METHOD /path/{var}".
func specRoutes(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	return out
}

// The spec and the router list the same API routes, method and path
// template, both ways.
func TestSpecListsEveryRoute(t *testing.T) {
	doc, err := openapi.Parse()
	if err != nil {
		t.Fatal(err)
	}
	routes, spec := routerRoutes(t), specRoutes(doc)
	for _, r := range routes {
		if !slices.Contains(spec, r) {
			t.Errorf("the router serves %s, which web/openapi/openapi.yaml does not describe: add the operation under paths (or, if it is an HTML surface, to htmlSurfaces in web/openapi_test.go)", r)
		}
	}
	for _, s := range spec {
		if !slices.Contains(routes, s) {
			t.Errorf("web/openapi/openapi.yaml describes %s, which the router does not serve (routes.go): remove it, or fix its method or path template", s)
		}
	}
	if len(routes) < 40 {
		t.Errorf("only %d API routes found; the walk or the rule is broken", len(routes))
	}
}

// The rule that tells the API from the HTML surfaces.
func TestIsAPIPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/v3/whatsapp/jobs/{id}":           true,
		"/admin/api/backup":                true,
		"/admin/pair":                      true,
		"/checkout/{offer}":                true,
		"/sandbox/api/inbound":             true,
		"/sandbox":                         false,
		"/sandbox/":                        false,
		"/sandbox/chat/{number}/{gateway}": false,
		"/join/{instance}":                 false,
		"/portal/":                         false,
		"/console/numbers":                 false,
		"/static/":                         false,
		"/docs":                            false,
		"/openapi.json":                    false,
		"/joinery":                         true, // a root is a whole segment
		"/v1/gateway/status":               true,
	} {
		if got := isAPIPath(p); got != want {
			t.Errorf("isAPIPath(%q) = %v, want %v", p, got, want)
		}
	}
}

// GET /openapi.json serves the contract as JSON: an OpenAPI 3.1 document
// with the same content as openapi.yaml.
func TestOpenAPIJSONIsServed(t *testing.T) {
	e := newEnv(t)
	resp, body := e.raw("GET", "/openapi.json", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	served, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("the served document does not load: %v", err)
	}
	if err := served.Validate(t.Context()); err != nil {
		t.Fatalf("the served document is not valid: %v", err)
	}
	if !served.IsOpenAPI31OrLater() || served.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", served.OpenAPI)
	}
	source, err := openapi.Parse()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(source)
	got, _ := json.Marshal(served)
	if string(got) != string(want) {
		t.Errorf("the served JSON differs from openapi.yaml")
	}
	if n := served.Paths.Len(); n != source.Paths.Len() || n < 40 {
		t.Errorf("%d paths served, %d in openapi.yaml", n, source.Paths.Len())
	}
}

// GET /docs renders the reference on the server: HTML with the pages'
// security headers, every operation and every webhook of the spec, and
// nothing from another origin.
func TestDocsIsServed(t *testing.T) {
	e := newEnv(t)
	resp, body := e.raw("GET", "/docs", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	doc, err := openapi.Parse()
	if err != nil {
		t.Fatal(err)
	}
	page := string(body)
	for _, op := range specRoutes(doc) {
		method, path, _ := strings.Cut(op, " ")
		if !strings.Contains(page, ">"+method+"</span> <code class=\"docs-path\">"+path+"</code>") {
			t.Errorf("/docs does not show %s", op)
		}
	}
	for name := range doc.Webhooks {
		if !strings.Contains(page, ">POST</span> <code class=\"docs-path\">"+name+"</code>") {
			t.Errorf("/docs does not show the webhook %s", name)
		}
	}
	if head, _ := e.raw("HEAD", "/docs", ""); head.StatusCode != 200 {
		t.Errorf("HEAD /docs: %d", head.StatusCode)
	}
}
