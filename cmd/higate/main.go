// Command higate runs the Higate WhatsApp gateway.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "higate:", err)
		os.Exit(1)
	}
}

const usage = `usage: higate <command> [flags]

commands:
  serve     run the gateway (higate serve -h for flags)
  pair      link a real WhatsApp number to an instance (QR code in the terminal)
  rotate    make a standby number an instance's active number
  numbers   list gateway numbers with their state
  paypal    paypal setup: create the PayPal product and plans, print their IDs
  version   print the version

pair, rotate and numbers talk to the running gateway (--server, --admin-token-file).
`

// run is the whole program, so tests can run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[1] {
	case "serve":
		cfg, err := parseServeFlags(args[2:], getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, stderr)
	case "pair":
		return pairCmd(ctx, args[2:], getenv, stdout, stderr)
	case "rotate":
		return rotateCmd(ctx, args[2:], getenv, stdout, stderr)
	case "numbers":
		return numbersCmd(ctx, args[2:], getenv, stdout, stderr)
	case "paypal":
		return paypalCmd(ctx, args[2:], getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "higate", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[1])
}
