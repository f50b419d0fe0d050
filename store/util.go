package store

import (
	"encoding/json"
	"net/http"
)

func decodeHeader(s string) http.Header {
	h := http.Header{}
	_ = json.Unmarshal([]byte(s), &h) // written by jsonText; a bad row shows as empty headers
	return h
}
