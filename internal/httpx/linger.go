package httpx

// Lingering close, as web servers call it. fasthttp answers a request it
// refuses before reading the body (431, malformed requests), and this
// package refuses bodies before reading them (413, 415, 401); then the
// connection closes. Closing a socket with unread data makes the kernel send a
// reset, so a client still sending its body gets "connection reset by peer"
// instead of the answer: it can show neither the Vietnamese message nor tell
// a 413 from a network fault. A lingering close sends a FIN after the answer,
// reads and discards what the client still sends (bounded in time and
// bytes), then closes.

import (
	"io"
	"net"
	"sync"
	"time"
)

// LingerListener wraps ln so that every TCP connection closes lingering for
// at most d and maxBytes of unread input.
func LingerListener(ln net.Listener, d time.Duration, maxBytes int64) net.Listener {
	return lingerListener{Listener: ln, d: d, max: maxBytes}
}

type lingerListener struct {
	net.Listener
	d   time.Duration
	max int64
}

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &lingerConn{TCPConn: tc, d: l.d, max: l.max}, nil
	}
	return c, nil
}

type lingerConn struct {
	*net.TCPConn
	d    time.Duration
	max  int64
	once sync.Once
}

// Close lingers only when the client is still sending: an idle keep-alive
// connection closes at once (lingering on it would hold a graceful shutdown
// until the drain deadline). It returns at once; draining is in the background.
func (c *lingerConn) Close() error {
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
