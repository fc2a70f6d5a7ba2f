package ward

import (
	"bufio"
	"bytes"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/export"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
	"github.com/kyso-vn/kyso/web/wardweb"
)

// reasonText are the kiosk's failure reasons (docs/kiosk-api.md).
var reasonText = map[string]string{
	"no_smartphone":     "Không có điện thoại thông minh",
	"phone_unsupported": "Điện thoại không hỗ trợ",
	"no_email":          "Không có email",
	"ekyc_failed":       "Xác thực eKYC không thành công",
	"no_network":        "Mất kết nối mạng",
	"left":              "Công dân đã về",
	"other":             "Lý do khác",
}

var genderText = map[string]string{"male": "Nam", "female": "Nữ"}

// purgedNote marks an export line whose personal fields `ward purge` removed.
const purgedNote = "Đã xoá thông tin cá nhân (hết thời hạn lưu giữ)"

// CompletionRows streams the evidence list. With all false it has one line
// per counted citizen (as many as done); with all true every effective
// attempt, failures and repeat activations included. village filters by
// name ("" for the whole commune). Lines come in the plan's village order,
// then by time; records are read from the store a chunk at a time, so an
// export holds one chunk of records, never the list. n is the line count.
// plan gives the village order and names.
func (l *ledger) CompletionRows(plan quota.Plan, village string, all bool) (rows export.Rows, n int) {
	key := ""
	if village != "" {
		key = quota.Key(village)
	}
	order := map[string]int{}
	names := map[string]string{}
	for i, v := range plan.Villages.Rows {
		order[quota.Key(v.Name)] = i
		names[quota.Key(v.Name)] = v.Name
	}
	rank := func(k string) int {
		if i, ok := order[k]; ok {
			return i
		}
		return len(order)
	}
	// The list is 4 bytes a line, sorted by village (the plan's order),
	// then time, kiosk and seq; Refs are made a chunk at a time.
	list := l.tally.List(key, !all, rank)
	const chunk = 512
	return func(fn func(export.Completion) error) error {
		keys := make([]store.Ref, 0, chunk)
		for from := 0; from < list.Len(); from += chunk {
			part := list.Refs(from, min(from+chunk, list.Len()))
			keys = keys[:0]
			for _, r := range part {
				keys = append(keys, store.Ref{Kiosk: r.Kiosk, Seq: r.Seq})
			}
			got := make(map[store.Ref]store.Stored, len(part))
			if err := l.store.GetRecords(keys, func(st store.Stored) error {
				got[store.Ref{Kiosk: st.Record.KioskID, Seq: st.Record.Seq}] = st
				return nil
			}); err != nil {
				return err
			}
			for _, ref := range part {
				st, ok := got[store.Ref{Kiosk: ref.Kiosk, Seq: ref.Seq}]
				if !ok {
					continue
				}
				if err := fn(completionOf(st, ref, names)); err != nil {
					return err
				}
			}
		}
		return nil
	}, list.Len()
}

func completionOf(st store.Stored, ref tally.Ref, names map[string]string) export.Completion {
	r := st.Record
	vname := names[quota.Key(r.Citizen.Village)]
	if vname == "" {
		vname = quota.Clean(r.Citizen.Village)
	}
	c := export.Completion{
		Name: quota.Clean(r.Citizen.Name), BirthDate: dmyDate(r.Citizen.BirthDate), Gender: genderText[r.Citizen.Gender],
		CCCD: r.Citizen.CCCD, Phone: r.Citizen.Phone, Village: vname, Association: quota.Clean(r.Citizen.Association),
		Date: ref.At.In(clock.Vietnam).Format("02/01/2006"), Result: outcomeText[r.Outcome], Volunteer: quota.Clean(r.Volunteer),
	}
	var notes []string
	if r.Outcome == record.OutcomeFailed {
		reason := r.Reason
		if t, ok := reasonText[reason]; ok {
			reason = t
		}
		notes = append(notes, reason)
	}
	if ref.Duplicate {
		notes = append(notes, "Trùng CCCD: đã tính ở lượt khác")
	}
	if r.Type == record.TypeCorrection {
		notes = append(notes, "Đã sửa thông tin")
	}
	if st.Purged {
		// `ward purge`: the pseudonym in the CCCD field is no use to a reader.
		c.Name, c.BirthDate, c.CCCD, c.Phone = "", "", "", ""
		notes = append(notes, purgedNote)
	}
	c.Note = strings.Join(notes, "; ")
	return c
}

