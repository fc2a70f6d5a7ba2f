package httpx

import (
	"runtime"
	"sync"
	"time"
)

// Throttle slows password and PIN guessing. It counts attempts while they
// are evaluated, not only once they have failed: 300 wrong passwords sent
// at once from one address must not all be tried before the first failure
// is recorded. It also bounds how many secrets are evaluated at the same
// time, per client and overall, so that slow hashing (PBKDF2) cannot take
// every core; and it never holds its lock while a secret is evaluated.
//
// Use: done, err := t.Begin(client, now); if err != nil refuse (429);
// evaluate; done(ok).
type Throttle struct {
	// Failures (attempts in flight included) a client may make within
	// Window before it is locked for LockFor.
	PerClient int
	// Failures of all clients within Window before everyone is locked for
	// OverallLockFor (0: no overall lock).
	Overall        int
	Window         time.Duration
	LockFor        time.Duration
	OverallLockFor time.Duration
	// Evaluations at the same time, per client and overall (0: no bound).
	// An admitted attempt waits up to Wait for its turn (a script sending
	// three requests at once is served), then gets ErrBusy.
	InFlightPerClient int
	InFlight          int
	Wait              time.Duration

	mu       sync.Mutex
	clients  map[string]*attempts
	overall  attempts
	inFlight int
	slots    chan struct{} // overall evaluation slots
}

type attempts struct {
	failed   int
	first    time.Time // start of the current window
	locked   time.Time // locked until
	inFlight int       // admitted, waiting or evaluating
	slots    chan struct{}
}

// NewThrottle returns a throttle with the defaults: one evaluation at once
// per client, and overall one per two cores (at least one), so that
// hashing leaves the other cores to the people already logged in; an
// attempt waits at most 10 s for its turn.
func NewThrottle(perClient int, window, lockFor time.Duration) *Throttle {
	return &Throttle{PerClient: perClient, Window: window, LockFor: lockFor,
		InFlightPerClient: 1, InFlight: max(1, runtime.GOMAXPROCS(0)/2), Wait: 10 * time.Second}
}

func (a *attempts) roll(now time.Time, window time.Duration) {
	if now.Sub(a.first) > window {
		a.failed, a.first = 0, now
	}
}

// Begin admits one attempt of client, or refuses it with ErrLocked (too
// many failures, those in flight counted as failures) or ErrBusy (no turn
// to evaluate within Wait). done must be called exactly once with the
// outcome.
func (t *Throttle) Begin(client string, now time.Time) (done func(ok bool), err error) {
	a, err := t.admit(client, now)
	if err != nil {
		return nil, err
	}
	if !t.turn(a) {
		t.mu.Lock()
		a.inFlight--
		t.inFlight--
		t.mu.Unlock()
		return nil, ErrBusy
	}
	var once sync.Once
	return func(ok bool) {
		once.Do(func() {
			if t.slots != nil {
				<-t.slots
			}
			if a.slots != nil {
				<-a.slots
			}
			t.end(client, a, ok, now)
		})
	}, nil
}

func (t *Throttle) admit(client string, now time.Time) (*attempts, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.clients == nil {
		t.clients = map[string]*attempts{}
		if t.InFlight > 0 {
			t.slots = make(chan struct{}, t.InFlight)
		}
	}
	if now.Before(t.overall.locked) {
		return nil, ErrLocked
	}
	a := t.clients[client]
	if a == nil {
		if len(t.clients) >= 10_000 {
			t.sweep(now)
		}
		a = &attempts{first: now}
		if t.InFlightPerClient > 0 {
			a.slots = make(chan struct{}, t.InFlightPerClient)
		}
		t.clients[client] = a
	}
	if now.Before(a.locked) {
		return nil, ErrLocked
	}
	a.roll(now, t.Window)
	if a.failed+a.inFlight >= t.PerClient {
		return nil, ErrLocked
	}
	if t.Overall > 0 {
		t.overall.roll(now, t.Window)
		if t.overall.failed+t.inFlight >= t.Overall {
			return nil, ErrLocked
		}
	}
	a.inFlight++
	t.inFlight++
	return a, nil
}

// turn waits (without the lock) for a slot of the client and one overall.
func (t *Throttle) turn(a *attempts) bool {
	var timeout <-chan time.Time
	if t.Wait > 0 {
		tm := time.NewTimer(t.Wait)
		defer tm.Stop()
		timeout = tm.C
	}
	take := func(slots chan struct{}) bool {
		if slots == nil {
			return true
		}
		select {
		case slots <- struct{}{}:
			return true
		default:
		}
		if timeout == nil {
			return false
		}
		select {
		case slots <- struct{}{}:
			return true
		case <-timeout:
			return false
		}
	}
	if !take(a.slots) {
		return false
	}
	if !take(t.slots) {
		if a.slots != nil {
			<-a.slots
		}
		return false
	}
	return true
}

// Locked reports ErrLocked when client may not try now (locked, or its
// budget taken by failures and attempts in flight), without starting an
// attempt: for a cheap check (a cached hash) that may then Forget.
func (t *Throttle) Locked(client string, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Before(t.overall.locked) {
		return ErrLocked
	}
	a := t.clients[client]
	if a == nil {
		return nil
	}
	a.roll(now, t.Window)
	if now.Before(a.locked) || a.failed+a.inFlight >= t.PerClient {
		return ErrLocked
	}
	return nil
}

// Forget clears a client's failures after it proved its secret by a cheap
// check (see Locked).
func (t *Throttle) Forget(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a := t.clients[client]; a != nil {
		if a.inFlight == 0 {
			delete(t.clients, client)
		} else {
			a.failed = 0
		}
	}
}

// end records an attempt's outcome. now is the attempt's start: a slow
// evaluation does not move the window.
func (t *Throttle) end(client string, a *attempts, ok bool, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a.inFlight--
	t.inFlight--
	if ok {
		if a.inFlight == 0 {
			delete(t.clients, client)
		} else {
			a.failed = 0
		}
		return
	}
	a.roll(now, t.Window)
	a.failed++
	if a.failed >= t.PerClient {
		a.locked, a.failed = now.Add(t.LockFor), 0
	}
	if t.Overall > 0 {
		t.overall.roll(now, t.Window)
		t.overall.failed++
		if t.overall.failed >= t.Overall {
			t.overall.locked, t.overall.failed = now.Add(t.OverallLockFor), 0
		}
	}
}

// sweep forgets clients with nothing to remember (the map stays bounded
// when addresses are many).
func (t *Throttle) sweep(now time.Time) {
	for k, a := range t.clients {
		if a.inFlight == 0 && !now.Before(a.locked) && now.Sub(a.first) > t.Window {
			delete(t.clients, k)
		}
	}
	if len(t.clients) >= 10_000 {
		// Still full of live entries: drop idle ones rather than grow.
		for k, a := range t.clients {
			if a.inFlight == 0 && !now.Before(a.locked) {
				delete(t.clients, k)
			}
		}
	}
}
