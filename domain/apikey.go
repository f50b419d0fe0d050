package domain

// API key scopes: what a key may do.
const (
	ScopeAdmin   = "admin"   // everything, managing keys included
	ScopePublish = "publish" // post events only: what a producer should hold
	ScopeRead    = "read"    // GET only, secrets excepted
)

// ValidScope reports whether s names an API key scope.
func ValidScope(s string) bool {
	return s == ScopeAdmin || s == ScopePublish || s == ScopeRead
}
