package sign

import (
	"bytes"
	"hooks/domain"
	"net/http"
	"testing"
	"time"
)

// benchmarkSign signs a 1 KiB body, as the engine does for every attempt.
func benchmarkSign(b *testing.B, opts domain.Signing, secrets ...string) {
	b.Helper()
	s, err := New(opts, secrets)
	if err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 1024)
	meta := Meta{DeliveryID: "dlv_01HZX0000000000000000000", EndpointID: "wbh_01HZX0000000000000000000", TenantID: "default",
		Timestamp: time.Unix(1_700_000_000, 0)}
	h := http.Header{}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Sign(h, body, meta); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignStandard(b *testing.B) {
	benchmarkSign(b, domain.Signing{Scheme: domain.SchemeStandard}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
}

func BenchmarkSignStandardDuringRotation(b *testing.B) {
	benchmarkSign(b, domain.Signing{Scheme: domain.SchemeStandard}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=")
}

func BenchmarkSignHMACHex(b *testing.B) {
	benchmarkSign(b, domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Pepperi-Signature", Prefix: "sha256=", Encoding: "hex"}, "It's a Secret to Everybody")
}

func BenchmarkSignHMACBase64(b *testing.B) {
	benchmarkSign(b, domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Hmac-SHA256", Encoding: "base64"}, "It's a Secret to Everybody")
}

// benchmarkSignAll is benchmarkSign for several schemes on one request.
func benchmarkSignAll(b *testing.B, schemes ...Scheme) {
	b.Helper()
	s, err := NewAll(schemes, nil)
	if err != nil {
		b.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 1024)
	meta := Meta{DeliveryID: "dlv_01HZX0000000000000000000", EndpointID: "wbh_01HZX0000000000000000000", TenantID: "default",
		Timestamp: time.Unix(1_700_000_000, 0)}
	h := http.Header{}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Sign(h, body, meta); err != nil {
			b.Fatal(err)
		}
	}
}

const benchV1aSecret = "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo="

func BenchmarkSignV1a(b *testing.B) {
	benchmarkSign(b, domain.Signing{Scheme: domain.SchemeStandardV1a}, benchV1aSecret)
}

func BenchmarkSignStandardAndHMAC(b *testing.B) {
	benchmarkSignAll(b,
		Scheme{Options: domain.Signing{Scheme: domain.SchemeStandard}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
		Scheme{Options: domain.Signing{Scheme: domain.SchemeHMAC, Header: "X-Pepperi-Signature", Prefix: "sha256=", Encoding: "hex"},
			Secrets: []string{"It's a Secret to Everybody"}})
}

func BenchmarkSignStandardAndV1a(b *testing.B) {
	benchmarkSignAll(b,
		Scheme{Options: domain.Signing{Scheme: domain.SchemeStandard}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
		Scheme{Options: domain.Signing{Scheme: domain.SchemeStandardV1a}, Secrets: []string{benchV1aSecret}})
}
