package ward

import (
	"bytes"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

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

// CompletionRows builds the evidence list. With all false it has one line
// per counted citizen (as many as done); with all true every effective
// attempt, failures and repeat activations included. village filters by
// name ("" for the whole commune).
func (s *Service) CompletionRows(village string, all bool) ([]export.Completion, error) {
	key := ""
	if village != "" {
		key = quota.Key(village)
	}
	refs := s.tally.Refs(key, !all)
	plan := s.Plan()
	order := map[string]int{}
	names := map[string]string{}
	for i, v := range plan.Villages.Rows {
		order[quota.Key(v.Name)] = i
		names[quota.Key(v.Name)] = v.Name
	}
	type line struct {
		c     export.Completion
		vkey  string
		at    time.Time
		kiosk string
		seq   uint64
	}
	byKey := make(map[store.Ref]tally.Ref, len(refs))
	keys := make([]store.Ref, len(refs))
	for i, r := range refs {
		k := store.Ref{Kiosk: r.Kiosk, Seq: r.Seq}
		byKey[k], keys[i] = r, k
	}
	lines := make([]line, 0, len(refs))
	err := s.store.GetRecords(keys, func(st store.Stored) error {
		r := st.Record
		ref := byKey[store.Ref{Kiosk: r.KioskID, Seq: r.Seq}]
		vk := quota.Key(r.Citizen.Village)
		vname := names[vk]
		if vname == "" {
			vname = quota.Clean(r.Citizen.Village)
		}
		c := export.Completion{
			Name: quota.Clean(r.Citizen.Name), BirthDate: dmyDate(r.Citizen.BirthDate), Gender: genderText[r.Citizen.Gender],
			CCCD: r.Citizen.CCCD, Phone: r.Citizen.Phone, Village: vname, Association: quota.Clean(r.Citizen.Association),
			Date: ref.At.In(quota.Location).Format("02/01/2006"), Result: outcomeText[r.Outcome], Volunteer: quota.Clean(r.Volunteer),
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
		lines = append(lines, line{c: c, vkey: vk, at: ref.At, kiosk: r.KioskID, seq: r.Seq})
		return nil
	})
	if err != nil {
		return nil, err
	}
	rank := func(k string) int {
		if i, ok := order[k]; ok {
			return i
		}
		return len(order)
	}
	sort.SliceStable(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if ra, rb := rank(a.vkey), rank(b.vkey); ra != rb {
			return ra < rb
		}
		if a.c.Village != b.c.Village {
			return a.c.Village < b.c.Village
		}
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		if a.kiosk != b.kiosk {
			return a.kiosk < b.kiosk
		}
		return a.seq < b.seq
	})
	out := make([]export.Completion, len(lines))
	for i, l := range lines {
		out[i] = l.c
	}
	return out, nil
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

func (s *Service) exportName(village, kind string) string {
	name := kind
	if village != "" {
		name += "-" + export.Slug(village)
	}
	return name + "-" + s.cfg.Now().In(quota.Location).Format("20060102-1504")
}

func wantAll(c *fiber.Ctx) bool {
	v := c.Query("all")
	return v == "1" || v == "true"
}

func (s *Service) exportCompletionsCSV(c *fiber.Ctx) error {
	village := strings.TrimSpace(c.Query("village"))
	rows, err := s.CompletionRows(village, wantAll(c))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := export.WriteCompletionsCSV(&buf, export.SliceRows(rows)); err != nil {
		return err
	}
	attachment(c, s.exportName(village, "danh-sach"), ".csv")
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	return c.Send(buf.Bytes())
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Service) exportCompletionsXLSX(c *fiber.Ctx) error {
	village := strings.TrimSpace(c.Query("village"))
	all := wantAll(c)
	rows, err := s.CompletionRows(village, all)
	if err != nil {
		return err
	}
	title := "DANH SÁCH CÔNG DÂN ĐÃ ĐƯỢC HỖ TRỢ CÀI ĐẶT CHỮ KÝ SỐ"
	if all {
		title = "DANH SÁCH CÁC LƯỢT HỖ TRỢ CÀI ĐẶT CHỮ KÝ SỐ"
	}
	sub := "Toàn xã"
	if village != "" {
		sub = "Thôn/TDP: " + quota.Clean(village)
	}
	sub += " · " + wardweb.Num(len(rows)) + " người · cập nhật " + s.cfg.Now().In(quota.Location).Format("15:04 02/01/2006")
	var buf bytes.Buffer
	if err := export.WriteCompletionsXLSX(&buf, title, sub, export.SliceRows(rows)); err != nil {
		return err
	}
	attachment(c, s.exportName(village, "danh-sach"), ".xlsx")
	c.Set(fiber.HeaderContentType, xlsxType)
	return c.Send(buf.Bytes())
}

func (s *Service) exportSummaryXLSX(c *fiber.Ctx) error {
	var buf bytes.Buffer
	err := export.WriteSummaryXLSX(&buf, export.Summary{
		Title: "KẾT QUẢ CÀI ĐẶT CHỮ KÝ SỐ CHO NGƯỜI DÂN", Updated: s.cfg.Now(), Villages: s.Plan().Villages, Progress: s.Progress(),
	})
	if err != nil {
		return err
	}
	attachment(c, s.exportName("", "tong-hop"), ".xlsx")
	c.Set(fiber.HeaderContentType, xlsxType)
	return c.Send(buf.Bytes())
}
