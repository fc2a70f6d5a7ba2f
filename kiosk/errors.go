package kiosk

import (
	"errors"
	"log/slog"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/queue"
)

// apiError is the JSON error every client gets (package httpx): a code
// for programs, a Vietnamese message for people.
type apiError = httpx.Error

func newErr(status int, code, field, msg string) *apiError {
	return httpx.NewError(status, code, field, msg)
}

var (
	errBadJSON     = newErr(400, "invalid_json", "", "Dữ liệu gửi lên không đúng định dạng.")
	errContentType = newErr(415, "unsupported_media_type", "", "Dữ liệu phải gửi dạng JSON.")
	errNotFound    = httpx.ErrNotFound
	errTicket404   = newErr(404, "not_found", "", "Không tìm thấy số thứ tự này.")
	errUnauth      = newErr(401, "unauthorized", "", "Vui lòng đăng nhập.")
	errBadToken    = newErr(401, "unauthorized", "", "Mã truy cập không đúng.")
	errCSRF        = newErr(403, "csrf", "", "Phiên làm việc đã hết hạn, vui lòng tải lại trang.")
	errBadPIN      = newErr(401, "invalid_pin", "pin", "Mã PIN không đúng.")
	errLocked      = newErr(429, "locked", "pin", "Nhập sai quá nhiều lần. Vui lòng đợi ít phút rồi thử lại.")
	errRateLimited = newErr(429, "rate_limited", "", "Bạn thao tác quá nhanh. Vui lòng đợi một chút rồi thử lại.")
	errNoToken     = newErr(403, "no_token", "", "Máy chưa được ghép với xã nên chưa tạo được tệp gửi xã.")
	errBadDesk     = newErr(422, "invalid_desk", "desk", "Số bàn không đúng.")
	errBadParam    = newErr(400, "invalid_parameter", "", "Tham số không hợp lệ.")
	errVolunteer   = newErr(422, "invalid_volunteer", "volunteer", "Vui lòng nhập tên người hỗ trợ (tối đa 60 ký tự).")
	errBadDevice   = newErr(422, "invalid_device_time", "device_time", "Giờ của máy tính bảng không hợp lệ.")
	errInternal    = newErr(500, "internal", "", "Có lỗi xảy ra. Vui lòng thử lại.")
	errUnavailable = newErr(503, "store_unavailable", "", "Máy đang không lưu được dữ liệu (có thể đầy bộ nhớ). Dữ liệu cũ vẫn an toàn; vui lòng báo cán bộ kỹ thuật.")
	errQueued      = newErr(409, "already_queued", "cccd", "Số CCCD này đã có trong hàng chờ hôm nay.")
	errActivated   = newErr(409, "already_activated", "cccd", "Số CCCD này đã kích hoạt chữ ký số rồi.")
	errState       = newErr(409, "invalid_state", "", "Số thứ tự này không còn ở trạng thái cho phép thao tác này.")
	errOutcome     = newErr(422, "invalid_outcome", "outcome", "Vui lòng chọn kết quả và lý do hợp lệ.")
	errRepairing   = newErr(503, "store_repairing", "", "Thẻ nhớ của máy bị hỏng dữ liệu; máy đang lấy lại các lượt đã ghi từ xã. Danh sách sẽ có lại khi khôi phục xong.")
	errDamaged     = newErr(503, "store_damaged", "", "Dữ liệu trên thẻ nhớ của máy bị hỏng nên không thể trả lời đầy đủ. Hãy khởi động lại máy để máy tự khôi phục từ xã, và báo cán bộ kỹ thuật.")
)

// domainErr maps domain errors to API errors.
func domainErr(err error) *apiError {
	var ae *apiError
	var fe *citizen.FieldError
	switch {
	case errors.Is(err, httpx.ErrLocked):
		return errLocked // the kiosk's words: a PIN, a few minutes
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
	case errors.Is(err, queue.ErrRepairing):
		return errRepairing
	case errors.Is(err, queue.ErrDamaged):
		return errDamaged
	case errors.Is(err, queue.ErrUnavailable):
		return errUnavailable
	}
	return nil
}

// kioskErrors is the kiosk's part of the one error handler (httpx):
// unknown failures are logged without request bodies (they hold personal
// data) and answered with errInternal.
func kioskErrors(log *slog.Logger) httpx.Errors {
	return httpx.Errors{Map: domainErr, Internal: errInternal, Log: log}
}
