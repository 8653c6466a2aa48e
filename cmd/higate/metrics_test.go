package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v2"
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
	documented(t, mfs)

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

// higateMetric is the name of a metric of Higate's own in a text.
var higateMetric = regexp.MustCompile(`\bhigate_[a-z0-9_]+`)

// documented checks what a scrape shows against the repository: every
// metric of Higate's is in docs/OPERATIONS.md, and every metric the alert
// rules use is one Higate exports.
func documented(t *testing.T, mfs map[string]*dto.MetricFamily) {
	t.Helper()
	doc, err := os.ReadFile("../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range mfs {
		if strings.HasPrefix(name, "higate_") && !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("%s is not in docs/OPERATIONS.md's table of metrics", name)
		}
	}
	for _, file := range []string{"../../scripts/prometheus/alerts.yml", "../../docs/OPERATIONS.md"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range higateMetric.FindAllString(string(data), -1) {
			// A histogram's series are named after the family.
			family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if mfs[family] == nil && mfs[name] == nil && !exportedWithBilling(name) {
				t.Errorf("%s names %s, which Higate does not export", file, name)
			}
		}
	}
}

// exportedWithBilling reports whether a metric appears only when PayPal or
// SMTP is set up (the demo has neither).
func exportedWithBilling(name string) bool {
	return name == "higate_paypal_calls_total" || name == "higate_smtp_sends_total"
}

// The Prometheus files of the repository fit together and fit Higate: the
// alert rules are well formed, Prometheus loads them and scrapes the port
// that docker-compose.yml gives HIGATE_METRICS_ADDR, and the compose file's
// prometheus service is optional and mounts files that exist. Where
// promtool is installed it checks both files too.
func TestPrometheusFiles(t *testing.T) {
	read := func(path string, v any) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("../..", path))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(data, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				For         string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	read("scripts/prometheus/alerts.yml", &rules)
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("rule %+v lacks an alert name, expression, severity, summary or description", r)
			}
			if _, err := model.ParseDuration(r.For); r.For != "" && err != nil {
				t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
			}
		}
	}
	for _, want := range []string{"HigateNumberBanned", "HigateNoStandby", "HigateQueueStalled", "HigateWebhookBacklog", "HigateDiskAlmostFull"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alerts.yml has no %s", want)
		}
	}

	var prom struct {
		Global        map[string]string
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	read("scripts/prometheus/prometheus.yml", &prom)
	var compose struct {
		Services map[string]struct {
			Build       string
			Image       string
			Restart     string
			Profiles    []string
			DependsOn   []string `yaml:"depends_on"`
			Ports       []string
			Environment map[string]string
			Volumes     []string
			StopGrace   string `yaml:"stop_grace_period"`
		}
		Volumes map[string]any
	}
	read("docker-compose.yml", &compose)
	p, ok := compose.Services["prometheus"]
	if !ok || !slices.Contains(p.Profiles, "monitoring") {
		t.Fatalf("docker-compose.yml has no prometheus service in the monitoring profile: %+v", p)
	}
	mounted := map[string]string{} // in the container -> in the repository
	for _, v := range p.Volumes {
		parts := strings.Split(v, ":")
		if strings.HasPrefix(parts[0], "./") {
			if _, err := os.Stat(filepath.Join("../..", parts[0])); err != nil {
				t.Errorf("the prometheus service mounts %s: %v", parts[0], err)
			}
			mounted[parts[1]] = parts[0]
		}
	}
	if mounted["/etc/prometheus/prometheus.yml"] != "./scripts/prometheus/prometheus.yml" {
		t.Errorf("the prometheus service does not run scripts/prometheus/prometheus.yml: %v", p.Volumes)
	}
	for _, f := range prom.RuleFiles {
		if mounted[f] != "./scripts/prometheus/alerts.yml" {
			t.Errorf("prometheus.yml loads %s, which the compose file does not mount from scripts/prometheus/alerts.yml", f)
		}
	}
	_, port, err := net.SplitHostPort(compose.Services["higate"].Environment["HIGATE_METRICS_ADDR"])
	if err != nil {
		t.Fatalf("HIGATE_METRICS_ADDR in docker-compose.yml: %v", err)
	}
	if len(prom.ScrapeConfigs) == 0 || prom.ScrapeConfigs[0].JobName != "higate" ||
		!slices.Contains(prom.ScrapeConfigs[0].StaticConfigs[0].Targets, "higate:"+port) {
		t.Errorf("prometheus.yml does not scrape higate:%s as job higate: %+v", port, prom.ScrapeConfigs)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool is not installed; the files were checked as YAML only")
		return
	}
	if out, err := exec.Command(promtool, "check", "rules", "../../scripts/prometheus/alerts.yml").CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
