package ward

import (
	"io"
	"net"
	"sync"
	"time"
)

// fasthttp answers a request it refuses before reading the body (413 for a
// declared length over the limit, 431, malformed requests) and closes the
// connection at once. Closing a socket with unread data makes the kernel
// send a reset, and a client still sending its body — a kiosk pushing too
// large a batch — gets "connection reset by peer" instead of the answer:
// it can neither show the Vietnamese message nor tell 413 from a network
// fault. So the ward closes the way web servers call "lingering": send a
// FIN after the answer, read and discard what the client still sends
// (bounded in time and bytes), then close.

const (
	lingerTime  = 10 * time.Second
	lingerBytes = 2 * maxBody
)

type lingerListener struct{ net.Listener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return &lingerConn{TCPConn: tc}, nil
	}
	return c, nil
}

type lingerConn struct {
	*net.TCPConn
	once sync.Once
}

// Close returns at once; the draining happens in the background.
func (c *lingerConn) Close() error {
	c.once.Do(func() {
		if c.TCPConn.CloseWrite() != nil {
			c.TCPConn.Close()
			return
		}
		go func() {
			_ = c.TCPConn.SetReadDeadline(time.Now().Add(lingerTime))
			_, _ = io.CopyN(io.Discard, c.TCPConn, lingerBytes)
			c.TCPConn.Close()
		}()
	})
	return nil
}
