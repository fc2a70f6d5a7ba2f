package paper

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
)

// Align is a column's horizontal alignment.
type Align int

// Alignments.
const (
	Left Align = iota
	Center
	Right
)

func (a Align) fpdf() string {
	switch a {
	case Center:
		return "C"
	case Right:
		return "R"
	}
	return "L"
}

// Column of a Doc's table.
type Column struct {
	Title string
	Width float64 // millimetres; 0 shares what the other columns leave
	Align Align
}

// Doc is an official A4 list: the national header, the date line, the
// title, a table and the signature block.
type Doc struct {
	// Unit is the issuing unit, one line per level, the unit itself last:
	// "UBND XÃ QUẢNG PHÚ\nTHÔN ĐÔNG LÃO". Printed in capitals; the last line
	// bold with a short rule under it.
	Unit string
	// Place is the date line's place name: "Quảng Phú, ngày …".
	Place    string
	Title    string
	Subtitle string
	// Date is the date line's civil date; zero prints blanks to fill by hand.
	Date    time.Time
	Columns []Column
	Rows    [][]string
	// Signers are the signature columns, left to right. A caption may carry
	// the signer's name on a second line: "Trưởng thôn\nNguyễn Văn Bình".
	Signers []string
	// Notes are printed under the table, one paragraph each.
	Notes []string
}

// Page geometry in millimetres (Decree 30/2020 asks for a left margin of
// 30–35 mm on filed papers; lists are usually bound in a folder, 25 suffices).
const (
	pageW, pageH   = 210.0, 297.0
	marginL        = 25.0
	marginR        = 15.0
	marginT        = 15.0
	marginB        = 20.0
	contentW       = pageW - marginL - marginR
	pageBottom     = pageH - marginB
	font           = "dejavu"
	tableSize      = 10.5
	tableLine      = 5.0
	cellPadX       = 1.5
	cellPadY       = 1.2
	signatureSpace = 22.0 // room for a signature and a stamp
)

// WritePDF renders d as PDF. Invariants: the table header is repeated at
// the top of every page that continues the table; a row is never split
// across pages; every page is numbered "Trang i/n"; the signature block is
// kept whole on one page.
func (d Doc) WritePDF(w io.Writer) error {
	if len(d.Columns) == 0 && len(d.Rows) > 0 {
		return fmt.Errorf("bảng không có cột nào")
	}
	for i, r := range d.Rows {
		if len(r) > len(d.Columns) {
			return fmt.Errorf("dòng %d có %d ô, bảng chỉ có %d cột", i+1, len(r), len(d.Columns))
		}
	}
	p, err := newPDF(d.Title)
	if err != nil {
		return err
	}
	p.SetFooterFunc(func() {
		p.SetFont(font, "", 9)
		p.SetXY(marginL, pageH-12)
		p.CellFormat(contentW, 5, fmt.Sprintf("Trang %d/{nb}", p.PageNo()), "", 0, "C", false, 0, "")
	})
	p.AddPage()
	y := nationalHeader(p, d.Unit, d.Place, d.Date)
	y = titleBlock(p, y+8, d.Title, d.Subtitle)
	if len(d.Columns) > 0 {
		y = table(p, y+4, d.Columns, d.Rows)
	}
	y = notes(p, y+3, d.Notes)
	signatures(p, y+4, d.Signers)
	return p.Output(w)
}

// newPDF is an A4 portrait document with the DejaVu faces loaded and
// automatic page breaks off: every break is decided here, so that rows and
// blocks are never cut.
func newPDF(title string) (*fpdf.Fpdf, error) {
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	p := fpdf.New("P", "mm", "A4", "")
	p.AliasNbPages("{nb}") // before the fonts: their subsets must hold the digits
	p.AddUTF8FontFromBytes(font, "", fonts.regular)
	p.AddUTF8FontFromBytes(font, "B", fonts.bold)
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("không nạp được phông chữ: %w", err)
	}
	p.SetMargins(marginL, marginT, marginR)
	p.SetAutoPageBreak(false, marginB)
	p.SetCellMargin(cellPadX)
	p.SetTitle(clean(title), true)
	p.SetCreator("kyso", false)
	p.SetLineWidth(0.2)
	return p, nil
}

// clean makes text printable: NFC (precomposed Vietnamese letters, which the
// font has), no control characters, nothing outside the Basic Multilingual
// Plane (the font tables are indexed by 16-bit code).
func clean(s string) string {
	s = norm.NFC.String(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r > 0xFFFF:
			return '?'
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)
}

// fit returns the largest size ≤ size (down to min) at which s fits width.
func fit(p *fpdf.Fpdf, s, style string, size, min, width float64) float64 {
	for ; size > min; size -= 0.5 {
		p.SetFont(font, style, size)
		if p.GetStringWidth(s)+2*cellPadX <= width {
			return size
		}
	}
	return min
}

