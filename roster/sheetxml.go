package roster

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// fastSheet streams a worksheet part with a byte scanner instead of
// encoding/xml: excelize's row iterator costs ~45 µs a row, which is most of
// a 20,000-resident import. It reads only what the parser needs — cell
// references, types, values, inline strings — and gives the same raw values
// as excelize with RawCellValue (TestFastSheetMatchesExcelize). Anything it
// does not understand makes it fail, and the caller falls back to excelize.
type fastSheet struct {
	br    *bufio.Reader
	rc    io.Closer
	sst   []string
	row   int      // the current row number
	next  int      // the number of the row element read ahead, 0 if none
	nextC []string // its cells
	cells []string
	err   error
	done  bool
}

var errFormat = errors.New("unexpected sheet XML")

func openFastSheet(zr *zip.Reader, part string, sst []string) (*fastSheet, error) {
	for _, f := range zr.File {
		if f.Name == part {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			return &fastSheet{br: bufio.NewReaderSize(rc, 64<<10), rc: rc, sst: sst}, nil
		}
	}
	return nil, errFormat
}

func (s *fastSheet) Next() bool {
	if s.err != nil {
		return false
	}
	if s.next == 0 && !s.done {
		n, cells, err := s.readRow(s.row + 1)
		switch {
		case errors.Is(err, io.EOF):
			s.done = true
		case err != nil:
			s.err = err
			return false
		default:
			s.next, s.nextC = n, cells
		}
	}
	if s.next == 0 {
		return false
	}
	s.row++
	if s.row < s.next { // a row the file leaves out is an empty row
		s.cells = s.cells[:0]
		return true
	}
	s.cells, s.next = s.nextC, 0
	return true
}

func (s *fastSheet) Row() (int, []string) { return s.row, s.cells }
func (s *fastSheet) Err() error           { return s.err }
func (s *fastSheet) Close() error         { return s.rc.Close() }

// tag reads up to the next element and returns its local name (prefix
// dropped), its raw attributes, whether it closes (</x>) and whether it is
// empty (<x/>). Text before it is returned in text when keep is set.
func (s *fastSheet) tag(keep bool) (name string, attrs []byte, closing, empty bool, text []byte, err error) {
	if keep {
		t, err := s.br.ReadBytes('<')
		if err != nil {
			return "", nil, false, false, nil, err
		}
		text = t[:len(t)-1]
	} else {
		for {
			_, err := s.br.ReadSlice('<')
			if err == nil {
				break
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				return "", nil, false, false, nil, err
			}
		}
	}
	el, err := s.br.ReadBytes('>')
	if err != nil {
		return "", nil, false, false, nil, err
	}
	el = el[:len(el)-1]
	if len(el) > 0 && (el[0] == '?' || el[0] == '!') {
		if bytes.HasPrefix(el, []byte("![CDATA[")) {
			return "", nil, false, false, nil, errFormat
		}
		return "", nil, false, true, text, nil // a declaration or comment
	}
	if len(el) > 0 && el[0] == '/' {
		closing, el = true, el[1:]
	}
	if len(el) > 0 && el[len(el)-1] == '/' {
		empty, el = true, el[:len(el)-1]
	}
	n := el
	if i := bytes.IndexAny(el, " \t\r\n"); i >= 0 {
		n, attrs = el[:i], el[i:]
	}
	if i := bytes.IndexByte(n, ':'); i >= 0 {
		n = n[i+1:]
	}
	return string(n), attrs, closing, empty, text, nil
}

// attr returns the value of attribute key in raw attributes.
func attr(attrs []byte, key string) string {
	for len(attrs) > 0 {
		i := bytes.Index(attrs, []byte(key+"="))
		if i < 0 {
			return ""
		}
		if i > 0 && attrs[i-1] != ' ' && attrs[i-1] != '\t' && attrs[i-1] != '\n' && attrs[i-1] != '\r' {
			attrs = attrs[i+len(key)+1:]
			continue
		}
		v := attrs[i+len(key)+1:]
		if len(v) == 0 || v[0] != '"' && v[0] != '\'' {
			return ""
		}
		j := bytes.IndexByte(v[1:], v[0])
		if j < 0 {
			return ""
		}
		return unescape(v[1 : 1+j])
	}
	return ""
}

// readRow reads up to and through the next <row>, returning its number
// (want when it has no r attribute) and cells.
func (s *fastSheet) readRow(want int) (int, []string, error) {
	for {
		name, attrs, closing, empty, _, err := s.tag(false)
		if err != nil {
			return 0, nil, err
		}
		if closing && name == "sheetData" {
			return 0, nil, io.EOF
		}
		if name != "row" || closing {
			continue
		}
		n := want
		if r := attr(attrs, "r"); r != "" {
			if n, err = strconv.Atoi(r); err != nil || n < want || n > excelize.TotalRows {
				return 0, nil, errFormat
			}
		}
		if empty {
			return n, nil, nil
		}
		cells, err := s.readCells()
		return n, cells, err
	}
}

