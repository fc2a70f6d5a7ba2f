package paper

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/kyso-vn/kyso/announce"
)

// InvitationSet is what a session's invitation slips say.
type InvitationSet struct {
	Unit    string // as Doc.Unit: "UBND XÃ QUẢNG PHÚ\nTHÔN ĐÔNG LÃO"
	Session announce.Session
	// JoinURL is the cultural house's /join address, printed as a QR code
	// so the citizen can take a number on arrival. Empty: no QR.
	JoinURL string
	// Signer closes each slip: "Trưởng thôn\nNguyễn Văn Bình". Optional.
	Signer     string
	Households []announce.Household
}

// Slip geometry: an A4 sheet cut in four A6 slips (2 × 2).
const (
	SlipsPerPage = 4
	slipW        = pageW / 2
	slipH        = pageH / 2
	slipPad      = 8.0
	qrSize       = 30.0
)

// Invitations writes one slip per household with a head's name, four per
// A4 page with dashed cut lines. Each slip names the head once, lists the
// other members invited, and gives the time, the weekday and date, the
// place and what to bring.
func Invitations(w io.Writer, inv InvitationSet) error {
	var hh []announce.Household
	for _, h := range inv.Households {
		if strings.TrimSpace(h.Head) != "" {
			hh = append(hh, h)
		}
	}
	if len(hh) == 0 {
		return fmt.Errorf("không có hộ nào để in giấy mời")
	}
	p, err := newPDF("Giấy mời cài đặt chữ ký số")
	if err != nil {
		return err
	}
	qr := ""
	if u := strings.TrimSpace(inv.JoinURL); u != "" {
		png, err := qrcode.Encode(u, qrcode.Medium, -8)
		if err != nil {
			return fmt.Errorf("không tạo được mã QR: %w", err)
		}
		qr = "join-qr"
		p.RegisterImageOptionsReader(qr, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	}
	for i, h := range hh {
		slot := i % SlipsPerPage
		if slot == 0 {
			p.AddPage()
			cutLines(p)
		}
		x := float64(slot%2) * slipW
		y := float64(slot/2) * slipH
		slip(p, x, y, inv, h, qr)
	}
	return p.Output(w)
}

// cutLines draws the dashed lines the slips are cut along.
func cutLines(p *fpdf.Fpdf) {
	p.SetDrawColor(150, 150, 150)
	p.SetDashPattern([]float64{2, 1.5}, 0)
	p.Line(slipW, 4, slipW, pageH-4)
	p.Line(4, slipH, pageW-4, slipH)
	p.SetDashPattern(nil, 0)
	p.SetDrawColor(0, 0, 0)
}

// paragraph of a slip: a label in regular weight, then its value.
type paragraph struct {
	label, value string
	bold         bool // the value in bold
	oneLine      bool // shrink rather than wrap (the date)
}

func slipParagraphs(inv InvitationSet, h announce.Household) []paragraph {
	head := strings.Join(strings.Fields(clean(h.Head)), " ")
	ps := []paragraph{{label: "Kính mời: ", value: announce.Honorific(h.HeadGender) + head, bold: true}}
	var others []string
	for _, m := range h.Members {
		m = strings.Join(strings.Fields(clean(m)), " ")
		if m != "" && m != head {
			others = append(others, m)
		}
	}
	if len(others) > 0 {
		ps = append(ps, paragraph{label: "cùng các thành viên trong hộ: ", value: strings.Join(others, ", ") + ","})
	}
	ps = append(ps,
		paragraph{value: "đến " + announce.Purpose + "."},
		// The date on a line of its own: it is what people check, so it is
		// never broken across lines.
		paragraph{label: "Thời gian: ", value: sessionTime(inv.Session), bold: true},
		paragraph{value: sessionDate(inv.Session), bold: true, oneLine: true},
		paragraph{label: "Địa điểm: ", value: capitalise(announce.PlaceText(inv.Session)), bold: true},
		paragraph{label: "Khi đi mang theo: ", value: announce.Bring + "."},
	)
	return ps
}

// sessionTime is "19 giờ" or "từ 19 giờ đến 21 giờ".
func sessionTime(s announce.Session) string {
	if _, _, ok := announce.ParseClock(s.Start); !ok {
		return strings.TrimSpace(s.Start)
	}
	if _, _, ok := announce.ParseClock(s.End); ok {
		return "từ " + announce.ClockText(s.Start) + " đến " + announce.ClockText(s.End)
	}
	return announce.ClockText(s.Start)
}

// sessionDate is "tối thứ Sáu, ngày 20 tháng 11 năm 2026", or "" without a date.
func sessionDate(s announce.Session) string {
	if s.Date.IsZero() {
		return ""
	}
	day := announce.Weekday(s.Date.Weekday())
	if h, _, ok := announce.ParseClock(s.Start); ok {
		day = announce.PartOfDay(h) + " " + day
	}
	return fmt.Sprintf("%s, %s năm %d", day, announce.DateText(s.Date), s.Date.Year())
}

// SessionWhen is the full when of a session as printed: "19 giờ, tối thứ
// Sáu, ngày 20 tháng 11 năm 2026" (or "từ 19 giờ đến 21 giờ, …").
func SessionWhen(s announce.Session) string {
	t, d := sessionTime(s), sessionDate(s)
	if t != "" && d != "" {
		return t + ", " + d
	}
	return t + d
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// slipText lays out the paragraphs in [x, x+w) from y at a font size and
// returns the height; it draws only when draw is set. Labels and values
// share lines: the label is measured, and the value wraps after it.
func slipText(p *fpdf.Fpdf, x, y, w, size float64, ps []paragraph, draw bool) float64 {
	lh := size * 0.48
	start := y
	for _, para := range ps {
		if para.label == "" && para.value == "" {
			continue
		}
		style := ""
		if para.bold {
			style = "B"
		}
		size := size
		if para.oneLine {
			size = fit(p, para.label+para.value, style, size, size-3, w)
		}
		p.SetFont(font, "", size)
		lw := p.GetStringWidth(para.label)
		p.SetFont(font, style, size)
		// The first line of the value has less room: the label is before it.
		lines := p.SplitText(para.value, w-lw)
		if len(lines) > 1 {
			rest := strings.TrimPrefix(para.value, lines[0])
			lines = append(lines[:1], p.SplitText(strings.TrimSpace(rest), w)...)
		}
		if draw {
			p.SetFont(font, "", size)
			p.SetXY(x, y)
			p.CellFormat(lw, lh, para.label, "", 0, "L", false, 0, "")
			p.SetFont(font, style, size)
			for i, l := range lines {
				lx, lwid := x, w
				if i == 0 {
					lx, lwid = x+lw, w-lw
				}
				p.SetXY(lx, y)
				p.CellFormat(lwid, lh, l, "", 0, "L", false, 0, "")
				y += lh
			}
		} else {
			y += float64(len(lines)) * lh
		}
		y += lh * 0.25
	}
	return y - start
}

func slip(p *fpdf.Fpdf, x0, y0 float64, inv InvitationSet, h announce.Household, qr string) {
	x, w := x0+slipPad, slipW-2*slipPad
	y := y0 + slipPad

	lines := nonEmptyLines(strings.ToUpper(clean(inv.Unit)))
	for i, l := range lines {
		style := ""
		if i == len(lines)-1 {
			style = "B"
		}
		y = centred(p, x, y, w, l, style, 10, 4.6)
		if i == len(lines)-1 {
			rule(p, x, w, y+0.5, 20)
		}
	}
	y += 3
	p.SetFont(font, "B", 16)
	p.SetXY(x, y)
	p.CellFormat(w, 8, "GIẤY MỜI", "", 0, "C", false, 0, "")
	y += 11

	ps := slipParagraphs(inv, h)
	bottom := y0 + slipH - slipPad - qrSize - 6 // the QR and the signer below
	size := 11.0
	for ; size > 7.5 && y+slipText(p, x, y, w, size, ps, false) > bottom; size -= 0.5 {
	}
	slipText(p, x, y, w, size, ps, true)

	// Bottom: the QR on the left with its caption, the signer on the right.
	by := y0 + slipH - slipPad - qrSize - 4
	if qr != "" {
		p.ImageOptions(qr, x, by, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		p.SetFont(font, "", 8)
		p.SetXY(x-cellPadX, by+qrSize)
		p.CellFormat(qrSize+8, 3.5, "Quét mã để lấy số khi đến", "", 0, "L", false, 0, "")
	}
	if sl := nonEmptyLines(clean(inv.Signer)); len(sl) > 0 {
		sx, sw := x+qrSize+4, w-qrSize-4
		p.SetFont(font, "B", 10)
		p.SetXY(sx, by+2)
		p.CellFormat(sw, 5, strings.ToUpper(sl[0]), "", 0, "C", false, 0, "")
		for i, n := range sl[1:] {
			p.SetXY(sx, by+qrSize-4+float64(i)*5)
			p.CellFormat(sw, 5, n, "", 0, "C", false, 0, "")
		}
	}
}

// Person is one invited citizen on a session's list. CCCD is printed as
// given: the caller decides whether the list shows it masked or in full.
type Person struct {
	Name string
	CCCD string
}

// ListedHousehold is a household on a session's list, the head first.
type ListedHousehold struct {
	Head   string
	People []Person
}

// SessionSheet is a session's printed list of invited households.
type SessionSheet struct {
	Unit, Place string
	Date        time.Time // the date line; zero leaves blanks
	Session     announce.Session
	Households  []ListedHousehold
	Signers     []string // nil: "Người lập biểu", "Trưởng thôn"
}

// SessionList writes the session's list as an official A4 paper: one row
// per invited person, households together, with blank columns to tick
// arrival and write the result during the evening.
func SessionList(w io.Writer, s SessionSheet) error {
	var rows [][]string
	people := 0
	for _, h := range s.Households {
		head := strings.Join(strings.Fields(h.Head), " ")
		for _, pp := range h.People {
			people++
			role := head
			if strings.Join(strings.Fields(pp.Name), " ") == head {
				role = "Chủ hộ"
			}
			rows = append(rows, []string{fmt.Sprint(people), pp.Name, pp.CCCD, role, "", ""})
		}
	}
	signers := s.Signers
	if signers == nil {
		signers = []string{"Người lập biểu", "Trưởng thôn"}
	}
	sub := capitalise(SessionWhen(s.Session))
	if place := announce.PlaceText(s.Session); place != "" {
		sub += "\nTại " + place
	}
	d := Doc{
		Unit:     s.Unit,
		Place:    s.Place,
		Date:     s.Date,
		Title:    "DANH SÁCH CÁC HỘ ĐƯỢC MỜI CÀI ĐẶT CHỮ KÝ SỐ",
		Subtitle: sub + "\n" + fmt.Sprintf("Số hộ: %d - Số người: %d", len(s.Households), people),
		Columns: []Column{
			{Title: "STT", Width: 13, Align: Center},
			{Title: "Họ và tên"},
			{Title: "Số CCCD", Width: 32, Align: Center},
			{Title: "Chủ hộ"},
			{Title: "Có mặt", Width: 19, Align: Center},
			{Title: "Kết quả", Width: 24},
		},
		Rows:    rows,
		Signers: signers,
		Notes: []string{
			"Cột «Có mặt»: đánh dấu khi công dân đến. Cột «Kết quả»: ghi «Đã kích hoạt» hoặc lý do chưa kích hoạt được.",
		},
	}
	return d.WritePDF(w)
}
