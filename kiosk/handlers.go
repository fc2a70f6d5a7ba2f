package kiosk

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// csp forbids inline code and every other origin: the pages work offline and
// a stored name cannot become a script.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; media-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// decode reads a JSON body into v: 415 for another type, 400 for broken JSON.
func decode(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(c.Get("Content-Type"))
	if !strings.HasPrefix(ct, "application/json") {
		return errContentType
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return newErr(400, "invalid_field", ute.Field, "Một trường dữ liệu có kiểu không đúng.")
		}
		return errBadJSON
	}
	if dec.More() {
		return errBadJSON
	}
	return nil
}

// reject counts a refused request by its error code.
func (d *deps) reject(err error) {
	if ae := domainErr(err); ae != nil {
		d.metrics.rejected.WithLabelValues(ae.Code).Inc()
	}
}

func bearer(c *fiber.Ctx) string {
	h := c.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
