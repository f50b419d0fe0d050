package delivery_test

import (
	"strings"
	"testing"

	"hooks/delivery"
	"hooks/store"
)

// FuzzTopicPattern checks subscription patterns against event topics: the
// validators never panic, and for a valid pattern and topic, matching is
// exactly what the API documents — "*" matches every topic, "p/*" matches
// the topics under "p/", and any other pattern matches only itself.
// The seed corpus is in testdata/fuzz/FuzzTopicPattern.
func FuzzTopicPattern(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, topic string) {
		patErr := delivery.ValidTopicPattern(pattern)
		topErr := delivery.ValidTopic(topic)
		if topErr == nil && !strings.Contains(topic, "*") && delivery.ValidTopicPattern(topic) != nil {
			t.Fatalf("topic %q is valid but not as an exact pattern", topic)
		}
		if patErr != nil || topErr != nil {
			return
		}
		if len(pattern) > delivery.MaxTopicLength || len(topic) > delivery.MaxTopicLength {
			t.Fatalf("valid but too long: %q, %q", pattern, topic)
		}
		got := store.MatchTopic(pattern, topic)
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
		if !store.MatchTopic(pattern, pattern) || !store.MatchTopic("*", topic) {
			t.Fatalf("a valid pattern must match itself and * must match %q", topic)
		}
		w := &store.Webhook{Topics: []string{pattern}}
		if w.Subscribed(topic, "") != got {
			t.Fatalf("Subscribed disagrees with MatchTopic for %q, %q", pattern, topic)
		}
	})
}
