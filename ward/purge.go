package ward

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
)

// `ward purge --before DATE` removes the citizens' personal fields (name,
// CCCD, phone, birth date) from the records of a finished reporting period
// and keeps everything the counts need (village, association, gender,
// outcome, reason, volunteer, desk, round, times, consent).
//
// The counts de-duplicate by CCCD, also against records that arrive after
// the purge. So the CCCD is replaced by a pseudonym, "purged:" and the
// first 24 hex digits of HMAC-SHA256(salt, CCCD), where the salt is 32
// random bytes made at the first purge and kept in the store. Once a salt
// exists, the tally counts every record by its pseudonym, purged or not,
// so a later record of the same person still counts once. The trade-off:
// a CCCD has few possible values (a province code, a century digit, a
// birth year, six digits), so whoever holds the salt can find the CCCD of a
// pseudonym by trying them all; the salt never leaves the ward's store,
// which --data-key encrypts. Without the salt the pseudonyms say nothing.
//
// Badger keeps old versions of rewritten keys in its tables and value log
// until compaction and GC happen to drop them, so the purge does not
// rewrite in place: it copies the store into store.purge-new with the
// purged records, verifies the copy (the same counts, cursors and repeat
// detection; no personal field left before the date), swaps it in and
// deletes the old store (storedir.go). A crash at any point leaves either
// the old or the verified new store in place.

// Settings written by the purge.
const (
	settingPurgeSalt = "purge_salt"
	settingPurges    = "purges"
)

// purgedPrefix starts the pseudonym that replaces a purged CCCD.
const purgedPrefix = "purged:"

type saltSetting struct {
	Salt      []byte    `json:"salt"`
	CreatedAt time.Time `json:"created_at"`
}

// PurgeEntry is one purge, as listed in the store.
type PurgeEntry struct {
	At          time.Time `json:"at"`
	Before      time.Time `json:"before"`
	Records     int       `json:"records"`
	Quarantined int       `json:"quarantined"`
}

// pseudonymizer gives the key the tally counts a CCCD by.
type pseudonymizer struct{ salt []byte }

