package torchfile

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/internal/safetensors"
)

// The only Python names a torch.save'd state dict needs, and so the only ones the unpickler
// accepts. A pickle that names anything else (os.system, builtins.eval, a model class) fails
// when it first names it, before anything is called.
const (
	orderedDict     = "collections.OrderedDict"
	rebuildTensorV2 = "torch._utils._rebuild_tensor_v2"
	rebuildTensor   = "torch._utils._rebuild_tensor" // torch 0.3 and older (2017 checkpoints)
	rebuildParam    = "torch._utils._rebuild_parameter"
)

// storageDTypes maps the typed storage classes that persistent ids name to their element
// types. torch.load accepts them from torch.cuda too (a checkpoint saved from a GPU without
// .cpu() first); the bytes are the same.
var storageDTypes = map[string]safetensors.DType{
	"DoubleStorage":   safetensors.F64,
	"FloatStorage":    safetensors.F32,
	"HalfStorage":     safetensors.F16,
	"BFloat16Storage": safetensors.BF16,
	"LongStorage":     safetensors.I64,
	"IntStorage":      safetensors.I32,
	"ShortStorage":    safetensors.I16,
	"CharStorage":     safetensors.I8,
	"ByteStorage":     safetensors.U8,
	"BoolStorage":     safetensors.BOOL,
	"UntypedStorage":  safetensors.U8, // torch.load reads an untyped storage as bytes
}

// lookupGlobal returns the allowed name module.name, or an error naming it.
func lookupGlobal(module, name string) (*pyGlobal, error) {
	g := &pyGlobal{module: module, name: name}
	switch g.String() {
	case orderedDict, rebuildTensorV2, rebuildTensor, rebuildParam:
		return g, nil
	}
	if _, ok := storageDTypes[name]; ok && (module == "torch" || module == "torch.cuda") {
		return g, nil
	}
	return nil, fmt.Errorf("the pickle names %s.%s, which a state dict does not hold: torchfile only rebuilds dicts and tensors, and never runs code from a file", module, name)
}

// storageDType returns the element type of a storage class named in a persistent id.
func storageDType(v any) (safetensors.DType, error) {
	if g, ok := v.(*pyGlobal); ok && (g.module == "torch" || g.module == "torch.cuda") {
		if dt, ok := storageDTypes[g.name]; ok {
			return dt, nil
		}
	}
	return "", fmt.Errorf("storage type is %s, not a torch storage class", describe(v))
}

// storageFields reads the fields both formats' storage persistent ids begin with,
// ('storage', storage_type, key, location, numel, ...): the element type, the key and the
// element count. The location ("cpu", "cuda:0") says where torch would put the storage; here
// everything is in memory, so it is only checked to be a string. t[0] is checked by the caller.
func storageFields(t pyTuple) (dtype safetensors.DType, key string, numel int64, err error) {
	dtype, err = storageDType(t[1])
	if err != nil {
		return "", "", 0, err
	}
	key, ok1 := t[2].(string)
	_, ok2 := t[3].(string)
	numel, ok3 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 || numel < 0 {
		rest := "" // the legacy format's id has a sixth field, the view
		if len(t) > 5 {
			rest = ", ..."
		}
		return "", "", 0, fmt.Errorf("persistent id (storage, %s, %s, %s, %s%s) is not (storage, type, str, str, int >= 0%s)", describe(t[1]), describe(t[2]), describe(t[3]), describe(t[4]), rest, rest)
	}
	return dtype, key, numel, nil
}

// callGlobal applies an allowed callable to its arguments (REDUCE, NEWOBJ, INST, OBJ).
func callGlobal(g *pyGlobal, args []any) (any, error) {
	switch g.String() {
	case orderedDict:
		d := newDict()
		if len(args) == 0 {
			return d, nil
		}
		// OrderedDict([(k, v), ...]): Python's pickler never writes it, but it is harmless.
		if len(args) == 1 {
			if pairs, ok := sequence(args[0]); ok {
				for _, p := range pairs {
					kv, ok := p.(pyTuple)
					if !ok || len(kv) != 2 {
						return nil, fmt.Errorf("%s: item is %s, not a (key, value) tuple", g, describe(p))
					}
					d.set(kv[0], kv[1])
				}
				return d, nil
			}
		}
		return nil, fmt.Errorf("%s called with %d arguments", g, len(args))
	case rebuildTensorV2:
		// (storage, storage_offset, size, stride, requires_grad, backward_hooks), and since
		// torch 1.13's sparse/meta work a seventh, metadata (a dict or None). requires_grad,
		// the hooks (an empty OrderedDict by convention) and the metadata do not change the
		// values, so they are not needed.
		if len(args) != 6 && len(args) != 7 {
			return nil, fmt.Errorf("%s called with %d arguments, want 6 or 7", g, len(args))
		}
		return newTensorView(args[0], args[1], args[2], args[3])
	case rebuildTensor:
		if len(args) != 4 {
			return nil, fmt.Errorf("%s called with %d arguments, want 4", g, len(args))
		}
		return newTensorView(args[0], args[1], args[2], args[3])
	case rebuildParam:
		// (data, requires_grad, backward_hooks): an nn.Parameter is its data for our purposes.
		if len(args) != 3 {
			return nil, fmt.Errorf("%s called with %d arguments, want 3", g, len(args))
		}
		t, ok := args[0].(*tensorView)
		if !ok {
			return nil, fmt.Errorf("%s: data is %s, not a tensor", g, describe(args[0]))
		}
		return t, nil
	}
	return nil, fmt.Errorf("the pickle calls %s, which is not a function torchfile runs", g)
}

