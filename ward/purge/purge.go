package purge

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/outreach"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
)

// Badger keeps old versions of rewritten keys in its tables and value log
// until compaction and GC happen to drop them, so the purge does not
// rewrite in place: it copies the store into store.purge-new with the
// purged records and without the roster, verifies the copy (the same
// counts, cursors and repeat detection; no personal field left before the
// date), swaps it in and deletes the old store (datadir.go). A crash at any
// point leaves either the old or the verified new store in place.

// Entry is one purge, as listed in the store.
type Entry struct {
	At          time.Time `json:"at"`
	Before      time.Time `json:"before"`
	Records     int       `json:"records"`
	Quarantined int       `json:"quarantined"`
	Roster      int       `json:"roster,omitempty"`
}

// ParseDate reads --before: an RFC 3339 time, or a date (YYYY-MM-DD or
// dd/mm/yyyy) meaning 00:00 UTC of that day — the date written in the
// records' recorded_at. (Vietnam's day starts 7 hours earlier: records
// made between 00:00 and 07:00 Vietnam time on that day are purged too.)
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if d, ok := quota.ParseDate(s); ok {
		if t, err := time.Parse(time.DateOnly, d); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--before %q: want YYYY-MM-DD, dd/mm/yyyy or an RFC 3339 time", s)
}

// Options configure Purge.
type Options struct {
	Data    string    // the ward's data directory
	DataKey []byte    // --data-key of an encrypted store
	Before  time.Time // records that happened before this lose their personal fields
	// KeepRosters keeps the outreach roster (persons, marks, invitations,
	// arrivals, VNPT rows), for a purge in the middle of a campaign.
	KeepRosters bool
	Logger      *slog.Logger
	Now         func() time.Time // tests; time.Now when nil
}

// Result says what Purge did.
type Result struct {
	Before      time.Time `json:"before"`
	NoStore     bool      `json:"no_store,omitempty"` // the data directory holds no store
	Records     int       `json:"records"`            // records held
	Purged      int       `json:"purged"`             // records purged now
	Quarantined int       `json:"quarantined"`        // quarantined deliveries purged now
	Roster      int       `json:"roster"`             // roster entries removed (persons, marks, invitations, arrivals, VNPT rows)
	Done        int       `json:"done"`               // citizens counted, before and after
}

// Purge removes the personal fields of the records that happened before
// o.Before, in the data directory of a ward that is not running. The
// counts do not change; Purge verifies that before it replaces the store.
func Purge(o Options) (Result, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	res := Result{Before: o.Before.UTC()}
	if o.Before.After(now()) {
		return res, fmt.Errorf("--before %s is in the future: that would purge the records of a campaign still running", o.Before.UTC().Format(time.RFC3339))
	}
	if !HasStore(o.Data) {
		res.NoStore = true
		return res, nil
	}
	unlock, err := lockPurge(o.Data)
	if err != nil {
		return res, err
	}
	defer unlock()
	old, err := openStoreLocked(o.Data, OfflineOptions(o.DataKey), log)
	if err != nil {
		return res, err
	}
	defer func() {
		if old != nil {
			old.Close()
		}
	}()

	prev, err := LoadPseudonyms(old)
	if err != nil {
		return res, err
	}
	next, newSalt := prev, prev.salt == nil
	if newSalt {
		next.salt = make([]byte, 32)
		_, _ = rand.Read(next.salt) // crypto/rand.Read never fails
	}
	at := now().UTC()
	before, err := countStore(old, prev, at, time.Time{})
	if err != nil {
		return res, fmt.Errorf("reading the store: %w", err)
	}
	res.Records, res.Done = before.Records, before.Snapshot.Done
	due, err := purgeDue(old, o.Before)
	if err != nil {
		return res, fmt.Errorf("reading the store: %w", err)
	}
	drop := rosterPrefixes(o)
	roster, err := countKeys(old, drop)
	if err != nil {
		return res, fmt.Errorf("reading the store: %w", err)
	}
	if due == 0 && roster == 0 {
		log.Info("nothing to purge", "before", res.Before)
		return res, nil
	}

	newDir := filepath.Join(o.Data, purgeNewDir)
	if err := os.RemoveAll(newDir); err != nil {
		return res, err
	}
	fail := func(err error) (Result, error) {
		_ = os.RemoveAll(newDir)
		return res, err
	}
	if err := copyPurged(old, newDir, o, drop, next, newSalt, at, &res); err != nil {
		return fail(err)
	}
	if err := verifyPurged(old, newDir, o, next, at, before, res.Roster); err != nil {
		return fail(fmt.Errorf("the purged copy did not check out, nothing was changed: %w", err))
	}
	err = old.Close()
	old = nil
	if err != nil {
		return fail(err)
	}

	// The swap; finishPurge completes it after a crash at any step.
	cur, aside := filepath.Join(o.Data, storeDir), filepath.Join(o.Data, purgeOldDir)
	if err := os.Rename(cur, aside); err != nil {
		return fail(err)
	}
	if err := os.Rename(newDir, cur); err != nil {
		return res, fmt.Errorf("swapping in the purged store (the next start finishes it): %w", err)
	}
	syncDir(o.Data)
	if err := removeStore(aside); err != nil {
		return res, fmt.Errorf("removing the old store (the next start retries): %w", err)
	}
	log.Info("purged", "before", res.Before, "records", res.Purged, "quarantined", res.Quarantined, "roster", res.Roster)
	return res, nil
}

