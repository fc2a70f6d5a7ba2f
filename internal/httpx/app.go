package httpx

import (
	"time"

	"github.com/gofiber/fiber/v2"
	fiberrecover "github.com/gofiber/fiber/v2/middleware/recover"
)

// Config is what differs between the kiosk's and the ward's HTTP faces.
type Config struct {
	Name    string // Fiber's AppName
	Limits  Limits
	Headers Headers
	Errors  Errors // its Headers are set from Config.Headers

	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	ReadBufferSize                         int // 0: Fiber's 4096
}

// New returns a Fiber app with the rules both programs share: request
// bodies streamed and bounded after decoding (see Limits), compressed
// bodies refused, panics recovered into one request's 500, security headers
// on every answer, every error in the JSON error shape.
func New(cfg Config) *fiber.App {
	cfg.Errors.Headers = cfg.Headers
	app := fiber.New(fiber.Config{
		Immutable:             true, // handlers keep strings past the request (logs, sessions)
		AppName:               cfg.Name,
		DisableStartupMessage: true,
		ErrorHandler:          cfg.Errors.Handler(),
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		ReadBufferSize:        cfg.ReadBufferSize,
		// The body is a stream the handlers read after authenticating the
		// sender: a declared Content-Length reserves nothing (20
		// connections declaring 67 MB took the ward from 20 MB to 1.33 GB).
		StreamRequestBody: true,
		// A multipart form is parsed only when a handler asks for it.
		DisablePreParseMultipartForm: true,
		// fasthttp's own limit only sizes its read-ahead; the limits hold
		// in Limits.headerReceived and Limits.guard.
		BodyLimit: int(cfg.Limits.max()),
	})
	app.Server().HeaderReceived = cfg.Limits.headerReceived
	// A panic in a handler would end the whole process (fasthttp does not
	// recover): turn it into a logged 500 for that one request.
	app.Use(fiberrecover.New())
	app.Use(cfg.Limits.guard)
	app.Use(cfg.Headers.Middleware())
	return app
}
