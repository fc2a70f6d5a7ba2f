package roster_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/roster"
)

// counts is what the import reply reports, for exact assertions.
type counts struct {
	rows, people, households, eligible, noCCCD, skipped, invalid, merged int
}

func countsOf(r roster.Result) counts {
	return counts{r.Rows, len(r.People), r.Households, r.Eligible, r.NoCCCD, len(r.Skipped), len(r.Invalid), len(r.Merged)}
}

func byName(t testing.TB, r roster.Result, name string) roster.Person {
	t.Helper()
	for _, p := range r.People {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no %s among %d people", name, len(r.People))
	return roster.Person{}
}

// The household book of Đông Lão as the village head sent it.
func TestParseRealHouseholdBook(t *testing.T) {
	res := parse(t, readTestdata(t, "so-ho-dong-lao.xlsx"), "so-ho-dong-lao.xlsx", roster.Options{})
	assert.Equal(t, counts{rows: 57, people: 57, households: 18, eligible: 47, noCCCD: 0}, countsOf(res))
	assert.Equal(t, "Đông Lão", res.Sheet)
	assert.Equal(t, 3, res.HeaderRow)
	assert.Equal(t, map[string]string{
		"name": "Họ và tên", "cccd": "Số định danh cá nhân", "birth_date": "Ngày sinh", "gender": "Giới tính",
		"phone": "Số điện thoại", "household": "Mã hộ", "relation": "Quan hệ với chủ hộ", "association": "Đoàn thể",
	}, res.Columns)

	first := res.People[0]
	assert.Equal(t, roster.Person{Key: "cccd:038179000501", Row: 4, Name: "Hà Thị Trang", CCCD: "038179000501",
		BirthDate: "1979-07-15", Gender: "female", Phone: "0992619427", Village: "Đông Lão", Association: "Hội Phụ nữ",
		Household: "hh:đông lão|dl001", HeadName: "Hà Thị Trang", Head: true, Relation: "Chủ hộ", Age: 45, Eligible: true}, first)
	// A child without a card: keyed by name, birth date and village (the
	// village comes from the title "… THÔN ĐÔNG LÃO").
	an := byName(t, res, "Đinh Quang An")
	assert.Equal(t, "name:đinh quang an|2019-01-16|đông lão", an.Key)
	assert.Equal(t, "Đinh Đức Dũng", an.HeadName)
	assert.False(t, an.Eligible)

	// The form's village beats the title.
	res2 := parse(t, readTestdata(t, "so-ho-dong-lao.xlsx"), "x.xlsx", roster.Options{Village: "Thôn Đông Lão"})
	assert.Equal(t, "Thôn Đông Lão", res2.People[0].Village)
	assert.Equal(t, keys(res), keys(res2), "keys drop the unit word")

	sum, err := json.Marshal(res.Summary())
	require.NoError(t, err)
	assert.JSONEq(t, `{"rows":57,"people":57,"households":18,"eligible":47,"no_cccd":0,"skipped":[],
		"columns":{"name":"Họ và tên","cccd":"Số định danh cá nhân","birth_date":"Ngày sinh","gender":"Giới tính",
		"phone":"Số điện thoại","household":"Mã hộ","relation":"Quan hệ với chủ hộ","association":"Đoàn thể"}}`, string(sum))
}

// VNPT's sample report: 7 activations, one of them from outside the book.
func TestParseVNPTRealReport(t *testing.T) {
	rep, err := roster.ParseVNPT(bytes.NewReader(readTestdata(t, "vnpt-smartca-sample.xlsx")), "bao-cao.xlsx", roster.Options{})
	require.NoError(t, err)
	assert.Equal(t, 7, rep.Rows)
	assert.Equal(t, 7, rep.Activated)
	require.Len(t, rep.Activations, 7)
	assert.Empty(t, rep.Skipped)
	assert.Equal(t, map[string]string{"cccd": "Số giấy tờ", "name": "Tên khách hàng", "phone": "Số điện thoại",
		"activated_at": "Ngày kích hoạt", "status": "Trạng thái"}, rep.Columns)
	assert.Equal(t, roster.Activation{Row: 10, CCCD: "038190009999", Name: "Nguyễn Thị Ngoài", Phone: "0912000111",
		ActivatedAt: "2024-11-22", Status: "Đã kích hoạt", Activated: true}, rep.Activations[6])

	book := parse(t, readTestdata(t, "so-ho-dong-lao.xlsx"), "so-ho.xlsx", roster.Options{})
	inBook := map[string]bool{}
	for _, p := range book.People {
		inBook[p.CCCD] = true
	}
	matched := 0
	for _, a := range rep.Activations {
		if inBook[a.CCCD] {
			matched++
		}
	}
	assert.Equal(t, 6, matched, "six activations are Đông Lão residents")
}

func TestParseFixtures(t *testing.T) {
	cases := []struct {
		name   string
		data   func(testing.TB) []byte
		file   string
		opts   roster.Options
		want   counts
		header int
		sheet  string
		check  func(t *testing.T, r roster.Result)
	}{
		{
			name: "title rows and merged cells", data: layoutTitleMerged, file: "so-ho-song-nga.xlsx",
			want:   counts{rows: 10, people: 6, households: 3, eligible: 5, noCCCD: 1, skipped: 4, invalid: 1},
			header: 5, sheet: "Sổ hộ",
			check: func(t *testing.T, r roster.Result) {
				assert.Equal(t, []roster.Skip{{7, "Dòng tiêu đề nhóm «Tổ 1»"}, {11, "Dòng trống"},
					{12, "Dòng tiêu đề nhóm «Tổ 2»"}, {16, "Dòng tổng cộng"}}, r.Skipped)
				assert.Equal(t, []roster.Skip{{15, "Số điện thoại không hợp lệ, đã bỏ"}}, r.Invalid)
				dung := byName(t, r, "Lê Văn Dũng")
				assert.Equal(t, "hh:song nga|sn01", dung.Household, "the merged household code reaches every member")
				assert.Equal(t, "Lê Văn Bình", dung.HeadName)
				assert.Equal(t, 16, dung.Age)
				em := byName(t, r, "Trần Văn Em")
				assert.Equal(t, "1950", em.BirthDate)
				assert.Equal(t, "0912345679", em.Phone)
				assert.Equal(t, "Song Nga", em.Village)
				assert.True(t, byName(t, r, "Nguyễn Thị Gấm").Eligible, "18 on the reference day")
			},
		},
		{
			name: "CCCD as numbers and dates as serials", data: layoutNumbers, file: "danh-sach.xlsx",
			want:   counts{rows: 6, people: 6, households: 6, eligible: 5, noCCCD: 1, invalid: 1},
			header: 1, sheet: "Danh sách",
			check: func(t *testing.T, r roster.Result) {
				phong := byName(t, r, "Đào Văn Phong")
				assert.Equal(t, "038075003001", phong.CCCD)
				assert.Equal(t, "1975-04-30", phong.BirthDate)
				assert.Equal(t, "0912000001", phong.Phone)
				que := byName(t, r, "Mai Thị Quế")
				assert.Equal(t, "038180003002", que.CCCD)
				assert.Equal(t, "1980-09-02", que.BirthDate, "a bare serial")
				assert.Equal(t, "0983000002", que.Phone)
				assert.Equal(t, "038085000602", byName(t, r, "Kiều Văn Sơn").CCCD, "3.8085000602E+10")
				thu := byName(t, r, "Phùng Thị Thu")
				assert.Equal(t, "001306003003", thu.CCCD, "Hà Nội lost two zeros")
				assert.True(t, thu.Eligible)
				assert.False(t, byName(t, r, "Cao Văn Út").Eligible, "18 tomorrow")
				van := byName(t, r, "Lý Thị Vân") // a formula's cached value
				assert.Empty(t, van.CCCD)
				assert.Empty(t, van.Village, "a formula without a cached value is empty, never its text")
				assert.Equal(t, []roster.Skip{{7, "Số CCCD bị Excel làm tròn (dạng 3,8E+11), không khôi phục được — đã nhập người này nhưng không kèm số CCCD"}}, r.Invalid)
				assert.NotContains(t, r.Columns, "Tuổi")
			},
		},
		{
			name: "households by relation to the head", data: layoutRelation, file: "nhan-khau.xlsx",
			want:   counts{rows: 9, people: 8, households: 3, eligible: 7, noCCCD: 2, invalid: 2, merged: 1},
			header: 2, sheet: "Nhân khẩu",
			check: func(t *testing.T, r roster.Result) {
				var heads []string
				hh := map[string]int{}
				for _, p := range r.People {
					hh[p.Household]++
					if p.Head {
						heads = append(heads, p.Name)
					}
				}
				assert.Equal(t, []string{"Đặng Văn Khoa", "Chu Văn Phúc", "Ma Văn Sáng"}, heads)
				assert.Equal(t, map[string]int{"hh:cccd:038058002001": 4, "hh:cccd:038072002004": 2, "hh:name:ma văn sáng|1990|đông lão": 2}, hh)
				assert.True(t, byName(t, r, "Đặng Văn Minh").Eligible, "born 2005: 18 counted from 31/12/2005")
				assert.False(t, byName(t, r, "Đặng Thị Ngọc").Eligible)
				phuc := byName(t, r, "Chu Văn Phúc")
				assert.Equal(t, "0977000004", phuc.Phone, "the repeated row filled the phone")
				assert.Equal(t, []roster.Skip{{9, "Trùng với người ở dòng 7, đã gộp làm một"}}, r.Merged)
				assert.Equal(t, []roster.Skip{
					{8, "Số CCCD không khớp với năm sinh — đã nhập người này nhưng không kèm số CCCD"},
					{10, "Số CMND 9 số đã hết hạn, người này cần làm thẻ CCCD — đã nhập người này nhưng không kèm số CCCD"},
				}, r.Invalid)
				assert.Equal(t, "Vi Thị Quyên", r.People[5].Name)
				assert.Equal(t, "Chu Văn Phúc", r.People[5].HeadName)
			},
		},
		{
			name: "association members CSV with semicolons", data: func(testing.TB) []byte { return layoutMembersCSV() }, file: "hoi-phu-nu.csv",
			opts:   roster.Options{Kind: roster.Members, Association: "Hội Phụ nữ"},
			want:   counts{rows: 6, people: 5, households: 5, eligible: 4, noCCCD: 1, skipped: 1},
			header: 3,
			check: func(t *testing.T, r roster.Result) {
				trang := byName(t, r, "Hà Thị Trang")
				assert.Equal(t, "cccd:038179000501", trang.Key, "the same key as in the household book")
				assert.Equal(t, "Đông Lão", trang.Village)
				assert.Equal(t, "Hội Phụ nữ", trang.Association)
				assert.Equal(t, "0992619427", trang.Phone)
				assert.Equal(t, "038159000507", byName(t, r, "Trần Thu Nga").CCCD, "leading apostrophe")
				vui := byName(t, r, "Nông Thị Vui")
				assert.Equal(t, "038196004001", vui.CCCD, `="…"`)
				assert.Equal(t, "1996-08-07", vui.BirthDate)
				assert.Equal(t, "Song Nga", vui.Village)
				uyen := byName(t, r, "Lò Thị Uyên")
				assert.Equal(t, "name:lò thị uyên|1988-04-03|đông lão", uyen.Key)
				assert.Equal(t, "0912000777", uyen.Phone)
				assert.Equal(t, []roster.Skip{{9, "Dòng tổng cộng"}}, r.Skipped)
				assert.Equal(t, "Chi hội", r.Columns["association"])
			},
		},
		{
			name: "two header rows, birth date split by gender", data: layoutTwoHeaders, file: "so-dang-ky.xlsx",
			want:   counts{rows: 3, people: 3, households: 1, eligible: 2},
			header: 3, sheet: "Sheet1",
			check: func(t *testing.T, r roster.Result) {
				yen, anh, bich := r.People[0], r.People[1], r.People[2]
				assert.Equal(t, []string{"male", "female", "female"}, []string{yen.Gender, anh.Gender, bich.Gender})
				assert.Equal(t, []string{"1970-02-14", "1972-08-08", "2010"}, []string{yen.BirthDate, anh.BirthDate, bich.BirthDate})
				assert.Equal(t, "Trại", yen.Village, "from the title «… XÓM TRẠI»")
				assert.Equal(t, "Ngày sinh", r.Columns["birth_date"])
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data(t)
			r := parse(t, data, tc.file, tc.opts)
			assert.Equal(t, tc.want, countsOf(r))
			assert.Equal(t, tc.header, r.HeaderRow)
			assert.Equal(t, tc.sheet, r.Sheet)
			assert.Equal(t, r.Rows, r.Rows-len(r.Skipped)+len(r.Skipped))
			read := len(r.People) + len(r.Merged)
			assert.Equal(t, r.Rows, read+len(r.Skipped), "every row is a person, a merged row or a skipped one")
			for _, p := range r.People {
				assert.NotEmpty(t, p.Key)
				assert.NotEmpty(t, p.Household)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			// Re-importing changes nothing.
			again := parse(t, data, tc.file, tc.opts)
			assert.Equal(t, keys(r), keys(again))
			assert.Equal(t, r, again)
		})
	}
}

func TestParseHouseholdsByHeadColumn(t *testing.T) {
	t.Run("the head's name on every row", func(t *testing.T) {
		csv := "Họ và tên;Chủ hộ;Ngày sinh;Thôn\n" +
			"Lê Thị Mai;Phạm Văn Tư;03/03/1962;Đông Lão\n" + // the head is listed after his wife
			"Phạm Văn Tư;Phạm Văn Tư;01/01/1960;Đông Lão\n" +
			"Phạm Văn Năm;Phạm Văn Tư;05/05/1990;Đông Lão\n" +
			"Đỗ Văn Sáu;Đỗ Văn Sáu;06/06/1970;Đông Lão\n" +
			"Hà Thị Bảy;Nguyễn Văn Tám;07/07/1975;Đông Lão\n" // her head is not on the list
		r := parse(t, []byte(csv), "f.csv", roster.Options{})
		assert.Equal(t, counts{rows: 5, people: 5, households: 3, eligible: 5, noCCCD: 5}, countsOf(r))
		var got []string
		for _, p := range r.People {
			got = append(got, p.Name+"|"+p.HeadName+"|"+map[bool]string{true: "head", false: ""}[p.Head])
		}
		assert.Equal(t, []string{
			"Phạm Văn Tư|Phạm Văn Tư|head", "Lê Thị Mai|Phạm Văn Tư|", "Phạm Văn Năm|Phạm Văn Tư|",
			"Đỗ Văn Sáu|Đỗ Văn Sáu|head",
			"Hà Thị Bảy|Nguyễn Văn Tám|",
		}, got)
		assert.Equal(t, r.People[0].Household, r.People[1].Household)
		assert.Equal(t, "hh:name:phạm văn tư|1960-01-01|đông lão", r.People[0].Household)
	})
	t.Run("a mark on the head's row", func(t *testing.T) {
		csv := "Họ và tên,Chủ hộ,Năm sinh\n" +
			"Phạm Văn Tư,x,1960\n" +
			"Lê Thị Mai,,1962\n" +
			"Đỗ Văn Sáu,X,1970\n" +
			"Đỗ Thị Chín,,2010\n"
		r := parse(t, []byte(csv), "f.csv", roster.Options{})
		assert.Equal(t, counts{rows: 4, people: 4, households: 2, eligible: 3, noCCCD: 3}, countsOf(r))
		assert.Equal(t, "Đỗ Văn Sáu", r.People[3].HeadName)
	})
}

func TestParseWorkingAgeBand(t *testing.T) {
	csv := "Họ và tên;Ngày sinh\n" +
		"Một Văn A;01/01/1960\n" + // 64
		"Hai Văn B;20/11/1964\n" + // 59 on the reference day
		"Ba Văn C;01/01/2000\n" + // 24
		"Bốn Văn D;01/01/2010\n" + // 14
		"Năm Văn E;\n" // unknown: eligible
	r := parse(t, []byte(csv), "f.csv", roster.Options{AgeMin: 15, AgeMax: 60})
	var got []bool
	for _, p := range r.People {
		got = append(got, p.Eligible)
	}
	assert.Equal(t, []bool{false, true, true, false, true}, got)
	assert.Equal(t, 3, r.Eligible)
	assert.Equal(t, -1, r.People[4].Age)
}

func TestParseMembersWithoutDefault(t *testing.T) {
	csv := "Họ và tên,Năm sinh,Đoàn thể,Địa chỉ\n" +
		"Phạm Văn Tư,1960,Hội Cựu chiến binh,\"Thôn Song Nga, xã Cẩm Ngọc\"\n" +
		"Lê Thị Mai,1962,,Số 5 đường Lê Lợi\n"
	r := parse(t, []byte(csv), "f.csv", roster.Options{Kind: roster.Members, Association: "Hội Nông dân", Village: "Đông Lão"})
	assert.Equal(t, "Hội Nông dân", r.People[0].Association, "a members list belongs to its association")
	assert.Equal(t, "Song Nga", r.People[0].Village, "the address names the village")
	assert.Equal(t, "Đông Lão", r.People[1].Village, "a street address does not")
	r = parse(t, []byte(csv), "f.csv", roster.Options{Kind: roster.Members})
	assert.Equal(t, "Hội Cựu chiến binh", r.People[0].Association)
	assert.Empty(t, r.People[1].Association)
}
