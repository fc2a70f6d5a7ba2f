package ward

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/store"
)

// apiError is the JSON error every client gets: a code for programs, a
// Vietnamese message for people.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newErr(status int, code, field, msg string) *apiError {
	return &apiError{Status: status, Code: code, Field: field, Message: msg}
}

var (
	errBadJSON     = newErr(400, "invalid_json", "", "Dữ liệu gửi lên không đúng định dạng JSON.")
	errNoKioskID   = newErr(422, "invalid_kiosk_id", "kiosk_id", "Thiếu mã điểm cài đặt (kiosk_id).")
	errBadKioskID  = newErr(422, "invalid_kiosk_id", "id", link.KioskIDRule) // the kiosk refuses with the same text
	errBadToken    = newErr(401, "unauthorized", "", "Mã truy cập của điểm cài đặt không đúng hoặc điểm chưa được đăng ký với máy chủ xã.")
	errUnauth      = newErr(401, "unauthorized", "", "Vui lòng đăng nhập quản trị.")
	errBadPassword = newErr(401, "invalid_password", "password", "Mật khẩu không đúng.")
	errLocked      = newErr(429, "locked", "password", "Nhập sai quá nhiều lần. Vui lòng đợi 5 phút rồi thử lại.")
	errCSRF        = newErr(403, "csrf", "", "Phiên làm việc đã hết hạn hoặc yêu cầu không hợp lệ, vui lòng tải lại trang.")
	errCrossSite   = newErr(403, "cross_site", "", "Yêu cầu từ trang khác bị từ chối.")
	errNotFound    = newErr(404, "not_found", "", "Không tìm thấy.")
	errNoFile      = newErr(400, "no_file", "file", "Chưa chọn tệp.")
	errTooLarge    = newErr(413, "too_large", "", "Dữ liệu gửi lên quá lớn.")
	errUnavailable = newErr(503, "store_unavailable", "", "Máy chủ xã đang không ghi được dữ liệu (có thể đầy ổ đĩa). Dữ liệu đã có vẫn an toàn; điểm cài đặt sẽ tự gửi lại sau.")
	errInternal    = newErr(500, "internal", "", "Có lỗi xảy ra ở máy chủ xã. Vui lòng thử lại.")
	errBadDeadline = newErr(422, "invalid_deadline", "deadline", "Ngày không hợp lệ (dd/mm/yyyy).")
	errBadURL      = newErr(422, "invalid_url", "url", "Địa chỉ phải có dạng http://địa-chỉ:cổng.")
)

// toAPIError maps any error to what a client may see.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, errStore) || errors.Is(err, store.ErrUnavailable) {
		return errUnavailable
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			return errTooLarge
		case fiber.StatusNotFound:
			return errNotFound
		case fiber.StatusMethodNotAllowed:
			return newErr(405, "method_not_allowed", "", "Thao tác không được hỗ trợ.")
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return newErr(fe.Code, "bad_request", "", "Yêu cầu không hợp lệ.")
		}
	}
	return errInternal
}

// errorHandler is Fiber's last stop: every error becomes JSON. Errors that
// fasthttp raises before any route (413 from the body limit, 431, bad
// requests) skip the middleware, so the security headers are set here too.
func (s *Service) errorHandler(c *fiber.Ctx, err error) error {
	setSecurityHeaders(c)
	ae := toAPIError(err)
	switch {
	case ae == errUnavailable:
		// A full disk: expected, answered, and retried by the kiosk.
		s.log.Warn("store unavailable", "method", c.Method(), "path", c.Path(), "err", err)
	case ae.Status >= 500:
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	if ae.Status == http.StatusUnauthorized && ae == errUnauth {
		c.Set("WWW-Authenticate", `Basic realm="kyso ward", charset="UTF-8"`)
	}
	return c.Status(ae.Status).JSON(fiber.Map{"error": ae})
}
