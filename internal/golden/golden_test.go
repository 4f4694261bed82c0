package golden

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDecodesNonFiniteNumbers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.json")
	body := `{"out": {"shape": [2, 3], "data": [1.5, -0, "nan", "inf", "-inf", 2e-300]}, "grads": [[3, "nan"]]}`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var file struct {
		Out   Tensor     `json:"out"`
		Grads [][]Number `json:"grads"`
	}
	if err := Read(path, &file); err != nil {
		t.Fatal(err)
	}
	got := file.Out.Float64s()
	if len(file.Out.Shape) != 2 || file.Out.Shape[0] != 2 || file.Out.Shape[1] != 3 || len(got) != 6 {
		t.Fatalf("shape %v, %d elements; want [2 3] and 6", file.Out.Shape, len(got))
	}
	if got[0] != 1.5 || got[1] != 0 || !math.IsNaN(got[2]) || !math.IsInf(got[3], 1) || !math.IsInf(got[4], -1) || got[5] != 2e-300 {
		t.Errorf("data %v, want [1.5 0 NaN +Inf -Inf 2e-300]", got)
	}
	if g := Float64s(file.Grads[0]); g[0] != 3 || !math.IsNaN(g[1]) {
		t.Errorf("grads %v, want [3 NaN]", g)
	}
}

func TestReadRefusesOtherStringsAndNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(path, []byte(`{"data": [1, "NaN"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var file Tensor
	err := Read(path, &file)
	if err == nil || !strings.Contains(err.Error(), `unknown number "NaN"`) || !strings.Contains(err.Error(), path) {
		t.Errorf("Read: %v; want an error naming the file and the string", err)
	}
	if err := Read(filepath.Join(t.TempDir(), "missing.json"), &file); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Read of a missing file: %v", err)
	}
}
