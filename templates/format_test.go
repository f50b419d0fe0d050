package templates

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestRelativeTime(t *testing.T) {
	now := time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{44 * time.Second, "just now"},
		{-10 * time.Second, "in a few seconds"},
		{80 * time.Second, "1 min ago"},
		{5*time.Minute + 29*time.Second, "5 min ago"},
		{5*time.Minute + 31*time.Second, "6 min ago"},
		{-5 * time.Minute, "in 5 min"},
		{3 * time.Hour, "3 h ago"},
		{-20 * time.Hour, "in 20 h"},
		{3 * 24 * time.Hour, "3 d ago"},
		{45 * 24 * time.Hour, "Jan 28, 2025"},
	} {
		if got := RelativeTime(now.Add(-tc.d), now); got != tc.want {
			t.Errorf("RelativeTime(now-%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestExactTimeIsUTC(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	if got := ExactTime(time.Date(2025, 3, 14, 16, 4, 5, 0, cet)); got != "2025-03-14 15:04:05 UTC" {
		t.Errorf("ExactTime = %q", got)
	}
}

func TestPrettyJSON(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`{"a":1,"b":[true]}`, "{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}", true},
		{"  [1]\n", "[\n  1\n]", true},
		{"<html>", "<html>", false},
		{`{"a":`, `{"a":`, false},
		{`"just a string"`, `"just a string"`, false},
		{"", "", false},
	} {
		got, ok := PrettyJSON(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PrettyJSON(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseReceiverAnswer(t *testing.T) {
	a, ok := ParseReceiverAnswer(`{"Success":false,"HTMLResponse":"<b>no</b>"}`)
	if !ok || a.Success == nil || *a.Success || a.HTMLResponse != "<b>no</b>" {
		t.Errorf("answer = %+v, %v", a, ok)
	}
	a, ok = ParseReceiverAnswer(`{"Success":true,"AsyncCallback":{"URI":"https://r.example/poll/1","StartAfterSeconds":10,"IntervalSeconds":30}}`)
	if !ok || a.AsyncCallback == nil || a.AsyncCallback.IntervalSeconds != 30 {
		t.Errorf("callback answer = %+v, %v", a, ok)
	}
	for _, body := range []string{`{"ok":true}`, `[1]`, `Success`, ``, `{"Success":`} {
		if _, ok := ParseReceiverAnswer(body); ok {
			t.Errorf("ParseReceiverAnswer(%q) ok", body)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{FormatCount(0), "0"},
		{FormatCount(999), "999"},
		{FormatCount(1000), "1,000"},
		{FormatCount(1234567), "1,234,567"},
		{FormatCount(-4200), "-4,200"},
		{FormatPercent(1), "100%"},
		{FormatPercent(0.99996), "99.9%"},
		{FormatPercent(0.9876), "98.8%"},
		{FormatPercent(0.5), "50%"},
		{FormatPercent(0), "0%"},
		{FormatMs(0.42), "0.4 ms"},
		{FormatMs(3), "3 ms"},
		{FormatMs(183.4), "183 ms"},
		{FormatMs(1250), "1.25 s"},
		{FormatMs(12500), "12.5 s"},
		{FormatSeconds(30), "30 s"},
		{FormatSeconds(300), "5 min"},
		{FormatSeconds(3600), "1 h"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestDateTimeLocalRoundTrip(t *testing.T) {
	want := time.Date(2025, 3, 14, 15, 4, 0, 0, time.UTC)
	s := DateTimeLocal(want.In(time.FixedZone("X", -5*3600)))
	if s != "2025-03-14T15:04" {
		t.Fatalf("DateTimeLocal = %q", s)
	}
	for _, in := range []string{s, "2025-03-14T15:04:00", "2025-03-14T16:04:00+01:00"} {
		got, err := ParseDateTimeLocal(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDateTimeLocal(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseDateTimeLocal("yesterday"); err == nil {
		t.Error("ParseDateTimeLocal accepted garbage")
	}
	if DateTimeLocal(time.Time{}) != "" {
		t.Error("zero time not empty")
	}
}

func TestSplitListAndPairs(t *testing.T) {
	if got := SplitList(" orders/placed\r\norders/*, stock/changed,\n\norders/placed "); !reflect.DeepEqual(got, []string{"orders/placed", "orders/*", "stock/changed"}) {
		t.Errorf("SplitList = %q", got)
	}
	h, err := ParsePairs("X-Api-Version: 2\n\nAuthorization: Bearer a:b\n", ':')
	if err != nil || !reflect.DeepEqual(h, []Header{{"X-Api-Version", "2"}, {"Authorization", "Bearer a:b"}}) {
		t.Errorf("ParsePairs = %v, %v", h, err)
	}
	if FormatPairs(h, ':') != "X-Api-Version: 2\nAuthorization: Bearer a:b" {
		t.Errorf("FormatPairs = %q", FormatPairs(h, ':'))
	}
	if _, err := ParsePairs("api_key=1\ncompany 42", '='); err == nil || err.Error() != "line 2: want key=value" {
		t.Errorf("ParsePairs error = %v", err)
	}
}

func TestWebhookFormFromValues(t *testing.T) {
	v := url.Values{"name": {" Orders "}, "url": {"https://x.example/h"}, "events": {"a\nb"}, "enabled": {"on"},
		"signing_scheme": {SchemeHMAC}, "secret": {"s3"}, "timeout": {" 7 "}}
	f := WebhookFormFromValues(v)
	if f.Name != "Orders" || !f.Enabled || f.Scheme != SchemeHMAC || !f.SecretEntered || f.Timeout != "7" || f.Events != "a\nb" {
		t.Errorf("form = %+v", f)
	}
	if WebhookFormFromValues(url.Values{}).Enabled {
		t.Error("unchecked box read as enabled")
	}
	q := DeliveryFilterFromValues(url.Values{"status": {"failed"}, "topic": {" a/b "}}).Query()
	if q.Encode() != "status=failed&topic=a%2Fb" {
		t.Errorf("filter query = %q", q.Encode())
	}
}

func TestNowComesFromTheLayout(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := nowFrom(withNow(context.Background(), now)); !got.Equal(now) {
		t.Errorf("nowFrom = %v", got)
	}
	if got := nowFrom(context.Background()); time.Since(got) > time.Minute {
		t.Errorf("default now = %v", got)
	}
}
