package listen

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHMACMatchesGitHubsPublishedVector checks the receiver-side HMAC
// check against GitHub's documented example, not against hooks' signer.
func TestHMACMatchesGitHubsPublishedVector(t *testing.T) {
	v, err := NewVerifier(Options{Scheme: SchemeHMAC, Secret: "It's a Secret to Everybody", Header: "X-Hub-Signature-256", Prefix: "sha256="})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	if err := v.Verify(h, []byte("Hello, World!")); err != nil {
		t.Errorf("published vector rejected: %v", err)
	}
	if err := v.Verify(h, []byte("Hello, World?")); err == nil {
		t.Error("a changed body was accepted")
	}
}

func TestReceiverPrintsMetadataWithAnyPrefixAndAnswers401WhenInvalid(t *testing.T) {
	var out bytes.Buffer
	rc, err := New(Options{Scheme: SchemeSharedSecret, Secret: "open-sesame", Header: "X-Shopery-Secret"}, &out, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []Delivery
	rc.OnDelivery = func(d Delivery) { got = append(got, d) }
	send := func(secret, body string) int {
		req := httptest.NewRequest("POST", "/in?x=1", strings.NewReader(body))
		req.Header.Set("X-Shopery-Secret", secret)
		req.Header.Set("X-Pps-Topic", "order-created")
		req.Header.Set("X-Pps-Sub-Topic", "product:adv/adv-120")
		req.Header.Set("X-Pps-Webhook-Id", "dlv_1")
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send("open-sesame", `{"a":[1,2]}`); code != 200 {
		t.Errorf("valid: %d", code)
	}
	if code := send("wrong", "not json"); code != 401 {
		t.Errorf("invalid: %d, want 401", code)
	}
	if len(got) != 2 || got[0].Topic != "order-created" || got[0].SubTopic != "product:adv/adv-120" || got[0].DeliveryID != "dlv_1" ||
		got[0].Err != nil || got[1].Err == nil {
		t.Fatalf("deliveries = %+v", got)
	}
	text := out.String()
	for _, want := range []string{"POST /in?x=1  topic=order-created  sub-topic=product:adv/adv-120  webhook-id=dlv_1",
		"✔ signature verified (shared-secret)", "\"a\": [\n", "✘ signature INVALID (shared-secret): X-Shopery-Secret is not the secret",
		`"not json"`} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "open-sesame") {
		t.Errorf("the secret was printed:\n%s", text)
	}
}