func dmyDate(iso string) string {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	return t.Format("02/01/2006")
}

// attachment sets a download name, ASCII with a UTF-8 twin.
func attachment(c *fiber.Ctx, base, ext string) {
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+base+ext+`"; filename*=UTF-8''`+url.PathEscape(base+ext))
}

func (a *api) exportName(village, kind string) string {
	name := kind
	if village != "" {
		name += "-" + export.Slug(village)
	}
	return name + "-" + a.cfg.Now().In(clock.Vietnam).Format("20060102-1504")
}

func wantAll(c *fiber.Ctx) bool {
	v := c.Query("all")
	return v == "1" || v == "true"
}

func (a *api) exportCompletionsCSV(c *fiber.Ctx) error {
	village := strings.TrimSpace(c.Query("village"))
	rows, _ := a.led.CompletionRows(a.camp.Plan(), village, wantAll(c))
	attachment(c, a.exportName(village, "danh-sach"), ".csv")
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	a.stream(c, "completions.csv", func(w io.Writer) error { return export.WriteCompletionsCSV(w, rows) })
	return nil
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (a *api) exportCompletionsXLSX(c *fiber.Ctx) error {
	village := strings.TrimSpace(c.Query("village"))
	all := wantAll(c)
	rows, n := a.led.CompletionRows(a.camp.Plan(), village, all)
	title := "DANH SÁCH CÔNG DÂN ĐÃ ĐƯỢC HỖ TRỢ CÀI ĐẶT CHỮ KÝ SỐ"
	if all {
		title = "DANH SÁCH CÁC LƯỢT HỖ TRỢ CÀI ĐẶT CHỮ KÝ SỐ"
	}
	sub := "Toàn xã"
	if village != "" {
		sub = "Thôn/TDP: " + quota.Clean(village)
	}
	unit := " người"
	if all {
		unit = " lượt"
	}
	sub += " · " + wardweb.Num(n) + unit + " · cập nhật " + a.cfg.Now().In(clock.Vietnam).Format("15:04 02/01/2006")
	attachment(c, a.exportName(village, "danh-sach"), ".xlsx")
	c.Set(fiber.HeaderContentType, xlsxType)
	a.stream(c, "completions.xlsx", func(w io.Writer) error { return export.WriteCompletionsXLSX(w, title, sub, rows) })
	return nil
}

// stream sends an export as it is written: the response starts at once and
// memory does not grow with the list. An error halfway can no longer change
// the status: it is logged and the file is left visibly broken (an XLSX
// without its directory does not open; a CSV gets a last line saying so).
func (a *api) stream(c *fiber.Ctx, what string, write func(io.Writer) error) {
	log := a.log
	csv := strings.HasSuffix(what, ".csv")
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("export failed", "export", what, "panic", r)
			}
		}()
		if err := write(bw); err != nil {
			log.Error("export failed", "export", what, "err", err)
			if csv {
				_, _ = bw.WriteString("\r\nLỖI: danh sách bị gián đoạn, chưa đầy đủ. Hãy tải lại.\r\n")
			}
		}
	})
}

func (a *api) exportSummaryXLSX(c *fiber.Ctx) error {
	var buf bytes.Buffer
	err := export.WriteSummaryXLSX(&buf, export.Summary{
		Title: "KẾT QUẢ CÀI ĐẶT CHỮ KÝ SỐ CHO NGƯỜI DÂN", Updated: a.cfg.Now(), Villages: a.camp.Plan().Villages, Progress: a.camp.Progress(),
		Helpers: a.tallies().sheets(), // office_tallies.go
	})
	if err != nil {
		return err
	}
	attachment(c, a.exportName("", "tong-hop"), ".xlsx")
	c.Set(fiber.HeaderContentType, xlsxType)
	return c.Send(buf.Bytes())
}
