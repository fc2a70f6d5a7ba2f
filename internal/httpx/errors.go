package httpx

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"
)

// Error is the JSON error every client gets, as {"error":{...}}: a code for
// programs, the field it concerns, a Vietnamese message for people.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// NewError builds an Error.
func NewError(status int, code, field, msg string) *Error {
	return &Error{Status: status, Code: code, Field: field, Message: msg}
}

// Refusals this package makes itself; both programs answer them alike.
var (
	ErrTooLarge       = NewError(413, "too_large", "", "Dữ liệu gửi lên quá lớn.")
	ErrEncoding       = NewError(415, "unsupported_encoding", "", "Máy không nhận dữ liệu nén (Content-Encoding). Vui lòng gửi dữ liệu không nén.")
	ErrLengthRequired = NewError(411, "length_required", "", "Yêu cầu này phải ghi rõ độ dài dữ liệu (Content-Length).")
	ErrBusy           = NewError(429, "rate_limited", "", "Đang có quá nhiều lượt đăng nhập cùng lúc. Vui lòng đợi một chút rồi thử lại.")
	ErrLocked         = NewError(429, "locked", "", "Nhập sai quá nhiều lần. Vui lòng đợi 5 phút rồi thử lại.")
	ErrServerBusy     = NewError(503, "busy", "", "Máy đang bận nhận dữ liệu khác. Vui lòng thử lại sau ít phút.")
	ErrNotFound       = NewError(404, "not_found", "", "Không tìm thấy.")
	ErrMethod         = NewError(405, "method_not_allowed", "", "Thao tác không được hỗ trợ.")
	ErrBadRequest     = NewError(400, "bad_request", "", "Yêu cầu không hợp lệ.")
)

// FromFiber maps the errors Fiber and fasthttp raise (before any route or
// from the router) to Errors. Anything 4xx is the client's: never a 500.
// It returns nil for errors that are not Fiber's.
func FromFiber(err error) *Error {
	var fe *fiber.Error
	if !errors.As(err, &fe) {
		return nil
	}
	switch fe.Code {
	case fiber.StatusRequestEntityTooLarge:
		return ErrTooLarge
	case fiber.StatusNotFound:
		return ErrNotFound
	case fiber.StatusMethodNotAllowed:
		return ErrMethod
	case fiber.StatusRequestHeaderFieldsTooLarge, fiber.StatusRequestURITooLong:
		return NewError(fe.Code, "too_large", "", "Yêu cầu gửi lên quá dài.")
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return NewError(fe.Code, "bad_request", "", "Yêu cầu không hợp lệ.")
	}
	return nil
}

// Errors configures the one error handler of a program.
type Errors struct {
	// Map turns the program's domain errors into Errors; nil for unknown.
	Map func(error) *Error
	// Internal answers unknown failures (logged, without request bodies:
	// they hold personal data).
	Internal *Error
	// Decorate may add headers to an answer (WWW-Authenticate on a 401).
	Decorate func(c *fiber.Ctx, e *Error)
	Headers  Headers
	Log      *slog.Logger
}

// Handler is Fiber's last stop: every error becomes the JSON error shape,
// with the security headers (errors raised before routing never pass the
// middleware). Only unknown failures are logged as errors; a 503 (a full
// disk, a busy server) is expected and logged as a warning.
func (o Errors) Handler() fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		o.Headers.Set(c)
		var e *Error
		if o.Map != nil {
			e = o.Map(err)
		}
		if e == nil && !errors.As(err, &e) {
			e = FromFiber(err)
		}
		if e == nil {
			o.Log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
			e = o.Internal
		}
		if e.Status == fiber.StatusServiceUnavailable {
			o.Log.Warn("service unavailable", "method", c.Method(), "path", c.Path(), "err", err)
		}
		if o.Decorate != nil {
			o.Decorate(c, e)
		}
		return c.Status(e.Status).JSON(fiber.Map{"error": e})
	}
}
