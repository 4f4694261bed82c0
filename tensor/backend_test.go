package tensor

import (
	"strings"
	"testing"
)

// TestOpLists checks that UnaryOps and BinaryOps hold every named op and nothing else: the op
// after the last one must be unknown to String, and every listed one known.
func TestOpLists(t *testing.T) {
	unary := UnaryOps()
	for i, op := range unary {
		if int(op) != i || strings.HasPrefix(op.String(), "UnaryOp(") {
			t.Errorf("UnaryOps()[%d] = %s", i, op)
		}
	}
	if next := UnaryOp(len(unary)).String(); !strings.HasPrefix(next, "UnaryOp(") {
		t.Errorf("unary op %s is named but missing from UnaryOps", next)
	}
	binary := BinaryOps()
	for i, op := range binary {
		if int(op) != i || strings.HasPrefix(op.String(), "BinaryOp(") {
			t.Errorf("BinaryOps()[%d] = %s", i, op)
		}
	}
	if next := BinaryOp(len(binary)).String(); !strings.HasPrefix(next, "BinaryOp(") {
		t.Errorf("binary op %s is named but missing from BinaryOps", next)
	}
}
