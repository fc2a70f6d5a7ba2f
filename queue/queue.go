package queue

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/internal/kv"
	"github.com/kyso-vn/kyso/record"
)

// Clock stamps records; the kiosk passes one that knows whether the box's
// clock can be trusted (see package clock).
type Clock interface {
	Now() (time.Time, string)
}

type systemClock struct{}

func (systemClock) Now() (time.Time, string) { return time.Now(), record.ClockKiosk }

// Options configure a Queue.
type Options struct {
	Dir           string
	KioskID       string
	Desks         int
	Clock         Clock  // default: the system clock
	EncryptionKey []byte // optional, 16/24/32 bytes
	Round         string // stamped on records, optional
	OnChange      func() // called after every change, outside locks
	Logger        *slog.Logger
	// MinFreeBytes is the space kept free on the store's file system:
	// writes are refused (ErrUnavailable, ErrDiskFull) below it, because
	// Badger dies of SIGBUS on a full disk (see space.go). 0 means
	// DefaultMinFreeBytes; negative turns the guard off.
	MinFreeBytes int64
	// BallastBytes, when > 0, keeps a file of that size next to the store
	// that Open releases on a full disk so the store can still open.
	BallastBytes int64
}

// Day returns the local campaign day of t.
func Day(t time.Time) string { return t.In(clock.Vietnam).Format("2006-01-02") }

// Queue is the kiosk's queue and completion log. Safe for concurrent use.
type Queue struct {
	db      kv.Store
	opts    Options
	log     *slog.Logger
	changed func()

	logMu sync.Mutex // serialises appends to the completion log

	mu         sync.Mutex
	day        string
	tickets    map[string]*Ticket // today's active (waiting, called) tickets by id; finished ones stay on disk
	byCCCD     map[string]string  // CCCD → id of today's active ticket, or "" while a join commits
	nextNumber int
	nextOrder  int64
	desks      []DeskState
	calls      []Call
	callID     int64
	rev        int64
	head       uint64
	floor      uint64 // the ward held seqs up to here when this box took over (AdoptWardHead)
	acked      uint64
	activated  int
	repair     *RepairState // set when the store was rebuilt after damage (repair.go)
	pending    uint64       // highest pending key while repairing
	// digestsFrom is the first day counted from ticket digests (digest.go).
	digestsFrom string

	// waiting (today's waiting tickets in line order) and stats are kept
	// up to date by track/untrack on every change, so that a join, a
	// citizen's poll and the board never walk or sort the whole day.
	waiting []*Ticket
	stats   dayStats
}

// Open opens (or creates) the store in opts.Dir and restores today's queue.
func Open(opts Options) (*Queue, error) {
	if opts.Desks < 1 {
		opts.Desks = 1
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	db, err := kv.Open(opts.kv())
	if err != nil {
		return nil, err
	}
	if err := checkVersion(db); err != nil {
		db.Close()
		return nil, err
	}
	q := &Queue{db: db, opts: opts, log: opts.Logger, changed: opts.OnChange}
	// Board revisions and call ids only grow, also across restarts: a TV that
	// stayed on must not take call 1 of the new process for one it already spoke.
	q.rev = time.Now().UnixMilli()
	q.callID = q.rev
	if q.changed == nil {
		q.changed = func() {}
	}
	if q.digestsFrom, err = digestsFrom(db, Day(q.now())); err != nil {
		db.Close()
		return nil, err
	}
	if err := q.restore(); err != nil {
		db.Close()
		return nil, err
	}
	return q, nil
}

// Close flushes and closes the store.
func (q *Queue) Close() error { return q.db.Close() }

// kv is where the queue's store lives and how it is opened.
func (o Options) kv() kv.Options {
	return kv.Options{
		Dir: o.Dir, EncryptionKey: o.EncryptionKey, MinFree: o.MinFreeBytes, Ballast: o.BallastBytes,
		Logger: o.Logger, FlushReplayed: true,
	}
}

// now is UTC so that what is stored reads back identical.
func (q *Queue) now() time.Time {
	t, _ := q.opts.Clock.Now()
	return t.UTC()
}

func (q *Queue) restore() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.db.View(func(txn kv.Txn) error {
		// head seq: the last record key.
		last := kv.IterOptions{Reverse: true, KeysOnly: true, Prefix: []byte(prefRecord), Seek: recordKey(math.MaxUint64)}
		err := txn.Iterate(last, func(k, _ []byte) error {
			q.head = binaryUint64(k[len(prefRecord):])
			return kv.Stop
		})
		if err != nil {
			return err
		}
		if v, err := txn.Get(keyAcked); err == nil {
			q.acked, _ = strconv.ParseUint(string(v), 10, 64)
		}
		if v, err := txn.Get(keyFloor); err == nil {
			q.floor, _ = strconv.ParseUint(string(v), 10, 64)
			q.head = max(q.head, q.floor)
		}
		if q.activated, err = countActivated(txn); err != nil {
			return err
		}
		if q.repair, q.pending, err = loadRepair(txn); err != nil {
			return err
		}
		return q.loadDayLocked(txn, Day(q.now()))
	})
}

