package delivery

import (
	"strings"
	"testing"

	"hooks/domain"
)

func TestScrubCredentialsHidesBrokerUserinfo(t *testing.T) {
	d := &domain.Destination{Type: domain.DestinationRabbitMQ, URL: "amqp://hooks:pa%40ss@mq.example:5672/vh"}
	for _, msg := range []string{
		`dial amqp://hooks:pa%40ss@mq.example:5672/vh: connection refused`,
		`Exception (403) Reason: "username or password not allowed" for hooks/pa@ss`,
		`redirected to amqp://other:secret2@mq2.example:5672/`,
	} {
		got := scrubCredentials(msg, d)
		for _, secret := range []string{"pa%40ss", "pa@ss", "secret2"} {
			if strings.Contains(got, secret) {
				t.Errorf("scrubCredentials(%q) = %q: shows %q", msg, got, secret)
			}
		}
		if !strings.Contains(got, domain.CredentialMask) {
			t.Errorf("scrubCredentials(%q) = %q: no mask", msg, got)
		}
	}
	tok := &domain.Destination{Type: domain.DestinationNATS, URL: "nats://t0ken@n.example:4222"}
	if got := scrubCredentials("nats: authorization violation for t0ken", tok); strings.Contains(got, "t0ken") {
		t.Errorf("token shown: %q", got)
	}
}
