package nn

import (
	"strconv"

	"github.com/zebra-go/zebra/tensor"
)

// NamedBuffer is a tensor of a module's state that is not a parameter: no optimizer steps it and
// no gradient reaches it, but it belongs in the state dict under its key, as PyTorch's
// register_buffer does (BatchNorm2d's running_mean, running_var and num_batches_tracked).
type NamedBuffer struct {
	Name  string
	Value *tensor.Tensor
}

// BufferHolder is implemented by modules with buffers and by containers, which list their
// children's buffers under the children's prefixes, as Sequential does.
type BufferHolder interface {
	NamedBuffers() []NamedBuffer
}

// Buffers returns m's buffers, PyTorch's m.named_buffers(): none for a module that does not
// implement BufferHolder.
func Buffers(m Module) []NamedBuffer {
	if b, ok := m.(BufferHolder); ok {
		return b.NamedBuffers()
	}
	return nil
}

// PrefixedBuffers returns m's buffers with prefix and a dot in front of every name, as Prefixed
// does for parameters.
func PrefixedBuffers(prefix string, m Module) []NamedBuffer {
	named := Buffers(m)
	out := make([]NamedBuffer, len(named))
	for i, nb := range named {
		out[i] = NamedBuffer{Name: prefix + "." + nb.Name, Value: nb.Value}
	}
	return out
}

// NamedBuffers lists every layer's buffers under the layer's index.
func (s *Sequential) NamedBuffers() []NamedBuffer {
	var out []NamedBuffer
	for i, l := range s.Layers {
		out = append(out, PrefixedBuffers(strconv.Itoa(i), l)...)
	}
	return out
}
