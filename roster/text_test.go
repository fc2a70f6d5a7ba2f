package roster_test

import "golang.org/x/text/unicode/norm"

func decompose(s string) string { return norm.NFD.String(s) }
func compose(s string) string   { return norm.NFC.String(s) }
