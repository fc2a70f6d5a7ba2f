package paper_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/announce"
	"github.com/kyso-vn/kyso/internal/testenv"
	"github.com/kyso-vn/kyso/paper"
)

const joinURL = "http://nvh-dong-lao.local:8080/join"

func eveningSession() announce.Session {
	return announce.Session{Village: "Đông Lão", Date: day(2026, time.November, 20), Start: "19:00", End: "21:00"}
}

// Ten households; no head's name is part of another name on any slip.
func tenHouseholds() []announce.Household {
	return []announce.Household{
		{Head: "Nguyễn Văn An", HeadGender: "male", Members: []string{"Nguyễn Văn An", "Phạm Thị Mai", "Nguyễn Thị Ngọc Ánh"}},
		{Head: "Lê Thị Hoa", HeadGender: "female", Members: []string{"Lê Thị Hoa"}},
		{Head: "Trần Minh Khang", Members: []string{"Trần Minh Khang", "Đỗ Thị Lan"}},
		{Head: "Hoàng Văn Dũng", HeadGender: "male", Members: []string{"Hoàng Văn Dũng", "Hoàng Thị Thu Hương", "Hoàng Văn Tú", "Vũ Thị Bích"}},
		{Head: "Đặng Thị Yến", HeadGender: "female", Members: []string{"Đặng Thị Yến", "Bùi Văn Lực"}},
		{Head: "Phạm Quang Vinh", HeadGender: "male", Members: []string{"Phạm Quang Vinh"}},
		{Head: "Võ Thị Kim Oanh", HeadGender: "female", Members: []string{"Võ Thị Kim Oanh", "Lương Văn Sơn"}},
		{Head: "Trịnh Đình Quý", HeadGender: "male", Members: []string{"Trịnh Đình Quý", "Trịnh Thị Hằng", "Trịnh Đình Phúc", "Trịnh Thị Nga", "Mai Thị Xuân", "Trịnh Đình Lộc"}},
		{Head: "Cao Văn Thắng", HeadGender: "male", Members: []string{"Cao Văn Thắng", "Cao Thị Duyên"}},
		{Head: "Lâm Thị Tuyết", HeadGender: "female", Members: []string{"Lâm Thị Tuyết"}},
	}
}

// Must show (issue 14): pdftotext of the invitations shows each invited
// head's name once per slip, and the date; four slips per A4 page.
func TestInvitations_OneSlipPerHousehold(t *testing.T) {
	needPoppler(t)
	hh := tenHouseholds()
	inv := paper.InvitationSet{
		Unit: "UBND xã Quảng Phú\nThôn Đông Lão", Session: eveningSession(), JoinURL: joinURL,
		Signer: "Trưởng thôn\nNguyễn Văn Bình", Households: hh,
	}
	pdf := render(t, func(w *bytes.Buffer) error { return paper.Invitations(w, inv) })

	require.Equal(t, 3, pageCount(t, pdf), "10 slips at 4 per page")

	// Each slip's quarter of the page, in points (A4 = 595 × 842).
	const w, h = 595.28 / 2, 841.89 / 2
	for i := 0; i < 12; i++ {
		page, slot := i/paper.SlipsPerPage+1, i%paper.SlipsPerPage
		// Lines wrap inside a slip: compare with single spaces.
		text := strings.Join(strings.Fields(cropText(t, pdf, page, float64(slot%2)*w+2, float64(slot/2)*h+2, w-4, h-4)), " ")
		if i >= len(hh) {
			assert.Empty(t, text, "slot %d of the last page is blank", slot)
			continue
		}
		for j, other := range hh {
			if j == i {
				assert.Equal(t, 1, strings.Count(text, other.Head), "slip %d names its head once:\n%s", i, text)
			} else {
				assert.NotContains(t, text, other.Head, "slip %d", i)
			}
		}
		for _, m := range hh[i].Members[1:] {
			assert.Contains(t, text, m, "slip %d lists the members invited", i)
		}
		for _, want := range []string{"GIẤY MỜI", "THÔN ĐÔNG LÃO", "ngày 20 tháng 11 năm 2026", "tối thứ Sáu",
			"từ 19 giờ đến 21 giờ", "Nhà văn hóa thôn Đông Lão", "căn cước công dân", "điện thoại thông minh", "Nguyễn Văn Bình"} {
			assert.Contains(t, text, want, "slip %d", i)
		}
		if g := hh[i].HeadGender; g != "" {
			assert.Contains(t, text, announce.Honorific(g)+hh[i].Head, "slip %d: ông/bà", i)
		}
	}

	whole := strings.Join(pages(t, pdf), "")
	for _, h := range hh {
		assert.Equal(t, 1, strings.Count(whole, h.Head), "%s: one slip", h.Head)
	}
	assert.Equal(t, len(hh), strings.Count(whole, "ngày 20 tháng 11 năm 2026"))
	assert.NotContains(t, whole, "19h")
}

