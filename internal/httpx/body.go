package httpx

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Limits says how large request bodies may be. Bodies are streamed
// (fasthttp's StreamRequestBody): a declared Content-Length reserves no
// memory, and the bytes are read only by this package, within the limit.
type Limits struct {
	// Default bounds every route not listed in Large. Such bodies are small
	// and read before any handler runs, chunked ones too.
	Default int64
	// Large lists routes, as "POST /api/v1/import", whose bodies may be
	// larger. They are not read before the handler: it authenticates the
	// sender first, then reads with Body or Reader. They must declare their
	// length (411 when chunked), so that nothing can read past it.
	Large map[string]int64
}

// refusedHeader carries a refusal decided from the headers alone to the
// first middleware. A client's own copy is removed before it is set.
const refusedHeader = "X-Kyso-Refused"

const (
	localLimit   = "httpx.limit"
	localReader  = "httpx.reader"
	localRelease = "httpx.release"
)

func (l Limits) max() int64 {
	m := l.Default
	for _, v := range l.Large {
		m = max(m, v)
	}
	return m
}

// route is the key of a request in Large: its method and raw path. The
// raw path (not Fiber's normalised one) is used both when the headers
// arrive and in the middleware, so the two always agree; a path spelled
// differently gets the default limit, never a larger one.
func route(h *fasthttp.RequestHeader) string {
	p := string(h.RequestURI())
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return string(h.Method()) + " " + p
}

func (l Limits) limit(h *fasthttp.RequestHeader) (limit int64, large bool) {
	if v, ok := l.Large[route(h)]; ok {
		return v, true
	}
	return l.Default, false
}

// headerReceived runs when a request's headers are read, before fasthttp
// touches the body. A body that will be refused whatever the handler does
// (compressed, declared over the limit, chunked on a large route) is
// marked, and its length set to 0 so that fasthttp reads none of it: the
// refusal is answered at once and the connection closed lingering.
func (l Limits) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	h.Del(refusedHeader)
	refuse := ""
	limit, large := l.limit(h)
	switch n := h.ContentLength(); {
	case hasEncoding(h):
		// Fiber's Body() would decode gzip, deflate and brotli with no
		// limit on the output: 1.8 KB of gzip-of-gzip became 2.27 GB.
		// Kiosks, tablets and browsers never compress what they send.
		refuse = "415"
	case int64(n) > limit:
		refuse = "413"
	case n == -1 && large:
		refuse = "411"
	}
	if refuse != "" {
		h.Set(refusedHeader, refuse)
		h.Del(fiber.HeaderExpect)
		h.SetContentLength(0)
	}
	return fasthttp.RequestConfig{}
}

// hasEncoding finds a Content-Encoding header however it was spelled or
// repeated (Fiber's Body() looks at every header).
func hasEncoding(h *fasthttp.RequestHeader) bool {
	found := false
	h.VisitAll(func(k, v []byte) {
		if strings.EqualFold(string(k), fiber.HeaderContentEncoding) && len(bytes.TrimSpace(v)) > 0 {
			found = true
		}
	})
	return found
}

// guard is the first middleware: it answers refusals decided from the
// headers, reads small bodies within their limit, and closes connections
// whose body was not read to its end (the next request would otherwise be
// parsed from the middle of that body).
func (l Limits) guard(c *fiber.Ctx) error {
	h := &c.Request().Header
	if r := h.Peek(refusedHeader); len(r) > 0 {
		c.Response().SetConnectionClose()
		switch string(r) {
		case "415":
			return ErrEncoding
		case "411":
			return ErrLengthRequired
		}
		return ErrTooLarge
	}
	limit, large := l.limit(h)
	c.Locals(localLimit, limit)
	if !large {
		if err := readAll(c, limit, nil); err != nil {
			c.Response().SetConnectionClose()
			return err
		}
	}
	err := c.Next()
	if unread(c) {
		c.Response().SetConnectionClose()
	}
	if release, ok := c.Locals(localRelease).(func()); ok {
		release() // the handler is done with the bytes
	}
	return err
}

// unread reports a body still (partly) on the wire.
func unread(c *fiber.Ctx) bool {
	if c.Request().BodyStream() == nil || c.Request().Header.ContentLength() == 0 {
		return false
	}
	r, _ := c.Locals(localReader).(*bodyReader)
	return r == nil || !r.eof
}

// readAll replaces the request's body stream with its bytes, at most
// limit of them; budget, when given, is charged as bytes arrive.
func readAll(c *fiber.Ctx, limit int64, budget *Budget) error {
	stream := c.Request().BodyStream()
	if stream == nil {
		if int64(len(c.Request().Body())) > limit {
			return ErrTooLarge
		}
		return nil
	}
	var r io.Reader = &bodyReader{r: stream, left: limit}
	if budget != nil {
		br := &budgetReader{r: r, b: budget}
		// Held until the handler returns: the bytes live that long.
		c.Locals(localRelease, br.release)
		r = br
	}
	// Grows with what arrives, not with what was declared.
	b, err := io.ReadAll(r)
	if err != nil {
		if e, ok := err.(*Error); ok {
			return e
		}
		return ErrBadRequest // a broken chunk, a client that gave up
	}
	c.Request().SetBodyRaw(b)
	return nil
}

// Body returns the request's body, read within its route's limit. Large
// routes call it after authenticating the sender.
func Body(c *fiber.Ctx) ([]byte, error) { return BodyWithin(c, nil) }

// BodyWithin is Body for a body that must be read before its sender can be
// verified (a signed push: the signature covers the body): the bytes held
// by all such reads together are bounded by budget; past it the answer is
// ErrServerBusy and the sender tries again later.
func BodyWithin(c *fiber.Ctx, budget *Budget) ([]byte, error) {
	limit, _ := c.Locals(localLimit).(int64)
	if err := readAll(c, limit, budget); err != nil {
		return nil, err
	}
	return c.Request().Body(), nil
}

// Reader returns the request's body as a stream, within its route's limit
// (reading past it fails with ErrTooLarge). For files that are decoded as
// they arrive (a USB batch): nothing holds the whole body.
func Reader(c *fiber.Ctx) io.Reader {
	limit, _ := c.Locals(localLimit).(int64)
	stream := c.Request().BodyStream()
	if stream == nil {
		return bytes.NewReader(c.Request().Body())
	}
	r := &bodyReader{r: stream, left: limit}
	c.Locals(localReader, r)
	return r
}

// bodyReader reads at most left bytes; one more is an ErrTooLarge.
type bodyReader struct {
	r    io.Reader
	left int64
	eof  bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		return 0, ErrTooLarge
	}
	b.left -= int64(n)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// Budget bounds the bytes held at once by bodies read before their sender
// is verified. It is charged as bytes arrive, not by what a request
// declares: a client that declares much and sends little holds little.
type Budget struct {
	mu        sync.Mutex
	used, max int64
}

// NewBudget allows max bytes at once.
func NewBudget(max int64) *Budget { return &Budget{max: max} }

func (b *Budget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *Budget) give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
}

type budgetReader struct {
	r     io.Reader
	b     *Budget
	taken int64
}

func (r *budgetReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		if !r.b.take(int64(n)) {
			return 0, ErrServerBusy
		}
		r.taken += int64(n)
	}
	return n, err
}

func (r *budgetReader) release() { r.b.give(r.taken) }
