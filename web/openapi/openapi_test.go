package openapi_test

import (
	"regexp"
	"strings"
	"testing"

	"higate/web/openapi"
)

// The document parses, is valid OpenAPI 3.1, and its JSON form parses too.
func TestDocumentIsValid31(t *testing.T) {
	doc, err := openapi.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if _, err := openapi.JSON(); err != nil {
		t.Fatal(err)
	}
}

// No response is a $ref with a description beside it: kin-openapi
// copies such a description into the shared component, so every route that
// uses the component (and the served JSON) would say it.
func TestNoDescriptionBesideAResponseRef(t *testing.T) {
	if m := regexp.MustCompile(`\$ref: '#/components/responses/[^']+',\s*description`).Find(openapi.YAML()); m != nil {
		t.Errorf("openapi.yaml has %q: write the response out instead (see the file's opening comment)", m)
	}
	doc, err := openapi.Parse()
	if err != nil {
		t.Fatal(err)
	}
	d := doc.Components.Responses["Error404"].Value.Description
	if d == nil || !strings.HasPrefix(*d, "Not found: no such route") {
		t.Errorf("components/responses/Error404 lost its own description: %v", d)
	}
}
