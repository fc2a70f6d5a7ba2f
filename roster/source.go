package roster

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sheet streams the rows of one table: a CSV file or one worksheet.
type sheet interface {
	// Next advances to the next row; false at the end or on error.
	Next() bool
	// Row is the current row's 1-based number as a spreadsheet program
	// shows it, and its cells (raw: numbers unformatted, formulas as their
	// cached value). The slice is only valid until the next call to Next.
	Row() (int, []string)
	Err() error
	Close() error
}

// book is an opened CSV or XLSX file.
type book struct {
	sheets   []string // in workbook order; a CSV has one, named ""
	hidden   map[string]bool
	date1904 bool
	open     func(name string) (sheet, error)
	// merges returns the merged ranges of a sheet (nil for CSV or when the
	// workbook cannot be scanned for them).
	merges func(name string) []mergeRange
	close  func()
	// slow makes an XLSX read its rows with excelize's iterator instead of
	// fastSheet; set for a second pass when fastSheet met XML it does not
	// understand.
	slow bool
}

// mergeRange is a merged block of cells, 1-based and inclusive.
type mergeRange struct{ col1, row1, col2, row2 int }

// errSizeLimit is returned by limitReader past its limit, errLongLine by
// lineGuard.
var (
	errSizeLimit = errors.New("size limit")
	errLongLine  = errors.New("line too long")
)

// maxLineBytes bounds one CSV line. A roster line is a few hundred bytes; a
// megabyte without a line break is not a roster, and encoding/csv would
// grow one buffer for all of it.
const maxLineBytes = 1 << 20

// lineGuard fails once a line grows past maxLineBytes.
type lineGuard struct {
	r   io.Reader
	run int // bytes since the last '\n'
}

func (g *lineGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	b := p[:n]
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			g.run += len(b)
			break
		}
		g.run = 0
		b = b[i+1:]
	}
	if g.run > maxLineBytes {
		return n, errLongLine
	}
	return n, err
}

// limitReader fails (instead of a silent EOF) once more than n bytes were read,
// so a CSV past the limit is refused rather than cut short.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errSizeLimit
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	if l.n < 0 {
		return k, errSizeLimit
	}
	return k, err
}

// openBook sniffs the content (the name is only a hint for messages) and
// opens it as XLSX or CSV. Only XLSX is read into memory (a zip needs its
// directory at the end); CSV is streamed.
func openBook(r io.Reader, maxBytes int64) (*book, error) {
	lr := &limitReader{r: r, n: maxBytes}
	br := bufio.NewReaderSize(lr, 64<<10)
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		if errors.Is(err, errSizeLimit) {
			return nil, errTooLarge(maxBytes)
		}
		return nil, errUnreadable("")
	}
	switch {
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")))) == 0:
		return nil, errEmpty()
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		data, err := io.ReadAll(br)
		if errors.Is(err, errSizeLimit) {
			return nil, errTooLarge(maxBytes)
		}
		if err != nil {
			return nil, errUnreadable("")
		}
		return openXLSX(data, maxBytes)
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0")):
		return nil, errNotSpreadsheet(" — đây là tệp Excel cũ (.xls) hoặc tệp có đặt mật khẩu")
	case bytes.HasPrefix(head, []byte("\xFF\xFE")), bytes.HasPrefix(head, []byte("\xFE\xFF")):
		// Excel's "Unicode text": UTF-16 with a BOM, tab separated.
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		return openCSV(transform.NewReader(br, dec), maxBytes), nil
	}
	if !looksLikeText(head) {
		return nil, errNotSpreadsheet("")
	}
	var text io.Reader = br
	if !validUTF8Prefix(head) {
		// Excel's plain "CSV" on a Vietnamese Windows writes Windows-1258.
		text = transform.NewReader(br, charmap.Windows1258.NewDecoder())
	}
	return openCSV(text, maxBytes), nil
}

// looksLikeText rejects binary content: NUL bytes or many control bytes.
func looksLikeText(b []byte) bool {
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return false
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f':
			ctl++
		}
	}
	return ctl*100 <= len(b)
}

