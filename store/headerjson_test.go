package store

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestHeaderJSONMatchesEncodingJSON(t *testing.T) {
	for _, h := range []http.Header{
		nil,
		{},
		{"Content-Type": {"application/json"}, "X-Many": {"a", "b"}, "Empty": {}, "Nil": nil},
		{"Odd": {"quote \" back\\slash <tag> & \n\r\t \x00\x1f \u2028\u2029 é 日本 \xff\xfe"}},
	} {
		want, _ := json.Marshal(h)
		if got := headerJSON(h); got != string(want) {
			t.Errorf("headerJSON(%v)\n got %s\nwant %s", h, got, want)
		}
	}
}

func FuzzHeaderJSON(f *testing.F) {
	f.Add("X-Key", "value")
	f.Add("A", "\xff<\u2028>")
	f.Fuzz(func(t *testing.T, k, v string) {
		h := http.Header{k: {v, v + k}}
		want, _ := json.Marshal(h)
		if got := headerJSON(h); got != string(want) {
			t.Errorf("headerJSON(%q)\n got %s\nwant %s", h, got, want)
		}
	})
}