// countActivated counts the CCCDs marked activated (the house's total on
// the board).
func countActivated(txn kv.Txn) (int, error) {
	n := 0
	err := txn.Iterate(kv.IterOptions{KeysOnly: true, Prefix: []byte(prefActive)}, func(_, _ []byte) error {
		n++
		return nil
	})
	return n, err
}

func binaryUint64(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// loadDayLocked replaces the in-memory queue with the tickets stored for day.
// The store gives them in id (UUID) order, not line order: the waiting ones
// are collected and sorted once, so start-up is O(n log n) in the day's
// tickets (inserting each into the sorted line was O(n²): 24 s of a 30 s
// start at 80k tickets, issue 15), and decoding them uses every core.
func (q *Queue) loadDayLocked(txn kv.Txn, day string) error {
	q.day = day
	q.tickets = map[string]*Ticket{}
	q.byCCCD = map[string]string{}
	q.nextNumber, q.nextOrder = 1, 1
	q.desks = make([]DeskState, q.opts.Desks)
	for i := range q.desks {
		q.desks[i].Desk = i + 1
	}
	q.calls = nil
	q.waiting, q.stats = nil, dayStats{}
	defer func() {
		sort.Slice(q.waiting, func(i, j int) bool { return q.waiting[i].Order < q.waiting[j].Order })
	}()
	add := func(t *Ticket) {
		q.countLocked(t)
		if t.Status.Active() {
			q.tickets[t.ID] = t
		}
		if t.Status == Waiting {
			q.waiting = append(q.waiting, t)
		}
		if t.Status.Active() {
			q.byCCCD[t.Citizen.CCCD] = t.ID
		}
		q.nextNumber = max(q.nextNumber, t.Number+1)
		q.nextOrder = max(q.nextOrder, t.Order+1)
		if t.Status == Called && t.Desk >= 1 && t.Desk <= len(q.desks) && t.CalledAt.After(q.desks[t.Desk-1].CalledAt) {
			q.desks[t.Desk-1] = DeskState{Desk: t.Desk, Number: t.Number, CalledAt: t.CalledAt}
		}
	}
	if day >= q.digestsFrom {
		// Every ticket of the day has a digest: count from those, read
		// only the active tickets whole (digest.go).
		return loadDigests(txn, day, add)
	}
	// An older day: decoded on every core (load.go); each ticket's effect
	// does not depend on the order they come in.
	return eachTicket(txn, kv.IterOptions{Prefix: []byte(prefTicket + day + "/")}, func(t *Ticket) error {
		add(t)
		return nil
	})
}

// rollLocked starts a new day's queue when the local date has changed.
func (q *Queue) rollLocked(now time.Time) {
	if d := Day(now); d != q.day {
		err := q.db.View(func(txn kv.Txn) error { return q.loadDayLocked(txn, d) })
		if err != nil {
			q.log.Error("load day", "day", d, "err", err)
		}
		q.rev++
	}
}

func hashToken(tok string) string {
	s := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(s[:])
}

// Activated reports whether this kiosk has recorded an activation for cccd.
func (q *Queue) Activated(cccd string) (bool, error) {
	err := q.db.View(func(txn kv.Txn) error {
		_, err := txn.Get(activeKey(cccd))
		return err
	})
	if errors.Is(err, kv.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return true, nil
}

// Join adds a citizen at the back of today's queue. Joins commit outside
// the lock so that concurrent joins overlap their work; Badger v4 still
// syncs its WAL once per transaction (DB.writeToLSM), so each durable join
// costs one fsync of its own (docs/benchmarks.md).
func (q *Queue) Join(j Join) (Ticket, error) {
	if err := q.db.Check(); err != nil {
		return Ticket{}, err // before a number is taken: a full disk must not burn numbers
	}
	now := q.now()
	q.mu.Lock()
	q.rollLocked(now)
	if _, dup := q.byCCCD[j.Citizen.CCCD]; dup {
		q.mu.Unlock()
		return Ticket{}, ErrAlreadyQueued
	}
	q.byCCCD[j.Citizen.CCCD] = "" // reserved while the write commits
	t := Ticket{
		ID: uuid.NewString(), Day: q.day, Number: q.nextNumber, Order: q.nextOrder,
		Status: Waiting, Citizen: j.Citizen, TokenHash: hashToken(j.Token),
		ConsentAt: now, ConsentVersion: j.ConsentVersion, ConsentBy: j.ConsentBy, JoinedAt: now,
	}
	q.nextNumber++
	q.nextOrder++
	q.mu.Unlock()

	if err := q.putJoin(t); err != nil {
		q.mu.Lock()
		if q.byCCCD[j.Citizen.CCCD] == "" {
			delete(q.byCCCD, j.Citizen.CCCD)
		}
		// Nothing was stored: hand the number back unless a later one is out.
		if t.Day == q.day && q.nextNumber == t.Number+1 && q.nextOrder == t.Order+1 {
			q.nextNumber, q.nextOrder = t.Number, t.Order
		}
		q.mu.Unlock()
		return Ticket{}, err
	}
	q.mu.Lock()
	if t.Day == q.day {
		q.tickets[t.ID] = &t
		q.trackLocked(&t)
		q.byCCCD[t.Citizen.CCCD] = t.ID
		q.rev++
	}
	q.mu.Unlock()
	q.changed()
	return t, nil
}

// putJoin stores a new ticket unless its citizen is already activated. The
// check shares the write's transaction on purpose: every Badger transaction
// first waits for all commits in flight (its read watermark), so a separate
// read would make each join wait for a second round of fsyncs.
func (q *Queue) putJoin(t Ticket) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	err = q.db.Update(func(txn kv.Txn) error {
		if _, err := txn.Get(activeKey(t.Citizen.CCCD)); !errors.Is(err, kv.ErrNotFound) {
			if err == nil {
				return ErrAlreadyActivated
			}
			return err
		}
		return putTicketTxn(txn, &t, b)
	})
	switch {
	case errors.Is(err, ErrAlreadyActivated), errors.Is(err, kv.ErrConflict):
		// A conflict means the activation was written while this join committed.
		return ErrAlreadyActivated
	case err != nil:
		return unavailable(err)
	}
	return nil
}

func (q *Queue) putTicket(t Ticket) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return unavailable(q.db.Update(func(txn kv.Txn) error { return putTicketTxn(txn, &t, b) }))
}

