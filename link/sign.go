package link

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
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

// VerifyPull checks a signed pull header for the request's method and
// path with query; it returns the nonce the answer must be sealed with.
// The caller still consumes the nonce (one use, fresh).
func VerifyPull(token, method, pathQuery, authorization string) (nonce string, ok bool) {
	nonce, sig, ok := ParsePullAuthorization(authorization)
	if !ok || token == "" || !SameSecret(sig, PullSignature(token, method, pathQuery, nonce)) {
		return "", false
	}
	return nonce, true
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
	return token != "" && SameSecret(sig, pushSignature(token, kioskID, nonce, sealedBody))
}

// WardProof is what a ward answers to a kiosk's challenge: a ward found by
// mDNS gets records only after showing it knows the kiosk's token. Anyone on
// the house Wi-Fi can announce a ward; only the real one holds the token.
func WardProof(token, kioskID, nonce string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("kyso-ward-proof\x00" + kioskID + "\x00" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

// Replies that move kiosk state (acked_seq, the ward's time, the board's
// targets, a pairing) carry ReplyHeader: an HMAC keyed by the kiosk's
// token (by the pairing code for a pairing) over the reply's kind, the
// kiosk id, the nonce of the request it answers, the status and the exact
// body bytes. A machine answering at the ward's address cannot make one,
// and a real reply cannot be replayed to another request.

// ReplyHeader carries the signature of a reply.
const ReplyHeader = "Kyso-Reply-Signature"

// Kinds of signed replies: a signature for one never verifies as another.
const (
	ReplyPush = "push"
	ReplyInfo = "info"
	ReplyPair = "pair"
)

// SignReply signs a reply of kind to kioskID's request with nonce.
func SignReply(key, kind, kioskID, nonce string, status int, body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(mac(key, "kyso-reply", kind, kioskID, nonce, strconv.Itoa(status), hex.EncodeToString(sum[:])))
}

// VerifyReply checks a reply's signature; an empty key or signature never verifies.
func VerifyReply(key, kind, kioskID, nonce string, status int, body []byte, sig string) bool {
	return key != "" && sig != "" && SameSecret(sig, SignReply(key, kind, kioskID, nonce, status, body))
}

// PairCodeProof shows the ward that the kiosk holds a pairing code without
// sending it: the ward finds the live code whose proof matches.
func PairCodeProof(code, nonce string) string {
	return hex.EncodeToString(mac(NormalizePairCode(code), "kyso-pair-code", nonce))
}

// NormalizePairCode is the one reading of a typed code, the same on both
// sides (the proof is keyed by it): upper case, no spaces or hyphens, O and
// I read as 0 and 1 as the ward always has (the alphabet has none of them).
func NormalizePairCode(c string) string {
	r := strings.NewReplacer("-", "", " ", "", "O", "0", "I", "1")
	return r.Replace(strings.ToUpper(strings.TrimSpace(c)))
}

// SameSecret compares a presented secret with the expected one in constant
// time, also in length: both are hashed first, so neither the content nor
// the length of a token, PIN or CSRF token leaks through timing. Empty
// never matches.
func SameSecret(presented, expected string) bool {
	if presented == "" || expected == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(presented)), sha256.Sum256([]byte(expected))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// NewNonce returns a fresh random nonce (32 hex characters).
func NewNonce() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// ValidNonce bounds a nonce a peer sent: long enough to be random, short
// enough to cost nothing.
func ValidNonce(n string) bool { return len(n) >= 16 && len(n) <= 128 }
