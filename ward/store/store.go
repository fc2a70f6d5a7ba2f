package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kyso-vn/kyso/internal/kv"
	"github.com/kyso-vn/kyso/internal/kv/badgerkv"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

// How a record reached the ward.
const (
	ViaPush = "push"
	ViaPull = "pull"
	ViaFile = "file"
)

var viaByte = map[string]byte{ViaPush: 'p', ViaPull: 'l', ViaFile: 'f'}

func viaOf(b byte) string {
	switch b {
	case 'p':
		return ViaPush
	case 'l':
		return ViaPull
	case 'f':
		return ViaFile
	}
	return ""
}

// Key prefixes.
const (
	pRecord     = "r/"
	pQuarantine = "q/"
	pKiosk      = "k/"
	pHealth     = "h/"
	pSetting    = "s/"
)

// ErrNotFound is returned when a key is absent.
var ErrNotFound = errors.New("not found")

// Errors of the storage layer (package kv).
var (
	// ErrUnavailable wraps every failed write: the caller answers 503 and
	// the client retries later; nothing held before is lost.
	ErrUnavailable = kv.ErrUnavailable
	// ErrDiskFull says the store's file system is (almost) full; it always
	// comes wrapped in ErrUnavailable.
	ErrDiskFull = kv.ErrDiskFull
	// ErrWrongKey says the store was written with another --data-key, or
	// with none while one is given now (or the other way round).
	ErrWrongKey = kv.ErrWrongKey
	// ErrLocked says another process holds the store: the ward is running.
	ErrLocked = kv.ErrLocked
	// ErrDamaged says the store's files are not what was written.
	ErrDamaged = kv.ErrDamaged
)

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	// EncryptionKey (16, 24 or 32 bytes) encrypts tables, value log and
	// write-ahead log with AES; nil leaves the store plain.
	EncryptionKey []byte
	// MinFree is the space kept free under the store (0: the guard's
	// default, negative: no guard). Badger dies of SIGBUS on a full disk.
	MinFree int64
	// Ballast is the size of <dir>.ballast, released at Open when the disk
	// is too full for Badger to start (0: none).
	Ballast int64
}

// Store wraps the Badger database.
type Store struct {
	db  kv.Store
	log *slog.Logger
}

// Open opens (creating if needed) the store in dir with small options.
func Open(dir string, o Options) (*Store, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := badgerkv.Open(kv.Options{
		Dir: dir, EncryptionKey: o.EncryptionKey, MinFree: o.MinFree, Ballast: o.Ballast, Logger: log,
		BlockCacheSize: 8 << 20, IndexCacheSize: 4 << 20, L0Stall: 8,
		ValueThreshold: 1 << 20, // records stay in the tables, as before the storage layer
	})
	if err != nil {
		return nil, err
	}
	return &Store{db: db, log: log}, nil
}

// check is the first step of every write: Badger writes through mmap and
// would die of SIGBUS instead of returning ENOSPC (package diskguard).
func (s *Store) check() error { return s.db.Check() }

func unavailable(err error) error { return kv.Unavailable(err) }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// RunGC collects the value log every interval until ctx ends, while the
// disk guard allows writes.
func (s *Store) RunGC(ctx context.Context, interval time.Duration) error {
	return s.db.RunGC(ctx, interval)
}

