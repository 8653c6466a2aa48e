package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// newMetricsRegistry is the Prometheus registry of one serve run, holding
// the Go runtime's and the process's collectors; every part of the gateway
// registers its own instruments on it. It is not the global default
// registry, so that runs in one process (the tests) stay apart.
func newMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// serveMetrics serves GET /metrics, and nothing else, on a listener of its
// own (--metrics-addr) without the admin token: for a private interface
// that only the Prometheus server reaches. It prints the address and
// returns a stop function.
func serveMetrics(addr string, metrics http.Handler, stdout io.Writer, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("metrics listener", "err", err)
		}
	}()
	fmt.Fprintf(stdout, "higate metrics on http://%s/metrics (no token: keep this address private)\n", ln.Addr())
	// A scrape is short, and Prometheus retries the next interval.
	return func() { _ = srv.Close() }, nil
}
