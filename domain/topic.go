package domain

import (
	"fmt"
	"strings"
)

// MaxTopicLength bounds a topic, a sub-topic and a subscription pattern.
const MaxTopicLength = 200

// ValidTopic checks an event's topic or sub-topic: 1-200 printable ASCII
// characters without spaces (orders/placed, order-created, product:adv/adv-120).
func ValidTopic(t string) error {
	if t == "" || len(t) > MaxTopicLength {
		return fmt.Errorf("topic must be 1-%d characters", MaxTopicLength)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("topic %q: only printable ASCII without spaces is allowed", t)
		}
	}
	return nil
}

// ValidTopicPattern checks a subscription pattern: a topic, a prefix
// ending in "/*", or "*".
func ValidTopicPattern(p string) error {
	if p == "*" {
		return nil
	}
	if err := ValidTopic(strings.TrimSuffix(p, "/*")); err != nil {
		return err
	}
	if strings.Contains(strings.TrimSuffix(p, "/*"), "*") {
		return fmt.Errorf("topic pattern %q: '*' is only allowed as a whole last segment (orders/*)", p)
	}
	return nil
}

// MatchTopic reports whether an endpoint subscribed to pattern receives
// topic: patterns match exactly, by a trailing "/*" (orders/* matches
// orders/placed and orders/a/b, not orders), or "*" for everything.
// Patterns are checked by ValidTopicPattern when they are saved.
func MatchTopic(pattern, topic string) bool {
	if pattern == "*" || pattern == topic {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "/*"); ok {
		return strings.HasPrefix(topic, prefix+"/")
	}
	return false
}
