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
	"sync/atomic"
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
	d       time.Duration
	max     int64
	once    sync.Once
	reading atomic.Int32 // reads in progress
}

// Read counts reads in progress: the server blocked in one is waiting for
// the next request of an idle keep-alive connection.
func (c *lingerConn) Read(b []byte) (int, error) {
	c.reading.Add(1)
	defer c.reading.Add(-1)
	return c.TCPConn.Read(b)
}

// Close closes at once a connection the server is waiting on (an idle
// keep-alive one, closed by a graceful shutdown: lingering would hold the
// shutdown until the drain deadline, and the blocked read must end now).
// Any other connection was closed in the middle of a request, perhaps
// with its body unread: Close sends the FIN after the answer and returns;
// in the background it discards what the client still sends until the
// client closes too or the time or byte bound is reached. (A 1 ms probe
// for unread bytes used to decide this: it misjudged a sender that a
// loaded machine had not scheduled yet and reset it, a CI flake.)
func (c *lingerConn) Close() error {
	c.once.Do(func() {
		if c.reading.Load() > 0 || c.TCPConn.CloseWrite() != nil {
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
