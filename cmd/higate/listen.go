package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// listeners are serve's HTTP servers: the main one on --addr, HTTPS when
// TLS is configured, and the plain-HTTP one on --http-addr that redirects
// to it and answers ACME's challenges.
type listeners struct {
	main    *http.Server
	mainLn  net.Listener
	https   bool
	plain   *http.Server // nil: no --http-addr
	plainLn net.Listener
}

// listen binds --addr for srv, with TLS as configured, and --http-addr if
// set. Binding both before serving either means a port in use is an error
// at start, not a half-running server.
func listen(cfg config, srv *http.Server) (*listeners, error) {
	l := &listeners{main: srv}
	var err error
	if l.mainLn, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("--addr: %w%s", err, privilegedHint(err))
	}
	// The redirect goes to the port bound, which is --addr's unless that
	// asked for any free one (:0, in tests).
	tlsCfg, redirect, err := cfg.TLS.server(cfg.Data, l.mainLn.Addr().String())
	if err != nil {
		l.mainLn.Close()
		return nil, err
	}
	srv.TLSConfig, l.https = tlsCfg, tlsCfg != nil
	if redirect != nil && cfg.TLS.HTTPAddr != "" {
		if l.plainLn, err = net.Listen("tcp", cfg.TLS.HTTPAddr); err != nil {
			l.mainLn.Close()
			return nil, fmt.Errorf("--http-addr: %w%s", err, privilegedHint(err))
		}
		l.plain = &http.Server{Handler: redirect, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, ErrorLog: srv.ErrorLog}
	}
	return l, nil
}

// privilegedHint explains a refused low port.
func privilegedHint(err error) string {
	if errors.Is(err, os.ErrPermission) {
		return " (ports below 1024 need root or CAP_NET_BIND_SERVICE; see docs/OPERATIONS.md, TLS)"
	}
	return ""
}

// baseURL is the main server's URL, as clients on this machine reach it.
func (l *listeners) baseURL() string {
	if l.https {
		return "https://" + l.mainLn.Addr().String()
	}
	return "http://" + l.mainLn.Addr().String()
}

// plainAddr is the redirect listener's address, or "off".
func (l *listeners) plainAddr() string {
	if l.plain == nil {
		return "off"
	}
	return l.plainLn.Addr().String()
}

// serve starts serving; the channel gets the first server's error.
func (l *listeners) serve() <-chan error {
	errc := make(chan error, 2)
	go func() {
		if l.https {
			errc <- l.main.ServeTLS(l.mainLn, "", "") // the certificates are in TLSConfig
		} else {
			errc <- l.main.Serve(l.mainLn)
		}
	}()
	if l.plain != nil {
		go func() { errc <- l.plain.Serve(l.plainLn) }()
	}
	return errc
}

// shutdown stops both servers, waiting up to 10 s for requests in flight;
// then it closes what is left, so nothing uses the store after it closes.
func (l *listeners) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if l.plain != nil {
		err = l.plain.Shutdown(ctx)
	}
	if merr := l.main.Shutdown(ctx); merr != nil {
		err = merr
	}
	if err != nil {
		l.main.Close()
		if l.plain != nil {
			l.plain.Close()
		}
		return fmt.Errorf("requests still running after 10 s were cut off: %w", err)
	}
	return nil
}

// close releases the listeners when start-up fails after listen and before
// serve.
func (l *listeners) close() {
	l.mainLn.Close()
	if l.plainLn != nil {
		l.plainLn.Close()
	}
}
