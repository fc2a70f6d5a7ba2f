package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errDiskFull = errors.New("disk full")

func TestErrorHandler(t *testing.T) {
	var log bytes.Buffer
	unavailable := NewError(503, "store_unavailable", "", "Máy đang không lưu được dữ liệu.")
	app := New(Config{
		Limits:  Limits{Default: 1 << 10},
		Headers: Headers{CSP: "default-src 'self'", NoStorePrefix: "/api/"},
		Errors: Errors{
			Map: func(err error) *Error {
				if errors.Is(err, errDiskFull) {
					return unavailable
				}
				return nil
			},
			Internal: NewError(500, "internal", "", "Có lỗi xảy ra. Vui lòng thử lại."),
			Decorate: func(c *fiber.Ctx, e *Error) {
				if e.Status == 401 {
					c.Set("WWW-Authenticate", `Basic realm="test"`)
				}
			},
			Log: slog.New(slog.NewTextHandler(&log, nil)),
		},
	})
	app.Get("/api/domain", func(c *fiber.Ctx) error { return errDiskFull })
	app.Get("/api/mine", func(c *fiber.Ctx) error { return NewError(422, "invalid_name", "name", "Tên không hợp lệ.") })
	app.Get("/api/unauth", func(c *fiber.Ctx) error { return NewError(401, "unauthorized", "", "Vui lòng đăng nhập.") })
	app.Get("/api/bug", func(c *fiber.Ctx) error { return errors.New("nil map somewhere") })
	app.Get("/api/panic", func(c *fiber.Ctx) error { panic("boom") })
	app.Get("/page", func(c *fiber.Ctx) error { return c.SendString("ok") })

	cases := []struct {
		name, method, path string
		status             int
		code, field        string
	}{
		{"domain error", "GET", "/api/domain", 503, "store_unavailable", ""},
		{"an Error as is", "GET", "/api/mine", 422, "invalid_name", "name"},
		{"decorated", "GET", "/api/unauth", 401, "unauthorized", ""},
		{"unknown failure", "GET", "/api/bug", 500, "internal", ""},
		{"panic", "GET", "/api/panic", 500, "internal", ""},
		{"no such route", "GET", "/api/nope", 404, "not_found", ""},
		{"wrong method", "DELETE", "/page", 405, "method_not_allowed", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := app.Test(httptest.NewRequest(tc.method, tc.path, nil))
			require.NoError(t, err)
			b, _ := io.ReadAll(res.Body)
			assert.Equal(t, tc.status, res.StatusCode, string(b))
			var e struct {
				Error Error `json:"error"`
			}
			require.NoError(t, json.Unmarshal(b, &e), string(b))
			assert.Equal(t, tc.code, e.Error.Code)
			assert.Equal(t, tc.field, e.Error.Field)
			assert.NotEmpty(t, e.Error.Message)
			assert.Equal(t, "default-src 'self'", res.Header.Get("Content-Security-Policy"), "errors carry the headers")
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			assert.NotContains(t, string(b), "goroutine", "no stack trace")
		})
	}
	res, err := app.Test(httptest.NewRequest("GET", "/api/unauth", nil))
	require.NoError(t, err)
	assert.Equal(t, `Basic realm="test"`, res.Header.Get("WWW-Authenticate"))
	res, err = app.Test(httptest.NewRequest("GET", "/page", nil))
	require.NoError(t, err)
	assert.Empty(t, res.Header.Get("Cache-Control"), "pages outside the prefix stay cacheable")
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))

	assert.Contains(t, log.String(), "level=ERROR msg=\"request failed\" method=GET path=/api/bug")
	assert.Contains(t, log.String(), "level=WARN msg=\"service unavailable\"")
	assert.NotContains(t, log.String(), "path=/api/mine", "an answered refusal is not logged")
}
