package store

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// sameAsEncodingJSON reports whether headerJSON(h) decodes to what
// json.Marshal(h) decodes to: the same header, whatever the escapes.
func sameAsEncodingJSON(t *testing.T, h http.Header) {
	t.Helper()
	want, _ := json.Marshal(h)
	got := headerJSON(h)
	var a, b http.Header
	if err := json.Unmarshal([]byte(got), &a); err != nil {
		t.Fatalf("headerJSON(%q) = %s, not JSON: %v", h, got, err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("headerJSON(%q)\n got %s\nwant %s", h, got, want)
	}
}

func TestHeaderJSONDecodesLikeEncodingJSON(t *testing.T) {
	for _, h := range []http.Header{
		nil,
		{},
		{"Content-Type": {"application/json"}, "X-Many": {"a", "b"}, "Empty": {}, "Nil": nil},
		{"Odd": {"quote \" back\\slash <tag> & \n\r\t \x00\x1f \u2028\u2029 é 日本 \xff\xfe"}},
	} {
		sameAsEncodingJSON(t, h)
	}
}

func FuzzHeaderJSON(f *testing.F) {
	f.Add("X-Key", "value")
	f.Add("A", "\xff<\u2028>")
	f.Fuzz(func(t *testing.T, k, v string) {
		sameAsEncodingJSON(t, http.Header{k: {v, v + k}})
	})
}
