package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// get fetches url, with the admin token if one is given, and returns the
// status and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// --metrics-addr serves /metrics without the token, with the Go runtime's
// and the process's metrics beside Higate's; the main listener's /metrics
// still needs the token.
func TestMetricsAddrServesWithoutTheToken(t *testing.T) {
	d := startDemo(t, t.TempDir(), "--metrics-addr", "127.0.0.1:0")
	defer d.stop()
	if !strings.HasPrefix(d.metrics, "http://127.0.0.1:") || !strings.HasSuffix(d.metrics, "/metrics") {
		t.Fatalf("serve printed the metrics listener as %q", d.metrics)
	}
	d.works(t, d, d.adminToken) // a greeting and an accepted send

	status, body := get(t, d.metrics, "")
	if status != 200 {
		t.Fatalf("GET %s without a token: %d %s", d.metrics, status, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "process_start_time_seconds",
		"higate_commit_batch_size", "higate_queue_depth", "higate_number_state", "higate_jobs_total"} {
		if mfs[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	accepted := 0.0
	for _, m := range mfs["higate_accepts_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["kind"] == "text" && labels["code"] == "200" {
			accepted += m.GetCounter().GetValue()
		}
	}
	if accepted != 1 {
		t.Errorf("higate_accepts_total{kind=text,code=200} = %v, want 1", accepted)
	}

	// The metrics listener serves nothing else.
	if status, _ := get(t, strings.TrimSuffix(d.metrics, "/metrics")+"/admin/api/instances", ""); status != 404 {
		t.Errorf("the metrics listener answered the admin API: %d", status)
	}
	if status, _ := get(t, d.base+"/metrics", ""); status != 401 {
		t.Errorf("main listener's /metrics without the token: %d, want 401", status)
	}
	if status, _ := get(t, d.base+"/metrics", d.adminToken); status != 200 {
		t.Errorf("main listener's /metrics with the token: %d, want 200", status)
	}
}

func TestMetricsAddrFlag(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	c, err := parseServeFlags(nil, env(map[string]string{"HIGATE_METRICS_ADDR": "127.0.0.1:9464"}), io.Discard)
	if err != nil || c.MetricsAddr != "127.0.0.1:9464" {
		t.Errorf("HIGATE_METRICS_ADDR: %q %v", c.MetricsAddr, err)
	}
	if c, err := parseServeFlags(nil, env(nil), io.Discard); err != nil || c.MetricsAddr != "" {
		t.Errorf("default: %q %v, want off", c.MetricsAddr, err)
	}
	if _, err := parseServeFlags([]string{"--metrics-addr", "9464"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Errorf("an address without a port: %v", err)
	}
}
