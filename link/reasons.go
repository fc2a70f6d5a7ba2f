package link

import (
	"errors"
	"fmt"
)

// Reason is one way a sync or a pairing can fail: a code for programs, an
// HTTP status for the side that answers, and a Vietnamese message for the
// volunteer or the official who reads it. Both programs take their link
// errors from this list, so the kiosk and the ward never word the same
// failure two ways.
type Reason struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (r *Reason) Error() string { return r.Code + ": " + r.Message }

// Is makes errors.Is match a Reason by code, so a Reason decoded from a
// reply matches the one in this list.
func (r *Reason) Is(target error) bool {
	var t *Reason
	return errors.As(target, &t) && t.Code == r.Code
}

// The failure reasons of the link. Kiosk-facing texts speak to a volunteer
// at the tablet; the ward's to an official at the dashboard.
var (
	// Pairing (the volunteer types a code on the tablet).
	ReasonUnreachable   = &Reason{Status: 502, Code: "ward_unreachable", Field: "ward_url", Message: "Không kết nối được máy chủ xã. Kiểm tra địa chỉ và mạng."}
	ReasonBadWardURL    = &Reason{Status: 422, Code: "invalid_ward_url", Field: "ward_url", Message: "Địa chỉ máy chủ xã không đúng (ví dụ: http://192.168.1.10:8090)."}
	ReasonBadCode       = &Reason{Status: 422, Code: "invalid_code", Field: "code", Message: "Mã ghép không đúng hoặc đã hết hạn. Vui lòng xin mã mới ở xã."}
	ReasonCodeLocked    = &Reason{Status: 429, Code: "locked", Field: "code", Message: "Nhập sai quá nhiều lần. Vui lòng đợi 10 phút."}
	ReasonAlreadyPaired = &Reason{Status: 409, Code: "already_paired", Message: "Máy đã được ghép với xã."}
	ReasonBadKioskID    = &Reason{Status: 422, Code: "invalid_kiosk_id", Field: "kiosk_id", Message: KioskIDRule}
	ReasonNoKiosk       = &Reason{Status: 404, Code: "unknown_kiosk", Field: "kiosk_id", Message: "Xã chưa đăng ký điểm này."}
	ReasonBadNonce      = &Reason{Status: 400, Code: "invalid_nonce", Field: "nonce", Message: "Tham số không hợp lệ."}
	ReasonPairForged    = &Reason{Status: 502, Code: "not_the_ward", Field: "ward_url", Message: "Máy ở địa chỉ này không phải máy chủ xã đã tạo mã ghép. Kiểm tra lại địa chỉ máy chủ xã."}

	// Sync (shown as the last error on the volunteer page).
	ReasonNotProven    = &Reason{Status: 502, Code: "ward_not_proven", Message: "Máy tìm thấy trên mạng không chứng minh được là máy chủ xã của điểm này; không gửi dữ liệu cho nó."}
	ReasonForgedReply  = &Reason{Status: 502, Code: "forged_reply", Message: "Câu trả lời không mang chữ ký của máy chủ xã; bỏ qua và gửi lại sau."}
	ReasonImplausible  = &Reason{Status: 502, Code: "implausible_reply", Message: "Máy chủ xã trả lời số thứ tự không hợp lệ; bỏ qua và gửi lại sau."}
	ReasonTokenRefused = &Reason{Status: 401, Code: "unauthorized", Message: "Máy chủ xã không nhận mã truy cập của điểm này. Vui lòng ghép lại điểm với xã."}
	ReasonWardFull     = &Reason{Status: 503, Code: "store_unavailable", Message: "Máy chủ xã tạm thời không lưu được dữ liệu; điểm sẽ tự gửi lại sau."}
	ReasonWardRefused  = &Reason{Status: 502, Code: "ward_refused", Message: "Máy chủ xã từ chối dữ liệu; điểm sẽ tự gửi lại sau."}
	ReasonConflict     = &Reason{Status: 409, Code: "conflicting_record", Field: "records", Message: "Máy chủ xã đã có bản ghi cùng số thứ tự nhưng nội dung khác. Bản gửi sau được giữ riêng để kiểm tra, không ghi đè."}
)

// Reasons lists every reason, for documentation and tests.
func Reasons() []*Reason {
	return []*Reason{
		ReasonUnreachable, ReasonBadWardURL, ReasonBadCode, ReasonCodeLocked, ReasonAlreadyPaired,
		ReasonBadKioskID, ReasonNoKiosk, ReasonBadNonce, ReasonPairForged,
		ReasonNotProven, ReasonForgedReply, ReasonImplausible, ReasonTokenRefused, ReasonWardFull,
		ReasonWardRefused, ReasonConflict,
	}
}

// failure wraps a Reason with the detail that goes to the log (never to a
// person: it may hold addresses and Go error text).
type failure struct {
	reason *Reason
	detail error
}

func (f *failure) Error() string { return f.reason.Code + ": " + f.detail.Error() }
func (f *failure) Unwrap() []error {
	return []error{f.reason, f.detail}
}

func fail(r *Reason, format string, args ...any) error {
	return &failure{reason: r, detail: fmt.Errorf(format, args...)}
}

// ReasonOf returns the Reason behind err: the listed one it wraps, or
// ReasonUnreachable for a transport error (the usual failure of a link).
func ReasonOf(err error) *Reason {
	var f *failure
	if errors.As(err, &f) {
		return f.reason
	}
	var r *Reason
	if errors.As(err, &r) {
		return r
	}
	return ReasonUnreachable
}
