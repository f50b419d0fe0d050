package store

import (
	"hooks/domain"
	"strings"
	"testing"
)

// FuzzMatchTopic checks MatchTopic on any strings, valid or not: it never
// panics, every pattern matches itself, "*" matches everything, a pattern
// without '*' matches only itself, and a "p/*" match is always a topic
// under "p/" (or the pattern itself). Sub-topic filters follow the same
// rules through Webhook.Subscribed. The seed corpus is in
// testdata/fuzz/FuzzMatchTopic.
func FuzzMatchTopic(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, topic, subPattern, subTopic string) {
		got := domain.MatchTopic(pattern, topic)
		if !domain.MatchTopic(pattern, pattern) || !domain.MatchTopic("*", topic) {
			t.Fatalf("reflexivity or * broken for %q, %q", pattern, topic)
		}
		if !strings.Contains(pattern, "*") && got != (pattern == topic) {
			t.Fatalf("MatchTopic(%q, %q) = %v for a pattern without *", pattern, topic, got)
		}
		if prefix, ok := strings.CutSuffix(pattern, "/*"); ok && got && topic != pattern && !strings.HasPrefix(topic, prefix+"/") {
			t.Fatalf("MatchTopic(%q, %q) matched outside %s/", pattern, topic, prefix)
		}
		w := &domain.Endpoint{Topics: []string{pattern}}
		if w.Subscribed(topic, subTopic) != got {
			t.Fatalf("Subscribed with no sub-topic filter disagrees with MatchTopic")
		}
		w.SubTopics = []string{subPattern}
		if w.Subscribed(topic, subTopic) != (got && domain.MatchTopic(subPattern, subTopic)) {
			t.Fatalf("Subscribed(%q, %q) with filter %q wrong", topic, subTopic, subPattern)
		}
	})
}
