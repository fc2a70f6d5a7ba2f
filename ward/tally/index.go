package tally

import "encoding/binary"

// index is an open-addressing hash table (linear probing) of entry numbers.
// The key of an entry is read from the entry itself, so a slot costs 4
// bytes where a Go map of the same keys costs 20–40: at a district's
// millions of records that is most of the tally.
type index struct {
	slots []int32 // entry number + 1; 0 is an empty slot
	n     int
}

// keyed tells an index how to hash and compare the entries it holds.
type keyed interface {
	hashOf(i int32) uint64
}

// find returns the slot holding an entry eq accepts, or the empty slot
// where such an entry would go.
func (x *index) find(h uint64, eq func(int32) bool) (slot int, ok bool) {
	if len(x.slots) == 0 {
		return -1, false
	}
	mask := uint64(len(x.slots) - 1)
	for s := h & mask; ; s = (s + 1) & mask {
		v := x.slots[s]
		if v == 0 {
			return int(s), false
		}
		if eq(v - 1) {
			return int(s), true
		}
	}
}

// get returns the entry eq accepts.
func (x *index) get(h uint64, eq func(int32) bool) (int32, bool) {
	s, ok := x.find(h, eq)
	if !ok {
		return -1, false
	}
	return x.slots[s] - 1, true
}

// put stores i as the entry for its key, replacing one eq accepts.
func (x *index) put(h uint64, i int32, eq func(int32) bool, k keyed) {
	s, ok := x.find(h, eq)
	if ok {
		x.slots[s] = i + 1
		return
	}
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow(k)
		s, _ = x.find(h, eq)
	}
	x.slots[s] = i + 1
	x.n++
}

func (x *index) grow(k keyed) {
	old := x.slots
	x.slots = make([]int32, max(16, 2*len(old)))
	mask := uint64(len(x.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		s := k.hashOf(v-1) & mask
		for x.slots[s] != 0 {
			s = (s + 1) & mask
		}
		x.slots[s] = v
	}
}

// del removes the entry eq accepts, shifting the entries after it back so
// that no probe sequence is broken (no tombstones).
func (x *index) del(h uint64, eq func(int32) bool, k keyed) {
	s, ok := x.find(h, eq)
	if !ok {
		return
	}
	mask := len(x.slots) - 1
	x.slots[s] = 0
	x.n--
	for j := (s + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		home := int(k.hashOf(x.slots[j]-1)) & mask
		// The entry at j may fill the hole at s when s lies on its probe
		// path, i.e. no farther from home than j is.
		if (j-home)&mask >= (j-s)&mask {
			x.slots[s], x.slots[j] = x.slots[j], 0
			s = j
		}
	}
}

// each calls fn with every entry held.
func (x *index) each(fn func(int32)) {
	for _, v := range x.slots {
		if v != 0 {
			fn(v - 1)
		}
	}
}

// mix spreads a key's bits over the low bits the table uses (splitmix64's
// finaliser): CCCD numbers are far from uniform.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb3f95de8ec6b
	x ^= x >> 33
	return x
}

// idHash: an id key is already a SHA-256 prefix.
func idHash(k idKey) uint64 { return binary.LittleEndian.Uint64(k[:8]) }

// byIDKeys and cccdKeys hash the entries of the two indexes.
type byIDKeys struct{ t *Tally }

func (k byIDKeys) hashOf(i int32) uint64 { return idHash(k.t.ent(i).id) }

type cccdKeys struct{ t *Tally }

func (k cccdKeys) hashOf(i int32) uint64 { return mix(k.t.ent(i).cccd) }
