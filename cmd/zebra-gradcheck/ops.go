package main

import "github.com/zebra-go/zebra/autograd/gradtest"

// The checks are package gradtest's table, the one that autograd's and nn's tests run: its ops.go
// registers the autograd ops and its layers.go the nn layers and losses. Add a check there (or, for
// an op of your own, gradtest.Register it from your package) and it shows up here.
func init() {
	for _, c := range gradtest.Cases() {
		register(check{name: c.Name, shapes: c.Shapes, build: c.Build, opts: c.Opts, fast: c.Fast})
	}
}
