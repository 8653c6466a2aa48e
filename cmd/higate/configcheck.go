package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
)

// configCmd is `higate config check [serve's flags]`: it reads the
// configuration as serve would (flags, environment, --config file),
// validates it, and prints every setting's effective value and where it
// came from, secrets masked. An invalid configuration is an error, which
// main prints as one line and exits 1 with.
func configCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: higate config check [--config FILE] [serve's flags]   (higate serve -h lists them)")
		return errors.New("config: unknown or missing subcommand")
	}
	s, err := parseServe(args[1:], getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("invalid configuration: %w", err)
	}
	fmt.Fprintln(stdout, "# higate serve's effective settings: command line > environment > config file > default")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tFROM")
	s.fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, s.shown(f), s.sources[f.Name])
	})
	tw.Flush()
	fmt.Fprintf(stdout, "\nThe configuration is valid: admin API %s, sandbox %s, billing %s, TLS %s.\n",
		onOff(s.AdminToken != ""), onOff(s.Sandbox), onOff(s.Billing.Enabled()), s.TLS.Mode())
	return nil
}

// shown is a flag's effective value as config check prints it: secrets
// masked, an SMTP URL with its password masked, an empty value as "-".
func (s serveSettings) shown(f *flag.Flag) string {
	v := f.Value.String()
	switch f.Name {
	case "admin-token":
		v = s.token.token
	case "paypal-secret":
		v = s.Billing.PayPalSecret
	case "smtp-url":
		v = redactURL(s.Billing.SMTPURL)
	}
	switch {
	case v == "":
		return "-"
	case f.Name == "admin-token" || f.Name == "paypal-secret":
		return "********"
	}
	return v
}

// redactURL masks the password of a URL: smtp://user:xxxxx@host.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "********" // unparsable: it may be all secret
	}
	return u.Redacted() // the password as xxxxx
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
