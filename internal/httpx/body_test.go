package httpx

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve runs a small app with both kinds of routes on 127.0.0.1, the way
// the programs do (lingering close included).
func serve(t *testing.T) (addr string) {
	t.Helper()
	app := New(Config{
		Name: "test",
		Limits: Limits{Default: 1 << 10, Large: map[string]int64{
			"POST /upload": 64 << 10,
		}},
		Headers: Headers{CSP: "default-src 'self'", NoStorePrefix: "/"},
		Errors:  Errors{Internal: NewError(500, "internal", "", "Có lỗi xảy ra."), Log: slog.New(slog.DiscardHandler)},
	})
	app.Post("/small", func(c *fiber.Ctx) error { return c.SendString(strconv.Itoa(len(c.Body()))) })
	app.Post("/upload", func(c *fiber.Ctx) error {
		if c.Get("Authorization") != "Bearer ok" {
			return NewError(401, "unauthorized", "", "Vui lòng đăng nhập.")
		}
		n, err := io.Copy(io.Discard, Reader(c))
		if err != nil {
			return err
		}
		return c.SendString(strconv.FormatInt(n, 10))
	})
	app.Post("/whole", func(c *fiber.Ctx) error {
		b, err := Body(c)
		if err != nil {
			return err
		}
		return c.SendString(strconv.Itoa(len(b)))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(LingerListener(ln, 2*time.Second, 1<<20)) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })
	return ln.Addr().String()
}

// raw sends a request as bytes and reads the answer within wait.
func raw(t *testing.T, addr, req string, wait time.Duration) (status int, body string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, _ = io.WriteString(c, req)
	_ = c.SetReadDeadline(time.Now().Add(wait))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", false
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Close
}

func TestBodies(t *testing.T) {
	addr := serve(t)
	post := func(path, hdr, body string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + hdr + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	chunked := func(path, hdr string, body string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + hdr + "Transfer-Encoding: chunked\r\n\r\n" +
			strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
	}
	declared := func(path, hdr string, n int) string {
		return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + hdr + "Content-Length: " + strconv.Itoa(n) + "\r\n\r\n{"
	}
	kb := strings.Repeat("x", 1<<10)
	cases := []struct {
		name   string
		req    string
		status int
		code   string // error code, or the body of a 200
		closed bool   // the connection closes after the answer
	}{
		{"small body", post("/small", "", "hello"), 200, "5", false},
		{"small body at the limit", post("/small", "", kb), 200, "1024", false},
		{"small body over the limit", post("/small", "", kb+"x"), 413, "too_large", true},
		{"small chunked body over the limit", chunked("/small", "", kb+"x"), 413, "too_large", true},
		{"small chunked body", chunked("/small", "", "hello"), 200, "5", false},
		{"declared 67 MB: refused before a byte is read", declared("/small", "", 67_000_000), 413, "too_large", true},
		{"gzip", post("/small", "Content-Encoding: gzip\r\n", "x"), 415, "unsupported_encoding", true},
		{"gzip of gzip", post("/small", "Content-Encoding: gzip, gzip\r\n", "x"), 415, "unsupported_encoding", true},
		{"encoding in lower case", post("/small", "content-encoding: br\r\n", "x"), 415, "unsupported_encoding", true},
		{"identity is still an encoding header", post("/small", "Content-Encoding: identity\r\n", "x"), 415, "unsupported_encoding", true},
		{"a client's own refusal marker is ignored", post("/small", "X-Kyso-Refused: 413\r\n", "x"), 200, "1", false},
		{"large route, authenticated", post("/upload", "Authorization: Bearer ok\r\n", strings.Repeat(kb, 10)), 200, "10240", false},
		{"large route, stranger: body never read", post("/upload", "", strings.Repeat(kb, 10)), 401, "unauthorized", true},
		{"large route over its limit", declared("/upload", "Authorization: Bearer ok\r\n", 65<<10), 413, "too_large", true},
		{"large route must declare its length", chunked("/upload", "Authorization: Bearer ok\r\n", "x"), 411, "length_required", true},
		{"large route is found by its raw path only", post("/UPLOAD", "Authorization: Bearer ok\r\n", kb+"x"), 413, "too_large", true},
		{"whole body of a default route", post("/whole", "", "abc"), 200, "3", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, closed := raw(t, addr, tc.req, 2*time.Second)
			require.Equal(t, tc.status, status, body)
			if status == 200 {
				assert.Equal(t, tc.code, body)
			} else {
				var e struct {
					Error Error `json:"error"`
				}
				require.NoError(t, json.Unmarshal([]byte(body), &e), body)
				assert.Equal(t, tc.code, e.Error.Code)
				assert.NotEmpty(t, e.Error.Message)
			}
			assert.Equal(t, tc.closed, closed, "Connection: close")
		})
	}
}

// A client sending a large refused body reads the answer, not a reset.
func TestRefusedStrangerReadsTheAnswer(t *testing.T) {
	addr := serve(t)
	for i := range 5 {
		res, err := http.Post("http://"+addr+"/upload", "application/octet-stream", bytes.NewReader(bytes.Repeat([]byte("x"), 60<<10)))
		require.NoError(t, err, "attempt %d", i)
		res.Body.Close()
		assert.Equal(t, 401, res.StatusCode)
	}
}

func TestBudget(t *testing.T) {
	b := NewBudget(10)
	assert.True(t, b.take(6))
	assert.False(t, b.take(5), "over the budget")
	b.give(6)
	assert.True(t, b.take(10))
}
