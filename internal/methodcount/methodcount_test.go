package methodcount

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pending are types known to be over the limit while another change splits
// them; each must still be over it (else drop it from here), and no other
// type may join them.
var pending = map[string]string{}

// moduleRoot is the directory holding go.mod, above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test")
		dir = parent
	}
}

// countMethods parses every Go file under root (tests included: a test
// helper type is a type too) and counts the methods of each receiver type,
// keyed "dir.Type" (dir relative to root).
func countMethods(t *testing.T, root string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) == 0 {
				continue
			}
			if name := receiverName(fn.Recv.List[0].Type); name != "" {
				counts[filepath.ToSlash(rel)+"."+name]++
			}
		}
		return nil
	})
	require.NoError(t, err)
	return counts
}

// receiverName is T for T, *T, T[P] and *T[P].
func receiverName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// No type in the module has more than MaxMethods methods.
func TestNoTypeOverMaxMethods(t *testing.T) {
	counts := countMethods(t, moduleRoot(t))
	require.NotEmpty(t, counts, "the walk found no methods: wrong root?")
	require.Contains(t, counts, "ward.Service", "the walk sees the ward")
	var over, top []string
	for typ, n := range counts {
		if n > 20 {
			top = append(top, typ)
		}
		if n <= MaxMethods {
			continue
		}
		if why, ok := pending[typ]; ok {
			t.Logf("%s has %d methods (> %d), pending: %s", typ, n, MaxMethods, why)
			continue
		}
		over = append(over, typ)
	}
	sort.Slice(top, func(i, j int) bool { return counts[top[i]] > counts[top[j]] })
	for _, typ := range top {
		t.Logf("%3d %s", counts[typ], typ)
	}
	sort.Strings(over)
	for _, typ := range over {
		t.Errorf("%s has %d methods, more than %d: split it into types with one job each", typ, counts[typ], MaxMethods)
	}
	for typ := range pending {
		assert.Greater(t, counts[typ], MaxMethods, "%s is no longer over the limit: remove it from pending", typ)
	}
}

// The walk counts what it should: pointer and generic receivers, per
// package directory.
func TestCountMethods(t *testing.T) {
	dir := t.TempDir()
	write := func(path, src string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, path), []byte(src), 0o644))
	}
	write("go.mod", "module example.com/m\n")
	write("a/a.go", "package a\ntype T struct{}\nfunc (T) A() {}\nfunc (*T) b() {}\ntype G[K any] struct{}\nfunc (g *G[K]) C() {}\nfunc F() {}\n")
	write("a/a_test.go", "package a\nfunc (t T) helper() {}\n")
	write("b/b.go", "package b\ntype T int\nfunc (T) A() {}\n")
	write("a/testdata/x.go", "package x\ntype T int\nfunc (T) A() {}\n")
	assert.Equal(t, map[string]int{"a.T": 3, "a.G": 1, "b.T": 1}, countMethods(t, dir))
}
