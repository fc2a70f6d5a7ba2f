package ward

import (
	"bytes"
	"encoding/csv"

	"github.com/xuri/excelize/v2"
)

// Quotas arrive as the appendix table officials keep in Excel: an XLSX file
// is read as the CSV Excel would save of its first sheet with data (cells
// as displayed, merged header cells in their top-left cell), and then goes
// through the same header rules as a CSV (quota.ParseVillages).

// isXLSX recognises an XLSX (a zip) by its first bytes.
func isXLSX(b []byte) bool { return bytes.HasPrefix(b, []byte("PK\x03\x04")) }

var errBadXLSX = newErr(422, "invalid_xlsx", "file", "Không đọc được tệp Excel (.xlsx). Hãy kiểm tra tệp, hoặc lưu bảng dạng CSV rồi nhập lại.")

// xlsxAsCSV returns the first sheet with data as CSV.
func xlsxAsCSV(b []byte) ([]byte, error) {
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return nil, errBadXLSX
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			return nil, errBadXLSX
		}
		if len(rows) == 0 {
			continue
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.WriteAll(rows); err != nil {
			return nil, errBadXLSX
		}
		return buf.Bytes(), nil
	}
	return nil, errBadXLSX
}
