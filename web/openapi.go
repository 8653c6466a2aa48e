package web

import (
	"net/http"
	"sync"

	"higate/web/openapi"
	"higate/web/ui/docs"
)

// handleOpenAPI serves the API contract, web/openapi/openapi.yaml, as JSON.
// It is public, like the routes it describes, so any origin may read it
// (browser-based client generators and viewers fetch it from elsewhere).
func (s *server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	data, err := openapi.JSON()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Access-Control-Allow-Origin", "*")
	_, err = w.Write(data)
	return err
}

// apiReference is the view of the contract that /docs renders, built once
// per process by the first server. The document is embedded and the tests
// parse it, so an error here is a broken build: it panics, as a template
// that does not parse does.
var apiReference = sync.OnceValue(func() *docs.Reference {
	spec, err := openapi.Parse()
	if err != nil {
		panic(err)
	}
	ref, err := docs.Build(spec)
	if err != nil {
		panic(err)
	}
	return ref
})