// validUTF8Prefix is utf8.Valid allowing one rune cut at the end of b.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		r, _ := utf8.DecodeLastRune(b)
		if r != utf8.RuneError {
			return false
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// ---- CSV ----

type csvSheet struct {
	cr    *csv.Reader
	row   int
	cells []string
	err   error
	max   int64
}

// openCSV reads delimited text. The separator is the one of , ; and tab that
// splits the first lines most (Excel in a Vietnamese locale writes ';');
// a first line "sep=;" (Excel's own hint) decides it outright.
func openCSV(r io.Reader, maxBytes int64) *book {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(32 << 10)
	head = bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	comma, skipSep := sniffComma(head)
	var rd io.Reader = br
	// Drop a BOM and the sep= line.
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	if skipSep {
		_, _ = br.ReadString('\n')
	}
	cr := csv.NewReader(&lineGuard{r: rd})
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	// Excel hides the sep= line: row numbers start after it.
	s := &csvSheet{cr: cr, max: maxBytes}
	return &book{
		sheets: []string{""},
		open:   func(string) (sheet, error) { return s, nil },
		merges: func(string) []mergeRange { return nil },
		close:  func() {},
	}
}

func sniffComma(head []byte) (comma rune, sepLine bool) {
	lines := strings.Split(string(head), "\n")
	if len(lines) > 0 {
		first := strings.TrimSpace(lines[0])
		if strings.HasPrefix(strings.ToLower(first), "sep=") && len(first) == 5 {
			return rune(first[4]), true
		}
	}
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last may be cut by the peek
	}
	if len(lines) > 30 {
		lines = lines[:30]
	}
	best, bestN := ',', 0
	for _, c := range []rune{',', ';', '\t'} {
		for _, l := range lines {
			n, inQuote := 0, false
			for _, r := range l {
				switch {
				case r == '"':
					inQuote = !inQuote
				case r == c && !inQuote:
					n++
				}
			}
			if n > bestN {
				best, bestN = c, n
			}
		}
	}
	return best, false
}

func (s *csvSheet) Next() bool {
	if s.err != nil {
		return false
	}
	rec, err := s.cr.Read()
	if err != nil {
		switch {
		case errors.Is(err, io.EOF):
		case errors.Is(err, errSizeLimit):
			s.err = errTooLarge(s.max)
		case errors.Is(err, errLongLine):
			s.err = errUnreadable(" (có dòng dài quá 1 MB, không phải danh sách)")
		default:
			s.err = errUnreadable(" (CSV sai định dạng)")
		}
		return false
	}
	s.row++
	s.cells = rec
	return true
}

func (s *csvSheet) Row() (int, []string) { return s.row, s.cells }
func (s *csvSheet) Err() error           { return s.err }
func (s *csvSheet) Close() error         { return nil }

// ---- XLSX ----

type xlsxSheet struct {
	rows  *excelize.Rows
	row   int
	cells []string
	err   error
}

func openXLSX(data []byte, maxBytes int64) (*book, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue: true,
		// A zip bomb declares huge parts; a real workbook unzips to some
		// tens of times its size at most.
		UnzipSizeLimit: 20 * maxBytes,
	})
	if err != nil {
		return nil, errNotSpreadsheet(" — tệp nén không phải bảng tính Excel")
	}
	names := f.GetSheetList()
	if len(names) == 0 {
		_ = f.Close()
		return nil, errNotSpreadsheet(" — tệp nén không phải bảng tính Excel")
	}
	b := &book{sheets: names, hidden: map[string]bool{}}
	for _, n := range names {
		if v, err := f.GetSheetVisible(n); err == nil && !v {
			b.hidden[n] = true
		}
	}
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		b.date1904 = *p.Date1904
	}
	paths, sstPart := sheetPaths(data)
	zr, zerr := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var sst []string
	sstRead := false
	b.open = func(name string) (sheet, error) {
		if !b.slow && zerr == nil && paths[name] != "" {
			if !sstRead {
				sst, err = readSST(zr, sstPart)
				sstRead = true
			}
			if err == nil {
				if fs, err := openFastSheet(zr, paths[name], sst); err == nil {
					return &fastFailing{fs}, nil
				}
			}
			return nil, errFastFailed
		}
		rows, err := f.Rows(name)
		if err != nil {
			return nil, errUnreadable("")
		}
		return &xlsxSheet{rows: rows}, nil
	}
	b.merges = func(name string) []mergeRange { return scanMerges(data, paths[name]) }
	b.close = func() { _ = f.Close() }
	return b, nil
}

