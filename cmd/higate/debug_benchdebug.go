//go:build benchdebug

package main

// This file is compiled only into the load tool's server (go build -tags
// benchdebug ./cmd/higate; see cmd/higate-bench): with HIGATE_DEBUG_ADDR set
// it serves net/http/pprof and runtime figures on that address, so the
// benchmark can profile the real server and watch its goroutines and heap
// during a soak. The gateway's own code is untouched by it, and release
// builds do not contain it.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
)

func init() {
	addr := os.Getenv("HIGATE_DEBUG_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "debug listener:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			runtime.GC() // so heap_live is what is reachable, not what awaits collection
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"goroutines": runtime.NumGoroutine(), "heap_live": m.HeapAlloc, "heap_sys": m.HeapSys, "num_gc": m.NumGC,
		})
	})
	fmt.Printf("debug listening on http://%s\n", ln.Addr())
	go func() { _ = http.Serve(ln, mux) }()
}
