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
	_, ok := t.headOf(cccdKey(key, ""))
	return ok
}

// Counted calls fn for each citizen counted as activated whose key is a
// plain CCCD (pseudonyms cannot be matched with anything outside the ward),
// with the village, association and day of the record that counts it.
func (t *Tally) Counted(fn func(cccd, village, association, day string)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.cccd.each(func(head int32) {
		k := t.ent(head).cccd
		if k > maxCCCD {
			return
		}
		b := t.best(k)
		if b < 0 {
			return
		}
		g := t.groups[t.ent(b).group]
		fn(fmt.Sprintf("%012d", k), t.villages.name[g.village], t.assocs.name[g.assoc], DayString(Day(t.baseAt(b))))
	})
}
