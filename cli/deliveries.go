package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"hooks/client"
)

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
