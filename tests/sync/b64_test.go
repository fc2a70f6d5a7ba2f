package sync

import (
	"encoding/base64"
	"encoding/json"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func jsonField(b []byte, v any) bool { return json.Unmarshal(b, v) == nil }

func jsonMarshal(v any) (string, error) { b, err := json.Marshal(v); return string(b), err }