// centred writes s centred in [x, x+w) on baseline box y, shrinking the font
// to fit, wrapping below min; it returns the y after it.
func centred(p *fpdf.Fpdf, x, y, w float64, s, style string, size, lineH float64) float64 {
	size = fit(p, s, style, size, 9, w)
	p.SetFont(font, style, size)
	for _, l := range p.SplitText(s, w) {
		p.SetXY(x, y)
		p.CellFormat(w, lineH, l, "", 0, "C", false, 0, "")
		y += lineH
	}
	return y
}

// rule draws a horizontal line of length l centred in [x, x+w) at y.
func rule(p *fpdf.Fpdf, x, w, y, l float64) {
	p.Line(x+(w-l)/2, y, x+(w+l)/2, y)
}

const (
	republic = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
	motto    = "Độc lập - Tự do - Hạnh phúc"
)

// nationalHeader draws the two-column header of a Vietnamese official paper
// and the date line; it returns the y under it.
func nationalHeader(p *fpdf.Fpdf, unit, place string, date time.Time) float64 {
	const leftW = 72.0
	rightX, rightW := marginL+leftW, contentW-leftW
	const lh = 5.5

	// Left: the parent bodies, then the unit in bold with a short rule.
	yl := marginT
	lines := nonEmptyLines(strings.ToUpper(clean(unit)))
	for i, l := range lines {
		style := ""
		if i == len(lines)-1 {
			style = "B"
		}
		yl = centred(p, marginL, yl, leftW, l, style, 12, lh)
		if i == len(lines)-1 {
			tw := p.GetStringWidth(l)
			rule(p, marginL, leftW, yl+0.6, math.Max(18, math.Min(tw, leftW)/3))
		}
	}

	// Right: the country and the motto, the motto underlined full length.
	yr := centred(p, rightX, marginT, rightW, republic, "B", 12, lh)
	yr = centred(p, rightX, yr, rightW, motto, "B", 12.5, lh)
	rule(p, rightX, rightW, yr+0.6, p.GetStringWidth(motto))

	y := math.Max(yl, yr) + 4
	p.SetFont(font, "", 12)
	return centred(p, rightX, y, rightW, DateLine(place, date), "", 12, lh)
}

// DateLine is the date line of an official paper: "Quảng Phú, ngày 05
// tháng 01 năm 2027". Days below 10 and months 1 and 2 take a leading zero
// (Decree 30/2020, so that nobody can add a digit). A zero date leaves
// blanks to fill by hand.
func DateLine(place string, d time.Time) string {
	var s string
	if d.IsZero() {
		s = "ngày ….. tháng ….. năm 20….."
	} else {
		m := fmt.Sprint(int(d.Month()))
		if d.Month() < 3 {
			m = "0" + m
		}
		s = fmt.Sprintf("ngày %02d tháng %s năm %d", d.Day(), m, d.Year())
	}
	if place = strings.TrimSpace(clean(place)); place != "" {
		s = place + ", " + s
	}
	return s
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func titleBlock(p *fpdf.Fpdf, y float64, title, subtitle string) float64 {
	if t := strings.TrimSpace(clean(title)); t != "" {
		p.SetFont(font, "B", 14)
		for _, l := range p.SplitText(t, contentW) {
			p.SetXY(marginL, y)
			p.CellFormat(contentW, 7, l, "", 0, "C", false, 0, "")
			y += 7
		}
	}
	for _, l := range nonEmptyLines(clean(subtitle)) {
		p.SetFont(font, "", 12)
		for _, sl := range p.SplitText(l, contentW) {
			p.SetXY(marginL, y)
			p.CellFormat(contentW, 6, sl, "", 0, "C", false, 0, "")
			y += 6
		}
	}
	return y
}

// widths resolves column widths: fixed ones as given, the rest share what
// is left (at least 15 mm each); all scaled down together if too wide.
func widths(cols []Column) []float64 {
	ws := make([]float64, len(cols))
	fixed, free := 0.0, 0
	for i, c := range cols {
		if c.Width > 0 {
			ws[i] = c.Width
			fixed += c.Width
		} else {
			free++
		}
	}
	if free > 0 {
		share := math.Max(15, (contentW-fixed)/float64(free))
		for i := range ws {
			if ws[i] == 0 {
				ws[i] = share
			}
		}
	}
	total := 0.0
	for _, w := range ws {
		total += w
	}
	if total > contentW {
		for i := range ws {
			ws[i] *= contentW / total
		}
	}
	return ws
}

// cellLines wraps every cell of a row and returns the lines and the row's height.
func cellLines(p *fpdf.Fpdf, ws []float64, cells []string) ([][]string, float64) {
	lines := make([][]string, len(ws))
	most := 1
	for i := range ws {
		var s string
		if i < len(cells) {
			s = clean(cells[i])
		}
		for _, para := range strings.Split(s, "\n") {
			ls := p.SplitText(para, ws[i])
			if len(ls) == 0 {
				ls = []string{""}
			}
			lines[i] = append(lines[i], ls...)
		}
		most = max(most, len(lines[i]))
	}
	return lines, float64(most)*tableLine + 2*cellPadY
}

// drawRow draws one row at y, cells framed and vertically centred.
func drawRow(p *fpdf.Fpdf, y float64, ws []float64, cols []Column, lines [][]string, h float64, header bool) {
	x := marginL
	for i, w := range ws {
		if header {
			p.Rect(x, y, w, h, "FD")
		} else {
			p.Rect(x, y, w, h, "D")
		}
		align := cols[i].Align.fpdf()
		if header {
			align = "C"
		}
		top := y + (h-float64(len(lines[i]))*tableLine)/2
		for j, l := range lines[i] {
			p.SetXY(x, top+float64(j)*tableLine)
			p.CellFormat(w, tableLine, l, "", 0, align, false, 0, "")
		}
		x += w
	}
}

// table draws the header and rows from y, breaking pages between rows only
// and repeating the header on each new page; it returns the y under it.
func table(p *fpdf.Fpdf, y float64, cols []Column, rows [][]string) float64 {
	ws := widths(cols)
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.Title
	}
	p.SetFont(font, "B", tableSize)
	headLines, headH := cellLines(p, ws, titles)
	p.SetFillColor(230, 230, 230)

	header := func(y float64) float64 {
		p.SetFont(font, "B", tableSize)
		drawRow(p, y, ws, cols, headLines, headH, true)
		return y + headH
	}
	if len(rows) == 0 {
		y = header(y)
		p.SetFont(font, "", tableSize)
		h := tableLine + 2*cellPadY
		p.Rect(marginL, y, sum(ws), h, "D")
		p.SetXY(marginL, y+cellPadY)
		p.CellFormat(sum(ws), tableLine, "(Không có dòng nào)", "", 0, "C", false, 0, "")
		return y + h
	}

	p.SetFont(font, "", tableSize)
	first := true
	for _, r := range rows {
		p.SetFont(font, "", tableSize)
		lines, h := cellLines(p, ws, r)
		need := h
		if first {
			need += headH // the header never sits alone at a page's foot
		}
		if y+need > pageBottom {
			p.AddPage()
			y = marginT
			first = true
		}
		if first {
			y = header(y)
			first = false
		}
		p.SetFont(font, "", tableSize)
		drawRow(p, y, ws, cols, lines, h, false)
		y += h
	}
	return y
}

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}

