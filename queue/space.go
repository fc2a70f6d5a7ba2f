package queue

import (
	"github.com/kyso-vn/kyso/internal/diskguard"
	"github.com/kyso-vn/kyso/internal/kv"
)

// Badger dies of SIGBUS when its file system fills up (see package
// diskguard): every write of the queue goes through internal/kv, which asks
// the guard first, and Open lets it release its ballast on a full disk.

// DefaultMinFreeBytes is the reserve kept free under the store.
const DefaultMinFreeBytes = diskguard.DefaultMinFree

// DefaultBallastBytes is the ballast cmd/kiosk keeps next to the store.
const DefaultBallastBytes = diskguard.DefaultBallast

// Errors of the store under the queue (package kv), for the kiosk, which
// imports no storage package.
var (
	// ErrDiskFull says the store's file system is (almost) full. It always
	// comes wrapped in ErrUnavailable.
	ErrDiskFull = kv.ErrDiskFull
	// ErrLocked says another process holds the store: the service is running.
	ErrLocked = kv.ErrLocked
	// ErrWrongKey says the store was written with another --data-key.
	ErrWrongKey = kv.ErrWrongKey
	// ErrDamaged says the store's files are not what was written.
	ErrDamaged = kv.ErrDamaged
	// ErrBackupKey says an encrypted backup was restored without its key.
	ErrBackupKey = kv.ErrBackupKey
)
