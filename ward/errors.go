package ward

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/store"
)

// apiError is the JSON error every client gets (package httpx): a code
// for programs, a Vietnamese message for people.
type apiError = httpx.Error

func newErr(status int, code, field, msg string) *apiError {
	return httpx.NewError(status, code, field, msg)
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
	errNotFound    = httpx.ErrNotFound
	errNoFile      = newErr(400, "no_file", "file", "Chưa chọn tệp.")
	errTooLarge    = httpx.ErrTooLarge
	errUnavailable = newErr(503, "store_unavailable", "", "Máy chủ xã đang không ghi được dữ liệu (có thể đầy ổ đĩa). Dữ liệu đã có vẫn an toàn; điểm cài đặt sẽ tự gửi lại sau.")
	errInternal    = newErr(500, "internal", "", "Có lỗi xảy ra ở máy chủ xã. Vui lòng thử lại.")
	errBadDeadline = newErr(422, "invalid_deadline", "deadline", "Ngày không hợp lệ (dd/mm/yyyy).")
	errBadURL      = newErr(422, "invalid_url", "url", "Địa chỉ phải có dạng http://địa-chỉ:cổng.")
)

// wardError maps the ward's domain errors; nil for unknown ones.
func wardError(err error) *apiError {
	var ae *apiError
	switch {
	case errors.Is(err, httpx.ErrLocked):
		return errLocked // the ward's words: a password, 5 minutes
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, errStore) || errors.Is(err, store.ErrUnavailable):
		return errUnavailable
	}
	return httpx.FromFiber(err)
}

// toAPIError maps any error to what a client may see (the HTML pages show
// the same words as the API).
func toAPIError(err error) *apiError {
	if ae := wardError(err); ae != nil {
		return ae
	}
	return errInternal
}

// wardErrors is the ward's part of the one error handler (httpx). A 401
// for a missing admin login invites the browser's HTTP Basic dialog (the
// exports are downloaded with it).
func wardErrors(log *slog.Logger) httpx.Errors {
	return httpx.Errors{Map: wardError, Internal: errInternal, Log: log,
		Decorate: func(c *fiber.Ctx, e *httpx.Error) {
			if e == errUnauth {
				c.Set("WWW-Authenticate", `Basic realm="kyso ward", charset="UTF-8"`)
			}
		}}
}