func notes(p *fpdf.Fpdf, y float64, ns []string) float64 {
	p.SetFont(font, "", 11)
	for _, n := range ns {
		ls := p.SplitText(clean(n), contentW)
		if y+float64(len(ls))*5.5 > pageBottom {
			p.AddPage()
			y = marginT
		}
		for _, l := range ls {
			p.SetXY(marginL, y)
			p.CellFormat(contentW, 5.5, l, "", 0, "L", false, 0, "")
			y += 5.5
		}
	}
	return y
}

// signatures draws the signature columns, kept together on one page.
func signatures(p *fpdf.Fpdf, y float64, signers []string) {
	if len(signers) == 0 {
		return
	}
	w := contentW / float64(len(signers))
	type col struct{ caption, name []string }
	cols := make([]col, len(signers))
	captionLines := 1
	for i, s := range signers {
		lines := nonEmptyLines(clean(s))
		if len(lines) == 0 {
			continue
		}
		p.SetFont(font, "B", 11.5)
		cols[i].caption = p.SplitText(lines[0], w)
		cols[i].name = lines[1:]
		captionLines = max(captionLines, len(cols[i].caption))
	}
	const lh = 5.5
	height := float64(captionLines)*lh + lh + signatureSpace + lh
	if y+height > pageBottom {
		p.AddPage()
		y = marginT
	}
	for i, c := range cols {
		x := marginL + float64(i)*w
		yy := y
		p.SetFont(font, "B", 11.5)
		for _, l := range c.caption {
			p.SetXY(x, yy)
			p.CellFormat(w, lh, l, "", 0, "C", false, 0, "")
			yy += lh
		}
		yy = y + float64(captionLines)*lh
		if len(c.caption) > 0 {
			p.SetFont(font, "", 10)
			p.SetXY(x, yy)
			p.CellFormat(w, lh, signHint(c.caption), "", 0, "C", false, 0, "")
		}
		yy += lh + signatureSpace
		p.SetFont(font, "B", 11.5)
		for _, n := range c.name {
			p.SetXY(x, yy)
			p.CellFormat(w, lh, n, "", 0, "C", false, 0, "")
			yy += lh
		}
	}
}

// signHint is the line under a signature caption: an office confirming
// the paper stamps it; a person signs with their name.
func signHint(caption []string) string {
	if strings.HasPrefix(strings.ToLower(strings.Join(caption, " ")), "xác nhận") {
		return "(Ký tên, đóng dấu)"
	}
	return "(Ký, ghi rõ họ tên)"
}
