// Package keyfile reads the --data-key file both programs use to encrypt
// their Badger store at rest: 32, 48 or 64 hex digits (AES-128/192/256).
// An empty path means no encryption.
package keyfile

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Read returns the key in path, or nil when path is empty.
func Read(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--data-key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || (len(key) != 16 && len(key) != 24 && len(key) != 32) {
		return nil, errors.New("--data-key: the file must hold 32, 48 or 64 hex digits (AES-128/192/256)")
	}
	return key, nil
}
