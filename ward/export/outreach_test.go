package export

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/ward/outreach"
)

func TestOutreachXLSXIsAWorkingList(t *testing.T) {
	rows := []outreach.WorkRow{
		{Row: outreach.Row{Name: "Nguyễn Văn Hùng", BirthDate: "1968-04-02", Household: "Nguyễn Văn Hùng", Village: "Đông Lão", Status: outreach.StatusNotYet}, CCCD: "038068001234", Phone: "0912345678", Gender: "male", IsHead: true},
		{Row: outreach.Row{Name: "Lê Thị Hoa", BirthDate: "1970-09-11", Household: "Nguyễn Văn Hùng", Village: "Đông Lão", Status: outreach.StatusUnreachable, Reason: "moved"}, CCCD: "038170004321", Gender: "female"},
		{Row: outreach.Row{Name: "Trần Đức Minh", BirthDate: "1990", Household: "Trần Đức Minh", Village: "Đông Lão", Status: outreach.StatusInvited, Session: "s1"}, CCCD: "038090005555", Phone: "0987654321"},
	}
	p := Paper{Commune: "UBND XÃ CẨM NGỌC", Unit: "Thôn Đông Lão", Place: "Cẩm Ngọc", Title: "DANH SÁCH NGƯỜI CHƯA CÀI ĐẶT CHỮ KÝ SỐ",
		Date: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), Signers: []string{"Người lập biểu", "Trưởng thôn", "Xác nhận của UBND xã"}}
	var buf bytes.Buffer
	require.NoError(t, WriteOutreachXLSX(&buf, p, rows, func(string) string { return "Tối 20/11/2026, 19:00" }))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	all, err := f.GetRows("Danh sách")
	require.NoError(t, err)
	text := ""
	for _, r := range all {
		for _, c := range r {
			text += c + "|"
		}
		text += "\n"
	}
	for _, want := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND XÃ CẨM NGỌC",
		"Cẩm Ngọc, ngày 28 tháng 11 năm 2026", "Hộ Nguyễn Văn Hùng", "038068001234", "0912345678", "Đã chuyển đi",
		"Tối 20/11/2026, 19:00", "Người lập biểu", "Trưởng thôn", "(Ký, ghi rõ họ tên)"} {
		assert.Contains(t, text, want)
	}
	// The CCCD is text: a spreadsheet keeps its leading zero.
	cell, err := f.GetCellType("Danh sách", "E10")
	require.NoError(t, err)
	assert.NotEqual(t, excelize.CellTypeNumber, cell)
	names, err := f.GetDefinedName(), error(nil)
	require.NoError(t, err)
	found := false
	for _, n := range names {
		if n.Name == "_xlnm.Print_Titles" {
			found = true
		}
	}
	assert.True(t, found, "the header row repeats on every printed page")
}

func TestReconciliationXLSX(t *testing.T) {
	r := outreach.Reconciliation{Villages: []outreach.ReconRow{{Name: "Đông Lão", KysoActivated: 5, VNPTConfirmed: 4, Both: 3, KysoOnly: 2, VNPTOnly: 1}},
		Total: outreach.ReconRow{Name: "Toàn xã", KysoActivated: 5, VNPTConfirmed: 4, Both: 3, KysoOnly: 2, VNPTOnly: 1}}
	people := []outreach.ReconPerson{{Category: "vnpt_only", Village: "Đông Lão", CCCD: "038080001111", Name: "Mạc Văn Tùng"}}
	var buf bytes.Buffer
	require.NoError(t, WriteReconciliationXLSX(&buf, Paper{Title: "ĐỐI CHIẾU"}, r, people))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	rows, err := f.GetRows("Chi tiết")
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, []string{"1", "Đông Lão", "Chỉ VNPT", "Mạc Văn Tùng", "038080001111"}, rows[1][:5])
}
