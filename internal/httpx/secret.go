package httpx

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
)

// EqualSecret compares a presented secret (PIN, CSRF token, kiosk token)
// with the expected one in constant time. Both are hashed first because
// ConstantTimeCompare returns at once when the lengths differ, which would
// tell a patient attacker the length of the secret. An empty secret never
// matches.
func EqualSecret(presented, expected string) bool {
	if presented == "" || expected == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(presented)), sha256.Sum256([]byte(expected))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// RandomToken is an unguessable token (session id, CSRF token): 256 bits.
func RandomToken() string { return rand.Text() + rand.Text() }