// The QR on every slip opens the house's /join page.
func TestInvitations_QRDecodes(t *testing.T) {
	needPoppler(t)
	testenv.Need(t, "pdftoppm", "poppler-utils")
	testenv.Need(t, "zbarimg", "zbar-tools")
	inv := paper.InvitationSet{Unit: "Thôn Đông Lão", Session: eveningSession(), JoinURL: joinURL, Households: tenHouseholds()[:4]}
	pdf := render(t, func(w *bytes.Buffer) error { return paper.Invitations(w, inv) })

	png := filepath.Join(t.TempDir(), "page")
	require.NoError(t, exec.Command("pdftoppm", "-r", "100", "-png", "-singlefile", pdf, png).Run())
	out, err := exec.Command("zbarimg", "-q", "--raw", png+".png").Output()
	require.NoError(t, err)
	codes := strings.Fields(string(out))
	assert.Equal(t, []string{joinURL, joinURL, joinURL, joinURL}, codes)
}

func TestInvitations_BadInput(t *testing.T) {
	cases := []struct {
		name string
		hh   []announce.Household
	}{
		{"no households", nil},
		{"no head's name", []announce.Household{{Head: "  ", Members: []string{"Lê Thị Hoa"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			err := paper.Invitations(&b, paper.InvitationSet{Session: eveningSession(), Households: c.hh})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "không có hộ nào để in giấy mời")
			assert.Zero(t, b.Len())
		})
	}
}

func TestSessionList(t *testing.T) {
	needPoppler(t)
	sheet := paper.SessionSheet{
		Unit: "UBND xã Quảng Phú\nThôn Đông Lão", Place: "Quảng Phú", Date: day(2026, time.November, 18),
		Session: eveningSession(),
		Households: []paper.ListedHousehold{
			{Head: "Nguyễn Văn An", People: []paper.Person{{"Nguyễn Văn An", "********1234"}, {"Phạm Thị Mai", "********4567"}}},
			{Head: "Lê Thị Hoa", People: []paper.Person{{"Lê Thị Hoa", "********3456"}}},
			{Head: "Trần Minh Khang", People: []paper.Person{{"Trần Minh Khang", "********7788"}, {"Đỗ Thị Lan", "********9012"}}},
		},
	}
	pdf := render(t, func(w *bytes.Buffer) error { return paper.SessionList(w, sheet) })
	assert.Equal(t, 1, pageCount(t, pdf))
	text := strings.Join(pages(t, pdf, "-layout"), "")
	for _, want := range []string{
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Quảng Phú, ngày 18 tháng 11 năm 2026",
		"DANH SÁCH CÁC HỘ ĐƯỢC MỜI CÀI ĐẶT CHỮ KÝ SỐ",
		"Từ 19 giờ đến 21 giờ, tối thứ Sáu, ngày 20 tháng 11 năm 2026", "Tại nhà văn hóa thôn Đông Lão",
		"Số hộ: 3 - Số người: 5", "Có mặt", "Kết quả", "Chủ hộ", "Phạm Thị Mai", "********4567",
		"Người lập biểu", "Trưởng thôn",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "Xác nhận", "default signers: the list maker and the village head")
}

func TestSessionWhen(t *testing.T) {
	cases := []struct {
		name string
		s    announce.Session
		want string
	}{
		{"start and end", eveningSession(), "từ 19 giờ đến 21 giờ, tối thứ Sáu, ngày 20 tháng 11 năm 2026"},
		{"start only", announce.Session{Date: day(2026, time.November, 21), Start: "7h30"}, "7 giờ 30, sáng thứ Bảy, ngày 21 tháng 11 năm 2026"},
		{"no time", announce.Session{Date: day(2026, time.November, 22)}, "Chủ nhật, ngày 22 tháng 11 năm 2026"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, paper.SessionWhen(c.s))
		})
	}
}
