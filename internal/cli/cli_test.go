package cli

import (
	"strings"
	"testing"
)

func TestUsageListsCommandsInOrder(t *testing.T) {
	var b strings.Builder
	usage(&b, "prog", []Command{{Name: "b", Summary: "second"}, {Name: "a", Summary: "first"}})
	out := b.String()
	if !strings.HasPrefix(out, "usage: prog <command> [flags]") || !strings.Contains(out, "prog <command> -h") {
		t.Fatalf("usage does not name the program:\n%s", out)
	}
	if i, j := strings.Index(out, "b          second"), strings.Index(out, "a          first"); i < 0 || j < 0 || i > j {
		t.Fatalf("usage should list b then a, as given:\n%s", out)
	}
}
