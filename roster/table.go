package roster

import (
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// rowKind is what a row below the header is.
type rowKind int

const (
	rowData    rowKind = iota
	rowBlank           // nothing but perhaps an STT number; reported only between data rows
	rowTotal           // "Tổng cộng", "Cộng"
	rowSection         // one text across the row: "Tổ 1", "THÔN ĐÔNG LÃO", "Chi hội Đông Lão"
)

// table is a recognised table: its sheet, header and the text above it.
type table struct {
	sheet    string
	h        *header
	titles   []string // non-empty rows above the header, each joined by spaces
	date1904 bool
}

// maxBlankRun ends a sheet: workbooks formatted down to row 1,048,576 yield
// empty rows without end.
const maxBlankRun = 10000

// scan opens the file, finds the sheet and header, then calls each for every
// row below the header up to the last non-blank one, in order, with the
// cells cleaned (NFC, single spaces) and vertically merged cells filled with
// the value of their top cell. It stops with an *Error past opts.MaxRows.
//
// start gives the row handler for a pass: when the fast XLSX reader meets
// XML it does not understand, the file is read again with excelize by a
// fresh handler.
func scan(r io.Reader, opts Options, fields []string, required string, start func() func(t *table, n int, cells []string, kind rowKind)) (*table, error) {
	b, err := openBook(r, opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	defer b.close()
	t, err := scanBook(b, opts, fields, required, start())
	if errors.Is(err, errFastFailed) {
		b.slow = true
		t, err = scanBook(b, opts, fields, required, start())
	}
	if errors.Is(err, errFastFailed) {
		return nil, errUnreadable("")
	}
	return t, err
}

func scanBook(b *book, opts Options, fields []string, required string, each func(t *table, n int, cells []string, kind rowKind)) (*table, error) {
	var candidates []string
	if opts.Sheet != "" {
		for _, n := range b.sheets {
			if n == opts.Sheet || NormalizeHeader(n) == NormalizeHeader(opts.Sheet) {
				candidates = []string{n}
				break
			}
		}
		if candidates == nil && len(b.sheets) > 1 || candidates == nil && b.sheets[0] != "" {
			return nil, errNoSheet(opts.Sheet, b.sheets)
		}
		if candidates == nil { // a CSV has one table whatever it is called
			candidates = b.sheets
		}
	} else {
		for _, n := range b.sheets {
			if !b.hidden[n] {
				candidates = append(candidates, n)
			}
		}
		for _, n := range b.sheets {
			if b.hidden[n] {
				candidates = append(candidates, n)
			}
		}
	}

	var firstErr *Error
	for _, name := range candidates {
		s, err := b.open(name)
		if err != nil {
			return nil, err
		}
		var head [][]string
		var nums []int
		for len(head) < maxHeaderScan && s.Next() {
			n, cells := s.Row()
			head = append(head, append([]string(nil), cells...))
			nums = append(nums, n)
		}
		if err := s.Err(); err != nil {
			_ = s.Close()
			return nil, err
		}
		h, herr := findHeader(head, nums, fields, required, opts.Mapping)
		if herr != nil {
			_ = s.Close()
			if herr.Code == CodeBadMapping {
				return nil, herr
			}
			if firstErr == nil && (herr.Code != CodeEmpty || len(candidates) == 1) {
				firstErr = herr
			}
			continue
		}
		t := &table{sheet: name, h: h, date1904: b.date1904}
		err = t.rows(s, head, nums, b.merges(name), opts.MaxRows, each)
		_ = s.Close()
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	if firstErr == nil {
		firstErr = errEmpty()
	}
	if b.sheets[0] != "" {
		firstErr.Sheets = b.sheets
		if firstErr.Code == CodeNoColumn && len(b.sheets) > 1 {
			firstErr.Message += " Đã xem các trang: " + quoteList(b.sheets) + "."
		}
	}
	return nil, firstErr
}

func (t *table) rows(s sheet, head [][]string, nums []int, merges []mergeRange, maxRows int, each func(*table, int, []string, rowKind)) error {
	h := t.h
	// Vertical merges (a household code or address merged down over its
	// members): remember the top value, give it to the cells below.
	type fill struct {
		m   mergeRange
		val string
	}
	starts := map[int][]mergeRange{}
	horiz := map[int]bool{} // rows holding a merge across columns
	for _, m := range merges {
		if m.row2 > m.row1 && m.row1 >= h.row {
			starts[m.row1] = append(starts[m.row1], m)
		}
		if m.col2 > m.col1 && m.row1 > h.row {
			for r := m.row1; r <= m.row2 && r-m.row1 < 1000; r++ {
				horiz[r] = true
			}
		}
	}
	used := map[int]bool{h.serial: true}
	for _, c := range h.col {
		used[c] = true
	}
	var active []fill
	var pendingBlank []int
	data, blankRun := 0, 0
	first := true
	cells := make([]string, 0, len(h.labels))

	handle := func(n int, raw []string) error {
		cells = cells[:0]
		for i, c := range raw {
			if !used[i] {
				// Not read: only its emptiness matters (and its text for a
				// section label, cleaned there).
				cells = append(cells, strings.TrimSpace(c))
				continue
			}
			cells = append(cells, clean(truncate(c)))
		}
		// Merged cells: drop finished ranges, fill the rest, start new ones.
		kept := active[:0]
		for _, f := range active {
			if f.m.row2 < n {
				continue
			}
			for len(cells) < f.m.col1 {
				cells = append(cells, "")
			}
			if cells[f.m.col1-1] == "" {
				cells[f.m.col1-1] = f.val
			}
			kept = append(kept, f)
		}
		active = kept
		for _, m := range starts[n] {
			active = append(active, fill{m, at(cells, m.col1-1)})
		}

		kind, _ := classifyRow(cells, h, horiz[n])
		if first && kind == rowData && numberingRow(cells) {
			first = false
			return nil // "1 2 3 …" under the header: part of it
		}
		first = false
		if kind == rowBlank {
			pendingBlank = append(pendingBlank, n)
			blankRun++
			return nil
		}
		blankRun = 0
		for _, b := range pendingBlank {
			each(t, b, nil, rowBlank)
		}
		data += len(pendingBlank) + 1
		pendingBlank = pendingBlank[:0]
		if data > maxRows {
			return errTooManyRows(maxRows)
		}
		each(t, n, cells, kind)
		return nil
	}

	for i, r := range head {
		if nums[i] < h.top {
			if txt := strings.Join(nonEmpty(cleanAll(r)), " "); txt != "" {
				t.titles = append(t.titles, txt)
			}
		}
		if nums[i] <= h.row {
			continue
		}
		if err := handle(nums[i], r); err != nil {
			return err
		}
	}
	for s.Next() {
		n, raw := s.Row()
		if err := handle(n, raw); err != nil {
			return err
		}
		if blankRun >= maxBlankRun {
			break
		}
	}
	return s.Err()
}

// maxCellBytes bounds the text of a cell that is read: no name, number or
// date is longer, and cleaning a megabyte cell row after row costs.
const maxCellBytes = 1024

func truncate(s string) string {
	if len(s) <= maxCellBytes {
		return s
	}
	i := maxCellBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// classifyRow tells data from blank, total and section rows, and returns the
// row's non-empty texts (without the STT cell).
func classifyRow(cells []string, h *header, mergedAcross bool) (rowKind, []string) {
	var texts []string
	idx := -1
	for c, v := range cells {
		if v == "" || excelError(v) || c == h.serial && serialNumber(v) {
			continue
		}
		texts = append(texts, v)
		idx = c
	}
	if len(texts) == 0 {
		return rowBlank, nil
	}
	// The label of a total row stands first, in the STT column or in the
	// name column.
	if totalText(texts[0], true) || h.serial >= 0 && totalText(at(cells, h.serial), true) {
		return rowTotal, texts
	}
	if c, ok := h.col[FieldName]; ok && totalText(at(cells, c), false) {
		return rowTotal, texts
	}
	if len(texts) == 1 {
		name, hasName := h.col[FieldName]
		if mergedAcross || !hasName || idx != name || sectionText(texts[0]) {
			return rowSection, texts
		}
	}
	return rowData, texts
}

// totalText recognises the label of a total row; first allows the longer
// forms ("Tổng cộng: 57 người") that only start a row.
func totalText(s string, first bool) bool {
	// Every label starts with T, C or S ("Tổng", "Cộng", "Sum"); skip the
	// folding for anything else.
	if s == "" || len(s) > 60 || !strings.ContainsRune("TtCcSs", rune(s[0])) {
		return false
	}
	n := NormalizeHeader(s)
	switch n {
	case "cong", "tong", "tong cong", "tong so", "cong so", "tong so ho", "tong so khau", "tong so nhan khau", "tong so nguoi", "cong toan thon", "tong toan thon", "total", "sum":
		return true
	}
	return first && (strings.HasPrefix(n, "tong cong ") || strings.HasPrefix(n, "tong so ") ||
		strings.HasPrefix(n, "cong ") && strings.ContainsAny(n, "0123456789"))
}

// sectionText recognises the label of a group of rows in the name column:
// a unit, a branch, a numbered part. Surnames that are also unit words (Tô,
// Đoàn) are told apart by a number or capitals in the label.
func sectionText(s string) bool {
	n := NormalizeHeader(s)
	switch n {
	case "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x":
		return true
	}
	for _, p := range []string{"thon", "xom", "tdp", "to dan pho", "khu pho", "chi hoi", "danh sach", "phan"} {
		if strings.HasPrefix(n, p+" ") {
			return true
		}
	}
	marked := strings.ContainsAny(n, "0123456789") || !hasLower(s)
	for _, p := range []string{"to", "khu", "hoi", "doan", "nhom", "doi", "ban", "ap", "ho"} {
		if strings.HasPrefix(n, p+" ") && marked {
			return true
		}
	}
	return false
}

// numberingRow: the column numbers some forms print under the header
// ("1 2 3 …" or "(1) (2) (3) …").
func numberingRow(cells []string) bool {
	texts := nonEmpty(cells)
	if len(texts) < 3 {
		return false
	}
	base := -1
	for i, t := range texts {
		t = strings.Trim(t, "()[] ")
		if base < 0 {
			switch t {
			case "0":
				base = 0
			case "1":
				base = 1
			default:
				return false
			}
		}
		if t != itoa(i+base) {
			return false
		}
	}
	return true
}

// serialNumber: an STT cell holding a row number ("12", "12.", "12.0").
func serialNumber(s string) bool {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "."), ".0")
	return allDigits(s)
}

func itoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return itoa(i/10) + d[i%10:i%10+1]
}
