package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report collects the figures of a run and renders them: a summary table
// against the targets, a detail table per stage, the Go benchmarks and the
// accept path's profile.
type report struct {
	cfg      config
	started  time.Time
	loadAvg  [2]string // at the start and the end
	rows     []summaryRow
	details  []section
	failures []string
	profile  string // CPU profile of the 200-connection accept run
	gobench  string
}

type summaryRow struct{ stage, figure, measured, target, verdict string }

type section struct{ title, body string }

func newReport() *report { return &report{started: time.Now()} }

func (r *report) start(c config) {
	r.cfg = c
	r.loadAvg[0] = loadAvg()
}

func (r *report) row(stage, figure, measured, target, verdict string) {
	r.rows = append(r.rows, summaryRow{stage, figure, measured, target, verdict})
}

func (r *report) fail(stage string, err error) {
	r.failures = append(r.failures, fmt.Sprintf("%s: %v", stage, err))
	r.row(stage, "stage failed", err.Error(), "", "**failed**")
}

// atLeast and below give a target's verdict, saying by how much a miss is.
func atLeast(got, want float64) string {
	if got >= want {
		return "met"
	}
	return fmt.Sprintf("**missed** by %.0f%%", (want-got)/want*100)
}

// under is the verdict of an upper limit on a quantity.
func under(got, limit float64) string {
	if got < limit {
		return "met"
	}
	return fmt.Sprintf("**missed**: %.0f%% over", (got-limit)/limit*100)
}

func below(got, want time.Duration) string {
	if got < want {
		return "met"
	}
	return fmt.Sprintf("**missed**: %.1f× the target", float64(got)/float64(want))
}

