package httpx

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Headers are the security headers of every answer, errors included.
type Headers struct {
	// CSP is the program's Content-Security-Policy: pages differ, the rule
	// does not (no inline code, no other origin, no framing).
	CSP string
	// NoStorePrefix marks the paths answered with Cache-Control: no-store
	// ("/" for all; "/api/" keeps pages and assets cacheable).
	NoStorePrefix string
}

// Set writes the headers on c's answer.
func (h Headers) Set(c *fiber.Ctx) {
	rh := &c.Response().Header
	if h.CSP != "" {
		rh.Set("Content-Security-Policy", h.CSP)
	}
	rh.Set("X-Content-Type-Options", "nosniff")
	rh.Set("X-Frame-Options", "DENY")
	rh.Set("Referrer-Policy", "no-referrer")
	if h.NoStorePrefix != "" && strings.HasPrefix(c.Path(), h.NoStorePrefix) {
		rh.Set("Cache-Control", "no-store")
	}
}

// Middleware sets the headers before the handler runs, so that a handler
// may still override one (an asset's Cache-Control).
func (h Headers) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		h.Set(c)
		return c.Next()
	}
}
