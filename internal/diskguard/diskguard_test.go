package diskguard

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

func TestCheckAndBallast(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the guard is Linux-only")
	}
	dir := filepath.Join(t.TempDir(), "store")
	cases := []struct {
		name    string
		opts    Options
		wantErr bool
		ballast bool
	}{
		{"default reserve on a roomy disk", Options{Dir: dir}, false, false},
		{"a reserve no disk has refuses", Options{Dir: dir, MinFree: 1 << 62}, true, false},
		{"turned off never refuses", Options{Dir: dir, MinFree: -1}, false, false},
		{"a ballast is put in place when there is room", Options{Dir: dir, Ballast: 1 << 20}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(dir + ".ballast")
			g := New(tc.opts)
			require.NoError(t, g.BeforeOpen())
			err := g.Check()
			assert.Equal(t, tc.wantErr, errors.Is(err, ErrDiskFull), "%v", err)
			fi, err := os.Stat(dir + ".ballast")
			assert.Equal(t, tc.ballast, err == nil)
			if tc.ballast {
				assert.Equal(t, int64(1<<20), fi.Size())
			}
		})
	}
	var g *Guard
	assert.NoError(t, g.Check(), "a nil guard is off")
}

// TestBeforeOpenOnAFullDisk fills a small tmpfs: the ballast is released so
// the store can open, Check refuses until space returns, then the ballast
// comes back; without a ballast, BeforeOpen refuses with a message.
func TestBeforeOpenOnAFullDisk(t *testing.T) {
	testenv.NeedRoot(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt).CombinedOutput(); err != nil {
		testenv.Missing(t, fmt.Sprintf("cannot mount a tmpfs: %v %s", err, out))
	}
	defer exec.Command("umount", "-l", mnt).Run()
	dir := filepath.Join(mnt, "store")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	g := New(Options{Dir: dir, MinFree: 8 << 20, Ballast: 6 << 20})
	require.NoError(t, g.BeforeOpen())
	require.NoError(t, g.Check())
	require.FileExists(t, dir+".ballast")

	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	require.NoError(t, err)
	buf := make([]byte, 1<<16)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	assert.ErrorIs(t, g.Check(), ErrDiskFull)

	g = New(Options{Dir: dir, MinFree: 8 << 20, Ballast: 6 << 20}) // a restart
	require.NoError(t, g.BeforeOpen(), "the ballast makes room to open")
	assert.NoFileExists(t, dir+".ballast")
	assert.ErrorIs(t, g.Check(), ErrDiskFull, "open, but 6 MB free is below the 8 MB reserve: writes wait")

	noBallast := New(Options{Dir: dir, MinFree: 8 << 20})
	require.NoError(t, os.WriteFile(filepath.Join(mnt, "filler2"), make([]byte, 0), 0o600))
	fill2, _ := os.OpenFile(filepath.Join(mnt, "filler2"), os.O_WRONLY|os.O_APPEND, 0o600)
	for {
		if _, err := fill2.Write(buf); err != nil {
			break
		}
	}
	fill2.Close()
	assert.ErrorIs(t, noBallast.BeforeOpen(), ErrDiskFull, "no room and no ballast: refuse rather than crash")

	require.NoError(t, os.Remove(filler))
	require.NoError(t, os.Remove(filepath.Join(mnt, "filler2")))
	require.NoError(t, g.Check())
	assert.FileExists(t, dir+".ballast", "put back once space returned")
}
