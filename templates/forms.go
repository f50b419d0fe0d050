package templates

import (
	"fmt"
	"net/url"
	"strings"
)

// WebhookFormFromValues reads the webhook form as posted (see WebhookForm for
// the field names). Nothing is validated here; that is the handler's job.
func WebhookFormFromValues(v url.Values) WebhookForm {
	return WebhookForm{
		Name: strings.TrimSpace(v.Get("name")),
		URL:  strings.TrimSpace(v.Get("url")),
		Destination: DestinationForm{Type: v.Get("destination_type"), URL: strings.TrimSpace(v.Get("dest_url")),
			Exchange: strings.TrimSpace(v.Get("dest_exchange")), RoutingKey: strings.TrimSpace(v.Get("dest_routing_key")),
			Brokers: v.Get("dest_brokers"), Topic: strings.TrimSpace(v.Get("dest_topic")), Subject: strings.TrimSpace(v.Get("dest_subject")),
			Stream: strings.TrimSpace(v.Get("dest_stream")), MaxLen: strings.TrimSpace(v.Get("dest_max_len"))},
		Events:          v.Get("events"),
		CatalogEvents:   v["catalog_events"],
		SubTopics:       v.Get("sub_topics"),
		Filter:          strings.TrimSpace(v.Get("filter")),
		Enabled:         v.Get("enabled") != "",
		Scheme:          v.Get("signing_scheme"),
		SignatureHeader: strings.TrimSpace(v.Get("signing_header")),
		Encoding:        v.Get("signing_encoding"),
		Prefix:          v.Get("signing_prefix"),
		AlsoScheme:      v.Get("signing_also"),
		AlsoHeader:      strings.TrimSpace(v.Get("signing_also_header")),
		Secret:          v.Get("secret"),
		SecretEntered:   v.Get("secret") != "",
		HeaderPrefix:    strings.TrimSpace(v.Get("header_prefix")),
		Envelope:        v.Get("envelope"),
		Template:        v.Get("template"),
		RetrySchedule:   v.Get("retry_schedule"),
		RetryInterval:   strings.TrimSpace(v.Get("retry_interval")),
		MaxAttempts:     strings.TrimSpace(v.Get("max_attempts")),
		RetryOn:         v.Get("retry_on"),
		RetryTokens:     strings.TrimSpace(v.Get("retry_on_tokens")),
		Timeout:         strings.TrimSpace(v.Get("timeout")),
		RateLimit:       strings.TrimSpace(v.Get("rate_limit")),
		Headers:         v.Get("headers"),
		Metadata:        v.Get("metadata"),
	}
}

// NewWebhookForm is the create form's starting point: the defaults hooks uses.
func NewWebhookForm() WebhookForm {
	return WebhookForm{
		Destination:   DestinationForm{Type: DestHTTP},
		Enabled:       true,
		Scheme:        SchemeStandard,
		Encoding:      "hex",
		Envelope:      "raw",
		HeaderPrefix:  "X-Hooks-",
		RetrySchedule: "exponential",
		RetryInterval: "30",
		MaxAttempts:   "10",
		RetryOn:       "default",
		Timeout:       "5",
	}
}

// SendEventFormFromValues reads the "Send test event" form as posted.
func SendEventFormFromValues(v url.Values) SendEventForm {
	return SendEventForm{
		Topic:    strings.TrimSpace(v.Get("topic")),
		SubTopic: strings.TrimSpace(v.Get("sub_topic")),
		Data:     v.Get("data"),
	}
}

// DeliveryFilterFromValues reads the delivery log's filter query.
func DeliveryFilterFromValues(v url.Values) DeliveryFilter {
	return DeliveryFilter{
		Status: v.Get("status"),
		Topic:  strings.TrimSpace(v.Get("topic")),
		From:   strings.TrimSpace(v.Get("from")),
		To:     strings.TrimSpace(v.Get("to")),
	}
}

// Query returns the filter as URL query values, without empty ones.
func (f DeliveryFilter) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "topic": f.Topic, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// IsZero reports whether no filter is set.
func (f DeliveryFilter) IsZero() bool { return f == DeliveryFilter{} }

// SplitList splits a multi-entry field (one item per line, or separated by
// commas) into its trimmed, non-empty, de-duplicated items.
func SplitList(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		item = strings.TrimSpace(item)
		if item != "" && !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return out
}

// JoinList is the inverse of SplitList: one item per line.
func JoinList(items []string) string { return strings.Join(items, "\n") }

// ParsePairs reads "key<sep>value" lines (sep ':' for headers, '=' for
// metadata), skipping blank lines. It reports the first malformed line.
func ParsePairs(s string, sep byte) ([]Header, error) {
	var out []Header
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, string(sep))
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("line %d: want %s", i+1, map[byte]string{':': "Name: value", '=': "key=value"}[sep])
		}
		out = append(out, Header{Name: k, Value: strings.TrimSpace(v)})
	}
	return out, nil
}

// FormatPairs is the inverse of ParsePairs: "Name: value" lines for sep ':'
// and "key=value" lines for sep '='.
func FormatPairs(pairs []Header, sep byte) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Name)
		b.WriteByte(sep)
		if sep == ':' {
			b.WriteByte(' ')
		}
		b.WriteString(p.Value)
	}
	return b.String()
}
