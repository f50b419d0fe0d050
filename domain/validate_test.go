package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"hooks/domain"
)

// checks accepts https URLs and any template but "bad", like the engine's
// rules without the network.
var checks = domain.Checks{
	URL: func(raw string) (string, error) {
		if !strings.HasPrefix(raw, "https://") {
			return "", errors.New("the URL must start with https://")
		}
		return raw, nil
	},
	Template: func(t string) error {
		if t == "bad" {
			return errors.New("template line 1, column 1 (at $): bad")
		}
		return nil
	},
	HeaderPrefix: "X-Hooks-",
}

func valid() *domain.Endpoint {
	return &domain.Endpoint{URL: "https://example.com/hook", Topics: []string{"orders/*"}}
}

func TestValidateEndpointNamesTheInputAtFault(t *testing.T) {
	tests := []struct {
		name   string
		change func(*domain.Endpoint)
		field  string
	}{
		{"url", func(e *domain.Endpoint) { e.URL = "http://example.com" }, "url"},
		{"no topics", func(e *domain.Endpoint) { e.Topics = []string{" "} }, "events"},
		{"bad topic", func(e *domain.Endpoint) { e.Topics = []string{"a b"} }, "events"},
		{"bad sub-topic", func(e *domain.Endpoint) { e.SubTopics = []string{"a*b"} }, "subTopics"},
		{"scheme", func(e *domain.Endpoint) { e.Signing.Scheme = "md5" }, "signing.scheme"},
		{"encoding", func(e *domain.Endpoint) { e.Signing = domain.Signing{Scheme: domain.SchemeHMAC, Encoding: "hex2"} }, "signing.encoding"},
		{"prefix", func(e *domain.Endpoint) { e.Signing = domain.Signing{Scheme: domain.SchemeHMAC, Prefix: "a\n"} }, "signing.prefix"},
		{"framing header", func(e *domain.Endpoint) {
			e.Signing = domain.Signing{Scheme: domain.SchemeHMAC, Header: "Content-Length"}
		}, "signing.header"},
		{"header set by hooks", func(e *domain.Endpoint) {
			e.Signing = domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "Webhook-Id"}
		}, "signing.header"},
		{"secret", func(e *domain.Endpoint) { e.Secret = "whsec_short" }, "secret"},
		{"envelope type", func(e *domain.Endpoint) { e.Envelope.Type = "xml" }, "envelope.type"},
		{"template", func(e *domain.Endpoint) { e.Envelope = domain.Envelope{Type: domain.EnvelopeTemplate, Template: "bad"} }, "envelope.template"},
		{"schedule", func(e *domain.Endpoint) { e.Retry.Schedule = "hourly" }, "retry.schedule"},
		{"interval", func(e *domain.Endpoint) { e.Retry.Schedule = domain.ScheduleFixed }, "retry.intervalSeconds"},
		{"retryOn", func(e *domain.Endpoint) { e.Retry.RetryOn = domain.RetryOnPreset("4xx") }, "retry.retryOn"},
		{"max attempts", func(e *domain.Endpoint) { e.Retry.MaxAttempts = domain.MaxAttemptsLimit + 1 }, "retry.maxAttempts"},
		{"timeout", func(e *domain.Endpoint) { e.Timeout = time.Minute }, "timeoutSeconds"},
		{"rate limit", func(e *domain.Endpoint) { e.RateLimit = -1 }, "rateLimit"},
		{"reserved static header", func(e *domain.Endpoint) { e.Headers = map[string]string{"upgrade": "h2c"} }, "headers"},
		{"prefixed static header", func(e *domain.Endpoint) { e.Headers = map[string]string{"X-Hooks-Topic": "x"} }, "headers"},
		{"metadata", func(e *domain.Endpoint) { e.Metadata = map[string]string{"": "x"} }, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid()
			tt.change(e)
			err := domain.ValidateEndpoint(e, checks)
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != tt.field || de.Message == "" {
				t.Fatalf("ValidateEndpoint = %#v, want EINVALID on %q with a message", err, tt.field)
			}
			if top, _, _ := strings.Cut(tt.field, "."); de.TopField() != top {
				t.Errorf("TopField = %q, want %q", de.TopField(), top)
			}
		})
	}
}

func TestValidateEndpointFillsDefaults(t *testing.T) {
	e := valid()
	e.Topics = []string{" orders/* ", "orders/*", ""}
	e.Headers = map[string]string{"x-api-key": "k"}
	if err := domain.ValidateEndpoint(e, checks); err != nil {
		t.Fatal(err)
	}
	switch {
	case e.Name != "example.com":
		t.Errorf("Name = %q, want the URL's host", e.Name)
	case len(e.Topics) != 1 || e.Topics[0] != "orders/*":
		t.Errorf("Topics = %q, want trimmed and deduplicated", e.Topics)
	case e.Signing.Scheme != domain.SchemeStandard || !strings.HasPrefix(e.Secret, "whsec_"):
		t.Errorf("signing %+v secret %q, want Standard Webhooks with a whsec_ secret", e.Signing, e.Secret)
	case e.Envelope.Type != domain.EnvelopeRaw || e.Timeout != domain.DefaultTimeout:
		t.Errorf("envelope %+v timeout %v, want raw and the default", e.Envelope, e.Timeout)
	case !reflect.DeepEqual(e.Retry, domain.DefaultRetryPolicy()):
		t.Errorf("Retry = %+v, want the default policy", e.Retry)
	case e.Headers["X-Api-Key"] != "k":
		t.Errorf("Headers = %v, want canonical names", e.Headers)
	}
	before := *e
	if err := domain.ValidateEndpoint(e, checks); err != nil || e.Secret != before.Secret || e.Name != before.Name {
		t.Errorf("validating twice changed the endpoint or failed: %v", err)
	}
}