// Get returns one of today's tickets.
func (q *Queue) Get(id string) (Ticket, error) {
	q.mu.Lock()
	t, ok := q.tickets[id]
	day := q.day
	if ok {
		c := *t
		q.mu.Unlock()
		return c, nil
	}
	q.mu.Unlock()
	// Finished: on disk (committed before it left memory).
	st, err := q.storedTicket(day, id)
	if err != nil {
		return Ticket{}, err
	}
	return *st, nil
}

// ticketLocked returns today's ticket id: the one in memory while it is
// active, else a copy read from the store.
func (q *Queue) ticketLocked(id string) (*Ticket, error) {
	if t, ok := q.tickets[id]; ok {
		return t, nil
	}
	return q.storedTicket(q.day, id)
}

// storedTicket reads one ticket of day from the store.
func (q *Queue) storedTicket(day, id string) (*Ticket, error) {
	var t Ticket
	err := q.db.View(func(txn kv.Txn) error {
		v, err := txn.Get(ticketKey(day, id))
		if err != nil {
			return err
		}
		return json.Unmarshal(v, &t)
	})
	if errors.Is(err, kv.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return &t, nil
}

// Authorize returns the ticket when token is the one handed out at join.
func (q *Queue) Authorize(id, token string) (Ticket, error) {
	t, err := q.Get(id)
	if err != nil {
		return Ticket{}, err
	}
	if subtle.ConstantTimeCompare([]byte(t.TokenHash), []byte(hashToken(token))) != 1 {
		return Ticket{}, ErrNotFound // do not reveal that the id exists
	}
	return t, nil
}

// update applies fn to a copy of ticket id, commits it, then publishes it.
// Volunteer actions are rare, so they commit under the lock: simple and
// strictly ordered.
func (q *Queue) update(id string, fn func(t *Ticket, now time.Time) error) (Ticket, error) {
	now := q.now()
	q.mu.Lock()
	q.rollLocked(now)
	cur, err := q.ticketLocked(id)
	if err != nil {
		q.mu.Unlock()
		return Ticket{}, err
	}
	next := *cur
	if err := fn(&next, now); err != nil {
		q.mu.Unlock()
		return Ticket{}, err
	}
	if err := q.putTicket(next); err != nil {
		q.mu.Unlock()
		return Ticket{}, err
	}
	q.applyLocked(cur, next)
	q.mu.Unlock()
	q.changed()
	return next, nil
}

// applyLocked publishes a committed ticket change to the in-memory indexes.
func (q *Queue) applyLocked(cur *Ticket, next Ticket) {
	if cur.Status.Active() && !next.Status.Active() {
		delete(q.byCCCD, cur.Citizen.CCCD)
	}
	if next.Status.Active() {
		if cur.Citizen.CCCD != next.Citizen.CCCD {
			delete(q.byCCCD, cur.Citizen.CCCD)
		}
		q.byCCCD[next.Citizen.CCCD] = next.ID
	}
	// A desk shows a number only while that citizen is being served there.
	if cur.Status == Called && next.Status != Called && cur.Desk >= 1 && cur.Desk <= len(q.desks) && q.desks[cur.Desk-1].Number == cur.Number {
		q.desks[cur.Desk-1] = DeskState{Desk: cur.Desk}
	}
	q.untrackLocked(cur)
	*cur = next
	q.trackLocked(cur)
	if cur.Status.Active() {
		q.tickets[cur.ID] = cur
	} else {
		delete(q.tickets, cur.ID) // finished: it stays on disk only
	}
	q.rev++
}

// dayStats are today's counters, maintained ticket by ticket.
type dayStats struct {
	byStatus     map[Status]int
	serviceTotal time.Duration // called → finished, over activated and failed tickets
	serviceN     int
	deskCalled   map[int]time.Time // latest call (or walk-in completion) per desk
}

func served(t *Ticket) bool {
	return (t.Status == Activated || t.Status == Failed) && !t.CalledAt.IsZero() && t.FinishedAt.After(t.CalledAt)
}

// trackLocked adds t to the line (in order) and to the counters.
func (q *Queue) trackLocked(t *Ticket) {
	q.countLocked(t)
	if t.Status == Waiting {
		// New and requeued tickets take the highest order: this is nearly always an append.
		i := sort.Search(len(q.waiting), func(i int) bool { return q.waiting[i].Order > t.Order })
		q.waiting = append(q.waiting, nil)
		copy(q.waiting[i+1:], q.waiting[i:])
		q.waiting[i] = t
	}
}

// countLocked adds t to tonight's counters.
func (q *Queue) countLocked(t *Ticket) {
	if q.stats.byStatus == nil {
		q.stats.byStatus, q.stats.deskCalled = map[Status]int{}, map[int]time.Time{}
	}
	q.stats.byStatus[t.Status]++
	if served(t) {
		q.stats.serviceTotal += t.FinishedAt.Sub(t.CalledAt)
		q.stats.serviceN++
	}
	if t.Desk > 0 && !t.CalledAt.IsZero() && t.CalledAt.After(q.stats.deskCalled[t.Desk]) {
		q.stats.deskCalled[t.Desk] = t.CalledAt
	}
}

// untrackLocked takes t out of the line and the counters; t must hold the
// values it was tracked with. A desk's latest call stays: it was made.
func (q *Queue) untrackLocked(t *Ticket) {
	q.stats.byStatus[t.Status]--
	if served(t) {
		q.stats.serviceTotal -= t.FinishedAt.Sub(t.CalledAt)
		q.stats.serviceN--
	}
	if t.Status == Waiting {
		i := sort.Search(len(q.waiting), func(i int) bool { return q.waiting[i].Order >= t.Order })
		if i < len(q.waiting) && q.waiting[i] == t {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
		}
	}
}

func (q *Queue) deskOK(desk int) bool { return desk >= 1 && desk <= len(q.desks) }

func (q *Queue) addCallLocked(t Ticket, now time.Time) {
	q.callID++
	q.calls = append(q.calls, Call{ID: q.callID, Number: t.Number, Desk: t.Desk, At: now})
	if len(q.calls) > 10 {
		q.calls = q.calls[len(q.calls)-10:]
	}
	q.desks[t.Desk-1] = DeskState{Desk: t.Desk, Number: t.Number, CalledAt: now}
}

// waitingLocked returns today's waiting tickets in line order; callers
// must not modify the slice.
func (q *Queue) waitingLocked() []*Ticket { return q.waiting }

// CallNext calls the first waiting citizen to desk. ok is false when nobody waits.
func (q *Queue) CallNext(desk int, volunteer string) (t Ticket, ok bool, err error) {
	now := q.now()
	q.mu.Lock()
	q.rollLocked(now)
	if !q.deskOK(desk) {
		q.mu.Unlock()
		return Ticket{}, false, ErrBadDesk
	}
	w := q.waitingLocked()
	if len(w) == 0 {
		q.mu.Unlock()
		return Ticket{}, false, nil
	}
	cur := w[0]
	next := *cur
	next.Status, next.Desk, next.Volunteer, next.CalledAt = Called, desk, volunteer, now
	if err := q.putTicket(next); err != nil {
		q.mu.Unlock()
		return Ticket{}, false, err
	}
	q.applyLocked(cur, next)
	q.addCallLocked(next, now)
	q.mu.Unlock()
	q.changed()
	return next, true, nil
}

// Recall announces a called ticket again.
func (q *Queue) Recall(id string) (Ticket, error) {
	t, err := q.update(id, func(t *Ticket, now time.Time) error {
		if t.Status != Called {
			return ErrBadState
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	q.mu.Lock()
	if q.deskOK(t.Desk) {
		q.addCallLocked(t, q.now())
		q.rev++
	}
	q.mu.Unlock()
	q.changed()
	return t, nil
}

// NoShow marks a citizen who did not come when called.
func (q *Queue) NoShow(id string) (Ticket, error) {
	return q.update(id, func(t *Ticket, now time.Time) error {
		if !t.Status.Active() {
			return ErrBadState
		}
		t.Status, t.FinishedAt = NoShow, now
		return nil
	})
}

// Requeue puts a called or no-show citizen back at the end of the line.
func (q *Queue) Requeue(id string) (Ticket, error) {
	q.mu.Lock()
	order := q.nextOrder
	q.nextOrder++
	t, err := q.ticketLocked(id)
	if err == nil && t.Status == NoShow {
		if other, dup := q.byCCCD[t.Citizen.CCCD]; dup && other != id {
			q.mu.Unlock()
			return Ticket{}, ErrAlreadyQueued
		}
	}
	q.mu.Unlock()
	return q.update(id, func(t *Ticket, now time.Time) error {
		if t.Status != Called && t.Status != NoShow {
			return ErrBadState
		}
		t.Status, t.Order, t.Desk, t.CalledAt, t.FinishedAt = Waiting, order, 0, time.Time{}, time.Time{}
		return nil
	})
}

// Restore puts a no-show, or a citizen who left the line, back at the place
// they had (their original order), not at the back: the volunteer mends a
// slip, the citizen is not punished for it.
func (q *Queue) Restore(id string) (Ticket, error) {
	q.mu.Lock()
	t, err := q.ticketLocked(id)
	if err == nil {
		if other, dup := q.byCCCD[t.Citizen.CCCD]; dup && other != id {
			err = ErrAlreadyQueued
		}
	}
	q.mu.Unlock()
	if err != nil {
		return Ticket{}, err
	}
	if done, err := q.Activated(t.Citizen.CCCD); err != nil {
		return Ticket{}, err
	} else if done {
		return Ticket{}, ErrAlreadyActivated
	}
	return q.update(id, func(t *Ticket, now time.Time) error {
		if t.Status != NoShow && t.Status != Cancelled {
			return ErrBadState
		}
		t.Status, t.Desk, t.CalledAt, t.FinishedAt = Waiting, 0, time.Time{}, time.Time{}
		return nil
	})
}

// Cancel is the citizen leaving the queue.
func (q *Queue) Cancel(id string) (Ticket, error) {
	return q.update(id, func(t *Ticket, now time.Time) error {
		if !t.Status.Active() {
			return ErrBadState
		}
		t.Status, t.FinishedAt = Cancelled, now
		return nil
	})
}

// Correct replaces the citizen's fields on an active ticket. c must be
// validated by the caller.
func (q *Queue) Correct(id string, c record.Citizen) (Ticket, error) {
	q.mu.Lock()
	if other, dup := q.byCCCD[c.CCCD]; dup && other != id {
		q.mu.Unlock()
		return Ticket{}, ErrAlreadyQueued
	}
	q.mu.Unlock()
	return q.update(id, func(t *Ticket, now time.Time) error {
		if !t.Status.Active() {
			return ErrBadState
		}
		t.Citizen = c
		return nil
	})
}

// Complete records the outcome of a called (or waiting walk-in) ticket and
// appends a completion record with the next seq, in one commit.
func (q *Queue) Complete(id string, c Completion) (record.Record, error) {
	if c.Outcome != record.OutcomeActivated && c.Outcome != record.OutcomeFailed {
		return record.Record{}, ErrBadOutcome
	}
	if c.Outcome == record.OutcomeFailed && !validReason(c.Reason) {
		return record.Record{}, ErrBadOutcome
	}
	q.logMu.Lock()
	defer q.logMu.Unlock()
	now, clk := q.opts.Clock.Now()
	now = now.UTC()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.rollLocked(now)
	cur, err := q.ticketLocked(id)
	if err != nil {
		return record.Record{}, err
	}
	if !cur.Status.Active() {
		return record.Record{}, ErrBadState
	}
	next := *cur
	if c.Corrected != nil {
		if other, dup := q.byCCCD[c.Corrected.CCCD]; dup && other != id {
			return record.Record{}, ErrAlreadyQueued
		}
		next.Citizen = *c.Corrected
	}
	if c.Outcome == record.OutcomeActivated {
		done, err := q.Activated(next.Citizen.CCCD)
		if err != nil {
			return record.Record{}, err
		}
		if done {
			return record.Record{}, ErrAlreadyActivated
		}
	}
	desk := c.Desk
	if desk == 0 {
		desk = next.Desk
	}
	volunteer := c.Volunteer
	if volunteer == "" {
		volunteer = next.Volunteer
	}
	if volunteer == "" && desk > 0 {
		volunteer = "Bàn " + strconv.Itoa(desk)
	}
	if next.CalledAt.IsZero() {
		next.CalledAt = now // a walk-in completed without a call
	}
	next.Status, next.FinishedAt, next.Desk, next.Volunteer = Status(c.Outcome), now, desk, volunteer
	reason := c.Reason
	if c.Note != "" {
		reason = reason + ": " + c.Note
		if c.Reason == "" {
			reason = c.Note
		}
	}
	rec := record.Record{
		ID: uuid.NewString(), KioskID: q.opts.KioskID, Seq: q.head + 1, Type: record.TypeCompletion,
		Citizen: next.Citizen, Outcome: c.Outcome, Reason: reason, Volunteer: volunteer, Desk: desk,
		Round: q.opts.Round, Ticket: next.Number, ConsentAt: next.ConsentAt, ConsentVersion: next.ConsentVersion,
		ConsentBy: next.ConsentBy, RecordedAt: now.UTC(), Clock: clk, DeviceTime: c.DeviceTime,
	}
	next.RecordID = rec.ID
	if err := q.appendLocked(&rec, &next); err != nil {
		return record.Record{}, err
	}
	q.applyLocked(cur, next)
	go q.changed()
	return rec, nil
}

// appendLocked commits rec (and the ticket change, when given) in one
// transaction. Callers hold logMu, so head+1 is the next dense seq.
//
// While the log is being repaired (repair.go) the seq is not known yet: the
// record is committed under the next pending key with seq 0, and numbered
// when the repair ends.
func (q *Queue) appendLocked(rec *record.Record, t *Ticket) error {
	key, ref := recordKey(rec.Seq), strconv.FormatUint(rec.Seq, 10)
	repairing := repairing(q.repair)
	if repairing {
		rec.Seq = 0
		key, ref = pendingKey(q.pending+1), "p"+strconv.FormatUint(q.pending+1, 10)
	}
	err := q.db.Update(func(txn kv.Txn) error {
		if err := putRecordAt(txn, key, ref, *rec); err != nil {
			return err
		}
		if t != nil {
			tb, err := json.Marshal(t)
			if err != nil {
				return err
			}
			return putTicketTxn(txn, t, tb)
		}
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	if repairing {
		q.pending++
	} else {
		q.head = rec.Seq
	}
	if rec.Outcome == record.OutcomeActivated {
		q.activated++
	}
	return nil
}

// CorrectRecord appends a correction of an earlier record: the ward counts
// the correction in place of the original.
func (q *Queue) CorrectRecord(id string, c record.Citizen, outcome, reason, volunteer string) (record.Record, error) {
	orig, err := q.Log().Record(id)
	if err != nil {
		return record.Record{}, err
	}
	if outcome == "" {
		outcome = orig.Outcome
	}
	if outcome != record.OutcomeActivated && outcome != record.OutcomeFailed {
		return record.Record{}, ErrBadOutcome
	}
	q.logMu.Lock()
	defer q.logMu.Unlock()
	now, clk := q.opts.Clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	rec := orig
	rec.ID, rec.Seq, rec.Type, rec.Corrects = uuid.NewString(), q.head+1, record.TypeCorrection, orig.ID
	rec.Citizen, rec.Outcome, rec.Reason, rec.Volunteer = c, outcome, reason, volunteer
	rec.RecordedAt, rec.Clock, rec.DeviceTime = now.UTC(), clk, nil
	if err := q.appendLocked(&rec, nil); err != nil {
		return record.Record{}, err
	}
	q.rev++
	go q.changed()
	return rec, nil
}

// Record returns one record by id.
func (l *Log) Record(id string) (record.Record, error) {
	q := l.q
	var r record.Record
	err := q.db.View(func(txn kv.Txn) error {
		v, err := txn.Get(recIDKey(id))
		if err != nil {
			return err
		}
		var key []byte
		if p, pending := strings.CutPrefix(string(v), "p"); pending {
			n, _ := strconv.ParseUint(p, 10, 64)
			key = pendingKey(n) // made while repairing: no seq yet
		} else {
			seq, _ := strconv.ParseUint(string(v), 10, 64)
			key = recordKey(seq)
		}
		if v, err = txn.Get(key); err != nil {
			return err
		}
		return json.Unmarshal(v, &r)
	})
	if errors.Is(err, kv.ErrNotFound) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, unavailable(err)
	}
	return r, nil
}

// Records returns up to limit records with seq > after, in seq order, and
// the head seq. The log is dense above the floor, so a page with a hole
// there is damage (Badger's iterators end silently at a block they cannot
// read): it is refused with ErrDamaged, never answered in part.
func (l *Log) Records(after uint64, limit int) ([]record.Record, uint64, error) {
	q := l.q
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	q.mu.Lock()
	head, floor, repairing := q.head, q.floor, repairing(q.repair)
	q.mu.Unlock()
	if repairing {
		return nil, head, ErrRepairing
	}
	lost := func(from, to uint64) bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.repair != nil && lostIn(q.repair.Lost, from, to)
	}
	out := []record.Record{}
	next := after + 1 // the seq the page must hold next
	err := q.db.View(func(txn kv.Txn) error {
		o := kv.IterOptions{Prefetch: 100, Prefix: []byte(prefRecord), Seek: recordKey(after + 1)}
		return txn.Iterate(o, func(k, v []byte) error {
			var r record.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: record %x: %v", ErrDamaged, k[len(prefRecord):], err)
			}
			if r.Seq > head {
				return kv.Stop
			}
			if r.Seq != binaryUint64(k[len(prefRecord):]) || r.Seq < next || (r.Seq > next && r.Seq-1 > floor && !lost(next, r.Seq-1)) {
				return fmt.Errorf("%w: record %d where %d was due", ErrDamaged, r.Seq, next)
			}
			out = append(out, r)
			next = r.Seq + 1
			if len(out) >= limit {
				return kv.Stop
			}
			return nil
		})
	})
	if err == nil && len(out) < limit && next <= head && head > floor {
		err = fmt.Errorf("%w: the log ends at %d, the head is %d", ErrDamaged, next-1, head)
	}
	if err != nil {
		return nil, head, unavailable(err)
	}
	return out, head, nil
}

// HeadSeq is the seq of the newest record (0 when none).
func (l *Log) HeadSeq() uint64 {
	q := l.q
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.head
}

// AckedSeq is the highest seq the ward confirmed holding.
func (l *Log) AckedSeq() uint64 {
	q := l.q
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.acked
}

// SetAcked advances acked_seq from a ward reply; it never moves backwards
// and never passes the head.
func (l *Log) SetAcked(seq uint64) error {
	q := l.q
	q.mu.Lock()
	defer q.mu.Unlock()
	seq = min(seq, q.head)
	if seq <= q.acked {
		return nil
	}
	err := q.db.Update(func(txn kv.Txn) error {
		return txn.Set(keyAcked, []byte(strconv.FormatUint(seq, 10)))
	})
	if err != nil {
		return unavailable(err)
	}
	q.acked = seq
	return nil
}

// AdoptWardHead handles a ward that holds more of this kiosk's log than the
// kiosk does: a box restored from an older backup, or a new box paired under
// an old id. New records must not reuse seqs the ward already holds (they
// would conflict and be quarantined), so the log continues after the ward's.
// It reports whether the head moved.
func (l *Log) AdoptWardHead(seq uint64) (bool, error) {
	q := l.q
	// Guard (link defect of issue 10): a seq never wraps. A head near 2^64
	// would hand the next record seq 0; no real ward holds more than this.
	if seq > record.MaxSeq {
		return false, fmt.Errorf("ward head %d above the highest possible seq: refused", seq)
	}
	q.logMu.Lock()
	defer q.logMu.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if seq <= q.head || repairing(q.repair) {
		return false, nil // a repair takes the ward's records back instead
	}
	v := []byte(strconv.FormatUint(seq, 10))
	err := q.db.Update(func(txn kv.Txn) error {
		if err := txn.Set(keyFloor, v); err != nil {
			return err
		}
		return txn.Set(keyAcked, v)
	})
	if err != nil {
		return false, unavailable(err)
	}
	q.head, q.acked, q.floor = seq, seq, seq
	return true, nil
}

// Tickets returns today's tickets in number order (waiting and called first
// when activeOnly).
func (q *Queue) Tickets(activeOnly bool) []Ticket {
	q.mu.Lock()
	out := make([]Ticket, 0, len(q.tickets))
	for _, t := range q.tickets {
		out = append(out, *t)
	}
	day := q.day
	q.mu.Unlock()
	if !activeOnly {
		// The finished ones live on disk: the whole day from there.
		all := []Ticket{}
		err := q.db.View(func(txn kv.Txn) error {
			return txn.Iterate(kv.IterOptions{Prefix: []byte(prefTicket + day + "/")}, func(_, v []byte) error {
				var t Ticket
				if err := json.Unmarshal(v, &t); err != nil {
					return err
				}
				all = append(all, t)
				return nil
			})
		})
		if err == nil {
			out = all
		} else {
			q.log.Error("read the day's tickets", "err", err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Position is the 1-based place in line of a waiting ticket, else 0.
func (q *Queue) Position(id string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	t, ok := q.tickets[id]
	if !ok || t.Status != Waiting {
		return 0
	}
	w := q.waitingLocked()
	i := sort.Search(len(w), func(i int) bool { return w[i].Order >= t.Order })
	if i < len(w) && w[i] == t {
		return i + 1
	}
	return 0
}

// ETAMinutes estimates the wait for a place in line from tonight's own
// service times and the desks that are actually calling.
func (q *Queue) ETAMinutes(position int) int {
	if position <= 0 {
		return 0
	}
	s := q.Snapshot()
	return int(math.Ceil(float64(position) * float64(s.AvgServiceSeconds) / float64(s.ActiveDesks) / 60))
}

// DefaultServiceSeconds is the guess before tonight has its own numbers:
// SmartCA activation takes minutes per person.
const DefaultServiceSeconds = 300

// Snapshot returns the public state of the queue.
func (q *Queue) Snapshot() Snapshot {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	s := Snapshot{Rev: q.rev, Desks: append([]DeskState(nil), q.desks...), Calls: append([]Call{}, q.calls...), Next: []int{}, ActivatedTotal: q.activated}
	w := q.waitingLocked()
	s.Waiting = len(w)
	for i := 0; i < len(w) && i < 8; i++ {
		s.Next = append(s.Next, w[i].Number)
	}
	for _, n := range q.stats.byStatus {
		s.Tonight.Joined += n
	}
	s.Tonight.Activated = q.stats.byStatus[Activated]
	s.Tonight.Failed = q.stats.byStatus[Failed]
	s.Tonight.NoShow = q.stats.byStatus[NoShow]
	s.Tonight.Served = s.Tonight.Activated + s.Tonight.Failed
	s.AvgServiceSeconds = DefaultServiceSeconds
	if n := q.stats.serviceN; n > 0 {
		s.AvgServiceSeconds = max(30, int(q.stats.serviceTotal.Seconds())/n)
	}
	active := 0
	for _, at := range q.stats.deskCalled {
		if now.Sub(at) < 30*time.Minute {
			active++
		}
	}
	s.ActiveDesks = max(1, active)
	return s
}

// RunGC collects Badger's value log on a ticker until ctx ends, while the
// disk guard allows writes.
func (q *Queue) RunGC(ctx context.Context, every time.Duration) error { return q.db.RunGC(ctx, every) }