// build applies BUILD's state to obj. Python's OrderedDict gets the instance attributes of a
// state dict this way, notably _metadata (the version of each module's state layout), which
// reading the tensors does not need.
func build(obj, state any) error {
	if _, ok := obj.(*pyDict); ok {
		return nil
	}
	return fmt.Errorf("sets the state of %s, which torchfile does not support", describe(obj))
}

// sequence returns the items of a tuple or list.
func sequence(v any) ([]any, bool) {
	switch v := v.(type) {
	case pyTuple:
		return v, true
	case *pyList:
		return v.items, true
	}
	return nil, false
}

// storage is one block of elements of one dtype that tensors view. Data is filled in by the
// format reader: from the zip entry data/<key>, or from the bytes after a legacy file's pickles.
type storage struct {
	key       string
	dtype     safetensors.DType
	numel     int64 // elements, as the persistent id declares
	bigEndian bool
	data      []byte // numel·size bytes once loaded
}

// tensorView is what _rebuild_tensor_v2 returns: a strided view of a storage, as torch keeps
// it. File.Tensor turns it into contiguous little-endian bytes.
type tensorView struct {
	storage *storage
	offset  int64 // in elements
	shape   []int
	stride  []int // in elements
}

// maxDims is torch's own limit on a tensor's rank.
const maxDims = 64

// newTensorView checks a rebuilt tensor's geometry against its storage's declared size, so
// that every element it names lies inside the storage. A view may not have more elements than
// its storage: only an expanded view (stride 0) could, and it would let a tiny file ask for a
// huge tensor.
func newTensorView(st, offset, size, stride any) (*tensorView, error) {
	s, ok := st.(*storage)
	if !ok {
		return nil, fmt.Errorf("tensor storage is %s, not a storage", describe(st))
	}
	off, ok := offset.(int64)
	if !ok || off < 0 {
		return nil, fmt.Errorf("tensor storage offset is %s, not an int >= 0", describe(offset))
	}
	shape, err := intTuple(size, "size")
	if err != nil {
		return nil, err
	}
	strides, err := intTuple(stride, "stride")
	if err != nil {
		return nil, err
	}
	if len(strides) != len(shape) {
		return nil, fmt.Errorf("tensor size %v and stride %v differ in length", shape, strides)
	}
	numel := int64(1)
	last := off // the index of the last element, when there are elements
	for i, n := range shape {
		if n == 0 {
			numel = 0
			break
		}
		if numel > s.numel/int64(n) {
			return nil, fmt.Errorf("tensor of size %v has more elements than its storage's %d", shape, s.numel)
		}
		numel *= int64(n)
		// last += (n-1)·stride, unless that overflows; the bound check below then fails.
		if strides[i] != 0 && int64(n-1) > (math.MaxInt64-last)/int64(strides[i]) {
			return nil, fmt.Errorf("tensor size %v and stride %v reach past any storage", shape, strides)
		}
		last += int64(n-1) * int64(strides[i])
	}
	if numel > 0 && last >= s.numel {
		return nil, fmt.Errorf("tensor of size %v, stride %v and offset %d reaches element %d of a storage of %d", shape, strides, off, last, s.numel)
	}
	return &tensorView{storage: s, offset: off, shape: shape, stride: strides}, nil
}

// intTuple reads a torch.Size or stride tuple: at most maxDims ints >= 0 that fit in an int.
func intTuple(v any, what string) ([]int, error) {
	items, ok := sequence(v)
	if !ok || len(items) > maxDims {
		return nil, fmt.Errorf("tensor %s is %s, not a tuple of at most %d ints", what, describe(v), maxDims)
	}
	out := make([]int, len(items))
	for i, item := range items {
		n, ok := item.(int64)
		if !ok || n < 0 || int64(int(n)) != n {
			return nil, fmt.Errorf("tensor %s element %d is %s, not an int >= 0", what, i, describe(item))
		}
		out[i] = int(n)
	}
	return out, nil
}
