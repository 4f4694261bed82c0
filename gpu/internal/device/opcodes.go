package device

import (
	"fmt"
	"strings"

	"github.com/zebra-go/zebra/tensor"
)

// opCodes returns the #defines of the op codes that the elementwise kernels switch on
// (kernels/elementwise.cl), generated from tensor.UnaryOps and tensor.BinaryOps so that the
// kernels and package tensor have one table: OP_ and the op's name in capitals, defined as its
// value (tensor.OpLeakyRelu is "#define OP_LEAKY_RELU 10"). Source starts with them.
func opCodes() string {
	var sb strings.Builder
	seen := map[string]bool{}
	define := func(kind, name string, code int) {
		macro := "OP_" + strings.ToUpper(name)
		if seen[macro] {
			// A unary and a binary op of one name would need the kernels to tell them apart.
			panic(fmt.Sprintf("device: two ops define %s; give the %s op another name", macro, kind))
		}
		seen[macro] = true
		fmt.Fprintf(&sb, "#define %s %d\n", macro, code)
	}
	sb.WriteString("// ---- op codes, generated from tensor.UnaryOp\n")
	for _, op := range tensor.UnaryOps() {
		define("unary", op.String(), int(op))
	}
	sb.WriteString("// ---- op codes, generated from tensor.BinaryOp\n")
	for _, op := range tensor.BinaryOps() {
		define("binary", op.String(), int(op))
	}
	return sb.String()
}
