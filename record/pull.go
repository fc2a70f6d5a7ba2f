package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Pulls never put the kiosk token on the wire: a ward may pull from an
// address any laptop on the LAN could have announced by mDNS. The ward
// fetches a one-time nonce from the kiosk, signs its request with the token,
// and the kiosk seals its answer with a key derived from token and nonce,
// so a machine relaying the exchange learns neither the token nor the records.

// PullScheme is the Authorization scheme of a signed pull.
const PullScheme = "Kyso-HMAC"

// SealedType is the content type of a sealed pull answer.
const SealedType = "application/vnd.kyso.sealed"

func mac(token string, parts ...string) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

// PullSignature signs a pull request (method and path with query) for nonce.
func PullSignature(token, method, pathQuery, nonce string) string {
	return hex.EncodeToString(mac(token, "kyso-pull", method, pathQuery, nonce))
}

// PullAuthorization is the Authorization header value of a signed pull.
func PullAuthorization(token, method, pathQuery, nonce string) string {
	return PullScheme + " nonce=" + nonce + ", sig=" + PullSignature(token, method, pathQuery, nonce)
}

// ParsePullAuthorization splits a signed pull header into nonce and signature.
func ParsePullAuthorization(h string) (nonce, sig string, ok bool) {
	rest, found := strings.CutPrefix(h, PullScheme+" ")
	if !found {
		return "", "", false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "nonce":
			nonce = v
		case "sig":
			sig = v
		}
	}
	return nonce, sig, nonce != "" && sig != ""
}

func gcm(token, nonce string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(mac(token, "kyso-pull-key", nonce)) // 32 bytes: AES-256
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// SealPayload encrypts a pull answer for the holder of token.
func SealPayload(token, nonce string, plain []byte) ([]byte, error) {
	a, err := gcm(token, nonce)
	if err != nil {
		return nil, err
	}
	iv := make([]byte, a.NonceSize())
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	return a.Seal(iv, iv, plain, []byte(nonce)), nil
}

// OpenPayload decrypts a sealed pull answer.
func OpenPayload(token, nonce string, sealed []byte) ([]byte, error) {
	a, err := gcm(token, nonce)
	if err != nil {
		return nil, err
	}
	if len(sealed) < a.NonceSize() {
		return nil, errors.New("sealed answer too short")
	}
	plain, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], []byte(nonce))
	if err != nil {
		return nil, fmt.Errorf("sealed answer: %w", err)
	}
	return plain, nil
}

// Pushes are signed the same way, with a nonce the kiosk picks: the
// signature covers the sealed body, so a captured push can only be replayed
// as itself (the ward stores a repeat once) and never carries the token.

// PushAuthorization signs a sealed push body of kioskID.
func PushAuthorization(token, kioskID, nonce string, sealedBody []byte) string {
	return PullScheme + " kiosk=" + kioskID + ", nonce=" + nonce + ", sig=" + pushSignature(token, kioskID, nonce, sealedBody)
}

func pushSignature(token, kioskID, nonce string, sealedBody []byte) string {
	sum := sha256.Sum256(sealedBody)
	return hex.EncodeToString(mac(token, "kyso-push", kioskID, nonce, hex.EncodeToString(sum[:])))
}

// ParsePushAuthorization reads a signed push header.
func ParsePushAuthorization(h string) (kioskID, nonce, sig string, ok bool) {
	rest, found := strings.CutPrefix(h, PullScheme+" ")
	if !found {
		return "", "", "", false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "kiosk":
			kioskID = v
		case "nonce":
			nonce = v
		case "sig":
			sig = v
		}
	}
	return kioskID, nonce, sig, kioskID != "" && nonce != "" && sig != ""
}

// VerifyPush checks a signed push.
func VerifyPush(token, kioskID, nonce, sig string, sealedBody []byte) bool {
	return token != "" && hmac.Equal([]byte(sig), []byte(pushSignature(token, kioskID, nonce, sealedBody)))
}
