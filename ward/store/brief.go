package store

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// errBriefFallback sends a value the fast reader does not handle (escapes in
// a key, a key differing only in case, an unexpected type) to encoding/json,
// which stays the reference: on valid JSON the fast reader either gives
// exactly what json.Unmarshal gives, or gives up (FuzzBrief). It does not
// validate the fields it skips: stored values are json.Marshal output and
// Badger checksums every block and value it reads.
var errBriefFallback = errors.New("not for the fast reader")

// decodeBrief fills b from a record's canonical JSON. Start-up reads a
// district's million records; encoding/json spent most of that time
// validating and skipping the fields start-up does not need.
func decodeBrief(data []byte, b *brief) error { return decodeBriefWith(data, b, nil) }

// decodeBriefWith is decodeBrief sharing the strings that repeat from
// record to record (kiosk, village, outcome...) through names.
func decodeBriefWith(data []byte, b *brief, names map[string]string) error {
	if err := scanBrief(data, b, names); err != nil {
		*b = brief{}
		return json.Unmarshal(data, b)
	}
	return nil
}

type scanner struct {
	d     []byte
	i     int
	names map[string]string // nil: no sharing
}

// maxNames bounds the strings shared: free text can be anything.
const maxNames = 4096

func (s *scanner) ws() {
	for s.i < len(s.d) {
		switch s.d[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) expect(c byte) error {
	s.ws()
	if s.i >= len(s.d) || s.d[s.i] != c {
		return errBriefFallback
	}
	s.i++
	return nil
}

// str reads a string token.
func (s *scanner) str() (v string, err error) {
	s.ws()
	if s.i >= len(s.d) || s.d[s.i] != '"' {
		return "", errBriefFallback
	}
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.d) {
		c := s.d[s.i]
		switch {
		case c == '\\':
			escaped = true
			s.i += 2
			continue
		case c == '"':
			s.i++
			// json.Unmarshal also turns invalid UTF-8 into U+FFFD.
			if escaped || !utf8.Valid(s.d[start+1:s.i-1]) {
				if err := json.Unmarshal(s.d[start:s.i], &v); err != nil {
					return "", errBriefFallback
				}
				return v, nil
			}
			return string(s.d[start+1 : s.i-1]), nil
		case c < 0x20:
			return "", errBriefFallback
		}
		s.i++
	}
	return "", errBriefFallback
}

// null consumes a JSON null; json.Unmarshal leaves the field as it was.
func (s *scanner) null() bool {
	s.ws()
	if strings.HasPrefix(string(s.d[s.i:min(s.i+4, len(s.d))]), "null") {
		s.i += 4
		return true
	}
	return false
}

// skip passes over one value of any kind.
func (s *scanner) skip() error {
	s.ws()
	if s.i >= len(s.d) {
		return errBriefFallback
	}
	switch s.d[s.i] {
	case '"':
		_, err := s.skipStr()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.d) {
			switch s.d[s.i] {
			case '"':
				if _, err := s.skipStr(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errBriefFallback
	}
	for s.i < len(s.d) {
		switch s.d[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return nil
		}
		s.i++
	}
	return nil
}

// key reads an object key without allocating when it has no escapes.
func (s *scanner) key() ([]byte, error) {
	s.ws()
	start := s.i
	if _, err := s.skipStr(); err != nil {
		return nil, err
	}
	k := s.d[start+1 : s.i-1]
	for _, c := range k {
		if c == '\\' || c >= utf8.RuneSelf {
			s.i = start
			v, err := s.str()
			return []byte(v), err
		}
	}
	return k, nil
}

// object calls field for each key of an object; field consumes the value.
func (s *scanner) object(field func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	s.ws()
	if s.i < len(s.d) && s.d[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		k, err := s.key()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.d) {
			return errBriefFallback
		}
		switch s.d[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errBriefFallback
		}
	}
}

func (s *scanner) setStr(dst *string) error {
	if s.null() {
		return nil
	}
	v, err := s.str()
	*dst = v
	return err
}

// setName is setStr for a value many records share: one copy serves all.
func (s *scanner) setName(dst *string) error {
	if s.names == nil || s.null() {
		return s.setStr(dst)
	}
	s.ws()
	start := s.i
	if _, err := s.skipStr(); err != nil {
		return err
	}
	tok := s.d[start:s.i]
	if v, ok := s.names[string(tok)]; ok { // no allocation for the lookup
		*dst = v
		return nil
	}
	s.i = start
	v, err := s.str()
	if err != nil {
		return err
	}
	if len(s.names) < maxNames {
		s.names[string(tok)] = v
	}
	*dst = v
	return nil
}

// skipStr passes over a string token without decoding it.
func (s *scanner) skipStr() (int, error) {
	if s.i >= len(s.d) || s.d[s.i] != '"' {
		return 0, errBriefFallback
	}
	for j := s.i + 1; j < len(s.d); j++ {
		switch s.d[j] {
		case '\\':
			j++
		case '"':
			s.i = j + 1
			return s.i, nil
		}
	}
	return 0, errBriefFallback
}

// otherKey refuses keys json.Unmarshal would match case-insensitively.
func otherKey(k []byte, known ...string) error {
	ascii := true
	for _, c := range k {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	for _, n := range known {
		if ascii && !asciiFold(k, n) {
			continue
		}
		// Unicode folds K (Kelvin) and ſ to ASCII letters: let the
		// library decide for any key that is not plain ASCII.
		if !ascii || strings.EqualFold(string(k), n) {
			return errBriefFallback
		}
	}
	return nil
}

// asciiFold compares an ASCII key with a known key, ignoring case.
func asciiFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

var (
	briefKeys   = []string{"id", "kiosk_id", "seq", "type", "corrects", "citizen", "outcome", "reason", "recorded_at", "clock", "desk", "consent_at"}
	citizenKeys = []string{"cccd", "village", "association"}
)

func scanBrief(data []byte, b *brief, names map[string]string) error {
	s := &scanner{d: data, names: names}
	err := s.object(func(k []byte) error {
		switch string(k) {
		case "id":
			return s.setStr(&b.ID)
		case "kiosk_id":
			return s.setName(&b.KioskID)
		case "type":
			return s.setName(&b.Type)
		case "corrects":
			return s.setStr(&b.Corrects)
		case "outcome":
			return s.setName(&b.Outcome)
		case "reason":
			return s.setName(&b.Reason)
		case "clock":
			return s.setName(&b.Clock)
		case "seq":
			if s.null() {
				return nil
			}
			n, err := s.uint()
			if err != nil {
				return err
			}
			b.Seq = n
			return nil
		case "desk":
			if s.null() {
				return nil
			}
			n, err := s.uint()
			if err != nil || n > 1<<31 {
				return errBriefFallback // negative or huge: let encoding/json say
			}
			b.Desk = int(n)
			return nil
		case "recorded_at":
			return s.time(&b.RecordedAt)
		case "consent_at":
			return s.time(&b.ConsentAt)
		case "citizen":
			if s.null() {
				return nil
			}
			return s.object(func(k []byte) error {
				switch string(k) {
				case "cccd":
					return s.setStr(&b.Citizen.CCCD)
				case "village":
					return s.setName(&b.Citizen.Village)
				case "association":
					return s.setName(&b.Citizen.Association)
				}
				if err := otherKey(k, citizenKeys...); err != nil {
					return err
				}
				return s.skip()
			})
		}
		if err := otherKey(k, briefKeys...); err != nil {
			return err
		}
		return s.skip()
	})
	if err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.d) {
		return errBriefFallback
	}
	return nil
}

// uint reads a non-negative integer without a leading zero; anything else
// goes to encoding/json.
func (s *scanner) uint() (uint64, error) {
	s.ws()
	start := s.i
	for s.i < len(s.d) && s.d[s.i] >= '0' && s.d[s.i] <= '9' {
		s.i++
	}
	if s.i == start {
		return 0, errBriefFallback
	}
	n, err := strconv.ParseUint(string(s.d[start:s.i]), 10, 64)
	if err != nil || (s.d[start] == '0' && s.i-start > 1) {
		return 0, errBriefFallback
	}
	return n, nil
}

// time reads an RFC 3339 time string (null leaves it as it was).
func (s *scanner) time(t *time.Time) error {
	if s.null() {
		return nil
	}
	s.ws()
	start := s.i
	if _, err := s.str(); err != nil {
		return err
	}
	if err := t.UnmarshalJSON(s.d[start:s.i]); err != nil {
		return errBriefFallback
	}
	return nil
}
