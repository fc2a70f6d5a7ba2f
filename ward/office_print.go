package ward

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/paper"
	"github.com/kyso-vn/kyso/ward/export"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/tally"
	"github.com/kyso-vn/kyso/web/wardweb"
)

// A printed list is built once (paperView) and given either to the HTML
// print page (template "print", its @page A4 stylesheet does the paging
// in the browser) or to paper.Doc for the PDF download: the same header,
// title, rows and signers either way.

// signer is one signature column.
type signer struct {
	Caption string
	Hint    string
}

// paperView is an official list.
type paperView struct {
	Unit     []string // issuing unit, the unit itself last
	DateLine string
	Title    string
	Subtitle string
	Columns  []paper.Column
	Rows     [][]string
	Total    []string // a bold last row; nil for none
	Signers  []signer
	Notes    []string
	PDF      string // the same list as a PDF download
}

const (
	titleCompletions = "DANH SÁCH CÔNG DÂN ĐÃ ĐƯỢC HỖ TRỢ CÀI ĐẶT CHỮ KÝ SỐ"
	titleSummary     = "KẾT QUẢ CÀI ĐẶT CHỮ KÝ SỐ CHO NGƯỜI DÂN"
)

// unitLines names the issuing unit: "UBND XÃ CẨM NGỌC", then the village.
func (o *printer) unitLines(village string) []string {
	commune := strings.ToUpper(o.commune)
	if commune == "" {
		commune = "……………"
	}
	u := []string{"UBND XÃ " + commune}
	if village != "" {
		u = append(u, "THÔN "+strings.ToUpper(quota.Clean(village)))
	}
	return u
}

func signersOf(captions ...string) []signer {
	out := make([]signer, len(captions))
	for i, c := range captions {
		h := "(Ký, ghi rõ họ tên)"
		if strings.HasPrefix(strings.ToLower(c), "xác nhận") {
			h = "(Ký tên, đóng dấu)"
		}
		out[i] = signer{Caption: c, Hint: h}
	}
	return out
}

// knownVillage returns the plan's spelling of a village, or the name as
// given when the plan does not have it.
func (o *printer) knownVillage(v string) string {
	v = quota.Clean(v)
	for _, r := range o.plan().Villages.Rows {
		if quota.Key(r.Name) == quota.Key(v) {
			return r.Name
		}
	}
	return v
}

// completionsView is the evidence list of a village ("" for the commune):
// one line per counted citizen.
func (o *printer) completionsView(village string) (paperView, int, error) {
	village = strings.TrimSpace(village)
	if village != "" {
		village = o.knownVillage(village)
	}
	rows, n := o.rows(village, false)
	v := paperView{
		Unit: o.unitLines(village), DateLine: paper.DateLine(o.commune, o.now().In(quota.Location)),
		Title: titleCompletions,
		PDF:   "/export/completions.pdf?village=" + url.QueryEscape(village),
	}
	// A4 portrait holds seven columns at the paper's type size: the
	// evidence the head of the village signs for. Phone numbers stay in
	// the XLSX.
	cols := []paper.Column{{Title: "STT", Width: 12, Align: paper.Center}, {Title: "Họ và tên"}, {Title: "Ngày sinh", Width: 25, Align: paper.Center}}
	if village != "" {
		cols = append(cols, paper.Column{Title: "Giới tính", Width: 14, Align: paper.Center})
	}
	cols = append(cols, paper.Column{Title: "Số CCCD", Width: 34})
	if village == "" {
		cols = append(cols, paper.Column{Title: "Thôn/TDP", Width: 25})
	}
	note := 25.0
	if village == "" {
		note = 20
	}
	cols = append(cols, paper.Column{Title: "Ngày hỗ trợ", Width: 25, Align: paper.Center}, paper.Column{Title: "Ghi chú", Width: note})
	v.Columns = cols
	i := 0
	err := rows(func(c export.Completion) error {
		i++
		r := []string{fmt.Sprint(i), c.Name, c.BirthDate}
		if village != "" {
			r = append(r, c.Gender)
		}
		r = append(r, c.CCCD)
		if village == "" {
			r = append(r, c.Village)
		}
		v.Rows = append(v.Rows, append(r, c.Date, c.Note))
		return nil
	})
	where := "Toàn xã"
	if village != "" {
		where = "Thôn/TDP: " + village
	}
	v.Subtitle = fmt.Sprintf("%s · %s người (mỗi CCCD một lần) · số liệu đến %s", where, wardweb.Num(n), o.now().In(quota.Location).Format("15:04 02/01/2006"))
	if village != "" {
		v.Signers = signersOf("Người lập biểu", "Trưởng thôn", "Xác nhận của UBND xã")
	} else {
		v.Signers = signersOf("Người lập biểu", "Xác nhận của UBND xã")
	}
	return v, n, err
}

