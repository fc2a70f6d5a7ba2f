package httpx

import (
	"crypto/rand"
)

// RandomToken is an unguessable token (session id, CSRF token): 256 bits.
func RandomToken() string { return rand.Text() + rand.Text() }
