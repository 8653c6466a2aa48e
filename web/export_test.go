package web

import "github.com/gorilla/mux"

// Router is the server's router, without the HEAD wrapper, for the tests
// that walk its routes (openapi_test.go). It exists only in test builds.
func Router(d Deps) *mux.Router { return newServer(d).router() }
