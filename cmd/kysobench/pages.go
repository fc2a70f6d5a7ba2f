package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// Phones on the house Wi-Fi ask for compressed responses; what they
// download is what the kiosk sends for this header.
const phoneAcceptEncoding = "gzip, deflate, br"

var (
	tagRE   = regexp.MustCompile(`(?is)<(script|link|img|source|audio|video|iframe)\b[^>]*>`)
	attrRE  = regexp.MustCompile(`(?is)\b(src|href)\s*=\s*["']([^"']+)["']`)
	relRE   = regexp.MustCompile(`(?is)\brel\s*=\s*["']([^"']+)["']`)
	cssURL  = regexp.MustCompile(`url\(\s*['"]?([^'")]+)['"]?\s*\)`)
	cssImp  = regexp.MustCompile(`@import\s+['"]([^'"]+)['"]`)
	absoURL = regexp.MustCompile(`(?i)^(https?:)?//`)
)

// pagesSection: the citizen page and the board, with everything they load
// at once (not the API calls their scripts make later).
func (e *env) pagesSection(ctx context.Context) error {
	data := filepath.Join(e.work, "pages")
	p, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk,
		args: kioskArgs(data, "--name", "Nhà văn hóa thôn Đông Lão", "--village", "Đông Lão", "--wifi-ssid", "NVH-DongLao", "--wifi-password", "camngoc2024"),
		log:  filepath.Join(e.work, "pages.log")})
	if err != nil {
		return err
	}
	defer p.stop()
	if _, err := p.waitReady(ctx, "/healthz", 30*time.Second); err != nil {
		return err
	}
	sec := &PagesSection{}
	for _, path := range []string{"/join", "/"} {
		pg, err := pageWeight(ctx, p.base, path)
		if err != nil {
			return err
		}
		sec.Pages = append(sec.Pages, pg)
	}
	e.res.Pages = sec
	return nil
}

// fetch returns a resource as a phone would get it: bytes on the wire
// (headers and body, compressed if the server compressed).
func fetch(ctx context.Context, client *http.Client, u string) (Asset, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Asset{}, nil, err
	}
	req.Header.Set("Accept-Encoding", phoneAcceptEncoding) // set by hand: Go then leaves the body as sent
	req.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 12; kysobench) Mobile")
	resp, err := client.Do(req)
	if err != nil {
		return Asset{}, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Asset{}, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return Asset{}, nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	head := len(resp.Proto) + 1 + len(resp.Status) + 2
	for k, vs := range resp.Header {
		for _, v := range vs {
			head += len(k) + 2 + len(v) + 2
		}
	}
	head += 2
	a := Asset{URL: u, Bytes: head + len(body), Body: len(body), Type: resp.Header.Get("Content-Type"), Encoding: resp.Header.Get("Content-Encoding")}
	if a.Encoding != "" {
		// Decoding is not needed to find references in our assets: the
		// page is parsed from an uncompressed second fetch.
		plain, err := fetchPlain(ctx, client, u)
		if err != nil {
			return a, nil, err
		}
		return a, plain, nil
	}
	return a, body, nil
}

func fetchPlain(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// pageWeight loads path and every same-origin resource it references.
// References to other origins are counted, never fetched: the budget is zero.
func pageWeight(ctx context.Context, base, path string) (Page, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	pg := Page{Path: path}
	origin, _ := url.Parse(base)
	seen := map[string]bool{}
	var add func(ref string, from *url.URL, css bool) error
	add = func(ref string, from *url.URL, css bool) error {
		ref = strings.TrimSpace(ref)
		if ref == "" || strings.HasPrefix(ref, "data:") || strings.HasPrefix(ref, "#") {
			return nil
		}
		u, err := from.Parse(ref)
		if err != nil {
			return nil
		}
		if absoURL.MatchString(ref) && u.Host != origin.Host {
			pg.ExternalRequests++
			pg.External = append(pg.External, ref)
			return nil
		}
		key := u.String()
		if seen[key] {
			return nil
		}
		seen[key] = true
		a, body, err := fetch(ctx, client, key)
		if err != nil {
			return err
		}
		a.URL = u.RequestURI()
		pg.Assets = append(pg.Assets, a)
		pg.Requests++
		pg.Bytes += a.Bytes
		pg.BodyBytes += a.Body
		if a.Encoding != "" {
			pg.Compressed = true
		}
		if strings.Contains(a.Type, "css") || css {
			for _, re := range []*regexp.Regexp{cssURL, cssImp} {
				for _, m := range re.FindAllSubmatch(body, -1) {
					if err := add(string(m[1]), u, strings.HasSuffix(string(m[1]), ".css")); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	doc, err := origin.Parse(path)
	if err != nil {
		return pg, err
	}
	a, html, err := fetch(ctx, client, doc.String())
	if err != nil {
		return pg, err
	}
	a.URL = path
	pg.Assets = append(pg.Assets, a)
	pg.Requests, pg.Bytes, pg.BodyBytes, pg.Compressed = 1, a.Bytes, a.Body, a.Encoding != ""
	seen[doc.String()] = true
	for _, tag := range tagRE.FindAll(html, -1) {
		m := attrRE.FindSubmatch(tag)
		if m == nil {
			continue
		}
		if strings.HasPrefix(strings.ToLower(string(tag)), "<link") {
			rel := ""
			if r := relRE.FindSubmatch(tag); r != nil {
				rel = strings.ToLower(string(r[1]))
			}
			// Only links a browser fetches on load.
			if !strings.Contains(rel, "stylesheet") && !strings.Contains(rel, "icon") && !strings.Contains(rel, "preload") && !strings.Contains(rel, "manifest") {
				continue
			}
		}
		if err := add(string(m[2]), doc, strings.Contains(strings.ToLower(string(tag)), "stylesheet")); err != nil {
			return pg, err
		}
	}
	return pg, nil
}

// binarySection: the arm64 kiosk as make dist builds it.
func (e *env) binarySection(ctx context.Context) error {
	if e.cfg.Quick || !e.cfg.Arm64 {
		return skipError{"arm64 cross-build not run in -quick mode (or -arm64=false)"}
	}
	sec := &BinarySection{Target: "linux/arm64", Flags: "CGO_ENABLED=0 -trimpath -ldflags \"-s -w\""}
	out := filepath.Join(e.work, "kiosk-linux-arm64")
	t0 := time.Now()
	env := []string{"GOOS=linux", "GOARCH=arm64"}
	if err := goBuild(ctx, e.cfg.Root, out, "./cmd/kiosk", env); err != nil {
		return err
	}
	sec.BuildS = round(time.Since(t0).Seconds(), 1)
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	sec.Bytes, sec.MB = st.Size(), round(float64(st.Size())/(1<<20), 2)
	if e.ward != "" {
		wout := filepath.Join(e.work, "ward-linux-arm64")
		if err := goBuild(ctx, e.cfg.Root, wout, "./cmd/ward", env); err == nil {
			if st, err := os.Stat(wout); err == nil {
				sec.WardMB = round(float64(st.Size())/(1<<20), 2)
			}
		}
	}
	if runtime.GOARCH == "amd64" {
		if st, err := os.Stat(e.kiosk); err == nil {
			sec.AMD64MB = round(float64(st.Size())/(1<<20), 2)
		}
	}
	e.res.Binary = sec
	return nil
}
