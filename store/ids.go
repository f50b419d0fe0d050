package store

import (
	"crypto/rand"
)

// randomBytes fills n bytes from the system CSPRNG.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