func TestHMACSecretIsAnyLongEnoughLine(t *testing.T) {
	e := valid()
	e.Signing = domain.Signing{Scheme: domain.SchemeHMAC}
	e.Secret = "short"
	if err := domain.ValidateEndpoint(e, checks); err == nil {
		t.Fatal("a 5-byte HMAC secret was accepted")
	}
	e.Secret = "It's a Secret to Everybody"
	if err := domain.ValidateEndpoint(e, checks); err != nil {
		t.Fatal(err)
	}
	if e.Signing.Header != "X-Hooks-Signature" || e.Signing.Encoding != "hex" {
		t.Errorf("Signing = %+v, want the hmac defaults", e.Signing)
	}
}

func TestValidateSeveralSchemesNamesTheSchemeAtFault(t *testing.T) {
	also := func(s ...domain.Signing) func(*domain.Endpoint) {
		return func(e *domain.Endpoint) {
			for _, opts := range s {
				e.AlsoSigning = append(e.AlsoSigning, domain.SchemeSecrets{Signing: opts})
			}
		}
	}
	hmac := domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Pepperi-Signature"}
	tests := []struct {
		name   string
		change func(*domain.Endpoint)
		field  string
	}{
		{"second scheme's header", also(domain.Signing{Scheme: domain.SchemeHMAC, Header: "Webhook-Id"}), "signing[1].header"},
		{"second scheme's encoding", also(domain.Signing{Scheme: domain.SchemeHMAC, Encoding: "hex2"}), "signing[1].encoding"},
		{"third scheme unknown", also(hmac, domain.Signing{Scheme: "md5"}), "signing[2].scheme"},
		{"v1 twice", also(domain.Signing{Scheme: domain.SchemeStandard}), "signing[1]"},
		{"one header twice", func(e *domain.Endpoint) {
			e.Signing = hmac
			also(domain.Signing{Scheme: domain.SchemeSharedSecret, Header: "x-pepperi-signature"})(e)
		}, "signing[1]"},
		{"too many", also(hmac, domain.Signing{Scheme: domain.SchemeStandardV1a}, domain.Signing{Scheme: domain.SchemeSharedSecret},
			domain.Signing{Scheme: domain.SchemeJWT}), "signing"},
		{"bad v1a key", func(e *domain.Endpoint) {
			e.AlsoSigning = []domain.SchemeSecrets{{Signing: domain.Signing{Scheme: domain.SchemeStandardV1a}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
		}, "signing[1].secret"},
		{"static header is a signature header", func(e *domain.Endpoint) {
			also(hmac)(e)
			e.Headers = map[string]string{"X-Pepperi-Signature": "x"}
		}, "headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid()
			tt.change(e)
			err := domain.ValidateEndpoint(e, checks)
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != tt.field || de.Message == "" {
				t.Fatalf("ValidateEndpoint = %#v, want EINVALID on %q with a message", err, tt.field)
			}
		})
	}
}

func TestValidateSeveralSchemesGivesEachItsSecret(t *testing.T) {
	e := valid()
	e.Signing = domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Pepperi-Signature"}
	e.AlsoSigning = []domain.SchemeSecrets{{Signing: domain.Signing{Scheme: domain.SchemeStandard}},
		{Signing: domain.Signing{Scheme: domain.SchemeStandardV1a}}}
	if err := domain.ValidateEndpoint(e, checks); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(e.Secret, "whs") || e.Secret == "" {
		t.Errorf("hmac secret %q", e.Secret)
	}
	if s := e.AlsoSigning[0].Secret; !strings.HasPrefix(s, "whsec_") {
		t.Errorf("standard-webhooks secret %q, want whsec_…", s)
	}
	s := e.AlsoSigning[1]
	if !strings.HasPrefix(s.Secret, "whsk_") {
		t.Errorf("v1a secret %q, want whsk_…", s.Secret)
	}
	if name, pub := s.Shown(); name != "publicKey" || !strings.HasPrefix(pub, "whpk_") || strings.Contains(pub, s.Secret[5:]) {
		t.Errorf("Shown() = %q, %q, want the whpk_ public key", name, pub)
	}
}

func TestValidateEndpointFilter(t *testing.T) {
	for _, tc := range []struct{ filter, want, field, message string }{
		{"", "", "", ""},
		{"  {} ", "", "", ""},
		{`{ "data": {"order": {"total": {"$gte": 100}}} }`, `{"data":{"order":{"total":{"$gte":100}}}}`, "", ""},
		{`{"data": {"order": {"total": {"$gte": true}}}}`, "", "filter.data.order.total.$gte", "filter.data.order.total.$gte: must be a number or string"},
		{`{"$or": [{"x": {"$regex": "a"}}]}`, "", "filter.$or[0].x.$regex", "filter.$or[0].x.$regex: unknown operator"},
		{`[1]`, "", "filter", "filter: must be a JSON object"},
	} {
		e := &domain.Endpoint{URL: "https://example.com/h", Topics: []string{"*"}, Filter: tc.filter}
		err := domain.ValidateEndpoint(e, checks)
		if tc.field == "" {
			if err != nil || e.Filter != tc.want {
				t.Errorf("filter %q: Filter = %q, err %v; want %q", tc.filter, e.Filter, err, tc.want)
			}
			continue
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.EINVALID || de.Field != tc.field || !strings.HasPrefix(de.Message, tc.message) {
			t.Errorf("filter %q: err %#v, want field %s, message %q", tc.filter, err, tc.field, tc.message)
		}
	}
}
