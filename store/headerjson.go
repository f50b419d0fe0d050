package store

import (
	"hooks/rawjson"
	"net/http"
	"slices"
)

// headerJSON encodes h as JSON ({"Name":["value",…]}, keys sorted, what
// json.Unmarshal reads back as h) without reflection: two headers are
// encoded per attempt, on the hot path. Strings are escaped by rawjson, the
// one JSON string encoder of hooks.
func headerJSON(h http.Header) string {
	if h == nil {
		return "null"
	}
	keys := make([]string, 0, len(h))
	n := 2
	for k, vs := range h {
		keys = append(keys, k)
		n += len(k) + 6
		for _, v := range vs {
			n += len(v) + 3
		}
	}
	slices.Sort(keys)
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = rawjson.AppendString(b, k)
		b = append(b, ':')
		vs := h[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = rawjson.AppendString(b, v)
		}
		b = append(b, ']')
	}
	return string(append(b, '}'))
}
