package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"higate/gateway/qr"
)

// adminClient talks to a running server's admin API, so the operator
// commands work against the live process (which holds the database).
type adminClient struct {
	base, token string
	http        *http.Client
	tokenFlags  *adminToken
}

// adminFlags registers the flags every operator command shares. After
// fs.Parse the command calls ready.
func adminFlags(fs *flag.FlagSet, getenv func(string) string) *adminClient {
	c := &adminClient{http: &http.Client{Timeout: 30 * time.Second}}
	server := getenv("HIGATE_SERVER")
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	fs.StringVar(&c.base, "server", server, "the running gateway's base URL (HIGATE_SERVER)")
	c.tokenFlags = registerAdminToken(fs, getenv)
	return c
}

// ready resolves the admin token from the parsed flags and the
// environment, warning on stderr about a token file others can read.
func (c *adminClient) ready(stderr io.Writer) error {
	token, err := c.tokenFlags.resolve(stderr)
	if err != nil {
		return err
	}
	if token == "" {
		return errors.New("no admin token: give --admin-token-file, or set HIGATE_ADMIN_TOKEN_FILE or HIGATE_ADMIN_TOKEN")
	}
	c.token = token
	return nil
}

// call sends a request and decodes the JSON answer into out; an error
// response becomes an error with the server's message and remedy.
func (c *adminClient) call(ctx context.Context, method, path string, body, out any) error {
	if c.token == "" {
		return errors.New("no admin token: give --admin-token-file, or set HIGATE_ADMIN_TOKEN_FILE or HIGATE_ADMIN_TOKEN")
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("is the gateway running? %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code            int
			Message, Remedy string
		}
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			return &apiError{Code: e.Code, Message: e.Message, Remedy: e.Remedy}
		}
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// apiError is an error response of the admin API.
type apiError struct {
	Code            int
	Message, Remedy string
}

func (e *apiError) Error() string {
	if e.Remedy == "" {
		return e.Message
	}
	return e.Message + " (" + e.Remedy + ")"
}

// pairCmd adds a whatsmeow number to an instance (or restarts pairing of
// one already there) and shows its QR code in the terminal until the phone
// is linked or pairing fails.
func pairCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pair", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := adminFlags(fs, getenv)
	number := fs.String("number", "", "the gateway number to pair, with country code")
	instance := fs.Uint64("instance", 0, "the instance it serves")
	role := fs.String("role", "standby", "active or standby")
	code := fs.Bool("phone-code", false, "get a code to type on the phone instead of a QR code")
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait for the phone")
	poll := fs.Duration("poll", time.Second, "how often to ask the gateway how the pairing stands")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.ready(stderr); err != nil {
		return err
	}
	if *number == "" {
		return errors.New("give --number")
	}
	path := "/admin/api/numbers/" + url.PathEscape(*number) + "/pairing"
	err := c.call(ctx, "POST", fmt.Sprintf("/admin/api/instances/%d/numbers", *instance),
		map[string]string{"number": *number, "transport": "whatsmeow", "role": *role}, nil)
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusConflict {
		// Already there: pair it again. A 409 for another reason (the
		// instance has an active number and --role is active) leaves a
		// number that is not there, and that conflict is what to show.
		var again *apiError
		if rerr := c.call(ctx, "POST", path, nil, nil); !errors.As(rerr, &again) || again.Code != http.StatusNotFound {
			err = rerr
		}
	}
	if err != nil {
		return err
	}
	if *code {
		var pc struct {
			PairCode string `json:"pair_code"`
		}
		if err := c.call(ctx, "POST", path+"/code", nil, &pc); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "On the phone: WhatsApp > Linked devices > Link a device > Link with phone number instead, and type:\n\n    %s\n\n", pc.PairCode)
	}
	deadline := time.Now().Add(*wait)
	// The state is polled every --poll but printed once, when it changes
	// (a new QR code, a new error), so the terminal shows what happened.
	type pairingState struct{ Step, QR, Message string }
	var last pairingState
	for {
		var st pairingState
		if err := c.call(ctx, "GET", path, nil, &st); err != nil {
			return err
		}
		switch st.Step {
		case "success", "paired":
			fmt.Fprintln(stdout, "Linked. The number connects on its own from now on.")
			return nil
		case "timeout":
			return errors.New("no phone scanned the code in time; run higate pair again")
		}
		if st != last {
			prev := last
			last = st
			switch st.Step {
			case "waiting":
				fmt.Fprintf(stdout, "Waiting for WhatsApp (%s)...\n", st.Message)
			case "code":
				if st.QR != "" && st.QR != prev.QR && !*code {
					fmt.Fprintln(stdout, "Scan with WhatsApp > Linked devices > Link a device:")
					qr.Terminal(stdout, st.QR)
				}
			case "scanned":
				fmt.Fprintln(stdout, "The phone scanned the code; finishing the link...")
			case "error":
				fmt.Fprintln(stderr, "pairing:", st.Message, "- retrying")
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %s (last step %s: %s)", *wait, st.Step, st.Message)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(*poll):
		}
	}
}

// rotateCmd makes a standby number its instance's active number now.
func rotateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := adminFlags(fs, getenv)
	instance := fs.Uint64("instance", 0, "the instance")
	to := fs.String("to", "", "the standby number to make active")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.ready(stderr); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("give --to")
	}
	var out struct{ Active, State string }
	if err := c.call(ctx, "POST", fmt.Sprintf("/admin/api/instances/%d/rotate", *instance), map[string]string{"to": *to}, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "instance %d: %s is active (%s); the previous number is retired\n", *instance, out.Active, out.State)
	return nil
}

// numbersCmd lists every instance's numbers with state, reason and since-when.
func numbersCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("numbers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := adminFlags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.ready(stderr); err != nil {
		return err
	}
	var out struct {
		Instances []struct {
			ID         uint64
			Name       string
			Up         bool
			QueueDepth int `json:"queue_depth"`
			Numbers    []struct{ Number, Transport, Role, State, Reason, Since string }
		}
	}
	if err := c.call(ctx, "GET", "/admin/api/instances", nil, &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tNUMBER\tTRANSPORT\tROLE\tSTATE\tSINCE\tREASON")
	for _, in := range out.Instances {
		for _, n := range in.Numbers {
			fmt.Fprintf(tw, "%d %s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Name, n.Number, n.Transport, n.Role, n.State, n.Since, n.Reason)
		}
	}
	return tw.Flush()
}