func recordKey(kiosk string, seq uint64) []byte {
	k := make([]byte, 0, len(pRecord)+len(kiosk)+9)
	k = append(k, pRecord...)
	k = append(k, kiosk...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

// ContentHash identifies a record's canonical bytes: the ward's repeat
// detection compares it, and a purged record keeps it as OrigHash.
func ContentHash(canonical []byte) uint64 {
	h := sha256.Sum256(canonical)
	return binary.BigEndian.Uint64(h[:8])
}

// Stored is a record as the ward holds it.
type Stored struct {
	Record     record.Record
	Canonical  []byte
	ReceivedAt time.Time
	Via        string
	// Purged is set once `ward purge` removed the citizen's personal
	// fields: Record and Canonical are then the purged content, and
	// OrigHash identifies the content as delivered, so that a kiosk
	// re-sending the original is still recognised as a repeat.
	Purged   bool
	OrigHash uint64
}

// Value layout: receive time (8, big endian unix ns), via (1), then either
// the canonical JSON (which starts with '{'), or for a purged record a 0
// byte, the original content hash (8) and the purged canonical JSON.
const purgedMark = 0

func encodeStored(st Stored) []byte {
	n := 9
	if st.Purged {
		n += 9
	}
	v := make([]byte, n, n+len(st.Canonical))
	binary.BigEndian.PutUint64(v, uint64(st.ReceivedAt.UnixNano()))
	v[8] = viaByte[st.Via]
	if st.Purged {
		v[9] = purgedMark
		binary.BigEndian.PutUint64(v[10:], st.OrigHash)
	}
	return append(v, st.Canonical...)
}

// decodeHead reads a value's receive time, via and purge mark; body is the
// canonical JSON, still in v.
func decodeHead(v []byte) (st Stored, body []byte, err error) {
	if len(v) < 10 {
		return Stored{}, nil, errors.New("short record value")
	}
	st = Stored{
		ReceivedAt: time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(),
		Via:        viaOf(v[8]),
	}
	body = v[9:]
	if body[0] == purgedMark {
		if len(body) < 10 {
			return Stored{}, nil, errors.New("short purged record value")
		}
		st.Purged, st.OrigHash = true, binary.BigEndian.Uint64(body[1:9])
		body = body[9:]
	}
	return st, body, nil
}

func decodeStored(v []byte) (Stored, error) {
	st, body, err := decodeHead(v)
	if err != nil {
		return Stored{}, err
	}
	st.Canonical = append([]byte(nil), body...)
	if err := json.Unmarshal(st.Canonical, &st.Record); err != nil {
		return Stored{}, fmt.Errorf("stored record: %w", err)
	}
	return st, nil
}

// Quarantined is a delivery whose content differs from the record already
// held at the same (kiosk, seq). It is kept for a person to look at.
type Quarantined struct {
	KioskID    string          `json:"kiosk_id"`
	Seq        uint64          `json:"seq"`
	Hash       uint64          `json:"hash"`
	ReceivedAt time.Time       `json:"received_at"`
	Via        string          `json:"via"`
	Reason     string          `json:"reason"`
	Record     json.RawMessage `json:"record"`
}

func quarantineKey(kiosk string, seq, hash uint64) []byte {
	k := []byte(pQuarantine + kiosk + "\x00")
	k = binary.BigEndian.AppendUint64(k, seq)
	return binary.BigEndian.AppendUint64(k, hash)
}

// Health is what the ward last heard from a kiosk.
type Health struct {
	KioskID     string               `json:"kiosk_id"`
	LastContact time.Time            `json:"last_contact"`
	LastVia     string               `json:"last_via,omitempty"`
	Reached     map[string]time.Time `json:"reached,omitempty"` // via → last time
	HeadSeq     uint64               `json:"head_seq"`
	Version     string               `json:"version,omitempty"`
	SkewSeconds *float64             `json:"skew_seconds,omitempty"`
	SkewAt      time.Time            `json:"skew_at,omitzero"`
	// Repair is the last report of a kiosk that rebuilt its damaged store
	// from the ward: what came back and what is lost.
	Repair *link.RepairReport `json:"repair,omitempty"`
}

// Batch is everything one ingest writes, committed together.
type Batch struct {
	Records    []Stored
	Quarantine []Quarantined
	Health     []Health
}

// Write commits b durably.
func (s *Store) Write(b Batch) error {
	return unavailable(s.db.WriteBatch(func(wb kv.Batch) error { return write(wb, b) }))
}

func write(wb kv.Batch, b Batch) error {
	for _, st := range b.Records {
		if err := wb.Set(recordKey(st.Record.KioskID, st.Record.Seq), encodeStored(st)); err != nil {
			return err
		}
	}
	for _, q := range b.Quarantine {
		v, err := json.Marshal(q)
		if err != nil {
			return err
		}
		if err := wb.Set(quarantineKey(q.KioskID, q.Seq, q.Hash), v); err != nil {
			return err
		}
	}
	for _, h := range b.Health {
		v, err := json.Marshal(h)
		if err != nil {
			return err
		}
		if err := wb.Set([]byte(pHealth+h.KioskID), v); err != nil {
			return err
		}
	}
	return nil
}

// EachRecord calls fn for every stored record in (kiosk, seq) order.
func (s *Store) EachRecord(fn func(Stored) error) error {
	return s.db.View(func(txn kv.Txn) error {
		return txn.Iterate(kv.IterOptions{Prefix: []byte(pRecord), Prefetch: 256}, func(k, v []byte) error {
			st, err := decodeStored(v)
			if err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			return fn(st)
		})
	})
}

// brief is what start-up reads of a record: the fields the counts and the
// outreach book need. Decoding only these skips the names, phones and
// times nobody reads at start (a district's million records).
type brief struct {
	ID       string `json:"id"`
	KioskID  string `json:"kiosk_id"`
	Seq      uint64 `json:"seq"`
	Type     string `json:"type"`
	Corrects string `json:"corrects"`
	Citizen  struct {
		CCCD        string `json:"cccd"`
		Village     string `json:"village"`
		Association string `json:"association"`
	} `json:"citizen"`
	Outcome    string    `json:"outcome"`
	Reason     string    `json:"reason"`
	RecordedAt time.Time `json:"recorded_at"`
	Clock      string    `json:"clock"`
	// Desk and ConsentAt: the house's service times (the outreach rate).
	Desk      int       `json:"desk"`
	ConsentAt time.Time `json:"consent_at"`
}

// EachRecordBrief is EachRecord for start-up: Record holds only id,
// kiosk_id, seq, type, corrects, the citizen's cccd, village and
// association, outcome, reason, recorded_at, clock, desk and consent_at
// (what the counts and the outreach rate need), and Canonical is
// valid only during fn (it is not copied).
func (s *Store) EachRecordBrief(fn func(Stored) error) error {
	names := map[string]string{}
	return s.db.View(func(txn kv.Txn) error {
		return txn.Iterate(kv.IterOptions{Prefix: []byte(pRecord), Prefetch: 256}, func(k, v []byte) error {
			st, body, err := decodeHead(v)
			if err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			var b brief
			if err := decodeBriefWith(body, &b, names); err != nil {
				return fmt.Errorf("record %q: stored record: %w", k, err)
			}
			st.Canonical = body
			st.Record = record.Record{
				ID: b.ID, KioskID: b.KioskID, Seq: b.Seq, Type: b.Type, Corrects: b.Corrects,
				Citizen: record.Citizen{CCCD: b.Citizen.CCCD, Village: b.Citizen.Village, Association: b.Citizen.Association},
				Outcome: b.Outcome, Reason: b.Reason, RecordedAt: b.RecordedAt, Clock: b.Clock,
				Desk: b.Desk, ConsentAt: b.ConsentAt,
			}
			return fn(st)
		})
	})
}

// Ref names a record.
type Ref struct {
	Kiosk string
	Seq   uint64
}

// GetRecords reads the named records in one read transaction; absent ones
// are skipped.
func (s *Store) GetRecords(refs []Ref, fn func(Stored) error) error {
	return s.db.View(func(txn kv.Txn) error {
		for _, r := range refs {
			v, err := txn.Get(recordKey(r.Kiosk, r.Seq))
			if errors.Is(err, kv.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			st, err := decodeStored(v)
			if err != nil {
				return err
			}
			if err := fn(st); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetRecord reads one record.
func (s *Store) GetRecord(kiosk string, seq uint64) (Stored, error) {
	var out Stored
	found := false
	err := s.GetRecords([]Ref{{kiosk, seq}}, func(st Stored) error { out, found = st, true; return nil })
	if err == nil && !found {
		err = ErrNotFound
	}
	return out, err
}

func eachJSON[T any](s *Store, prefix string, fn func(T) error) error {
	return s.db.View(func(txn kv.Txn) error {
		return txn.Iterate(kv.IterOptions{Prefix: []byte(prefix)}, func(k, b []byte) error {
			var v T
			if err := json.Unmarshal(b, &v); err != nil {
				return fmt.Errorf("%q: %w", k, err)
			}
			return fn(v)
		})
	})
}

// Quarantine lists every quarantined delivery.
func (s *Store) Quarantine() ([]Quarantined, error) {
	var out []Quarantined
	err := eachJSON(s, pQuarantine, func(q Quarantined) error { out = append(out, q); return nil })
	return out, err
}

// Healths lists the stored kiosk health.
func (s *Store) Healths() ([]Health, error) {
	var out []Health
	err := eachJSON(s, pHealth, func(h Health) error { out = append(out, h); return nil })
	return out, err
}

// Kiosk is a registered kiosk. The token is kept in clear because the ward
// needs it as the HMAC key of the kiosk's batch files; the data directory
// is the secret.
type Kiosk struct {
	ID      string    `json:"id"`
	Token   string    `json:"token"`
	Name    string    `json:"name,omitempty"`
	Source  string    `json:"source,omitempty"` // flag | cli | ui
	AddedAt time.Time `json:"added_at"`
}

// PutKiosk registers or updates a kiosk.
func (s *Store) PutKiosk(k Kiosk) error { return s.PutJSON(pKiosk+k.ID, k) }

// DeleteKiosk removes a kiosk from the registry (its records stay).
func (s *Store) DeleteKiosk(id string) error {
	return unavailable(s.db.Update(func(txn kv.Txn) error { return txn.Delete([]byte(pKiosk + id)) }))
}

// Kiosks lists the registry.
func (s *Store) Kiosks() ([]Kiosk, error) {
	var out []Kiosk
	err := eachJSON(s, pKiosk, func(k Kiosk) error { out = append(out, k); return nil })
	return out, err
}

// PutSetting stores a named setting as JSON.
func (s *Store) PutSetting(name string, v any) error { return s.PutJSON(pSetting+name, v) }

// GetSetting loads a named setting; ErrNotFound when absent.
func (s *Store) GetSetting(name string, v any) error { return s.getJSON(pSetting+name, v) }

// PutJSON stores v under key durably.
func (s *Store) PutJSON(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return unavailable(s.db.Update(func(txn kv.Txn) error { return txn.Set([]byte(key), b) }))
}

func (s *Store) getJSON(key string, v any) error {
	return s.db.View(func(txn kv.Txn) error {
		b, err := txn.Get([]byte(key))
		if errors.Is(err, kv.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return json.Unmarshal(b, v)
	})
}

// maxAtomic is the size up to which PutBatch commits in one transaction.
const maxAtomic = 512 << 10

// PutBatch stores set and deletes del durably. Up to maxAtomic bytes it is
// one transaction (all or nothing); a larger batch (a commune's roster) is
// written in a write batch that commits as it grows, then the deletes.
func (s *Store) PutBatch(set map[string][]byte, del []string) error {
	size := 0
	for k, v := range set {
		size += len(k) + len(v)
	}
	for _, k := range del {
		size += len(k)
	}
	if size <= maxAtomic {
		return unavailable(s.db.Update(func(txn kv.Txn) error {
			for k, v := range set {
				if err := txn.Set([]byte(k), v); err != nil {
					return err
				}
			}
			for _, k := range del {
				if err := txn.Delete([]byte(k)); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	if len(set) > 0 {
		if err := unavailable(s.db.WriteBatch(func(b kv.Batch) error {
			n := 0
			for k, v := range set {
				if err := b.Set([]byte(k), v); err != nil {
					return err
				}
				if n++; n%1000 == 0 {
					if err := s.db.Check(); err != nil {
						return err
					}
				}
			}
			return nil
		})); err != nil {
			return err
		}
	}
	for len(del) > 0 {
		part := del[:min(len(del), 1000)]
		del = del[len(part):]
		if err := unavailable(s.db.Update(func(txn kv.Txn) error {
			for _, k := range part {
				if err := txn.Delete([]byte(k)); err != nil {
					return err
				}
			}
			return nil
		})); err != nil {
			return err
		}
	}
	return nil
}

// Each calls fn for every key under prefix, in key order, with its value.
func (s *Store) Each(prefix string, fn func(key string, val []byte) error) error {
	return s.db.View(func(txn kv.Txn) error {
		return txn.Iterate(kv.IterOptions{Prefix: []byte(prefix)}, func(k, v []byte) error {
			return fn(string(k), append([]byte(nil), v...))
		})
	})
}
