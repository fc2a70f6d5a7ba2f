package ward

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

func sealed(t *testing.T, kiosk, token string, recs []record.Record) []byte {
	t.Helper()
	b, err := record.SealBatch(record.Batch{KioskID: kiosk, After: 0, HeadSeq: uint64(len(recs)), Records: recs}, token)
	require.NoError(t, err)
	return b
}

func multipartFile(t *testing.T, fields map[string]string, file []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", "kyso-batch.json")
	require.NoError(t, err)
	_, _ = fw.Write(file)
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

func TestImportBatch(t *testing.T) {
	h := start(t, testConfig(t))
	a := h.login()
	log := kioskLog("kiosk-a", 4)
	good := sealed(t, "kiosk-a", tokA, log)

	tampered := func() []byte {
		var b record.Batch
		require.NoError(t, json.Unmarshal(good, &b))
		b.Records[1].Citizen.Village = "Song Nga" // edited after signing
		out, _ := json.Marshal(b)
		return out
	}()
	smuggled := func() []byte {
		var b record.Batch
		require.NoError(t, json.Unmarshal(good, &b))
		b.Records[0].KioskID = "kiosk-b"
		out, _ := json.Marshal(b)
		return out
	}()
	cases := []struct {
		name   string
		file   []byte
		status int
		code   string
		msg    string
		why    string
	}{
		{"tampered", tampered, 422, "tampered_batch", "đã bị sửa đổi", "one village changed after the kiosk signed"},
		{"foreign-token", sealed(t, "kiosk-a", "another-commune-token-xyz", log), 422, "tampered_batch", "mã truy cập khác", "a kiosk of another commune with the same id"},
		{"unknown-kiosk", sealed(t, "kiosk-z", "kiosk-z-token-0123456789", kioskLog("kiosk-z", 1)), 422, "unknown_kiosk", "«kiosk-z» chưa được đăng ký", "a kiosk this ward does not know"},
		{"not-a-batch", []byte("STT,Họ và tên\n1,A\n"), 400, "invalid_batch", "không phải là tệp dữ liệu", "the wrong file picked from the USB stick"},
		{"record-of-other-kiosk", smuggled, 422, "tampered_batch", "", "every record must belong to the batch's kiosk"},
		{"empty", nil, 400, "no_file", "Chưa chọn tệp", "nothing uploaded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.post(t, h.url+"/api/v1/import", bytes.NewReader(tc.file), "application/json")
			assert.Equal(t, tc.status, r.status, "%s: %s", tc.why, r.body)
			assert.Equal(t, tc.code, r.errCode(t), tc.why)
			assert.Contains(t, string(r.body), tc.msg, tc.why)
		})
	}
	assert.Equal(t, 0, h.progress().Records, "a refused file stores nothing")

	// The good file, as a multipart upload: a summary.
	body, ct := multipartFile(t, nil, good)
	r := a.post(t, h.url+"/api/v1/import", body, ct)
	require.Equal(t, 200, r.status, string(r.body))
	var res IngestResult
	r.json(t, &res)
	assert.Equal(t, IngestResult{KioskID: "kiosk-a", Records: 4, New: 4, Conflicts: []Conflict{}, AckedSeq: 4, HeadSeq: 4}, res)

	// Again: all duplicates.
	r = a.post(t, h.url+"/api/v1/import", bytes.NewReader(good), "application/octet-stream")
	require.Equal(t, 200, r.status)
	r.json(t, &res)
	assert.Equal(t, 4, res.Duplicates)
	assert.Equal(t, 0, res.New)
	assert.Equal(t, 4, h.progress().Total.Done)

	// A file with a conflicting record: imported, the conflict listed.
	changed := append([]record.Record(nil), log...)
	changed[0].Citizen.Name = "Tên khác"
	r = a.post(t, h.url+"/api/v1/import", bytes.NewReader(sealed(t, "kiosk-a", tokA, changed)), "application/json")
	require.Equal(t, 200, r.status)
	r.json(t, &res)
	assert.Equal(t, []Conflict{{KioskID: "kiosk-a", Seq: 1}}, res.Conflicts)

	health := h.svc.fleet.KioskHealth()
	assert.Contains(t, health[0].Reached, "file")
}

// The dashboard's upload form: CSRF from the form field, a Vietnamese page back.
func TestImportFormPage(t *testing.T) {
	h := start(t, testConfig(t))
	a := h.login()
	good := sealed(t, "kiosk-a", tokA, kioskLog("kiosk-a", 2))

	body, ct := multipartFile(t, map[string]string{"csrf_token": a.csrf}, good)
	r := do(t, a.c, "POST", h.url+"/ui/import", body, map[string]string{"Content-Type": ct})
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), "Đã nhập tệp")
	assert.Contains(t, string(r.body), "2 bản ghi mới")

	var b record.Batch
	require.NoError(t, json.Unmarshal(good, &b))
	b.HeadSeq = 99
	bad, _ := json.Marshal(b)
	body, ct = multipartFile(t, map[string]string{"csrf_token": a.csrf}, bad)
	r = do(t, a.c, "POST", h.url+"/ui/import", body, map[string]string{"Content-Type": ct})
	assert.Equal(t, 422, r.status)
	assert.Contains(t, string(r.body), "đã bị sửa đổi hoặc hỏng")
	assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "text/html"))

	body, ct = multipartFile(t, map[string]string{"csrf_token": "forged"}, good)
	r = do(t, a.c, "POST", h.url+"/ui/import", body, map[string]string{"Content-Type": ct})
	assert.Equal(t, 403, r.status, "a form post without the session's CSRF token")
}
