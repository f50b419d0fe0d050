package delivery

import (
	"testing"

	"hooks/domain"
)

func TestRetryable(t *testing.T) {
	const timeout, network = true, false
	pps := domain.RetryPolicy{RetryOn: domain.RetryOnTokens("403", "5xx", "timeout", "network")}
	def := domain.RetryPolicy{RetryOn: domain.RetryOnPreset(domain.RetryOn5xx)}
	any := domain.RetryPolicy{RetryOn: domain.RetryOnPreset(domain.RetryOnNon2xx)}
	onlyTimeout := domain.RetryPolicy{RetryOn: domain.RetryOnTokens("4xx", "timeout")}
	for _, c := range []struct {
		name     string
		p        domain.RetryPolicy
		code     int
		timedOut bool
		want     bool
	}{
		{"preset 5xx: 503", def, 503, false, true},
		{"preset 5xx: 429", def, 429, false, true},
		{"preset 5xx: 408", def, 408, false, true},
		{"preset 5xx: 404", def, 404, false, false},
		{"preset 5xx: timeout", def, 0, timeout, true},
		{"preset 5xx: network", def, 0, network, true},
		{"preset non-2xx: 404", any, 404, false, true},
		{"PPS: 403", pps, 403, false, true},
		{"PPS: 404", pps, 404, false, false},
		{"PPS: 429 is not in the list", pps, 429, false, false},
		{"PPS: 500", pps, 500, false, true},
		{"PPS: timeout", pps, 0, timeout, true},
		{"PPS: network", pps, 0, network, true},
		{"4xx+timeout: 418", onlyTimeout, 418, false, true},
		{"4xx+timeout: 502", onlyTimeout, 502, false, false},
		{"4xx+timeout: timeout", onlyTimeout, 0, timeout, true},
		{"4xx+timeout: refused", onlyTimeout, 0, network, false},
	} {
		if got := retryable(c.p, c.code, c.timedOut); got != c.want {
			t.Errorf("%s: retryable = %v, want %v", c.name, got, c.want)
		}
	}
}
