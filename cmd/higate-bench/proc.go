package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a server child process: the gateway, or the bare baseline.
type proc struct {
	cmd       *exec.Cmd
	addr      string        // host:port of its API
	debug     string        // host:port of its debug listener ("" without)
	listening time.Duration // from exec to "listening on"
	exited    chan struct{}
	log       *os.File
}

// startProc runs name with args and waits until it prints the line
// "... listening on http://host:port" (and, with debug, "debug listening on
// http://host:port"). Its stderr goes to logPath.
func startProc(name string, args, env []string, logPath string, debug bool) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, exited: make(chan struct{}), log: logf}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	found := make(chan error, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			line := lines.Text()
			if _, url, ok := strings.Cut(line, "debug listening on http://"); ok {
				p.debug = url
			} else if _, url, ok := strings.Cut(line, " listening on http://"); ok {
				p.addr, p.listening = url, time.Since(t0)
			}
			if p.addr != "" && (p.debug != "" || !debug) {
				found <- nil
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
		found <- fmt.Errorf("%s exited before listening (see %s)", name, logPath)
	}()
	select {
	case err = <-found:
	case <-time.After(60 * time.Second):
		err = fmt.Errorf("%s did not start listening within a minute (see %s)", name, logPath)
	}
	if err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// stop asks the process to shut down and kills it if it takes over 15 s.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.log.Close()
}

// kill is kill -9.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.log.Close()
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// memory is a process's memory from /proc/<pid>/status, in bytes.
type memory struct {
	rss, peak, anon, file int64
	threads               int
}

func (p *proc) memory() memory {
	var m memory
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return m
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(value)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch name {
		case "VmRSS":
			m.rss = n << 10
		case "VmHWM":
			m.peak = n << 10
		case "RssAnon":
			m.anon = n << 10
		case "RssFile":
			m.file = n << 10
		case "Threads":
			m.threads = int(n)
		}
	}
	return m
}

// cpu is the CPU time the process has used, user and system.
func (p *proc) cpu() time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid()))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after its ")" do not.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// fds counts the process's open file descriptors.
func (p *proc) fds() int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.pid()))
	if err != nil {
		return -1
	}
	return len(entries)
}

// debugStats is what the server's debug listener reports (see
// cmd/higate/debug_benchdebug.go).
type debugStats struct {
	Goroutines int    `json:"goroutines"`
	HeapLive   uint64 `json:"heap_live"`
	HeapSys    uint64 `json:"heap_sys"`
	NumGC      uint32 `json:"num_gc"`
}

func (p *proc) stats(gc bool) (debugStats, error) {
	var s debugStats
	if p.debug == "" {
		return s, errors.New("no debug listener")
	}
	url := "http://" + p.debug + "/debug/stats"
	if gc {
		url += "?gc=1"
	}
	_, err := call("GET", url, nil, &s)
	return s, err
}

var setupClient = &http.Client{Timeout: 2 * time.Minute}

// call makes one JSON call for setup or checking (not load) and decodes the
// response into out, if not nil.
func call(method, url string, body any, out any, headers ...string) (int, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := setupClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %d %.200s: %w", method, url, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode, nil
}
