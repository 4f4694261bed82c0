package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Number is a float64 that also reads the strings "nan", "inf" and "-inf", the generators'
// spelling of the values JSON cannot hold. Any other string is an error.
type Number float64

// UnmarshalJSON reads a JSON number or one of the three strings.
func (n *Number) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*n = Number(f)
		return nil
	}
	switch s {
	case "nan":
		*n = Number(math.NaN())
	case "inf":
		*n = Number(math.Inf(1))
	case "-inf":
		*n = Number(math.Inf(-1))
	default:
		return fmt.Errorf("golden: unknown number %q (want a number, \"nan\", \"inf\" or \"-inf\")", s)
	}
	return nil
}

// Float64s converts numbers to float64s.
func Float64s(ns []Number) []float64 {
	out := make([]float64, len(ns))
	for i, v := range ns {
		out[i] = float64(v)
	}
	return out
}

// Tensor is a tensor as the generators write it: its shape and its elements in row-major order,
// {"shape": [2, 3], "data": [1, 2, 3, 4, 5, "nan"]}. Make a zebra tensor of it with
// tensor.FromFloat64(g.Float64s(), g.Shape...).
type Tensor struct {
	Shape []int    `json:"shape"`
	Data  []Number `json:"data"`
}

// Float64s returns the elements as float64s.
func (g Tensor) Float64s() []float64 { return Float64s(g.Data) }

// Read decodes the JSON file at path into v. Its errors name the file.
func Read(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err // *PathError names the file
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
