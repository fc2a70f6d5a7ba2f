package tally

import "fmt"

// maxCCCD bounds the numbers cccdKey packs: above it the key is a hash.
const maxCCCD = 999_999_999_999

// Activated reports whether the tally counts the citizen with this key (a
// CCCD, or its pseudonym once `ward purge` made a salt) as activated.
func (t *Tally) Activated(key string) bool {
	if key == "" {
		return false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, ok := t.cccd[cccdKey(key, "")]
	return ok
}

// Counted calls fn for each citizen counted as activated whose key is a
// plain CCCD (pseudonyms cannot be matched with anything outside the ward),
// with the village, association and day of the record that counts it.
func (t *Tally) Counted(fn func(cccd, village, association, day string)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for k := range t.cccd {
		if k > maxCCCD {
			continue
		}
		b := t.best(k)
		if b < 0 {
			continue
		}
		e := &t.entries[b]
		fn(fmt.Sprintf("%012d", k), t.villages.name[e.village], t.assocs.name[e.assoc], DayString(Day(e.baseAt)))
	}
}
