// Package methodcount holds the module's rule on type size: no type has
// more than MaxMethods methods, exported or not. A type that large does
// more than one job; split it (issue 10: ward.Service had 92).
//
// The package has no code beyond the limit; its test parses every package
// of the module with go/parser and names each type over the limit.
package methodcount

// MaxMethods is the most methods one type may have.
const MaxMethods = 40
