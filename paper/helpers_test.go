package paper_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
	"github.com/kyso-vn/kyso/paper"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// render runs write into a PDF file in a temporary directory, skipping (or
// failing in CI) when the fonts are missing.
func render(t *testing.T, write func(w *bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	err := write(&b)
	if errors.Is(err, paper.ErrNoFont) {
		testenv.Missing(t, "DejaVu fonts not found (apt-get install -y fonts-dejavu-core)")
	}
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b.Bytes(), []byte("%PDF-")), "a PDF")
	path := filepath.Join(t.TempDir(), "out.pdf")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))
	return path
}

func needPoppler(t *testing.T) {
	t.Helper()
	testenv.Need(t, "pdftotext", "poppler-utils")
	testenv.Need(t, "pdfinfo", "poppler-utils")
}

// pages is the text of each page (pdftotext separates pages by form feeds).
func pages(t *testing.T, pdf string, args ...string) []string {
	t.Helper()
	out, err := exec.Command("pdftotext", append(append(args, "-enc", "UTF-8"), pdf, "-")...).Output()
	require.NoError(t, err)
	ps := strings.Split(string(out), "\f")
	if len(ps) > 0 && strings.TrimSpace(ps[len(ps)-1]) == "" {
		ps = ps[:len(ps)-1]
	}
	return ps
}

// cropText is the text inside a rectangle (points, 72 per inch) of one page.
func cropText(t *testing.T, pdf string, page int, x, y, w, h float64) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page),
		"-x", fmt.Sprint(int(x)), "-y", fmt.Sprint(int(y)), "-W", fmt.Sprint(int(w)), "-H", fmt.Sprint(int(h)), pdf, "-").Output()
	require.NoError(t, err)
	return strings.Trim(string(out), "\f\n ")
}

var rePages = regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`)

func pageCount(t *testing.T, pdf string) int {
	t.Helper()
	out, err := exec.Command("pdfinfo", pdf).Output()
	require.NoError(t, err)
	m := rePages.FindStringSubmatch(string(out))
	require.NotNil(t, m, string(out))
	n, _ := strconv.Atoi(m[1])
	return n
}
