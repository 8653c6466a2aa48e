package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// maxTokenFile bounds what is read of an admin token file: a token is a
// line, and a path given by mistake (a log, a binary) should fail fast.
const maxTokenFile = 4 << 10

// adminToken is where the admin token comes from: --admin-token,
// --admin-token-file, or their environment twins. serve and the operator
// commands (pair, numbers, rotate) share it. A token given on the command
// line shows in the process list (ps, /proc/<pid>/cmdline) to every user of
// the machine, so the help and the README recommend the file or the
// environment variable.
type adminToken struct {
	fs          *flag.FlagSet
	token, file string // after Parse: the flags' values, or the environment's
}

// registerAdminToken adds --admin-token and --admin-token-file to fs, with
// HIGATE_ADMIN_TOKEN and HIGATE_ADMIN_TOKEN_FILE as their defaults. The
// token's value never shows in -h output.
func registerAdminToken(fs *flag.FlagSet, getenv func(string) string) *adminToken {
	t := &adminToken{fs: fs, token: getenv("HIGATE_ADMIN_TOKEN"), file: getenv("HIGATE_ADMIN_TOKEN_FILE")}
	fs.Var(secretValue{&t.token}, "admin-token", "admin API bearer token; it shows in the process list, so prefer --admin-token-file or the environment (HIGATE_ADMIN_TOKEN)")
	fs.StringVar(&t.file, "admin-token-file", t.file, "file holding the admin API bearer token, one line, mode 0600 (HIGATE_ADMIN_TOKEN_FILE)")
	return t
}

// resolve returns the admin token after fs.Parse, "" if none is given. A
// flag on the command line beats the environment; two sources at the same
// level are an error rather than a guess. A token file's surrounding
// whitespace (its trailing newline) is trimmed. A file that other users may
// read or write is used, with a warning to warn: refusing it would break
// the usual secret mounts of containers (Kubernetes and Docker make them
// 0644 and 0444 by default), where no other user shares the file system.
func (t *adminToken) resolve(warn io.Writer) (string, error) {
	set := map[string]bool{}
	t.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	token, file := t.token, t.file
	switch {
	case set["admin-token"] && set["admin-token-file"]:
		return "", errors.New("give --admin-token or --admin-token-file, not both")
	case set["admin-token"]:
		file = ""
	case set["admin-token-file"]:
		token = ""
	case token != "" && file != "":
		return "", errors.New("set HIGATE_ADMIN_TOKEN or HIGATE_ADMIN_TOKEN_FILE, not both")
	}
	if file == "" {
		return token, nil
	}
	return readTokenFile(file, warn)
}

// readTokenFile reads an admin token file (see resolve).
func readTokenFile(path string, warn io.Writer) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("--admin-token-file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("--admin-token-file: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("--admin-token-file: %w", err)
	}
	if len(data) > maxTokenFile {
		return "", fmt.Errorf("--admin-token-file %s: larger than %d bytes; it should hold only the token", path, maxTokenFile)
	}
	token := strings.TrimSpace(string(data))
	switch {
	case token == "":
		return "", fmt.Errorf("--admin-token-file %s is empty; put the token in it, e.g. openssl rand -hex 24 > %s", path, path)
	case strings.ContainsAny(token, "\r\n"):
		return "", fmt.Errorf("--admin-token-file %s holds more than one line; it should hold only the token", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && fi.Mode().IsRegular() && perm&0o077 != 0 {
		fmt.Fprintf(warn, "higate: warning: the admin token file %s can be read or changed by other users (mode %04o); chmod 600 %s\n", path, perm, path)
	}
	return token, nil
}
