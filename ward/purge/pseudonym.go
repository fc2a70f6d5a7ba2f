package purge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
)

// The counts de-duplicate by CCCD, also against records that arrive after
// the purge. So a purged CCCD is replaced by a pseudonym, "purged:" and the
// first 24 hex digits of HMAC-SHA256(salt, CCCD), where the salt is 32
// random bytes made at the first purge and kept in the store. Once a salt
// exists, the tally counts every record by its pseudonym, purged or not,
// so a later record of the same person still counts once. The trade-off:
// a CCCD has few possible values (a province code, a century digit, a
// birth year, six digits), so whoever holds the salt can find the CCCD of a
// pseudonym by trying them all; the salt never leaves the ward's store,
// which --data-key encrypts. Without the salt the pseudonyms say nothing.

// Settings written by the purge.
const (
	settingSalt   = "purge_salt"
	settingPurges = "purges"
)

// purgedPrefix starts the pseudonym that replaces a purged CCCD.
const purgedPrefix = "purged:"

type saltSetting struct {
	Salt      []byte    `json:"salt"`
	CreatedAt time.Time `json:"created_at"`
}

// Pseudonyms gives the key the tally counts a CCCD by. The zero value (a
// ward never purged) counts by the CCCD itself.
type Pseudonyms struct{ salt []byte }

// LoadPseudonyms reads the purge salt of a store (none: the zero value).
func LoadPseudonyms(st *store.Store) (Pseudonyms, error) {
	var salt saltSetting
	err := st.GetSetting(settingSalt, &salt)
	if errors.Is(err, store.ErrNotFound) {
		return Pseudonyms{}, nil
	}
	if err != nil {
		return Pseudonyms{}, err
	}
	if len(salt.Salt) < 16 {
		return Pseudonyms{}, errors.New("the purge salt in the store is damaged")
	}
	return Pseudonyms{salt: salt.Salt}, nil
}

// Key is the CCCD itself while the store has no salt; with one it is the
// CCCD's pseudonym (a pseudonym or an empty CCCD stays as it is).
func (p Pseudonyms) Key(cccd string) string {
	if p.salt == nil {
		return cccd
	}
	cccd = strings.ReplaceAll(cccd, " ", "")
	if cccd == "" || strings.HasPrefix(cccd, purgedPrefix) {
		return cccd
	}
	m := hmac.New(sha256.New, p.salt)
	m.Write([]byte(cccd))
	return purgedPrefix + hex.EncodeToString(m.Sum(nil))[:24]
}

// Item is what the tally holds of a record.
func (p Pseudonyms) Item(r *record.Record, receivedAt time.Time, hash uint64) tally.Item {
	it := tally.ItemOf(r, receivedAt, hash)
	it.CCCD = p.Key(it.CCCD)
	return it
}

// StoredItem is Item for a stored record; a purged one keeps the hash of
// what was delivered, so that a kiosk re-sending it is seen as a repeat.
func (p Pseudonyms) StoredItem(st *store.Stored) tally.Item {
	hash := st.OrigHash
	if !st.Purged {
		hash = store.ContentHash(st.Canonical) // the stored bytes are canonical: no re-encoding at start
	}
	return p.Item(&st.Record, st.ReceivedAt, hash)
}

// Purged reports whether a citizen's personal fields were purged.
func Purged(c record.Citizen) bool {
	return strings.HasPrefix(c.CCCD, purgedPrefix) || (c.Name == "" && c.Phone == "" && c.BirthDate == "" && c.CCCD == "")
}

// scrub removes the personal fields and puts the pseudonym in the CCCD's place.
func scrub(r *record.Record, p Pseudonyms) {
	c := &r.Citizen
	c.CCCD = p.Key(c.CCCD)
	c.Name, c.Phone, c.BirthDate = "", "", ""
}

// recordTime is when a record happened as the tally dates it: the kiosk's
// time, or the ward's receive time when the kiosk's clock was not to be
// believed (a box without a clock starts in 1970: its records must not
// count as old).
func recordTime(r *record.Record, receivedAt time.Time) time.Time {
	return tally.ItemOf(r, receivedAt, 0).At
}