// key is the CCCD itself while the store has no salt; with one it is the
// CCCD's pseudonym (a pseudonym or an empty CCCD stays as it is).
func (p pseudonymizer) key(cccd string) string {
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

// item is what the tally holds of a record.
func (p pseudonymizer) item(r *record.Record, receivedAt time.Time, hash uint64) tally.Item {
	it := tally.ItemOf(r, receivedAt, hash)
	it.CCCD = p.key(it.CCCD)
	return it
}

// storedItem is item for a stored record; a purged one keeps the hash of
// what was delivered, so that a kiosk re-sending it is seen as a repeat.
func (p pseudonymizer) storedItem(st *store.Stored) tally.Item {
	hash := st.OrigHash
	if !st.Purged {
		// The stored bytes are the canonical bytes: no re-encoding at start.
		hash = contentHash(st.Canonical)
	}
	return p.item(&st.Record, st.ReceivedAt, hash)
}

func (s *Service) itemOf(r *record.Record, receivedAt time.Time, hash uint64) tally.Item {
	return s.pseudo.item(r, receivedAt, hash)
}

func loadPseudonymizer(st *store.Store) (pseudonymizer, error) {
	var salt saltSetting
	err := st.GetSetting(settingPurgeSalt, &salt)
	if errors.Is(err, store.ErrNotFound) {
		return pseudonymizer{}, nil
	}
	if err != nil {
		return pseudonymizer{}, err
	}
	if len(salt.Salt) < 16 {
		return pseudonymizer{}, errors.New("the purge salt in the store is damaged")
	}
	return pseudonymizer{salt: salt.Salt}, nil
}

// recordTime is when a record happened as the tally dates it: the kiosk's
// time, or the ward's receive time when the kiosk's clock was not to be
// believed (a box without a clock starts in 1970: its records must not
// count as old).
func recordTime(r *record.Record, receivedAt time.Time) time.Time {
	return tally.ItemOf(r, receivedAt, 0).At
}

// scrub removes the personal fields and puts the pseudonym in the CCCD's place.
func scrub(r *record.Record, p pseudonymizer) {
	c := &r.Citizen
	c.CCCD = p.key(c.CCCD)
	c.Name, c.Phone, c.BirthDate = "", "", ""
}

// purgedCitizen reports whether a citizen's personal fields were purged.
func purgedCitizen(c record.Citizen) bool {
	return strings.HasPrefix(c.CCCD, purgedPrefix) || (c.Name == "" && c.Phone == "" && c.BirthDate == "" && c.CCCD == "")
}

// ParsePurgeDate reads --before: an RFC 3339 time, or a date (YYYY-MM-DD or
// dd/mm/yyyy) meaning 00:00 UTC of that day — the date written in the
// records' recorded_at. (Vietnam's day starts 7 hours earlier: records
// made between 00:00 and 07:00 Vietnam time on that day are purged too.)
func ParsePurgeDate(s string) (time.Time, error) {
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

// PurgeOptions configure Purge.
type PurgeOptions struct {
	Data    string    // the ward's data directory
	DataKey []byte    // --data-key of an encrypted store
	Before  time.Time // records that happened before this lose their personal fields
	Logger  *slog.Logger
	Now     func() time.Time // tests; time.Now when nil
}

// PurgeResult says what Purge did.
type PurgeResult struct {
	Before      time.Time `json:"before"`
	NoStore     bool      `json:"no_store,omitempty"` // the data directory holds no store
	Records     int       `json:"records"`            // records held
	Purged      int       `json:"purged"`             // records purged now
	Quarantined int       `json:"quarantined"`        // quarantined deliveries purged now
	Done        int       `json:"done"`               // citizens counted, before and after
}

// Purge removes the personal fields of the records that happened before
// o.Before, in the data directory of a ward that is not running. The
// counts do not change; Purge verifies that before it replaces the store.
func Purge(o PurgeOptions) (PurgeResult, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	res := PurgeResult{Before: o.Before.UTC()}
	if o.Before.After(now()) {
		return res, fmt.Errorf("--before %s is in the future: that would purge the records of a campaign still running", o.Before.UTC().Format(time.RFC3339))
	}
	if !exists(filepath.Join(o.Data, storeDir)) && !exists(filepath.Join(o.Data, purgeOldDir)) {
		res.NoStore = true
		return res, nil
	}
	unlock, err := lockPurge(o.Data)
	if err != nil {
		return res, err
	}
	defer unlock()
	old, err := openStoreLocked(o.Data, offlineOptions(o.DataKey), log)
	if err != nil {
		return res, err
	}
	defer func() {
		if old != nil {
			old.Close()
		}
	}()

	prev, err := loadPseudonymizer(old)
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
	if due == 0 {
		log.Info("nothing to purge", "before", res.Before)
		return res, nil
	}

	newDir := filepath.Join(o.Data, purgeNewDir)
	if err := os.RemoveAll(newDir); err != nil {
		return res, err
	}
	fail := func(err error) (PurgeResult, error) {
		_ = os.RemoveAll(newDir)
		return res, err
	}
	if err := copyPurged(old, newDir, o, next, newSalt, at, &res); err != nil {
		return fail(err)
	}
	if err := verifyPurged(old, newDir, o, next, at, before); err != nil {
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
	log.Info("purged", "before", res.Before, "records", res.Purged, "quarantined", res.Quarantined)
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
		if r, ok := quarantinedRecord(x); ok && !purgedCitizen(r.Citizen) && recordTime(&r, x.ReceivedAt).Before(cutoff) {
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

// copyPurged writes the purged copy of old into dir.
func copyPurged(old *store.Store, dir string, o PurgeOptions, next pseudonymizer, newSalt bool, at time.Time, res *PurgeResult) error {
	dst, err := store.Open(dir, store.Options{EncryptionKey: o.DataKey, Logger: o.Logger})
	if err != nil {
		return err
	}
	_, err = old.CopyTo(dst,
		func(x *store.Stored) error {
			if x.Purged || !recordTime(&x.Record, x.ReceivedAt).Before(o.Before) {
				return nil
			}
			x.OrigHash = contentHash(x.Record.Canonical())
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
			if purgedCitizen(r.Citizen) || !recordTime(&r, q.ReceivedAt).Before(o.Before) {
				return nil
			}
			scrub(&r, next)
			q.Record = r.Canonical() // q.Hash stays: a re-sent delivery is still known
			res.Quarantined++
			return nil
		})
	if err == nil && newSalt {
		err = dst.PutSetting(settingPurgeSalt, saltSetting{Salt: next.salt, CreatedAt: at})
	}
	if err == nil {
		var list []PurgeEntry
		if gerr := old.GetSetting(settingPurges, &list); gerr != nil && !errors.Is(gerr, store.ErrNotFound) {
			err = gerr
		} else {
			list = append(list, PurgeEntry{At: at, Before: o.Before.UTC(), Records: res.Purged, Quarantined: res.Quarantined})
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
// are the same, and no record before the cutoff keeps a personal field.
func verifyPurged(old *store.Store, dir string, o PurgeOptions, next pseudonymizer, at time.Time, before storeCounts) error {
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
	for p, n := range nOld {
		if p == "s/" && nNew[p] >= n {
			continue // the salt and the purge list may be new
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

func countStore(st *store.Store, p pseudonymizer, now, cutoff time.Time) (storeCounts, error) {
	var c storeCounts
	t := tally.New()
	h := sha256.New()
	var kiosks []string
	err := st.EachRecord(func(x store.Stored) error {
		it := p.storedItem(&x)
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
	c.Snapshot = t.Snapshot(now, Defaults().RecentDays)
	return c, nil
}
