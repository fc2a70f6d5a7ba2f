package kiosk

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
)

// deskIdle is how long a desk stays held by a tablet that does nothing.
const deskIdle = 10 * time.Minute

// deskClaims records which volunteer session holds which desk and which
// session called which ticket (issue 11: two tablets on one desk recorded
// the wrong citizen). A session holds at most one desk; it loses it on
// log-out, on choosing another desk, or after deskIdle without a request.
// A ticket belongs to the session that called it while that session is
// live; after a restart (claims live in memory, like sessions) or once the
// caller is gone, anyone may finish it.
type deskClaims struct {
	mu     sync.Mutex
	desks  int
	idle   time.Duration
	holder map[int]string      // desk → session key
	seen   map[string]seenAt   // session key → last request, its desk
	owner  map[string]string   // ticket id → session key of its caller
	names  map[string]string   // session key → volunteer name, for messages
	recent map[string][]string // session key → record ids completed, newest last
}

type seenAt struct {
	at   time.Time
	desk int
}

func newDeskClaims(desks int, idle time.Duration) *deskClaims {
	return &deskClaims{desks: desks, idle: idle, holder: map[int]string{}, seen: map[string]seenAt{},
		owner: map[string]string{}, names: map[string]string{}, recent: map[string][]string{}}
}

// sessionKey names a session without keeping its cookie secret.
func sessionKey(cookie string) string {
	if cookie == "" {
		return ""
	}
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:8])
}

// liveLocked reports whether session key has made a request within idle.
func (d *deskClaims) liveLocked(key string, now time.Time) bool {
	s, ok := d.seen[key]
	return ok && now.Sub(s.at) <= d.idle
}

// touch notes a request from a session (every volunteer request).
func (d *deskClaims) touch(key, name string, now time.Time) {
	if key == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.seen[key]
	if s.desk > 0 && !d.liveLocked(key, now) && d.holder[s.desk] == key {
		// Idle past the limit: the desk went free; it comes back only if
		// nobody else took it meanwhile (claim does that).
		delete(d.holder, s.desk)
		s.desk = 0
	}
	s.at = now
	d.seen[key] = s
	d.names[key] = name
}

// claim gives desk to session key unless another live session holds it; on
// refusal it names the holder and the lowest free desk (0: none).
func (d *deskClaims) claim(desk int, key string, now time.Time) (ok bool, holder string, free int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if h, taken := d.holder[desk]; taken && h != key && d.liveLocked(h, now) {
		return false, d.names[h], d.freeLocked(key, now)
	}
	s := d.seen[key]
	if s.desk > 0 && s.desk != desk && d.holder[s.desk] == key {
		delete(d.holder, s.desk)
	}
	d.holder[desk] = key
	s.desk, s.at = desk, now
	d.seen[key] = s
	return true, "", 0
}

// freeLocked is the lowest desk no other live session holds (0: none).
func (d *deskClaims) freeLocked(key string, now time.Time) int {
	for n := 1; n <= d.desks; n++ {
		h, taken := d.holder[n]
		if !taken || h == key || !d.liveLocked(h, now) {
			return n
		}
	}
	return 0
}

// deskOf is the desk session key holds (0: none).
func (d *deskClaims) deskOf(key string, now time.Time) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.seen[key]
	if s.desk > 0 && d.holder[s.desk] == key && d.liveLocked(key, now) {
		return s.desk
	}
	return 0
}

// taken lists the desks other live sessions hold.
func (d *deskClaims) taken(key string, now time.Time) []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []int{}
	for n := 1; n <= d.desks; n++ {
		if h, ok := d.holder[n]; ok && h != key && d.liveLocked(h, now) {
			out = append(out, n)
		}
	}
	return out
}

// release ends everything session key held (log-out).
func (d *deskClaims) release(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for n, h := range d.holder {
		if h == key {
			delete(d.holder, n)
		}
	}
	for id, h := range d.owner {
		if h == key {
			delete(d.owner, id)
		}
	}
	delete(d.seen, key)
	delete(d.names, key)
	delete(d.recent, key)
}

// called notes that session key called ticket id.
func (d *deskClaims) called(id, key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.owner[id] = key
}

// finished forgets a ticket's caller (completed, no-show, back in line).
func (d *deskClaims) finished(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.owner, id)
}

// mayAct reports whether session key may act on ticket id: it called it,
// or nobody live did. who names the caller when refused.
func (d *deskClaims) mayAct(id, key string, now time.Time) (ok bool, who string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h, owned := d.owner[id]
	if !owned || h == key || !d.liveLocked(h, now) {
		return true, ""
	}
	return false, d.names[h]
}

// mine reports whether session key called ticket id.
func (d *deskClaims) mine(id, key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return key != "" && d.owner[id] == key
}

// completed remembers a record this session wrote (its "recent" list).
func (d *deskClaims) completed(key, recordID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := append(d.recent[key], recordID)
	if len(r) > 20 {
		r = r[len(r)-20:]
	}
	d.recent[key] = r
}

// recentOf is the record ids this session wrote, oldest first.
func (d *deskClaims) recentOf(key string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.recent[key]...)
}

// deskTaken is the refusal of a desk another tablet holds.
func deskTaken(desk int, holder string, free int) *apiError {
	msg := "Bàn " + strconv.Itoa(desk) + " đang có máy khác dùng"
	if holder != "" {
		msg += " (" + holder + ")"
	}
	msg += "."
	if free > 0 {
		msg += " Bàn " + strconv.Itoa(free) + " đang trống: hãy chọn bàn " + strconv.Itoa(free) + "."
	} else {
		msg += " Hiện không còn bàn trống."
	}
	return newErr(409, "desk_taken", "desk", msg)
}

// notYours is the refusal to finish a citizen another tablet called.
func notYours(number int, who string) *apiError {
	msg := "Số " + strconv.Itoa(number) + " do máy khác gọi"
	if who != "" {
		msg += " (" + who + ")"
	}
	return newErr(409, "not_yours", "", msg+". Chỉ máy đã gọi số này mới ghi kết quả được.")
}