// errFastFailed asks for the slow pass: fastSheet met XML it does not read.
var errFastFailed = errors.New("fast sheet reader failed")

// fastFailing turns fastSheet's errors into errFastFailed.
type fastFailing struct{ *fastSheet }

func (s *fastFailing) Err() error {
	if s.fastSheet.Err() != nil {
		return errFastFailed
	}
	return nil
}

func (s *xlsxSheet) Next() bool {
	if s.err != nil || !s.rows.Next() {
		if s.err == nil && s.rows.Error() != nil {
			s.err = errUnreadable("")
		}
		return false
	}
	s.row++
	s.cells, s.err = s.rows.Columns(excelize.Options{RawCellValue: true})
	if s.err != nil {
		s.err = errUnreadable("")
		return false
	}
	return true
}

func (s *xlsxSheet) Row() (int, []string) { return s.row, s.cells }
func (s *xlsxSheet) Err() error           { return s.err }
func (s *xlsxSheet) Close() error         { return s.rows.Close() }

// sheetPaths maps sheet names to their part in the zip, from
// xl/workbook.xml and its relationships. Merged ranges are scanned straight
// from the part, because excelize's GetMergeCells parses the whole sheet
// into memory first.
func sheetPaths(data []byte) (paths map[string]string, sst string) {
	out := map[string]string{}
	sst = "xl/sharedStrings.xml"
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return out, sst
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if readXMLPart(zr, "xl/workbook.xml", &wb) != nil || readXMLPart(zr, "xl/_rels/workbook.xml.rels", &rels) != nil {
		return out, sst
	}
	target := map[string]string{}
	for _, r := range rels.Rel {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		target[r.ID] = t
		if strings.HasSuffix(r.Type, "/sharedStrings") {
			sst = t
		}
	}
	for _, s := range wb.Sheets {
		out[s.Name] = target[s.RID]
	}
	return out, sst
}

func readXMLPart(zr *zip.Reader, name string, v any) error {
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			defer rc.Close()
			return xml.NewDecoder(io.LimitReader(rc, 16<<20)).Decode(v)
		}
	}
	return errors.New("no part " + name)
}

// scanMerges streams a worksheet part for <mergeCell ref="A1:I1"/> elements.
func scanMerges(data []byte, part string) []mergeRange {
	if part == "" {
		return nil
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	var out []mergeRange
	for _, f := range zr.File {
		if f.Name != part {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil
		}
		defer rc.Close()
		br := bufio.NewReaderSize(rc, 64<<10)
		for {
			if _, err := br.ReadSlice('<'); err != nil {
				if errors.Is(err, bufio.ErrBufferFull) {
					continue
				}
				return out
			}
			tag, err := br.Peek(12)
			if err != nil {
				return out
			}
			if i := bytes.IndexByte(tag, ':'); i >= 0 && i < 4 {
				tag = tag[i+1:] // a namespace prefix, x:mergeCell
			}
			if !bytes.HasPrefix(tag, []byte("mergeCell ")) {
				continue
			}
			el, err := br.ReadSlice('>')
			if err != nil {
				return out
			}
			_, ref, ok := bytes.Cut(el, []byte(`ref="`))
			if !ok {
				continue
			}
			ref, _, _ = bytes.Cut(ref, []byte(`"`))
			a, b, ok := strings.Cut(string(ref), ":")
			if !ok {
				continue
			}
			c1, r1, err1 := excelize.CellNameToCoordinates(a)
			c2, r2, err2 := excelize.CellNameToCoordinates(b)
			if err1 == nil && err2 == nil && len(out) < 100000 {
				out = append(out, mergeRange{c1, r1, c2, r2})
			}
		}
	}
	return out
}
