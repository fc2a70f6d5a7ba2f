package export

import "github.com/xuri/excelize/v2"

// TallySheet is one sheet of the summary workbook counting work per person
// or per place: who helped how many, and why the failures failed.
type TallySheet struct {
	Sheet string // sheet name, e.g. "Người hỗ trợ"
	Title string
	Label string // the first column's header, e.g. "Người hỗ trợ"
	Rows  []TallyRow
}

// TallyRow is one person's or place's counts.
type TallyRow struct {
	Name      string
	Attempts  int
	Activated int
	Counted   int
	Failed    int
	Reasons   string // "Không có email 2; Lý do khác 1"
}

// TallyColumns follow the label column.
var TallyColumns = []string{"Số lượt hỗ trợ", "Đã kích hoạt", "Được tính (mỗi CCCD một lần)", "Không thành công", "Lý do không thành công"}

func writeTallies(f *excelize.File, st styles, sub string, sheets []TallySheet) error {
	for _, t := range sheets {
		if _, err := f.NewSheet(t.Sheet); err != nil {
			return err
		}
		var rows [][]any
		tot := []any{"Cộng", 0, 0, 0, 0, ""}
		for _, r := range t.Rows {
			rows = append(rows, []any{r.Name, r.Attempts, r.Activated, r.Counted, r.Failed, r.Reasons})
			for i, n := range []int{r.Attempts, r.Activated, r.Counted, r.Failed} {
				tot[i+1] = tot[i+1].(int) + n
			}
		}
		if err := table(f, st, t.Sheet, t.Title, sub, append([]string{t.Label}, TallyColumns...), rows, tot, nil, false); err != nil {
			return err
		}
	}
	return nil
}
