package kiosk

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/queue"
)

// apiError is the JSON error every client gets: a code for programs, a
// Vietnamese message for people.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code }

func newErr(status int, code, field, msg string) *apiError {
	return &apiError{Status: status, Code: code, Field: field, Message: msg}
}

var (
	errBadJSON      = newErr(400, "invalid_json", "", "Dữ liệu gửi lên không đúng định dạng.")
	errContentType  = newErr(415, "unsupported_media_type", "", "Dữ liệu phải gửi dạng JSON.")
	errTooLarge     = newErr(413, "too_large", "", "Dữ liệu gửi lên quá lớn.")
	errNotFound     = newErr(404, "not_found", "", "Không tìm thấy.")
	errTicket404    = newErr(404, "not_found", "", "Không tìm thấy số thứ tự này.")
	errUnauth       = newErr(401, "unauthorized", "", "Vui lòng đăng nhập.")
	errBadToken     = newErr(401, "unauthorized", "", "Mã truy cập không đúng.")
	errCSRF         = newErr(403, "csrf", "", "Phiên làm việc đã hết hạn, vui lòng tải lại trang.")
	errBadPIN       = newErr(401, "invalid_pin", "pin", "Mã PIN không đúng.")
	errLocked       = newErr(429, "locked", "pin", "Nhập sai quá nhiều lần. Vui lòng đợi ít phút rồi thử lại.")
	errRateLimited  = newErr(429, "rate_limited", "", "Bạn thao tác quá nhanh. Vui lòng đợi một chút rồi thử lại.")
	errNoToken      = newErr(403, "no_token", "", "Máy chưa được ghép với xã nên chưa tạo được tệp gửi xã.")
	errBadDesk      = newErr(422, "invalid_desk", "desk", "Số bàn không đúng.")
	errBadParam     = newErr(400, "invalid_parameter", "", "Tham số không hợp lệ.")
	errVolunteer    = newErr(422, "invalid_volunteer", "volunteer", "Vui lòng nhập tên người hỗ trợ (tối đa 60 ký tự).")
	errBadDevice    = newErr(422, "invalid_device_time", "device_time", "Giờ của máy tính bảng không hợp lệ.")
	errInternal     = newErr(500, "internal", "", "Có lỗi xảy ra. Vui lòng thử lại.")
	errUnavailable  = newErr(503, "store_unavailable", "", "Máy đang không lưu được dữ liệu (có thể đầy bộ nhớ). Dữ liệu cũ vẫn an toàn; vui lòng báo cán bộ kỹ thuật.")
	errQueued       = newErr(409, "already_queued", "cccd", "Số CCCD này đã có trong hàng chờ tối nay.")
	errActivated    = newErr(409, "already_activated", "cccd", "Số CCCD này đã kích hoạt chữ ký số rồi.")
	errState        = newErr(409, "invalid_state", "", "Số thứ tự này không còn ở trạng thái cho phép thao tác này.")
	errOutcome      = newErr(422, "invalid_outcome", "outcome", "Vui lòng chọn kết quả và lý do hợp lệ.")
	errMethodNotAll = newErr(405, "method_not_allowed", "", "Thao tác không được hỗ trợ.")
)

// domainErr maps domain errors to API errors.
func domainErr(err error) *apiError {
	var ae *apiError
	var fe *citizen.FieldError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &fe):
		return newErr(422, fe.Code, fe.Field, fe.Message)
	case errors.Is(err, queue.ErrNotFound):
		return errTicket404
	case errors.Is(err, queue.ErrAlreadyQueued):
		return errQueued
	case errors.Is(err, queue.ErrAlreadyActivated):
		return errActivated
	case errors.Is(err, queue.ErrBadState):
		return errState
	case errors.Is(err, queue.ErrBadDesk):
		return errBadDesk
	case errors.Is(err, queue.ErrBadOutcome):
		return errOutcome
	case errors.Is(err, queue.ErrUnavailable):
		return errUnavailable
	}
	var fiberErr *fiber.Error
	if errors.As(err, &fiberErr) {
		switch fiberErr.Code {
		case fiber.StatusRequestEntityTooLarge:
			return errTooLarge
		case fiber.StatusNotFound:
			return errNotFound
		case fiber.StatusMethodNotAllowed:
			return errMethodNotAll
		case fiber.StatusBadRequest:
			return errBadJSON
		case fiber.StatusRequestHeaderFieldsTooLarge, fiber.StatusRequestURITooLong:
			return newErr(fiberErr.Code, "too_large", "", "Yêu cầu gửi lên quá dài.")
		}
		// Other protocol errors fasthttp finds before any handler runs
		// (timeouts, malformed requests) are the client's, never a 500.
		if fiberErr.Code >= 400 && fiberErr.Code < 500 {
			return newErr(fiberErr.Code, "bad_request", "", "Yêu cầu không hợp lệ.")
		}
	}
	return nil
}

// errorHandler is Fiber's last stop: every error becomes JSON, and only
// unknown failures are logged (without request bodies: they hold personal data).
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	ae := domainErr(err)
	if ae == nil {
		s.log.Error("request failed", "method", c.Method(), "path", c.Route().Path, "err", err)
		ae = errInternal
	}
	if ae.Status == 503 {
		s.log.Warn("store unavailable", "path", c.Route().Path, "err", err)
	}
	setSecurityHeaders(c)
	return c.Status(ae.Status).JSON(fiber.Map{"error": ae})
}
