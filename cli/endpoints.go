package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hooks/client"
)

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
		var events, subTopics, filter, scheme, header, encoding, prefix string
		fs.StringVar(&in.URL, "endpoint-url", "", "where the webhooks go (required)")
		fs.StringVar(&events, "events", "", "comma-separated topics it receives: exact, prefix/* or * (required)")
		fs.StringVar(&subTopics, "sub-topics", "", "comma-separated sub-topics to narrow to")
		fs.StringVar(&filter, "filter", "", `a payload filter, JSON: '{"data":{"total":{"$gte":100}}}'`)
		fs.StringVar(&in.Name, "name", "", "a name to recognise it by")
		fs.StringVar(&scheme, "scheme", "", "standard-webhooks (default), standard-webhooks-v1a, hmac-sha256, shared-secret or jwt")
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
		if filter != "" {
			if !json.Valid([]byte(filter)) {
				return usageError(stderr, "hooks endpoints create: --filter is not valid JSON")
			}
			in.Filter = json.RawMessage(filter)
		}
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
		if w.PublicKey != "" {
			// v1a: the private key stays in hooks; receivers verify with this.
			fmt.Fprintf(stdout, "public key: %s\n", w.PublicKey)
			return nil
		}
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