// readCells reads the cells of a row up to </row>.
func (s *fastSheet) readCells() ([]string, error) {
	var cells []string
	col := 0
	for {
		name, attrs, closing, empty, _, err := s.tag(false)
		if err != nil {
			return nil, err
		}
		if name == "row" && closing {
			return cells, nil
		}
		if name != "c" || closing {
			continue
		}
		col++
		if ref := attr(attrs, "r"); ref != "" {
			c, _, err := excelize.CellNameToCoordinates(ref)
			if err != nil || c < col {
				return nil, errFormat
			}
			col = c
		}
		if empty {
			continue
		}
		typ := attr(attrs, "t")
		v, err := s.cellValue(typ)
		if err != nil {
			return nil, err
		}
		if v == "" {
			continue
		}
		for len(cells) < col-1 {
			cells = append(cells, "")
		}
		cells = append(cells, v)
	}
}

// cellValue reads a cell's children up to </c> and returns its raw value.
func (s *fastSheet) cellValue(typ string) (string, error) {
	var v, inline strings.Builder
	in := ""  // the element whose text is being read: v, t (inline)
	skip := 0 // depth inside rPh (phonetic runs), whose text is not the value
	for {
		name, _, closing, empty, text, err := s.tag(in != "")
		if err != nil {
			return "", err
		}
		if in == "v" && skip == 0 {
			v.Write(text)
		} else if in == "t" && skip == 0 {
			inline.Write(text)
		}
		switch {
		case name == "c" && closing:
			switch typ {
			case "s":
				i, err := strconv.Atoi(strings.TrimSpace(v.String()))
				if err != nil || i < 0 || i >= len(s.sst) {
					return "", errFormat
				}
				return s.sst[i], nil
			case "inlineStr":
				return unescape([]byte(inline.String())), nil
			}
			return unescape([]byte(v.String())), nil
		case name == "rPh":
			if closing {
				skip--
			} else if !empty {
				skip++
			}
		case (name == "v" || name == "t") && !empty:
			if closing {
				in = ""
			} else {
				in = name
			}
		}
	}
}

// readSST reads the shared strings: each <si> is its <t> texts joined,
// phonetic runs left out.
func readSST(zr *zip.Reader, part string) ([]string, error) {
	var f *zip.File
	for _, zf := range zr.File {
		if zf.Name == part {
			f = zf
		}
	}
	if f == nil {
		return nil, nil // a workbook without strings
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	s := &fastSheet{br: bufio.NewReaderSize(rc, 64<<10)}
	var out []string
	var cur strings.Builder
	inT, inSI, skip := false, false, 0
	for {
		name, _, closing, empty, text, err := s.tag(inT)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if inT && skip == 0 {
			cur.Write(text)
		}
		switch name {
		case "si":
			if closing {
				out = append(out, unescape([]byte(cur.String())))
				inSI = false
			} else if empty {
				out = append(out, "")
			} else {
				cur.Reset()
				inSI = true
			}
		case "t":
			inT = inSI && !closing && !empty
		case "rPh":
			if closing {
				skip--
			} else if !empty {
				skip++
			}
		}
	}
}

// unescape decodes XML entities and OOXML's _xHHHH_ escapes.
func unescape(b []byte) string {
	if bytes.IndexByte(b, '&') < 0 && !bytes.Contains(b, []byte("_x")) {
		return string(b)
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '&' {
			j := bytes.IndexByte(b[i:], ';')
			if j > 0 && j < 12 {
				ent := string(b[i+1 : i+j])
				r := rune(-1)
				switch {
				case ent == "amp":
					r = '&'
				case ent == "lt":
					r = '<'
				case ent == "gt":
					r = '>'
				case ent == "quot":
					r = '"'
				case ent == "apos":
					r = '\''
				case strings.HasPrefix(ent, "#x") || strings.HasPrefix(ent, "#X"):
					if n, err := strconv.ParseUint(ent[2:], 16, 32); err == nil {
						r = rune(n)
					}
				case strings.HasPrefix(ent, "#"):
					if n, err := strconv.ParseUint(ent[1:], 10, 32); err == nil {
						r = rune(n)
					}
				}
				if r >= 0 {
					out = utf8.AppendRune(out, r)
					i += j
					continue
				}
			}
		}
		if c == '_' && i+6 < len(b) && b[i+1] == 'x' && b[i+6] == '_' {
			if n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 32); err == nil {
				out = utf8.AppendRune(out, rune(n))
				i += 6
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}
