package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"hooks/client"
)

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
