package paper

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// ErrNoFont means the machine has no Unicode font with Vietnamese letters.
// Errors from WritePDF, Invitations and SessionList wrap it.
var ErrNoFont = errors.New("Máy chưa có phông chữ DejaVu để in tiếng Việt: cài bằng lệnh «sudo apt-get install -y fonts-dejavu-core» rồi thử lại")

// FontDir is where the DejaVu TrueType files are read from at run time
// (Debian package fonts-dejavu-core). A variable so that another system can
// point elsewhere.
var FontDir = "/usr/share/fonts/truetype/dejavu"

// fontChoices in order of preference: a serif face is closer to the Times
// New Roman that Decree 30/2020 prescribes for official papers; both faces
// are in fonts-dejavu-core.
var fontChoices = [][2]string{
	{"DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"},
	{"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"},
}

type fontPair struct{ regular, bold []byte }

var (
	fontMu    sync.Mutex
	fontCache = map[string]fontPair{} // by FontDir
)

// loadFonts reads the regular and bold faces once per FontDir.
func loadFonts() (fontPair, error) {
	fontMu.Lock()
	defer fontMu.Unlock()
	dir := FontDir
	if p, ok := fontCache[dir]; ok {
		return p, nil
	}
	var tried []string
	for _, c := range fontChoices {
		r, errR := os.ReadFile(filepath.Join(dir, c[0]))
		b, errB := os.ReadFile(filepath.Join(dir, c[1]))
		if errR == nil && errB == nil {
			p := fontPair{regular: r, bold: b}
			fontCache[dir] = p
			return p, nil
		}
		tried = append(tried, filepath.Join(dir, c[0]))
	}
	return fontPair{}, fmt.Errorf("%w (không thấy %v)", ErrNoFont, tried)
}
