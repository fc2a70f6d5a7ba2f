// Package linger closes HTTP connections the way web servers call
// "lingering". fasthttp answers a request it refuses before reading the body
// (413 for a declared length over the limit, 431, malformed requests) and
// closes at once. Closing a socket with unread data makes the kernel send a
// reset, so a client still sending its body gets "connection reset by peer"
// instead of the answer: it can show neither the Vietnamese message nor tell
// a 413 from a network fault. A lingering close sends a FIN after the answer,
// reads and discards what the client still sends (bounded in time and
// bytes), then closes.
package linger

import (
	"io"
	"net"
	"sync"
	"time"
)

// Listener wraps ln so that every TCP connection closes lingering for at
// most d and maxBytes of unread input.
func Listener(ln net.Listener, d time.Duration, maxBytes int64) net.Listener {
	return listener{Listener: ln, d: d, max: maxBytes}
}

type listener struct {
	net.Listener
	d   time.Duration
	max int64
}

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &conn{TCPConn: tc, d: l.d, max: l.max}, nil
	}
	return c, nil
}

type conn struct {
	*net.TCPConn
	d    time.Duration
	max  int64
	once sync.Once
}

// Close lingers only when the client is still sending: an idle keep-alive
// connection closes at once (lingering on it would hold a graceful shutdown
// until the drain deadline). It returns at once; draining is in the background.
func (c *conn) Close() error {
	c.once.Do(func() {
		var b [1]byte
		_ = c.TCPConn.SetReadDeadline(time.Now().Add(time.Millisecond))
		if n, _ := c.TCPConn.Read(b[:]); n == 0 {
			c.TCPConn.Close()
			return
		}
		if c.TCPConn.CloseWrite() != nil {
			c.TCPConn.Close()
			return
		}
		go func() {
			_ = c.TCPConn.SetReadDeadline(time.Now().Add(c.d))
			_, _ = io.CopyN(io.Discard, c.TCPConn, c.max)
			c.TCPConn.Close()
		}()
	})
	return nil
}
