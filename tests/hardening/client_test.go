package hardening

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/link"
)

// client is one device (phone, tablet, ward) with its own cookies and,
// optionally, its own loopback source address: 127.0.0.0/8 is all local on
// Linux, so 127.0.0.7 is a different client to the kiosk's per-IP limits.
type client struct {
	base string
	http *http.Client
	csrf string
}

func newClient(base string) *client { return newClientFrom(base, "") }

func newClientFrom(base, srcIP string) *client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{Timeout: 2 * time.Second}
	if srcIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(srcIP)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, DisableCompression: true}
	return &client{base: base, http: &http.Client{Jar: jar, Timeout: 5 * time.Second, Transport: tr}}
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// do sends one request. body may be nil, a string/[]byte (sent as is) or a
// value marshalled to JSON; JSON content type unless hdr sets another.
func (c *client) do(method, path string, body any, hdr ...string) (resp, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return resp{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return resp{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// must is do that fails the test on a transport error.
func (c *client) must(t *testing.T, method, path string, body any, hdr ...string) resp {
	t.Helper()
	r, err := c.do(method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (c *client) login(pin string) (resp, error) {
	r, err := c.do("POST", "/api/v1/login", map[string]string{"pin": pin, "volunteer": "Trần Thị Lan"})
	if err == nil && r.Status == 200 {
		var m struct {
			CSRF string `json:"csrf_token"`
		}
		if json.Unmarshal(r.Body, &m) == nil {
			c.csrf = m.CSRF
		}
	}
	return r, err
}

func (c *client) mustLogin(t *testing.T) {
	t.Helper()
	r, err := c.login(testPIN)
	if err != nil || r.Status != 200 {
		t.Fatalf("login: %v %v", r, err)
	}
}

// errorOf decodes the JSON error of a response; ok is false when the body is
// not the error shape of DESIGN.md.
func errorOf(r resp) (code, message string, ok bool) {
	var m struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(r.Body, &m) != nil || m.Error == nil || m.Error.Code == "" || m.Error.Message == "" {
		return "", "", false
	}
	return m.Error.Code, m.Error.Message, true
}

// person is a seeded citizen with distinctive personal data to look for.
type person struct {
	Name, Phone, CCCD, Birth, Gender, Village string
}

func (p person) body() map[string]any {
	return map[string]any{"name": p.Name, "phone": p.Phone, "cccd": p.CCCD, "birth_date": p.Birth,
		"gender": p.Gender, "village": p.Village, "consent": true}
}

// Names are built from syllables so every seeded citizen has a unique,
// valid, greppable full name.
var (
	families = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"}
	middles  = []string{"Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Quang", "Thanh"}
	givens   = []string{"Khải", "Phượng", "Tuấn", "Hằng", "Dũng", "Yến", "Lộc", "Trâm", "Sơn", "Thúy", "Kiên", "Nhung", "Hiếu", "Oanh", "Vinh", "Ánh"}
)

var personSeq atomic.Int64

// newPerson returns a citizen nobody else in this test binary has (up to
// 16384 of them): CCCD of Thanh Hóa (038), born 1990, so the century/gender
// digit and the year agree.
func newPerson() person {
	n := int(personSeq.Add(1))
	male := n%2 == 0
	g, d := "male", "0"
	if !male {
		g, d = "female", "1"
	}
	name := families[n%len(families)] + " " + middles[(n/8)%len(middles)] + " " + givens[(n/64)%len(givens)] + " " + givens[(n/1024)%len(givens)]
	return person{
		Name:    name,
		Phone:   fmt.Sprintf("09%08d", 10000000+n),
		CCCD:    fmt.Sprintf("038%s90%06d", d, n),
		Birth:   "1990-05-01",
		Gender:  g,
		Village: "Đông Lão",
	}
}

type joined struct {
	ID     string `json:"id"`
	Number int    `json:"number"`
	Token  string `json:"token"`
}

func (c *client) join(p person) (joined, resp, error) {
	r, err := c.do("POST", "/api/v1/tickets", p.body())
	var j joined
	if err == nil && r.Status == 201 {
		err = json.Unmarshal(r.Body, &j)
	}
	return j, r, err
}

func (c *client) mustJoin(t *testing.T, p person) joined {
	t.Helper()
	j, r, err := c.join(p)
	if err != nil || r.Status != 201 {
		t.Fatalf("join %s: %v %v", p.CCCD[len(p.CCCD)-4:], r, err)
	}
	return j
}

// records reads the whole completion log as the ward does.
func (c *client) records(t *testing.T) link.Page {
	t.Helper()
	var all link.Page
	after := uint64(0)
	for {
		r := c.must(t, "GET", fmt.Sprintf("/api/v1/records?after=%d&limit=1000", after), nil, "Authorization", "Bearer "+testToken)
		if r.Status != 200 {
			t.Fatalf("records: %v", r)
		}
		var p link.Page
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		all.KioskID, all.HeadSeq = p.KioskID, p.HeadSeq
		all.Records = append(all.Records, p.Records...)
		if len(p.Records) == 0 || p.Records[len(p.Records)-1].Seq >= p.HeadSeq {
			return all
		}
		after = p.Records[len(p.Records)-1].Seq
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
