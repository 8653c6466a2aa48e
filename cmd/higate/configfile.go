package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The config file (--config, HIGATE_CONFIG) holds serve's settings as
// lines of
//
//	# a comment
//	addr = 0.0.0.0:443
//	acme-domain = gw.example.com, www.gw.example.com
//	smtp-url = "smtps://mailer:p#ss@mail.example.com:465"
//
// Keys are the flags' names; a value runs to the end of the line, with the
// spaces around it trimmed. A value in double quotes is read as a Go string
// literal, for values that begin or end with spaces or hold escapes. There
// are no sections, no inline comments (a # inside a value is part of it)
// and no includes. A key given twice, a key no flag has, or a line without
// "=" is an error with its line number: a typo must not silently leave a
// setting at its default.
//
// A flag on the command line beats the environment, which beats the file,
// which beats the built-in default.

// maxConfigFile bounds what is read: a config file is a page of settings.
const maxConfigFile = 1 << 20

// configEntry is one key = value line of a config file.
type configEntry struct {
	key, value string
	line       int
}

// configFile is a parsed config file.
type configFile struct {
	path    string
	entries []configEntry // in file order
}

// secretSettings are the settings whose values never show (config check
// masks them) and whose presence in a file others can read earns a warning.
var secretSettings = map[string]bool{"admin-token": true, "paypal-secret": true, "smtp-url": true}

// readConfigFile reads and parses the config file at path, warning on warn
// when it holds a secret and other users may read it.
func readConfigFile(path string, warn io.Writer) (*configFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	if len(data) > maxConfigFile {
		return nil, fmt.Errorf("config file %s: larger than %d bytes", path, maxConfigFile)
	}
	cf, err := parseConfig(path, data)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		for _, e := range cf.entries {
			if secretSettings[e.key] && e.value != "" {
				fmt.Fprintf(warn, "higate: warning: the config file %s holds %s and can be read by other users (mode %04o); chmod 600 %s\n",
					path, e.key, fi.Mode().Perm(), path)
				break
			}
		}
	}
	return cf, nil
}

// parseConfig parses a config file's content; path names it in errors.
func parseConfig(path string, data []byte) (*configFile, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("config file %s is not UTF-8 text", path)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	cf := &configFile{path: path}
	seen := map[string]int{}
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("config file %s line %d: want key = value, found %q", path, n, short(line))
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case key == "":
			return nil, fmt.Errorf("config file %s line %d: no key before =", path, n)
		case strings.HasPrefix(key, "-"):
			return nil, fmt.Errorf("config file %s line %d: write the setting without dashes: %s = ...", path, n, strings.TrimLeft(key, "-"))
		case seen[key] != 0:
			return nil, fmt.Errorf("config file %s line %d: %s is already set on line %d", path, n, key, seen[key])
		}
		if strings.HasPrefix(value, `"`) {
			v, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("config file %s line %d: %s: a value that starts with \" must be one quoted string (\\\" and \\\\ inside)", path, n, key)
			}
			value = v
		}
		seen[key] = n
		cf.entries = append(cf.entries, configEntry{key: key, value: value, line: n})
	}
	return cf, nil
}

// short cuts s for an error message.
func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// sourceKind is where a setting's value came from, weakest first.
type sourceKind int

const (
	fromDefault sourceKind = iota
	fromFile
	fromEnv
	fromFlag
)

// source is where one setting's value came from.
type source struct {
	kind  sourceKind
	where string // the variable, or the file and line
}

// String says where, for config check.
func (s source) String() string {
	switch s.kind {
	case fromFlag:
		return "flag"
	case fromEnv, fromFile:
		return s.where
	}
	return "default"
}

// sources maps each flag's name to where its value came from.
type sources map[string]source

// envRef finds the environment variable a flag's usage names: every flag
// ends its usage with "(HIGATE_...)", which is both what -h shows and the
// variable read (a test holds every serve flag to it).
var envRef = regexp.MustCompile(`\((HIGATE_[A-Z0-9_]+)\)`)

// envName is the environment variable of f, "" if its usage names none.
func envName(f *flag.Flag) string {
	m := envRef.FindAllStringSubmatch(f.Usage, -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

// sourcesOf says, after fs.Parse, which flags came from the command line
// and which from the environment (read as defaults when the flags were
// registered); the rest have their defaults until a config file is applied.
func sourcesOf(fs *flag.FlagSet, getenv func(string) string) sources {
	src := sources{}
	fs.VisitAll(func(f *flag.Flag) {
		if name := envName(f); name != "" && getenv(name) != "" {
			src[f.Name] = source{kind: fromEnv, where: name}
		}
	})
	fs.Visit(func(f *flag.Flag) { src[f.Name] = source{kind: fromFlag} })
	return src
}

// apply sets, through fs, each setting of the file that neither the
// command line nor the environment gave, and records it in src. A key
// that is no flag of fs is an error, as is one whose value the flag
// refuses; the error names the line, never a secret's value.
func (cf *configFile) apply(fs *flag.FlagSet, src sources) error {
	for _, e := range cf.entries {
		f := fs.Lookup(e.key)
		switch {
		case e.key == "config":
			return fmt.Errorf("config file %s line %d: config cannot name another file", cf.path, e.line)
		case f == nil:
			return fmt.Errorf("config file %s line %d: unknown setting %q (settings are named like the flags of higate serve -h, without dashes)",
				cf.path, e.line, e.key)
		case src[e.key].kind > fromFile:
			continue // the command line or the environment wins
		}
		if err := fs.Set(e.key, e.value); err != nil {
			shown := strconv.Quote(e.value)
			if secretSettings[e.key] {
				shown = "(secret)"
			}
			return fmt.Errorf("config file %s line %d: %s = %s: %w", cf.path, e.line, e.key, shown, err)
		}
		src[e.key] = source{kind: fromFile, where: fmt.Sprintf("%s:%d", cf.path, e.line)}
	}
	return nil
}
