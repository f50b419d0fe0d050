package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"hooks/delivery/listen"
	"hooks/web/client"
)

// usageError prints why a command line is wrong and returns ErrUsage
// (exit status 2).
func usageError(w io.Writer, format string, args ...any) error {
	fmt.Fprintf(w, format+"\n", args...)
	return ErrUsage
}

// apiFlags are the flags of every command that talks to a running server.
type apiFlags struct {
	url, key, tenant, output string
}

func (a *apiFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&a.url, "url", "http://localhost:8080", "the hooks server")
	fs.StringVar(&a.key, "key", "", "an API key (hooks apikey create)")
	fs.StringVar(&a.tenant, "tenant", "", "act on this tenant (keys not bound to one)")
	fs.StringVar(&a.output, "output", "table", "table or json")
}

func (a *apiFlags) client(stderr io.Writer, version string) (*client.Client, error) {
	if a.output != "table" && a.output != "json" {
		return nil, usageError(stderr, "--output %q: want table or json", a.output)
	}
	if a.key == "" {
		return nil, usageError(stderr, "an API key is required: pass --key or set HOOKS_KEY (create one with: hooks apikey create)")
	}
	c := client.New(a.url, a.key)
	c.Tenant, c.UserAgent = a.tenant, "hooks-cli/"+version
	return c, nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Send is "hooks send": it posts one event and prints its id.
func Send(ctx context.Context, args []string, stdout, stderr io.Writer, version string) error {
	var a apiFlags
	var topic, subTopic, data, idem string
	fs := newFlagSet("hooks send", stderr)
	a.define(fs)
	fs.StringVar(&topic, "topic", "", "the event's topic, e.g. orders/placed (required)")
	fs.StringVar(&subTopic, "sub-topic", "", "the event's sub-topic")
	fs.StringVar(&data, "data", "{}", "the event's data: JSON, @file, or @- for stdin")
	fs.StringVar(&idem, "idempotency-key", "", "the same key again returns the first event instead of a second one")
	if _, err := Parse(fs, args); err != nil {
		return err
	}
	if topic == "" {
		return usageError(stderr, "hooks send: --topic is required, e.g. --topic orders/placed")
	}
	c, err := a.client(stderr, version)
	if err != nil {
		return err
	}
	raw := []byte(data)
	if name, ok := strings.CutPrefix(data, "@"); ok {
		if name == "-" {
			raw, err = io.ReadAll(os.Stdin)
		} else {
			raw, err = os.ReadFile(name)
		}
		if err != nil {
			return fmt.Errorf("--data: %w", err)
		}
	}
	if !json.Valid(raw) {
		return usageError(stderr, "hooks send: --data is not valid JSON")
	}
	acc, err := c.SendEvent(ctx, client.Event{Topic: topic, SubTopic: subTopic, Data: raw}, idem)
	if err != nil {
		return err
	}
	if a.output == "json" {
		return writeJSON(stdout, map[string]any{"id": acc.ID, "deliveries": acc.Deliveries, "replayed": acc.Replayed})
	}
	note := ""
	if acc.Replayed {
		note = " (idempotency key seen before: this is the first event, not stored again)"
	}
	fmt.Fprintf(stdout, "✔ event %s accepted: %d %s%s\n", acc.ID, acc.Deliveries, plural(acc.Deliveries, "delivery", "deliveries"), note)
	if acc.Deliveries == 0 {
		fmt.Fprintf(stderr, "note: no enabled endpoint subscribes to %q, so nothing will be sent\n", topic)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Endpoints is "hooks endpoints list|create|disable".
func Endpoints(ctx context.Context, args []string, stdout, stderr io.Writer, version string) error {
	const usage = "usage: hooks endpoints list | create --endpoint-url URL --events T,… | disable ID   [--url U --key K --output table|json]"
	if len(args) == 0 {
		return usageError(stderr, usage)
	}
	var a apiFlags
	fs := newFlagSet("hooks endpoints "+args[0], stderr)
	a.define(fs)
	switch args[0] {
	case "list":
		limit := fs.Int("limit", 50, "endpoints per page (1-250)")
		cursor := fs.String("cursor", "", "the next page's cursor, from a previous list")
		if _, err := Parse(fs, args[1:]); err != nil {
			return err
		}
		c, err := a.client(stderr, version)
		if err != nil {
			return err
		}
		page, err := c.Webhooks(ctx, *cursor, *limit)
		if err != nil {
			return err
		}
		if a.output == "json" {
			return writeJSON(stdout, page)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tURL\tEVENTS\tSCHEME\tENABLED")
		for _, w := range page.Data {
			enabled := "yes"
			if !w.IsEnabled {
				enabled = "no"
				if w.DisabledReason != "" {
					enabled += " (" + w.DisabledReason + ")"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", w.ID, w.Name, w.URL, strings.Join(w.Events, ","), w.Signing.Scheme, enabled)
		}
		tw.Flush()
		if page.NextCursor != "" {
			fmt.Fprintf(stderr, "more: --cursor %s\n", page.NextCursor)
		}
		return nil
	case "create":
		var in client.NewWebhook
		var events, subTopics, scheme, header, encoding, prefix string
		fs.StringVar(&in.URL, "endpoint-url", "", "where the webhooks go (required)")
		fs.StringVar(&events, "events", "", "comma-separated topics it receives: exact, prefix/* or * (required)")
		fs.StringVar(&subTopics, "sub-topics", "", "comma-separated sub-topics to narrow to")
		fs.StringVar(&in.Name, "name", "", "a name to recognise it by")
		fs.StringVar(&scheme, "scheme", "", "standard-webhooks (default), hmac-sha256, shared-secret or jwt")
		fs.StringVar(&header, "header", "", "hmac-sha256/shared-secret: the header that carries the signature or secret")
		fs.StringVar(&encoding, "encoding", "", "hmac-sha256: hex or base64")
		fs.StringVar(&prefix, "prefix", "", "hmac-sha256: text before the signature, e.g. sha256=")
		fs.StringVar(&in.Secret, "secret", "", "use this secret instead of a generated one")
		fs.StringVar(&in.Envelope, "envelope", "", "raw (default) or standard")
		if _, err := Parse(fs, args[1:]); err != nil {
			return err
		}
		if in.URL == "" || events == "" {
			return usageError(stderr, "hooks endpoints create: --endpoint-url and --events are required")
		}
		c, err := a.client(stderr, version)
		if err != nil {
			return err
		}
		in.Events, in.SubTopics = splitList(events), splitList(subTopics)
		if scheme != "" || header != "" || encoding != "" || prefix != "" {
			in.Signing = &client.Signing{Scheme: scheme, Header: header, Encoding: encoding, Prefix: prefix}
		}
		w, err := c.CreateWebhook(ctx, in)
		if err != nil {
			return err
		}
		if a.output == "json" {
			return writeJSON(stdout, w)
		}
		fmt.Fprintf(stdout, "✔ endpoint %s created for %s (%s)\n", w.ID, strings.Join(w.Events, ","), w.Signing.Scheme)
		fmt.Fprintf(stdout, "secret: %s\n", w.Secret)
		fmt.Fprintf(stderr, "keep the secret: your receiver verifies signatures with it (it stays readable at GET /api/v1/webhooks/%s/secret)\n", w.ID)
		return nil
	case "disable", "enable":
		_, ids, err := ParseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if len(ids) != 1 {
			return usageError(stderr, "usage: hooks endpoints %s ID", args[0])
		}
		c, err := a.client(stderr, version)
		if err != nil {
			return err
		}
		w, err := c.SetWebhookEnabled(ctx, ids[0], args[0] == "enable")
		if err != nil {
			return err
		}
		if a.output == "json" {
			return writeJSON(stdout, w)
		}
		fmt.Fprintf(stdout, "✔ endpoint %s %sd\n", w.ID, args[0])
		return nil
	}
	return usageError(stderr, usage)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Deliveries is "hooks deliveries list|redeliver".
func Deliveries(ctx context.Context, args []string, stdout, stderr io.Writer, version string) error {
	const usage = "usage: hooks deliveries list [--endpoint ID --status S --topic T] | redeliver ID   [--url U --key K --output table|json]"
	if len(args) == 0 {
		return usageError(stderr, usage)
	}
	var a apiFlags
	fs := newFlagSet("hooks deliveries "+args[0], stderr)
	a.define(fs)
	switch args[0] {
	case "list":
		var f client.DeliveryFilter
		fs.StringVar(&f.WebhookID, "endpoint", "", "only this endpoint's (wbh_…)")
		fs.StringVar(&f.Status, "status", "", "pending, retrying, succeeded, failed, awaiting_callback or cancelled")
		fs.StringVar(&f.Topic, "topic", "", "only this topic")
		fs.StringVar(&f.Cursor, "cursor", "", "the next page's cursor, from a previous list")
		fs.IntVar(&f.Limit, "limit", 20, "deliveries per page (1-250)")
		if _, err := Parse(fs, args[1:]); err != nil {
			return err
		}
		c, err := a.client(stderr, version)
		if err != nil {
			return err
		}
		page, err := c.Deliveries(ctx, f)
		if err != nil {
			return err
		}
		if a.output == "json" {
			return writeJSON(stdout, page)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tTOPIC\tATTEMPTS\tLAST\tENDPOINT\tCREATED")
		for _, d := range page.Data {
			last := "-"
			if d.LastStatusCode != 0 {
				last = strconv.Itoa(d.LastStatusCode)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.Status, d.Topic, d.AttemptCount, last, d.WebhookID,
				d.CreatedAt.Local().Format(time.DateTime))
		}
		tw.Flush()
		if page.NextCursor != "" {
			fmt.Fprintf(stderr, "more: --cursor %s\n", page.NextCursor)
		}
		return nil
	case "redeliver":
		_, ids, err := ParseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if len(ids) != 1 {
			return usageError(stderr, "usage: hooks deliveries redeliver ID")
		}
		c, err := a.client(stderr, version)
		if err != nil {
			return err
		}
		d, err := c.Redeliver(ctx, ids[0])
		if err != nil {
			return err
		}
		if a.output == "json" {
			return writeJSON(stdout, d)
		}
		fmt.Fprintf(stdout, "✔ delivery %s queued for another attempt (same webhook id)\n", d.ID)
		return nil
	}
	return usageError(stderr, usage)
}

// Listen is "hooks listen": a local receiver that prints every delivery
// and checks its signature, until ctx is done.
func Listen(ctx context.Context, args []string, stdout, stderr io.Writer, color bool) error {
	var o listen.Options
	var host string
	var port int
	fs := newFlagSet("hooks listen", stderr)
	fs.StringVar(&host, "host", "127.0.0.1", "address to listen on")
	fs.IntVar(&port, "port", 9000, "port to listen on (0 picks a free one)")
	fs.StringVar(&o.Secret, "secret", "", "the endpoint's secret (all schemes but jwt)")
	fs.StringVar(&o.Scheme, "scheme", listen.SchemeStandard, "standard-webhooks, hmac-sha256, shared-secret or jwt")
	fs.StringVar(&o.Header, "header", "", "hmac-sha256/shared-secret: the header to check (default X-Hooks-Signature / X-Hooks-Secret)")
	fs.StringVar(&o.Encoding, "encoding", "hex", "hmac-sha256: hex or base64")
	fs.StringVar(&o.Prefix, "prefix", "", "hmac-sha256: text before the signature, e.g. sha256=")
	fs.StringVar(&o.JWKSURL, "jwks-url", "", "jwt: the JWK Set URL (default <issuer>/.well-known/jwks.json)")
	fs.StringVar(&o.Issuer, "issuer", "", "jwt: the expected issuer, <public-url>/<tenant>")
	fs.StringVar(&o.Audience, "audience", "", "jwt: the expected audience, the tenant id")
	if _, err := Parse(fs, args); err != nil {
		return err
	}
	rc, err := listen.New(o, stdout, color)
	if err != nil {
		return usageError(stderr, "hooks listen: %v", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	scheme := o.Scheme
	if scheme == "" {
		scheme = listen.SchemeStandard
	}
	fmt.Fprintf(stderr, "Ready! Listening on http://%s, checking %s signatures. Ctrl-C to stop.\n", ln.Addr(), scheme)
	fmt.Fprintf(stderr, "Point an endpoint at it; the server must allow loopback targets (hooks serve --dev).\n\n")
	select {
	case <-ctx.Done():
	case err := <-done:
		return err
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// RunListen is Listen until SIGINT or SIGTERM, with colours when stdout
// is a terminal.
func RunListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Listen(ctx, args, stdout, stderr, isTerminal(stdout))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == ""
}
