// Command higate runs the Higate WhatsApp gateway.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"higate/registry"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := report(run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// report prints err, if any, as one line on stderr and returns the exit
// status: an operator reads what went wrong and what to do, not a trace.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "higate:", strings.Join(strings.Fields(err.Error()), " "))
	return 1
}

const usage = `usage: higate <command> [flags]

commands:
  serve     run the gateway (higate serve -h for flags)
  check     read every page of the registry and check it (stop the gateway first)
  backup    download a consistent backup from the running gateway
  restore   restore a backup into the data directory of a stopped gateway
  health    exit 0 if the running gateway answers /healthz (container health checks)
  pair      link a real WhatsApp number to an instance (QR code in the terminal)
  rotate    make a standby number an instance's active number
  numbers   list gateway numbers with their state
  paypal    paypal setup: create the PayPal product and plans, print their IDs
  version   print the version (also --version)
  help      print this (also -h, --help)

pair, rotate, numbers and backup talk to the running gateway (--server, --admin-token-file).
`

// run is the whole program, so tests can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	command, rest := args[1], args[2:]
	// Asked for, a command's flag usage goes to stdout and the command
	// succeeds (flag.ErrHelp), as -h does everywhere else.
	flagOut := stderr
	if wantsHelp(rest) {
		flagOut = stdout
	}
	var err error
	switch command {
	case "serve":
		var cfg config
		if cfg, err = parseServeFlags(rest, getenv, flagOut); err == nil {
			err = serve(ctx, cfg, stdout, stderr)
		}
	case "check":
		err = checkCmd(rest, getenv, stdout, flagOut)
	case "backup":
		err = backupCmd(ctx, rest, getenv, stdout, flagOut)
	case "restore":
		err = restoreCmd(rest, stdout, flagOut)
	case "health":
		err = healthCmd(ctx, rest, stdout, flagOut)
	case "pair":
		err = pairCmd(ctx, rest, getenv, stdout, flagOut)
	case "rotate":
		err = rotateCmd(ctx, rest, getenv, stdout, flagOut)
	case "numbers":
		err = numbersCmd(ctx, rest, getenv, stdout, flagOut)
	case "paypal":
		err = paypalCmd(ctx, rest, getenv, stdout, flagOut)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "higate", version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", command)
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// wantsHelp reports whether args ask for help: -h, -help or --help
// before a "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

// checkCmd is `higate check`: bbolt's full consistency check of the
// registry, which serve does not run at start-up for its cost.
func checkCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := getenv("HIGATE_DATA")
	if def == "" {
		def = "./data"
	}
	data := fs.String("data", def, "data directory (HIGATE_DATA)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	rep, err := registry.Check(*data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registry %s is sound: %d records, %.1f MB, checked in %s\n",
		filepath.Join(*data, "higate.db"), rep.Records, float64(rep.Size)/(1<<20), time.Since(start).Round(time.Millisecond))
	return nil
}
