package safetensors

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// cycleGANSizedTensors returns about as many float32 values as a CycleGAN ResNet generator has
// (11,378,179), split into conv-like tensors, so the benchmarks measure a real checkpoint.
func cycleGANSizedTensors() []Tensor {
	rng := rand.New(rand.NewPCG(1, 2))
	var tensors []Tensor
	total := 0
	for i := 0; total < 11_378_179; i++ {
		n := min(256*256*9, 11_378_179-total)
		values := make([]float32, n)
		for j := range values {
			values[j] = rng.Float32()
		}
		tensors = append(tensors, FromFloat32(fmt.Sprintf("model.%d.weight", i), []int{n}, values))
		total += n
	}
	return tensors
}

func BenchmarkEncode(b *testing.B) {
	tensors := cycleGANSizedTensors()
	var buf bytes.Buffer
	b.SetBytes(4 * 11_378_179)
	for b.Loop() {
		buf.Reset()
		if err := Encode(&buf, tensors, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFloat32s(b *testing.B) {
	var buf bytes.Buffer
	if err := Encode(&buf, cycleGANSizedTensors(), nil); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range f.Tensors {
			if _, _, err := f.Float32s(t.Name); err != nil {
				b.Fatal(err)
			}
		}
	}
}
