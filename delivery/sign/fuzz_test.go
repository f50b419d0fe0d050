package sign

import (
	"context"
	"errors"
	"hooks/domain"
	"net"
	"net/http"
	"testing"
	"time"
)

// errDialed means the request passed net/http's header checks and got as far
// as opening a connection.
var errDialed = errors.New("dial reached")

// sendable reports why net/http's Transport refuses to send a request with
// headers h, or nil when it would send it. The transport never connects: it
// checks header names and values before dialling, which is all we ask of it.
func sendable(t *testing.T, h http.Header) error {
	t.Helper()
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errDialed
	}}
	req, err := http.NewRequest(http.MethodPost, "http://receiver.test/hook", http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	_, err = tr.RoundTrip(req)
	if errors.Is(err, errDialed) {
		return nil
	}
	return err
}

// FuzzValidate checks that whatever options come in over the API, Validate
// either refuses them with ErrInvalidOptions or accepts options whose signer
// writes headers that net/http will send (judged by net/http's Transport,
// not by our own code). Seeds beyond the ones
// added here live in testdata/fuzz/FuzzValidate.
func FuzzValidate(f *testing.F) {
	f.Add("", "", "", "")
	f.Add(domain.SchemeHMAC, "X-Pepperi-Signature", "hex", "sha256=")
	f.Add(domain.SchemeHMAC, "X-Hmac-SHA256", "base64", "")
	f.Add(domain.SchemeSharedSecret, "X-Shopery-Secret", "", "")
	f.Add(domain.SchemeJWT, "Authorization", "", "Bearer ")
	f.Add(domain.SchemeHMAC, "X-Sig\r\n", "hex", "a\x7f")

	f.Fuzz(func(t *testing.T, scheme, header, encoding, prefix string) {
		opts := domain.Signing{Scheme: scheme, Header: header, Encoding: encoding, Prefix: prefix}
		if err := validate(&opts); err != nil {
			if !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("Validate error %v does not wrap ErrInvalidOptions", err)
			}
			return
		}
		again := opts
		if err := validate(&again); err != nil || again != opts {
			t.Fatalf("Validate is not idempotent: %+v → %+v, %v", opts, again, err)
		}
		var secret string
		switch opts.Scheme {
		case domain.SchemeStandard:
			secret = standardSecret
		case domain.SchemeHMAC, domain.SchemeSharedSecret:
			secret = "s3cret"
		case domain.SchemeJWT:
			return
		default:
			t.Fatalf("accepted unknown scheme %q", opts.Scheme)
		}
		s, err := New(opts, []string{secret})
		if err != nil {
			t.Fatalf("New(%+v) after Validate: %v", opts, err)
		}
		h := http.Header{}
		if err := s.Sign(h, []byte("{}"), Meta{DeliveryID: "dlv_1", Timestamp: time.Unix(1, 0)}); err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if err := sendable(t, h); err != nil {
			t.Fatalf("options %+v produce headers net/http won't send: %v", opts, err)
		}
	})
}

func TestSendableCatchesBadHeaders(t *testing.T) {
	if err := sendable(t, http.Header{"X-Ok": {"v"}}); err != nil {
		t.Fatalf("valid header refused: %v", err)
	}
	for _, h := range []http.Header{{"X Bad": {"v"}}, {"X-Ok": {"a\x00"}}, {"X-Ok": {"a\nb"}}} {
		if sendable(t, h) == nil {
			t.Errorf("sendable(%q) = nil, want an error", h)
		}
	}
}