// purgeDue counts the records and quarantined deliveries Purge would change.
func purgeDue(st *store.Store, cutoff time.Time) (int, error) {
	n := 0
	err := st.EachRecord(func(x store.Stored) error {
		if !x.Purged && recordTime(&x.Record, x.ReceivedAt).Before(cutoff) {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	q, err := st.Quarantine()
	for _, x := range q {
		if r, ok := quarantinedRecord(x); ok && !Purged(r.Citizen) && recordTime(&r, x.ReceivedAt).Before(cutoff) {
			n++
		}
	}
	return n, err
}

func quarantinedRecord(q store.Quarantined) (record.Record, bool) {
	var r record.Record
	err := json.Unmarshal(q.Record, &r)
	return r, err == nil
}

// rosterPrefixes are the keys of the roster's personal data, which the
// copy leaves out (none with KeepRosters).
func rosterPrefixes(o Options) []string {
	if o.KeepRosters {
		return nil
	}
	return outreach.PersonalPrefixes()
}

// countKeys counts the keys under prefixes.
func countKeys(st *store.Store, prefixes []string) (int, error) {
	n := 0
	for _, p := range prefixes {
		if err := st.Each(p, func(string, []byte) error { n++; return nil }); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// copyPurged writes the purged copy of old into dir, without the keys
// under drop.
func copyPurged(old *store.Store, dir string, o Options, drop []string, next Pseudonyms, newSalt bool, at time.Time, res *Result) error {
	dst, err := store.Open(dir, store.Options{EncryptionKey: o.DataKey, Logger: o.Logger})
	if err != nil {
		return err
	}
	stats, err := old.CopyWithout(dst, drop,
		func(x *store.Stored) error {
			if x.Purged || !recordTime(&x.Record, x.ReceivedAt).Before(o.Before) {
				return nil
			}
			x.OrigHash = store.ContentHash(x.Record.Canonical())
			scrub(&x.Record, next)
			x.Canonical, x.Purged = x.Record.Canonical(), true
			res.Purged++
			return nil
		},
		func(q *store.Quarantined) error {
			r, ok := quarantinedRecord(*q)
			if !ok {
				return fmt.Errorf("quarantined delivery %s/%d is unreadable", q.KioskID, q.Seq)
			}
			if Purged(r.Citizen) || !recordTime(&r, q.ReceivedAt).Before(o.Before) {
				return nil
			}
			scrub(&r, next)
			q.Record = r.Canonical() // q.Hash stays: a re-sent delivery is still known
			res.Quarantined++
			return nil
		})
	res.Roster = stats.Dropped
	if err == nil && newSalt {
		err = dst.PutSetting(settingSalt, saltSetting{Salt: next.salt, CreatedAt: at})
	}
	if err == nil {
		var list []Entry
		if gerr := old.GetSetting(settingPurges, &list); gerr != nil && !errors.Is(gerr, store.ErrNotFound) {
			err = gerr
		} else {
			list = append(list, Entry{At: at, Before: o.Before.UTC(), Records: res.Purged, Quarantined: res.Quarantined, Roster: res.Roster})
			err = dst.PutSetting(settingPurges, list)
		}
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

// verifyPurged reopens the copy from disk and checks it against the
// original: every key is there, the counts, cursors and repeat detection
// are the same, no record before the cutoff keeps a personal field, and
// exactly the roster's dropped keys are missing.
func verifyPurged(old *store.Store, dir string, o Options, next Pseudonyms, at time.Time, before storeCounts, dropped int) error {
	dst, err := store.Open(dir, store.Options{EncryptionKey: o.DataKey, Logger: o.Logger})
	if err != nil {
		return err
	}
	defer dst.Close()
	after, err := countStore(dst, next, at, o.Before)
	if err != nil {
		return err
	}
	if after.Leftover > 0 {
		return fmt.Errorf("%d records before the date still hold personal fields", after.Leftover)
	}
	a, _ := json.Marshal(before.Snapshot)
	b, _ := json.Marshal(after.Snapshot)
	switch {
	case string(a) != string(b):
		return errors.New("the counts differ")
	case before.Digest != after.Digest:
		return errors.New("the cursors or the repeat detection differ")
	}
	nOld, err := old.Count()
	if err != nil {
		return err
	}
	nNew, err := dst.Count()
	if err != nil {
		return err
	}
	left, err := countKeys(dst, rosterPrefixes(o))
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d roster entries are still there", left)
	}
	for p, n := range nOld {
		if p == "s/" && nNew[p] >= n {
			continue // the salt and the purge list may be new
		}
		if p == "other" {
			n -= dropped // the roster lives under "outreach/"
		}
		if nNew[p] != n {
			return fmt.Errorf("%d keys under %q, the store had %d", nNew[p], p, n)
		}
	}
	return nil
}

// storeCounts is what a ward would count from a store.
type storeCounts struct {
	Records  int
	Snapshot tally.Snapshot
	Digest   [32]byte // over every (kiosk, seq, content hash) and each kiosk's cursor
	Leftover int      // records before the cutoff that still hold personal fields
}

// recentDays is the forecast window the counts are compared with (the
// ward's default; any window compares the same days before and after).
const recentDays = 7

func countStore(st *store.Store, p Pseudonyms, now, cutoff time.Time) (storeCounts, error) {
	var c storeCounts
	t := tally.New()
	h := sha256.New()
	var kiosks []string
	err := st.EachRecord(func(x store.Stored) error {
		it := p.StoredItem(&x)
		t.Add(it)
		c.Records++
		if len(kiosks) == 0 || kiosks[len(kiosks)-1] != it.Kiosk {
			kiosks = append(kiosks, it.Kiosk) // records come in (kiosk, seq) order
		}
		h.Write([]byte(it.Kiosk))
		h.Write(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, it.Seq), it.Hash))
		if !cutoff.IsZero() && it.At.Before(cutoff) {
			ci := x.Record.Citizen
			if ci.Name != "" || ci.Phone != "" || ci.BirthDate != "" || (ci.CCCD != "" && !strings.HasPrefix(ci.CCCD, purgedPrefix)) {
				c.Leftover++
			}
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	for _, k := range kiosks {
		kc := t.Kiosk(k)
		fmt.Fprintf(h, "\x00%s %d %d %d", k, kc.Records, kc.Acked, kc.MaxSeq)
	}
	copy(c.Digest[:], h.Sum(nil))
	c.Snapshot = t.Snapshot(now, recentDays)
	return c, nil
}
