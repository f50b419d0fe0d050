package domain_test

import (
	"hooks/domain"
	"strings"
	"testing"
)

// FuzzMatchTopic checks MatchTopic on any strings, valid or not: it never
// panics, every pattern matches itself, "*" matches everything, a pattern
// without '*' matches only itself, and a "p/*" match is always a topic
// under "p/" (or the pattern itself). Sub-topic filters follow the same
// rules through Endpoint.Subscribed. The seed corpus is in
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

// FuzzTopicPattern checks subscription patterns against event topics: the
// validators never panic, and for a valid pattern and topic, matching is
// exactly what the API documents — "*" matches every topic, "p/*" matches
// the topics under "p/", and any other pattern matches only itself.
// The seed corpus is in testdata/fuzz/FuzzTopicPattern.
func FuzzTopicPattern(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, topic string) {
		patErr := domain.ValidTopicPattern(pattern)
		topErr := domain.ValidTopic(topic)
		if topErr == nil && !strings.Contains(topic, "*") && domain.ValidTopicPattern(topic) != nil {
			t.Fatalf("topic %q is valid but not as an exact pattern", topic)
		}
		if patErr != nil || topErr != nil {
			return
		}
		if len(pattern) > domain.MaxTopicLength || len(topic) > domain.MaxTopicLength {
			t.Fatalf("valid but too long: %q, %q", pattern, topic)
		}
		got := domain.MatchTopic(pattern, topic)
		var want bool
		switch prefix, wild := strings.CutSuffix(pattern, "/*"); {
		case pattern == "*":
			want = true
		case wild:
			want = strings.HasPrefix(topic, prefix+"/") || topic == pattern
		default:
			want = pattern == topic
		}
		if got != want {
			t.Fatalf("MatchTopic(%q, %q) = %v, want %v", pattern, topic, got, want)
		}
		if !domain.MatchTopic(pattern, pattern) || !domain.MatchTopic("*", topic) {
			t.Fatalf("a valid pattern must match itself and * must match %q", topic)
		}
		w := &domain.Endpoint{Topics: []string{pattern}}
		if w.Subscribed(topic, "") != got {
			t.Fatalf("Subscribed disagrees with MatchTopic for %q, %q", pattern, topic)
		}
	})
}
