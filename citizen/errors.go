package citizen

import "errors"

// Machine codes of a FieldError. Clients branch on these; keep them stable.
const (
	CodeInvalidName        = "invalid_name"
	CodeInvalidBirthDate   = "invalid_birth_date"
	CodeUnderage           = "underage"
	CodeInvalidGender      = "invalid_gender"
	CodeInvalidCCCD        = "invalid_cccd"
	CodeCMNDExpired        = "cmnd_expired"
	CodeUnknownProvince    = "unknown_province"
	CodeCCCDBirthMismatch  = "cccd_birth_mismatch"
	CodeCCCDGenderMismatch = "cccd_gender_mismatch"
	CodeInvalidPhone       = "invalid_phone"
	CodeInvalidVillage     = "invalid_village"
	CodeInvalidAssociation = "invalid_association"
	CodeConsentRequired    = "consent_required"
)

// JSON field names a FieldError can point at.
const (
	FieldName        = "name"
	FieldBirthDate   = "birth_date"
	FieldGender      = "gender"
	FieldCCCD        = "cccd"
	FieldPhone       = "phone"
	FieldVillage     = "village"
	FieldAssociation = "association"
	FieldConsent     = "consent"
)

// Messages are read by old people on cheap phones: short, plain, kind, and
// never echoing what was typed (personal data).
const (
	msgNameEmpty        = "Vui lòng nhập họ và tên."
	msgNameLength       = "Họ và tên phải dài từ 2 đến 80 chữ."
	msgNameChars        = "Họ và tên chỉ gồm chữ cái và dấu cách."
	msgBirthFormat      = "Ngày sinh chưa đúng. Ví dụ cách nhập: 05/03/1960."
	msgBirthTooOld      = "Năm sinh phải từ 1900 trở về sau."
	msgBirthFuture      = "Ngày sinh không thể sau ngày hôm nay."
	msgUnderage         = "Cần đủ 18 tuổi mới đăng ký được chữ ký số."
	msgGender           = "Vui lòng chọn giới tính: Nam hoặc Nữ."
	msgCCCDLength       = "Số CCCD phải có đủ 12 chữ số."
	msgCMNDExpired      = "Chứng minh nhân dân 9 số không còn dùng được. Vui lòng mang thẻ CCCD 12 số theo."
	msgUnknownProvince  = "3 số đầu của số CCCD chưa đúng. Vui lòng xem lại thẻ."
	msgCCCDBirth        = "Số CCCD không khớp với năm sinh. Vui lòng xem lại thẻ."
	msgCCCDGender       = "Số CCCD không khớp với giới tính. Vui lòng xem lại thẻ."
	msgPhone            = "Số điện thoại chưa đúng. Cần 10 chữ số, ví dụ 0912345678."
	msgVillageEmpty     = "Vui lòng nhập tên thôn hoặc tổ dân phố."
	msgVillageLong      = "Tên thôn quá dài (tối đa 100 chữ)."
	msgVillageChars     = "Tên thôn có ký tự lạ. Vui lòng nhập lại."
	msgAssociationLong  = "Tên hội, đoàn thể quá dài (tối đa 100 chữ)."
	msgAssociationChars = "Tên hội, đoàn thể có ký tự lạ. Vui lòng nhập lại."
	msgConsent          = "Vui lòng đánh dấu đồng ý để tiếp tục."
)

// FieldError is a user-facing validation failure. The HTTP layer maps it to
// 422 (or 400) with {"error":{"code","field","message"}}.
type FieldError struct {
	Code    string // machine code, one of the Code* constants
	Field   string // JSON field name, one of the Field* constants
	Message string // Vietnamese, for the citizen or volunteer
}

// Error names the field and code (and the message, which never holds
// personal data), so it is safe to log.
func (e *FieldError) Error() string {
	return "citizen: " + e.Field + ": " + e.Code + ": " + e.Message
}

// AsFieldError unwraps err to a *FieldError, if it is one.
func AsFieldError(err error) (*FieldError, bool) {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe, true
	}
	return nil, false
}

func fieldErr(field, code, msg string) *FieldError {
	return &FieldError{Code: code, Field: field, Message: msg}
}
