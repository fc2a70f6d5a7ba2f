package roster

import (
	"errors"
	"fmt"
	"strings"
)

// Machine codes of an *Error. The ward maps them to HTTP statuses and the UI
// branches on them (CodeNoColumn opens the mapping step); keep them stable.
const (
	CodeNotSpreadsheet = "not_spreadsheet" // neither CSV nor XLSX (a photo, a PDF, an old .xls)
	CodeTooLarge       = "file_too_large"  // more than Options.MaxBytes
	CodeTooManyRows    = "too_many_rows"   // more than Options.MaxRows rows
	CodeEmpty          = "empty_file"      // no rows at all
	CodeNoSheet        = "no_sheet"        // Options.Sheet names no sheet of the workbook
	CodeNoColumn       = "missing_column"  // a required column (Field) was not found
	CodeBadMapping     = "bad_mapping"     // Options.Mapping names an unknown field or a column that is not there
	CodeUnreadable     = "unreadable_file" // a CSV or XLSX too damaged to read
)

// Error is why a whole file was refused. Nothing of the file is returned
// with it. Message is Vietnamese with correct diacritics and never quotes a
// cell below the header (personal data); it may quote headers and sheet
// names, which are what the official needs to fix the file.
type Error struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"` // the missing or mis-mapped field, for CodeNoColumn and CodeBadMapping
	Message string `json:"message"`
	// Headers are the header texts of the row taken as the header (or of the
	// best candidate), for the UI's mapping step. Set with CodeNoColumn and
	// CodeBadMapping.
	Headers []string `json:"headers,omitempty"`
	// HeaderRow is the 1-based row of Headers, 0 when no row looked like a
	// header.
	HeaderRow int `json:"header_row,omitempty"`
	// Sheets are the workbook's sheet names, for CodeNoSheet and CodeNoColumn.
	Sheets []string `json:"sheets,omitempty"`
}

func (e *Error) Error() string { return "roster: " + e.Code + ": " + e.Message }

// AsError unwraps err to an *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

func errNotSpreadsheet(what string) *Error {
	return &Error{Code: CodeNotSpreadsheet, Message: "Tệp không phải bảng tính CSV hoặc Excel (.xlsx)" + what + ". Vui lòng mở tệp bằng Excel và lưu lại dạng .xlsx hoặc CSV UTF-8."}
}

func errTooLarge(max int64) *Error {
	return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("Tệp quá lớn (tối đa %d MB).", max>>20)}
}

func errTooManyRows(max int) *Error {
	return &Error{Code: CodeTooManyRows, Message: fmt.Sprintf("Tệp có quá nhiều dòng (tối đa %d dòng). Vui lòng chia nhỏ theo thôn hoặc theo hội.", max)}
}

func errEmpty() *Error {
	return &Error{Code: CodeEmpty, Message: "Tệp không có dữ liệu."}
}

func errUnreadable(what string) *Error {
	return &Error{Code: CodeUnreadable, Message: "Tệp bị hỏng, không đọc được" + what + ". Vui lòng mở bằng Excel, kiểm tra rồi lưu lại."}
}

func errNoSheet(name string, sheets []string) *Error {
	return &Error{Code: CodeNoSheet, Sheets: sheets,
		Message: fmt.Sprintf("Không có trang tính «%s». Các trang có trong tệp: %s.", name, quoteList(sheets))}
}

// fieldLabel is how a field is named to officials.
var fieldLabel = map[string]string{
	FieldName:        "Họ và tên",
	FieldCCCD:        "Số CCCD",
	FieldBirthDate:   "Ngày sinh",
	FieldGender:      "Giới tính",
	FieldPhone:       "Số điện thoại",
	FieldHousehold:   "Mã hộ",
	FieldRelation:    "Quan hệ với chủ hộ",
	FieldHead:        "Chủ hộ",
	FieldVillage:     "Thôn/TDP",
	FieldAddress:     "Địa chỉ",
	FieldAssociation: "Đoàn thể/Hội",
	FieldActivatedAt: "Ngày kích hoạt",
	FieldStatus:      "Trạng thái",
}

func errNoColumn(field string, headers []string, row int, sheets []string) *Error {
	msg := fmt.Sprintf("Không tìm thấy cột «%s» trong 20 dòng đầu của tệp.", fieldLabel[field])
	if len(nonEmpty(headers)) > 0 {
		msg += fmt.Sprintf(" Các cột đọc được (dòng %d): %s. Vui lòng chọn cột tương ứng.", row, quoteList(nonEmpty(headers)))
	}
	return &Error{Code: CodeNoColumn, Field: field, Message: msg, Headers: headers, HeaderRow: row, Sheets: sheets}
}

func errBadMapping(field, msg string, headers []string, row int) *Error {
	return &Error{Code: CodeBadMapping, Field: field, Message: msg, Headers: headers, HeaderRow: row}
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "«" + x + "»"
	}
	return strings.Join(q, ", ")
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
