package badgerkv

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/kyso-vn/kyso/internal/kv"
)

// Backups of an encrypted store are encrypted too: Badger's Backup writes
// plain key-value pairs, and backups end up on USB sticks. Without this a
// --data-key kiosk would keep every CCCD in clear in <data>/backups
// (tests/hardening.TestKioskEncryptionAtRest found it).
//
// File format: "KYSOBAK1", an 8-byte random nonce prefix, then chunks of
// [4-byte big-endian length][AES-256-GCM ciphertext of ≤ 64 KiB]. Chunk i
// uses nonce prefix‖i and authenticates the header plus a last-chunk flag,
// so reordering, truncation and appending are all detected. The AES key is
// HMAC-SHA256(data key, "kyso backup v1"): never the store's key itself.

const (
	backupMagic = "KYSOBAK1"
	backupChunk = 64 << 10
)

// ErrBackupKey is returned when an encrypted backup is restored without the
// key, or with another key.
var ErrBackupKey = kv.ErrBackupKey

func backupAEAD(dataKey []byte) (cipher.AEAD, error) {
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte("kyso backup v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealWriter encrypts what is written to it; Close writes the last chunk
// (it does not close the underlying writer).
type sealWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	n      uint32
	buf    []byte
}

func newSealWriter(w io.Writer, dataKey []byte) (*sealWriter, error) {
	aead, err := backupAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	header := make([]byte, len(backupMagic)+8)
	copy(header, backupMagic)
	if _, err := rand.Read(header[len(backupMagic):]); err != nil {
		return nil, err
	}
	if _, err := w.Write(header); err != nil {
		return nil, err
	}
	return &sealWriter{w: w, aead: aead, header: header, buf: make([]byte, 0, backupChunk)}, nil
}

func chunkNonce(header []byte, i uint32) []byte {
	nonce := make([]byte, 12)
	copy(nonce, header[len(backupMagic):])
	binary.BigEndian.PutUint32(nonce[8:], i)
	return nonce
}

func chunkAAD(header []byte, last bool) []byte {
	aad := append([]byte(nil), header...)
	if last {
		return append(aad, 1)
	}
	return append(aad, 0)
}

func (s *sealWriter) flush(last bool) error {
	if s.n == ^uint32(0) {
		return errors.New("backup too large")
	}
	ct := s.aead.Seal(nil, chunkNonce(s.header, s.n), s.buf, chunkAAD(s.header, last))
	s.n++
	s.buf = s.buf[:0]
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(ct)))
	if _, err := s.w.Write(l[:]); err != nil {
		return err
	}
	_, err := s.w.Write(ct)
	return err
}

func (s *sealWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), backupChunk-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(s.buf) == backupChunk {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (s *sealWriter) Close() error { return s.flush(true) }

// openReader decrypts a backup written by sealWriter.
type openReader struct {
	r      *bufio.Reader
	aead   cipher.AEAD
	header []byte
	n      uint32
	plain  []byte
	done   bool
}

func newOpenReader(r *bufio.Reader, dataKey []byte) (*openReader, error) {
	if len(dataKey) == 0 {
		return nil, ErrBackupKey
	}
	aead, err := backupAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	header := make([]byte, len(backupMagic)+8)
	if _, err := io.ReadFull(r, header); err != nil || string(header[:len(backupMagic)]) != backupMagic {
		return nil, errors.New("not an encrypted kyso backup")
	}
	return &openReader{r: r, aead: aead, header: header}, nil
}

func (o *openReader) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		if o.done {
			return 0, io.EOF
		}
		var l [4]byte
		if _, err := io.ReadFull(o.r, l[:]); err != nil {
			return 0, fmt.Errorf("backup cut short: %w", io.ErrUnexpectedEOF)
		}
		size := binary.BigEndian.Uint32(l[:])
		if size > backupChunk+uint32(o.aead.Overhead()) {
			return 0, errors.New("backup damaged: chunk too large")
		}
		ct := make([]byte, size)
		if _, err := io.ReadFull(o.r, ct); err != nil {
			return 0, fmt.Errorf("backup cut short: %w", io.ErrUnexpectedEOF)
		}
		nonce := chunkNonce(o.header, o.n)
		plain, err := o.aead.Open(nil, nonce, ct, chunkAAD(o.header, false))
		if err != nil {
			if plain, err = o.aead.Open(nil, nonce, ct, chunkAAD(o.header, true)); err != nil {
				if o.n == 0 {
					return 0, ErrBackupKey
				}
				return 0, errors.New("backup damaged or altered")
			}
			o.done = true
			if _, err := o.r.Peek(1); err != io.EOF {
				return 0, errors.New("backup damaged: data after the end")
			}
		}
		o.n++
		o.plain = plain
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}

// backupReader returns the plain backup stream of r: encrypted backups are
// decrypted with dataKey, plain ones (from a kiosk without --data-key, or
// older versions) pass through.
func backupReader(r *bufio.Reader, dataKey []byte) (io.Reader, error) {
	head, _ := r.Peek(len(backupMagic))
	if string(head) != backupMagic {
		return r, nil
	}
	return newOpenReader(r, dataKey)
}
