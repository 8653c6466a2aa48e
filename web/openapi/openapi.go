// Package openapi holds Higate's HTTP API contract, an OpenAPI 3.1 document
// kept in openapi.yaml beside this file and embedded in the binary. It is the
// source of truth: the server serves it as JSON at GET /openapi.json, the
// reference at GET /docs is rendered from it (package web/ui/docs), and the
// web tests check that it lists exactly the router's API routes and validate
// every request and response of the end-to-end tests against it. Its
// webhooks describe what Higate sends to developers' receivers, and the web
// tests validate every delivery they receive against them.
//
// openapi.yaml's opening comment says what belongs in it and how to add a
// route.
package openapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var source []byte

// YAML is the document as it is written in the repository.
func YAML() []byte { return source }

// Parse parses and validates the document. Each call returns a new copy, so
// a caller may use it from its own goroutines (kin-openapi caches compiled
// patterns inside a document while it validates) without sharing it.
func Parse() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(source)
	if err != nil {
		return nil, fmt.Errorf("openapi: parse openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
}

// jsonDoc is the document in JSON, made once: what GET /openapi.json serves.
var jsonDoc = sync.OnceValues(func() ([]byte, error) {
	doc, err := Parse()
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openapi: encode as JSON: %w", err)
	}
	return append(data, '\n'), nil
})

// JSON is the document as JSON, the same content as openapi.yaml (YAML
// anchors and merge keys expanded). An error means the embedded document
// does not parse or is not valid OpenAPI, which the tests rule out.
func JSON() ([]byte, error) { return jsonDoc() }
