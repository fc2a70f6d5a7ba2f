package httpx

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A client sending a body far over the limit reads the 413, repeatedly: the
// server refuses before reading and must not reset the connection under it.
func TestRefusedBodyStillGetsTheAnswer(t *testing.T) {
	app := fiber.New(fiber.Config{BodyLimit: 1 << 10, DisableStartupMessage: true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			return c.Status(413).SendString(`{"error":{"code":"too_large","message":"Dữ liệu gửi lên quá lớn."}}`)
		}})
	app.Post("/", func(c *fiber.Ctx) error { return c.SendStatus(200) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(LingerListener(ln, 5*time.Second, 64<<20)) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })

	body := bytes.Repeat([]byte("x"), 8<<20)
	for i := range 10 {
		res, err := http.Post("http://"+ln.Addr().String()+"/", "application/octet-stream", bytes.NewReader(body))
		require.NoError(t, err, "attempt %d: the client must read the answer, not a reset", i)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, 413, res.StatusCode)
		assert.Contains(t, string(b), "quá lớn")
	}
}

// An idle keep-alive connection must not hold a graceful shutdown.
func TestIdleConnectionDoesNotHoldShutdown(t *testing.T) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { _ = app.Listener(LingerListener(ln, 10*time.Second, 64<<20)); close(done) }()
	// A raw client that keeps its connection open and never closes on FIN.
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	buf := make([]byte, 512)
	_, err = c.Read(buf)
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, app.ShutdownWithTimeout(3*time.Second))
	assert.Less(t, time.Since(start), 2*time.Second)
}