// summaryView is the result per village against the plan.
func (o *printer) summaryView() paperView {
	p := o.progress()
	v := paperView{
		Unit: o.unitLines(""), DateLine: paper.DateLine(o.commune, o.now().In(quota.Location)),
		Title: titleSummary, PDF: "/export/summary.pdf",
		Subtitle: "(Cập nhật đến " + o.now().In(quota.Location).Format("15:04 ngày 02/01/2006") + ")",
		Columns: []paper.Column{{Title: "TT", Width: 9, Align: paper.Center}, {Title: "Thôn/TDP"}, {Title: "Chỉ tiêu", Width: 17, Align: paper.Right},
			{Title: "Đã có trước", Width: 17, Align: paper.Right}, {Title: "Đã cài đặt", Width: 17, Align: paper.Right}, {Title: "Tổng đã có", Width: 17, Align: paper.Right},
			{Title: "Tỷ lệ đạt", Width: 17, Align: paper.Right}, {Title: "Còn thiếu", Width: 17, Align: paper.Right}},
		Signers: signersOf("Người lập biểu", "Xác nhận của UBND xã"),
	}
	line := func(tt, name string, r tally.Row) []string {
		return []string{tt, name, wardweb.Num(r.Target), wardweb.Num(r.Before), wardweb.Num(r.Done), wardweb.Num(r.Have), wardweb.Pct(r.Percent), wardweb.Num(r.Remaining)}
	}
	for i, r := range p.Villages {
		v.Rows = append(v.Rows, line(fmt.Sprint(i+1), r.Name, r))
	}
	other := 0
	for _, r := range p.OtherVillages {
		other += r.Done
	}
	if other > 0 {
		// Names typed outside the plan are the admin's to map; on paper
		// they are one line, like the public progress.
		v.Rows = append(v.Rows, []string{"", tally.OtherName, "—", "—", wardweb.Num(other), wardweb.Num(other), "—", "—"})
	}
	v.Total = line("", "Cộng", p.Total)
	v.Total[0] = ""
	if t := o.tallies(); len(t.Helpers) > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("Số người hỗ trợ: %d; số điểm cài đặt: %d. Chi tiết theo người hỗ trợ ở bảng tổng hợp (XLSX), trang «Người hỗ trợ».", len(t.Helpers), len(t.Houses)))
	}
	return v
}

// doc turns the view into a paper.Doc.
func (v paperView) doc(commune string, date time.Time) paper.Doc {
	rows := v.Rows
	if v.Total != nil {
		rows = append(append([][]string(nil), rows...), v.Total)
	}
	signers := make([]string, len(v.Signers))
	for i, s := range v.Signers {
		signers[i] = s.Caption
	}
	return paper.Doc{Unit: strings.Join(v.Unit, "\n"), Place: commune, Title: v.Title, Subtitle: v.Subtitle, Date: date,
		Columns: v.Columns, Rows: rows, Signers: signers, Notes: v.Notes}
}

func (o *printer) sendPDF(c *fiber.Ctx, v paperView, name string) error {
	var buf bytes.Buffer
	if err := v.doc(o.commune, o.now().In(quota.Location)).WritePDF(&buf); err != nil {
		return paperErr(err)
	}
	attachment(c, name, ".pdf")
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(buf.Bytes())
}

func (o *printer) exportName(village, kind string) string {
	name := kind
	if village != "" {
		name += "-" + export.Slug(village)
	}
	return name + "-" + o.now().In(quota.Location).Format("20060102-1504")
}

// completionsPDF is a village's evidence list as an official A4 PDF.
func (o *printer) completionsPDF(c *fiber.Ctx) error {
	village := strings.TrimSpace(c.Query("village"))
	v, n, err := o.completionsView(village)
	if err != nil {
		return err
	}
	o.audit(o.login(c), "completions.pdf", filterText(village), n)
	return o.sendPDF(c, v, o.exportName(village, "danh-sach"))
}

// summaryPDF is the result per village as an official A4 PDF.
func (o *printer) summaryPDF(c *fiber.Ctx) error {
	return o.sendPDF(c, o.summaryView(), o.exportName("", "tong-hop"))
}

func filterText(village string) string {
	if village == "" {
		return "toàn xã"
	}
	return "thôn " + village
}

// printCompletions is the evidence list as a page to print (A4).
func (o *printer) printCompletions(c *fiber.Ctx) error {
	village := strings.TrimSpace(c.Query("village"))
	v, n, err := o.completionsView(village)
	if err != nil {
		return err
	}
	o.audit(o.login(c), "completions.print", filterText(village), n)
	return o.render(c, 200, "print", officePage{Title: "In danh sách", Paper: &v})
}

// printSummary is the summary as a page to print (A4).
func (o *printer) printSummary(c *fiber.Ctx) error {
	v := o.summaryView()
	return o.render(c, 200, "print", officePage{Title: "In bảng tổng hợp", Paper: &v})
}

// printer is the office's paper: print pages and PDFs of the lists and the
// summary (its own type so the office keeps one job per type).
type printer struct{ *office }
