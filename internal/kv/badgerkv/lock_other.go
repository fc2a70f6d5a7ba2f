//go:build !unix

package badgerkv

import "os"

// The services ship for Linux only; elsewhere Badger's own directory lock
// is the only one (its refusal then reads as ErrDamaged).

func lockDir(dir string) (*os.File, error) { return nil, os.MkdirAll(dir, 0o700) }

func unlockDir(*os.File) {}

func badgerLocked(string) bool { return false }
