package tensor

import "fmt"

// DType is the element type of a tensor.
type DType uint8

const (
	// Float32 is the training dtype, supported by every backend.
	Float32 DType = iota + 1
	// Float64 is the checking dtype: the CPU backend supports it so that GradCheck can use tight
	// finite-difference tolerances.
	Float64
)

// Size is the number of bytes of one element.
func (d DType) Size() int {
	switch d {
	case Float32:
		return 4
	case Float64:
		return 8
	}
	panic(fmt.Sprintf("tensor: invalid dtype %d", uint8(d)))
}

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// ParseDType is the inverse of DType.String.
func ParseDType(s string) (DType, error) {
	switch s {
	case "float32":
		return Float32, nil
	case "float64":
		return Float64, nil
	}
	return 0, fmt.Errorf("tensor: unknown dtype %q (want float32 or float64)", s)
}