func median[T any](xs []T, key func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = key(x)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func medDur[T any](xs []T, key func(T) time.Duration) time.Duration {
	return time.Duration(median(xs, func(x T) float64 { return float64(key(x)) }))
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }

func num(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (r *report) accept(conns int, bare, acc []figures) {
	rate := median(acc, func(f figures) float64 { return f.rate })
	bareRate := median(bare, func(f figures) float64 { return f.rate })
	ratios := make([]float64, len(acc))
	for i := range acc {
		ratios[i] = acc[i].rate / bare[i].rate
	}
	ratio := median(ratios, func(f float64) float64 { return f })
	p50, p99, p999 := medDur(acc, func(f figures) time.Duration { return f.p50 }),
		medDur(acc, func(f figures) time.Duration { return f.p99 }), medDur(acc, func(f figures) time.Duration { return f.p999 })
	stage := fmt.Sprintf("accept, %d conns", conns)
	r.row("baseline", fmt.Sprintf("bare net/http handler, %d conns", conns),
		fmt.Sprintf("%s req/s, p99 %s", num(bareRate), ms(medDur(bare, func(f figures) time.Duration { return f.p99 }))), "", "")
	if conns == 200 {
		r.row(stage, "durable sends/s", num(rate)+"/s", "≥ 10,000/s", atLeast(rate, 10_000))
		r.row(stage, "latency p50 / p99 / p99.9", fmt.Sprintf("%s / %s / %s", ms(p50), ms(p99), ms(p999)), "p99 < 50 ms", below(p99, 50*time.Millisecond))
		r.row(stage, "share of the bare handler", fmt.Sprintf("%.2f", ratio), "≥ 0.25", atLeast(ratio, 0.25))
	} else {
		r.row(stage, "durable sends/s; p50 / p99 / p99.9", fmt.Sprintf("%s/s; %s / %s / %s", num(rate), ms(p50), ms(p99), ms(p999)), "", "")
		r.row(stage, "share of the bare handler", fmt.Sprintf("%.2f", ratio), "", "")
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "| round | bare req/s | bare p99 | accepts/s | p50 | p99 | p99.9 | share | server CPU (cores) | dispatched/s | backlog at end | errors |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i := range acc {
		a := acc[i]
		fmt.Fprintf(&sb, "| %d | %s | %s | %s | %s | %s | %s | %.2f | %.2f | %s | %s | %s |\n", i+1, num(bare[i].rate), ms(bare[i].p99),
			num(a.rate), ms(a.p50), ms(a.p99), ms(a.p999), ratios[i], a.serverCPU, num(a.dispatched), num(float64(a.backlog)), orNone(a.errs+bare[i].errs))
	}
	r.details = append(r.details, section{fmt.Sprintf("Accept at %d connections (dispatcher delivering to the sim meanwhile)", conns), sb.String()})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (r *report) pipeline(runs []pipelineFigures) {
	p50, p99 := medDur(runs, func(f pipelineFigures) time.Duration { return f.p50 }), medDur(runs, func(f pipelineFigures) time.Duration { return f.p99 })
	r.row("pipeline", fmt.Sprintf("accept → sim delivery at %s msgs/s, p50 / p99", num(runs[0].rate)), fmt.Sprintf("%s / %s", ms(p50), ms(p99)), "p99 < 20 ms", below(p99, 20*time.Millisecond))
	var sb strings.Builder
	fmt.Fprintf(&sb, "| round | accepted/s | accept p99 | delivery p50 | p99 | p99.9 | max | measured | never delivered |\n|---|---|---|---|---|---|---|---|---|\n")
	for i, f := range runs {
		fmt.Fprintf(&sb, "| %d | %s | %s | %s | %s | %s | %s | %s | %d |\n", i+1, num(f.accept.rate), ms(f.accept.p99), ms(f.p50), ms(f.p99), ms(f.p999), ms(f.max), num(float64(f.measured)), f.missed)
	}
	r.details = append(r.details, section{"Pipeline: accept to delivery at a fixed rate (open loop, latency from when each send was due)", sb.String()})
}

func (r *report) registration(runs []registrationFigures) {
	rate := median(runs, func(f registrationFigures) float64 { return f.api.rate })
	p99 := medDur(runs, func(f registrationFigures) time.Duration { return f.confP99 })
	r.row("registration", "greetings/s (200 conns)", num(rate)+"/s", "≥ 5,000/s", atLeast(rate, 5000))
	r.row("registration", "greeting → confirmation p50 / p99", fmt.Sprintf("%s / %s", ms(medDur(runs, func(f registrationFigures) time.Duration { return f.confP50 })), ms(p99)), "", "")
	var sb strings.Builder
	fmt.Fprintf(&sb, "| round | greetings/s | request p50 | request p99 | server CPU (cores) | confirmation p50 | confirmation p99 | sampled | unconfirmed |\n|---|---|---|---|---|---|---|---|---|\n")
	for i, f := range runs {
		fmt.Fprintf(&sb, "| %d | %s | %s | %s | %.2f | %s | %s | %d | %d |\n", i+1, num(f.api.rate), ms(f.api.p50), ms(f.api.p99), f.api.serverCPU, ms(f.confP50), ms(f.confP99), f.sampled, f.missing)
	}
	r.details = append(r.details, section{"Registration: new users greet the sandbox number through POST /sandbox/api/inbound", sb.String()})
}

func (r *report) scale(sf scaleFigures) {
	e99 := medDur(sf.empty, func(f figures) time.Duration { return f.p99 })
	l99 := medDur(sf.loaded, func(f figures) time.Duration { return f.p99 })
	peak := int64(median(sf.loaded, func(f figures) float64 { return float64(f.peak) }))
	up := medDur(sf.loaded, func(f figures) time.Duration { return f.up })
	stage := fmt.Sprintf("scale: %s registrations, %s accounts", num(float64(sf.regs)), num(float64(sf.accounts)))
	r.row(stage, "DB size; seeding time", fmt.Sprintf("%s; %s", mb(sf.dbSize), sf.seedTime.Round(time.Second)), "", "")
	r.row(stage, "server RSS, peak during the accept run", mb(peak), "< 300 MB", under(float64(peak)/(1<<20), 300))
	r.row(stage, "start-up (exec → instance up)", ms(up), "< 2 s", below(up, 2*time.Second))
	growth := float64(l99)/float64(e99) - 1
	verdict := "met"
	if growth > 0.2 {
		verdict = fmt.Sprintf("**missed** by %.0f points", (growth-0.2)*100)
	}
	r.row(stage, "accept p99 loaded vs empty (200 conns)", fmt.Sprintf("%s vs %s (%+.0f%%)", ms(l99), ms(e99), growth*100), "within +20%", verdict)
	var sb strings.Builder
	fmt.Fprintf(&sb, "| round | registry | accepts/s | p50 | p99 | p99.9 | listening after | up after | RSS idle | RSS peak | RSS anon / file at end | server CPU |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i := range sf.loaded {
		for _, x := range []struct {
			name string
			f    figures
		}{{"empty", sf.empty[i]}, {"loaded", sf.loaded[i]}} {
			f := x.f
			fmt.Fprintf(&sb, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %.2f |\n", i+1, x.name, num(f.rate), ms(f.p50), ms(f.p99), ms(f.p999),
				ms(f.listening), ms(f.up), mb(f.rssStart), mb(f.peak), mb(f.anon), mb(f.file), f.serverCPU)
		}
	}
	r.details = append(r.details, section{fmt.Sprintf("Scale: the 200-connection accept run on a registry of %s registrations and %s accounts (%s, seeded in %s) against an empty one",
		num(float64(sf.regs)), num(float64(sf.accounts)), mb(sf.dbSize), sf.seedTime.Round(time.Second)), sb.String()})
}

func (r *report) scheduled(sf scheduledFigures) {
	e, l := median(sf.empty, func(f figures) float64 { return f.rate }), median(sf.loaded, func(f figures) float64 { return f.rate })
	e99, l99 := medDur(sf.empty, func(f figures) time.Duration { return f.p99 }), medDur(sf.loaded, func(f figures) time.Duration { return f.p99 })
	stage := fmt.Sprintf("accept, 200 conns, %s jobs scheduled", num(float64(sf.jobs)))
	change := l/e - 1
	verdict := "met"
	if change < -0.1 {
		verdict = fmt.Sprintf("**missed** by %.0f points", (-change-0.1)*100)
	}
	r.row(stage, "durable sends/s vs an empty registry", fmt.Sprintf("%s/s vs %s/s (%+.0f%%)", num(l), num(e), change*100), "within 10%", verdict)
	r.row(stage, "latency p99 vs an empty registry", fmt.Sprintf("%s vs %s", ms(l99), ms(e99)), "", "")
	var sb strings.Builder
	fmt.Fprintf(&sb, "| round | registry | accepts/s | p50 | p99 | p99.9 | server CPU | dispatched/s | backlog at end |\n|---|---|---|---|---|---|---|---|---|\n")
	for i := range sf.loaded {
		for _, x := range []struct {
			name string
			f    figures
		}{{"empty", sf.empty[i]}, {"scheduled", sf.loaded[i]}} {
			f := x.f
			fmt.Fprintf(&sb, "| %d | %s | %s | %s | %s | %s | %.2f | %s | %s |\n", i+1, x.name, num(f.rate), ms(f.p50), ms(f.p99), ms(f.p999),
				f.serverCPU, num(f.dispatched), num(float64(f.backlog)))
		}
	}
	r.details = append(r.details, section{fmt.Sprintf("Accept at 200 connections with %s jobs scheduled 1 to 30 days ahead (queued in %s) against an empty registry",
		num(float64(sf.jobs)), sf.seedTime.Round(time.Second)), sb.String()})
}

func (r *report) fairness(runs []fairnessFigures) {
	p50 := median(runs, func(f fairnessFigures) float64 { return f.alone.p50 })
	p99 := median(runs, func(f fairnessFigures) float64 { return f.alone.p99 })
	f0 := runs[0]
	verdict := "met"
	if p99 > 2 {
		verdict = "**missed**"
	}
	stage := fmt.Sprintf("fairness: 100 accounts, one with %s queued, number paced at %s", num(float64(f0.backlog)), ms(f0.gap))
	r.row(stage, "wait of another account's single message, request → delivery, p50 / p99", fmt.Sprintf("%s / %s gaps", gaps(p50), gaps(p99)), "p99 ≤ 2 gaps", verdict)
	r.row(stage, "the same, singles arriving at random (one every 4 gaps), p50 / p99",
		fmt.Sprintf("%s / %s gaps", gaps(median(runs, func(f fairnessFigures) float64 { return f.mixed.p50 })),
			gaps(median(runs, func(f fairnessFigures) float64 { return f.mixed.p99 }))), "", "")
	var sb strings.Builder
	fmt.Fprintf(&sb, "| round | part | singles | delivered | wait p50 | p99 | max | from the answer p50 / p99 | accept p99 | backlog queued in | backlog sent meanwhile | window (slots) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for i, f := range runs {
		for _, x := range []struct {
			name string
			s    singles
		}{{"one at a time", f.alone}, {"at random", f.mixed}} {
			fmt.Fprintf(&sb, "| %d | %s | %d | %d | %s | %s | %s | %s / %s | %s | %s | %s | %s (%d) |\n", i+1, x.name, x.s.sent, x.s.delivered,
				gaps(x.s.p50), gaps(x.s.p99), gaps(x.s.max), gaps(x.s.queuedP50), gaps(x.s.queuedP99), ms(x.s.acceptP99),
				ms(f.acceptBacklog), num(float64(f.backlogSent)), f.window.Round(time.Second), int(f.window/f.gap))
		}
	}
	r.details = append(r.details, section{fmt.Sprintf("Fairness: one account queues %s on the sandbox number paced at %s; the other 99 accounts send single messages, one at a time (each at a random moment after the last was delivered), then at random (Poisson, one every 4 gaps on average); waits in gaps from request to delivery",
		num(float64(f0.backlog)), ms(f0.gap)), sb.String()})
}

// gaps shows a wait in pacing gaps; one not delivered within the run is ∞.
func gaps(g float64) string {
	if math.IsInf(g, 1) {
		return "∞ (not delivered)"
	}
	return fmt.Sprintf("%.2f", g)
}

func (r *report) crash(cf crashFigures) {
	verdict := "met"
	if cf.lost+cf.duplicated+cf.phantoms > 0 || cf.cycles < 20 {
		verdict = "**missed**"
	}
	r.row("crash", "kill -9 cycles under load: lost / duplicated / refused-but-delivered",
		fmt.Sprintf("%d cycles, %s queued: %d / %d / %d", cf.cycles, num(float64(cf.queued)), cf.lost, cf.duplicated, cf.phantoms), "0 / 0 over ≥ 20 cycles", verdict)
	body := fmt.Sprintf("| cycles | sends | answered queued | refused (472) | unanswered (killed mid-request) | of those delivered | delivered | lost | duplicated | refused but delivered | took |\n|---|---|---|---|---|---|---|---|---|---|---|\n| %d | %s | %s | %s | %s | %d | %s | %d | %d | %d | %s |\n",
		cf.cycles, num(float64(cf.sent)), num(float64(cf.queued)), num(float64(cf.refused)), num(float64(cf.unanswered)), cf.unansweredDelivered,
		num(float64(cf.delivered)), cf.lost, cf.duplicated, cf.phantoms, cf.took.Round(time.Second))
	r.details = append(r.details, section{"Crash: kill -9 at a random moment under 64-connection load (four accounts, three priorities), restart, repeat; then every inbox checked", body})
}

// addGoBench turns go test -bench output into a table.
func (r *report) addGoBench(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var sb strings.Builder
	sb.WriteString("| package | benchmark | iterations | ns/op | other |\n|---|---|---|---|---|\n")
	pkg := ""
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		line := lines.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "higate/")
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || fields[3] != "ns/op" {
			continue
		}
		var other []string
		for i := 4; i+1 < len(fields); i += 2 {
			other = append(other, fields[i]+" "+fields[i+1])
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s |\n", pkg, fields[0], fields[1], fields[2], strings.Join(other, ", "))
	}
	r.gobench = sb.String()
	return lines.Err()
}

// profileTop is the accept profile's hottest functions, if the go tool is
// there to read it.
func (r *report) profileTop() string {
	if r.profile == "" {
		return ""
	}
	if _, err := os.Stat(r.profile); err != nil {
		return ""
	}
	var out strings.Builder
	for _, mode := range [][]string{{"-top", "-nodecount=20"}, {"-top", "-cum", "-nodecount=30"}} {
		args := append([]string{"tool", "pprof"}, mode...)
		args = append(args, r.cfg.server, r.profile)
		text, err := exec.Command("go", args...).Output()
		if err != nil {
			return ""
		}
		out.Write(text)
		out.WriteString("\n")
	}
	return out.String()
}

// markdown renders the report. Two sections of the file at path survive a
// new run: the notes (hand-written analysis) and the soak results, which
// make soak writes.
func (r *report) markdown(path string) string {
	r.loadAvg[1] = loadAvg()
	old, _ := os.ReadFile(path)
	var sb strings.Builder
	sb.WriteString("# Benchmarks\n\n")
	sb.WriteString("Generated by `make bench` (cmd/higate-bench); the notes and the soak section are kept from the previous file.\n\n")
	sb.WriteString("## Machine and run\n\n")
	for _, l := range machine() {
		fmt.Fprintf(&sb, "- %s\n", l)
	}
	fmt.Fprintf(&sb, "- date: %s, took %s; load average (1, 5, 15 min) %s at the start, %s at the end\n", r.started.UTC().Format("2006-01-02 15:04 MST"),
		time.Since(r.started).Round(time.Second), r.loadAvg[0], r.loadAvg[1])
	fmt.Fprintf(&sb, "- command: `make bench` → `higate-bench -rounds %d -duration %s -conns %s -pipeline-rate %s -scale-registrations %d -scale-accounts %d -scheduled-jobs %d -fairness-gap %s -fairness-backlog %d -fairness-singles %d -fleet-instances %d -fleet-jobs %d -crash-cycles %d`\n",
		r.cfg.rounds, r.cfg.duration, joinInts(r.cfg.conns), num(r.cfg.pipelineRate), r.cfg.scaleRegs, r.cfg.scaleAccounts,
		r.cfg.scheduledJobs, r.cfg.fairGap, r.cfg.fairBacklog, r.cfg.fairSingles, r.cfg.fleetInstances, r.cfg.fleetJobs, r.cfg.crashCycles)
	sb.WriteString("- every figure is the median of the rounds; each round runs its comparison (bare handler, empty registry) right before the figure it is compared with, on a fresh data directory and server process\n")
	sb.WriteString("- load generator: the same process tree, 2 cores shared with the server; keep-alive HTTP/1.1 connections, closed loop except the pipeline (open loop)\n\n")
	sb.WriteString("## Summary\n\n| stage | figure | measured | target | verdict |\n|---|---|---|---|---|\n")
	for _, row := range r.rows {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s |\n", row.stage, row.figure, row.measured, row.target, row.verdict)
	}
	sb.WriteString("\n")
	sb.WriteString(keep(old, "notes", "## Notes\n\n(Analysis of the figures goes here; it is kept across runs.)\n"))
	sb.WriteString("\n## Details\n\n")
	for _, s := range r.details {
		fmt.Fprintf(&sb, "### %s\n\n%s\n", s.title, s.body)
	}
	if r.gobench != "" {
		sb.WriteString("### Go benchmarks (`go test -bench`, same run)\n\n" + r.gobench + "\n")
	}
	if top := r.profileTop(); top != "" {
		fmt.Fprintf(&sb, "### CPU profile of the server, accept at 200 connections (5 s, round 1)\n\n```\n%s```\n\n", top)
	}
	sb.WriteString(keep(old, "soak", "## Soak\n\nNot run yet: `make soak`.\n"))
	return sb.String()
}

// keep returns the section between <!-- name --> and <!-- /name --> of
// old, markers included, or a new one around def.
func keep(old []byte, name, def string) string {
	begin, end := "<!-- "+name+" -->", "<!-- /"+name+" -->"
	s := string(old)
	if i := strings.Index(s, begin); i >= 0 {
		if j := strings.Index(s[i:], end); j >= 0 {
			return s[i:i+j+len(end)] + "\n"
		}
	}
	return begin + "\n" + def + end + "\n"
}

// replaceSection writes body as the named section of the file at path.
func replaceSection(path, name, body string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	begin, end := "<!-- "+name+" -->", "<!-- /"+name+" -->"
	s := string(old)
	i := strings.Index(s, begin)
	j := strings.Index(s, end)
	if i < 0 || j < i {
		s += "\n" + begin + "\n" + body + end + "\n"
	} else {
		s = s[:i] + begin + "\n" + body + s[j:]
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

// summary is the summary table for the terminal.
func (r *report) summary() string {
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tFIGURE\tMEASURED\tTARGET\tVERDICT")
	for _, row := range r.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", row.stage, row.figure, row.measured, row.target, strings.ReplaceAll(row.verdict, "**", ""))
	}
	tw.Flush()
	for _, f := range r.failures {
		fmt.Fprintf(&sb, "FAILED %s\n", f)
	}
	return sb.String()
}

// machine describes this machine.
func machine() []string {
	var out []string
	model := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if name, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	out = append(out, fmt.Sprintf("CPU: %d × %s (GOMAXPROCS %d)", runtime.NumCPU(), model, runtime.GOMAXPROCS(0)))
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		out = append(out, "memory: "+strings.Join(strings.Fields(line)[1:], " "))
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		out = append(out, fmt.Sprintf("kernel: Linux %s, %s", strings.TrimSpace(string(data)), runtime.Version()))
	}
	if rev, err := exec.Command("git", "describe", "--always", "--dirty").Output(); err == nil {
		out = append(out, "source: "+strings.TrimSpace(string(rev)))
	}
	out = append(out, "disk: the data directories are on the file system of "+os.TempDir()+"; shared with other engineers' test runs")
	return out
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func (r *report) fleet(ff fleetFigures) {
	stage := fmt.Sprintf("fleet: %s instances, %s sim numbers (active + standby), %s accounts", num(float64(ff.instances)), num(float64(2*ff.instances)), num(float64(ff.instances)))
	r.row(stage, "server RSS, all up / peak", fmt.Sprintf("%s / %s", mb(ff.rssUp), mb(ff.rssPeak)), "", "")
	r.row(stage, "start-up (exec → every instance up)", ms(ff.up), "", "")
	r.row(stage, "every active number banned at once → all up on their standby", ms(ff.failover), "< 5 s", below(ff.failover, 5*time.Second))
	r.row(stage, "first ban → every queued job sent through the standbys", ms(ff.drained), "", "")
	verdict := "met"
	if ff.lost+ff.duplicated > 0 {
		verdict = "**missed**"
	}
	r.row(stage, "jobs accepted before the bans: lost / duplicated", fmt.Sprintf("%s jobs: %d / %d", num(float64(ff.jobs)), ff.lost, ff.duplicated), "0 / 0", verdict)
	body := fmt.Sprintf("| instances | seeded in | listening after | all up at start after | RSS all up | RSS peak | jobs accepted | queued at the bans | bans posted in | every standby active after | all up again after | queues empty after | delivered once | lost | duplicated |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d |\n",
		num(float64(ff.instances)), ms(ff.seedTime), ms(ff.listening), ms(ff.up), mb(ff.rssUp), mb(ff.rssPeak), num(float64(ff.jobs)), num(float64(ff.queuedAtBan)),
		ms(ff.banPosting), ms(ff.switched), ms(ff.failover), ms(ff.drained), num(float64(ff.delivered)), ff.lost, ff.duplicated)
	r.details = append(r.details, section{"Fleet: instances with an active and a standby simulated number and one account each; every account queues jobs, then every active number is banned at once through the sandbox fault API (from 32 connections); failover timed from the first ban to every instance up on its standby, and to every queue empty, then every inbox checked", body})
}
