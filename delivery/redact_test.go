package delivery_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"hooks/delivery"
	"hooks/delivery/envelope"
	"hooks/delivery/netguard"
	"hooks/domain"
	"hooks/store"
	"hooks/store/storetest"
)

// TestAttemptLogRedactsCredentialsByValue sends through an AlphaTouch
// template that puts metadata.api_key in the body, with extra headers whose
// names say nothing of credentials. The receiver gets every value; the
// stored attempt shows none of them, in headers or body.
func TestAttemptLogRedactsCredentialsByValue(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const (
		apiKey    = "ak_live_5up3rS3cr3tK3yV4lu3"
		installID = "inst-7f3a9c2e41"
		region    = "eu" // too short to be redacted wherever it occurs
		secret    = "sharedSECRETvalueForShopery"
	)
	var mu sync.Mutex
	var gotBody []byte
	var gotHeader http.Header
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		gotBody, _ = io.ReadAll(r.Body)
		gotHeader = r.Header.Clone()
	}))
	defer rcv.Close()

	engine := delivery.New(db, delivery.Config{
		Policy: &netguard.Policy{AllowHTTP: true, AllowPrivate: true},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	w := &domain.Endpoint{TenantID: domain.DefaultTenant, URL: rcv.URL, Topics: []string{"*"}, Enabled: true,
		Signing:  domain.Signing{Scheme: "shared-secret", Header: "X-Shopery-Secret"},
		Secret:   secret,
		Envelope: domain.Envelope{Type: "template", Template: envelope.AlphaTouchTemplate},
		Headers:  map[string]string{"X-Installation": installID, "X-Region": region, "X-Forwarded-Key": "Bearer " + apiKey},
		Metadata: map[string]string{"api_key": apiKey}}
	if err := engine.ValidateWebhook(w); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEndpoint(ctx, w); err != nil {
		t.Fatal(err)
	}
	res, err := engine.SendTest(ctx, w, delivery.TestEvent{})
	if err != nil || !res.Success {
		t.Fatalf("test send: %+v, %v", res, err)
	}

	mu.Lock()
	defer mu.Unlock()
	if !bytes.Contains(gotBody, []byte(`"api_key":"`+apiKey+`"`)) || gotHeader.Get("X-Installation") != installID ||
		gotHeader.Get("X-Shopery-Secret") != secret {
		t.Fatalf("the receiver did not get the credentials: headers %v, body %s", gotHeader, gotBody)
	}

	attempts, err := db.AttemptsByDelivery(ctx, res.DeliveryID)
	if err != nil || len(attempts) != 1 {
		t.Fatalf("attempts: %v, %v", attempts, err)
	}
	a := attempts[0]
	var logged strings.Builder
	for k, vs := range a.RequestHeaders {
		logged.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	logged.Write(a.RequestBody)
	for _, v := range []string{apiKey, installID, secret} {
		if strings.Contains(logged.String(), v) {
			t.Errorf("the attempt log shows %q:\n%s", v, logged.String())
		}
	}
	if !bytes.Contains(a.RequestBody, []byte(`"api_key":"[redacted]"`)) || !bytes.Contains(a.RequestBody, []byte(`"action":"ping"`)) {
		t.Errorf("logged body %s, want api_key redacted and the rest as sent", a.RequestBody)
	}
	for _, name := range []string{"X-Installation", "X-Region", "X-Forwarded-Key", "X-Shopery-Secret"} {
		if got := a.RequestHeaders.Get(name); got != "[redacted]" {
			t.Errorf("logged %s: %q, want [redacted]", name, got)
		}
	}
	if got := a.RequestHeaders.Get("Content-Type"); got != "application/json" {
		t.Errorf("logged Content-Type %q: headers that carry no credential stay as sent", got)
	}
}
