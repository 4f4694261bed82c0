package device

import (
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// TestKernelsHandleEveryOp fails when an op is added to package tensor without a case in the
// kernels: each op's generated code must be defined in Source and be a case of its switch.
func TestKernelsHandleEveryOp(t *testing.T) {
	unarySwitch, binarySwitch, ok := strings.Cut(Source, "DEVICE real apply_binary(")
	if !ok || !strings.Contains(unarySwitch, "DEVICE real apply_unary(") {
		t.Fatal("Source has no apply_unary followed by apply_binary")
	}
	_, unarySwitch, _ = strings.Cut(unarySwitch, "DEVICE real apply_unary(")
	binarySwitch, _, _ = strings.Cut(binarySwitch, "\n}\n")
	check := func(kind, name string, code int, body string) {
		macro := "OP_" + strings.ToUpper(name)
		if !strings.Contains(Source, "#define "+macro+" "+strconv.Itoa(code)+"\n") {
			t.Errorf("%s op %s: Source does not define %s as %d", kind, name, macro, code)
		}
		if !strings.Contains(body, "case "+macro+":") {
			t.Errorf("%s op %s: the kernels' switch has no case %s", kind, name, macro)
		}
	}
	for _, op := range tensor.UnaryOps() {
		check("unary", op.String(), int(op), unarySwitch)
	}
	for _, op := range tensor.BinaryOps() {
		check("binary", op.String(), int(op), binarySwitch)
	}
}
