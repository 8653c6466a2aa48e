package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/quota"
	"higate/registry"
	"higate/web"
	"higate/web/webhook"
)

// stack is the whole gateway in one process, like env, for benchmarks and
// fuzz targets, which cannot use newEnv (it takes a *testing.T). Requests
// go straight to the handler, without a listener.
type stack struct {
	store   *registry.Store
	net     *sim.Network
	gw      *gateway.Service
	handler http.Handler
	client  registry.Credentials // an Enterprise account on instance 0 with limits no test reaches
	users   []string             // registered with the sandbox number
}

func newStack(tb testing.TB, users int) *stack {
	tb.Helper()
	dir := tb.TempDir()
	// Metrics on, as in production.
	reg := prometheus.NewRegistry()
	st, err := registry.Open(dir, registry.Options{Metrics: registry.NewMetrics(reg)})
	if err != nil {
		tb.Fatal(err)
	}
	reg.MustRegister(st.Collector())
	network, err := sim.Open(filepath.Join(dir, "sim"), sim.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.EnsureInstance(0, "sandbox"); err != nil {
		tb.Fatal(err)
	}
	if _, err := st.AddNumber(registry.Number{Number: sandboxGW, Transport: "sim", Role: registry.RoleActive}); err != nil {
		tb.Fatal(err)
	}
	s := &stack{store: st, net: network}
	regs := make([]registry.Registration, users)
	for i := range regs {
		s.users = append(s.users, fmt.Sprintf("+49151%08d", i))
		regs[i] = registry.Registration{Gateway: sandboxGW, Recipient: s.users[i], Lang: "en", Greeting: "Hi"}
	}
	if err := st.SeedRegistrations(regs); err != nil {
		tb.Fatal(err)
	}
	if s.client, err = st.CreateAccount(registry.NewAccount{Email: "load@example.com", Plan: quota.Enterprise,
		Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 30}}); err != nil {
		tb.Fatal(err)
	}
	hooks := webhook.New(webhook.Options{Store: st, Metrics: webhook.NewMetrics(reg)})
	s.gw = gateway.NewService(gateway.Options{
		Store:   st,
		Dial:    func(n registry.Number) (gateway.Transport, error) { return network.Attach(n.Number), nil },
		Hooks:   gateway.Hooks{Inbound: hooks.Inbound},
		Metrics: gateway.NewMetrics(reg),
	})
	if err := s.gw.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.gw.Stop(); network.Close(); st.Close() })
	s.handler = web.NewServer(web.Deps{Store: st, Gateway: s.gw, Sim: network, Webhooks: hooks, AdminToken: adminToken,
		Metrics: web.NewMetrics(reg)})
	deadline := time.Now().Add(10 * time.Second)
	for !s.gw.InstanceUp(0) {
		if time.Now().After(deadline) {
			tb.Fatal("instance 0 did not come up")
		}
		time.Sleep(time.Millisecond)
	}
	return s
}

// post sends one authenticated request to the handler.
func (s *stack) post(path string, body []byte, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-WM-CLIENT-ID", s.client.ClientID)
	r.Header.Set("X-WM-CLIENT-SECRET", s.client.ClientSecret)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

// BenchmarkSendText is the accept path in process: authenticated text sends
// through the HTTP handler from 200 goroutines, durably committed, with the
// dispatcher delivering to the sim all the while. Compare with
// BenchmarkBareHandler for the share of the machine's HTTP handling that
// the gateway keeps.
func BenchmarkSendText(b *testing.B) {
	s := newStack(b, 1000)
	var seq atomic.Int64
	b.SetParallelism(100)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			body := fmt.Appendf(nil, `{"number":"%s","message":"api: bench %d"}`, s.users[i%int64(len(s.users))][1:], i)
			if w := s.post("/v3/whatsapp/single/text/message/0", body); w.Code != 200 {
				b.Errorf("%d %s", w.Code, w.Body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}

// BenchmarkBareHandler is the baseline of BenchmarkSendText: the same
// requests to a handler that only reads the body and answers a fixed JSON.
func BenchmarkBareHandler(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"id":"123456","status":"queued"}`+"\n")
	})
	var seq atomic.Int64
	b.SetParallelism(100)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			body := fmt.Appendf(nil, `{"number":"4915100000%03d","message":"api: bench %d"}`, i%1000, i)
			r := httptest.NewRequest(http.MethodPost, "/v3/whatsapp/single/text/message/0", bytes.NewReader(body))
			r.Header.Set("X-WM-CLIENT-ID", "hg_000000000000000000000000")
			r.Header.Set("X-WM-CLIENT-SECRET", strings.Repeat("0", 64))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkGreeting is a new user's "Hi" through the sandbox inbound path:
// classified, registered, and the confirmation queued, from 200 goroutines.
func BenchmarkGreeting(b *testing.B) {
	s := newStack(b, 0)
	var seq atomic.Int64
	b.SetParallelism(100)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := fmt.Appendf(nil, `{"from":"+49152%08d","to":"%s","text":"Hi"}`, seq.Add(1), sandboxGW)
			if w := s.post("/sandbox/api/inbound", body); w.Code != 200 {
				b.Errorf("%d %s", w.Code, w.Body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "greetings/s")
}
