package store

import (
	"encoding/json"
	"net/http"

	"hooks/rawjson"
)

func decodeHeader(s string) http.Header {
	h := http.Header{}
	_ = json.Unmarshal([]byte(s), &h) // written by jsonText; a bad row shows as empty headers
	return h
}

// decodeHeaderLines is decodeHeader for at most limit header names; the
// rest of s is only counted (omitted). A receiver can answer with 64 KiB
// of tiny headers, some 3,000 of them, which decodeHeader turns into 1 MB
// of maps, and a page shows far fewer.
func decodeHeaderLines(s string, limit int) (h http.Header, omitted int) {
	// One pass without allocation finds where the limit-th member ends
	// (headerJSON writes an object of arrays of strings) and counts the
	// members after it; only the start is decoded.
	members, cut := 0, -1
	rawjson.WalkStructure(s, func(i int, c byte, depth int) {
		if c == ',' && depth == 1 {
			members++
			if members == limit {
				cut = i
			}
		}
	})
	if cut < 0 {
		return decodeHeader(s), 0
	}
	return decodeHeader(s[:cut] + "}"), members + 1 - limit
}
