package web

import (
	_ "embed"
	"net/http"
)

// openAPIDoc is the OpenAPI 3.1 description of the API. It is written by
// hand; TestOpenAPIMatchesTheRouter fails when a route is added, removed
// or renamed without it, and validates it with kin-openapi.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the API description, for client generators and tools.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*") // a public, credential-free document: let browser tools fetch it
	w.Write(openAPIDoc)
}
