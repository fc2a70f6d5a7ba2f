package kiosk

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxMethods is the most methods one type of this package may have (issue
// 10: one job per type). kiosk.Server had 63.
const maxMethods = 40

// methodCounts parses the package's Go files in dir (tests too: a fake is a
// type like any other) and counts the methods declared on each receiver type.
func methodCounts(t *testing.T, dir string) map[string]int {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	counts := map[string]int{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, dir+"/"+e.Name(), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) == 0 {
				continue
			}
			counts[receiverName(fn.Recv.List[0].Type)]++
		}
	}
	return counts
}

// receiverName is T for T, *T, T[P] and *T[P].
func receiverName(x ast.Expr) string {
	for {
		switch v := x.(type) {
		case *ast.StarExpr:
			x = v.X
		case *ast.IndexExpr:
			x = v.X
		case *ast.IndexListExpr:
			x = v.X
		case *ast.Ident:
			return v.Name
		default:
			return "?"
		}
	}
}

func TestNoTypeHasTooManyMethods(t *testing.T) {
	counts := methodCounts(t, ".")
	require.NotEmpty(t, counts, "the parse found the package's methods")
	var names []string
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("%-14s %d methods", n, counts[n])
		assert.LessOrEqual(t, counts[n], maxMethods, "type %s has %d methods; split it by job", n, counts[n])
	}
}

// The counter itself must see a big type: a file with 41 methods on one
// type fails the rule.
func TestMethodCounterCountsMethods(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("package x\n\ntype big struct{}\n\n")
	for i := range maxMethods + 1 {
		b.WriteString("func (b *big) m" + strings.Repeat("x", i+1) + "() {}\n")
	}
	b.WriteString("type small[T any] struct{}\n\nfunc (s small[T]) one() {}\n")
	require.NoError(t, os.WriteFile(dir+"/x.go", []byte(b.String()), 0o600))
	counts := methodCounts(t, dir)
	assert.Equal(t, maxMethods+1, counts["big"])
	assert.Equal(t, 1, counts["small"])
}
