package optim

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/tensor"
)

// This file holds the helpers that turn optimizer and schedule state into the two maps a
// safetensors file can hold (tensors, and string metadata) and back.
//
// Keys follow the flattened shape of PyTorch's optimizer state_dict: per-parameter tensors are
// "state.<i>.<name>" (state.3.exp_avg), hyper-parameters are plain names (lr, beta1). Floats are
// written with strconv's shortest round-trip format, so a value read back is bitwise the value
// written.

// stateKey is the key of a per-parameter state tensor.
func stateKey(i int, name string) string { return "state." + strconv.Itoa(i) + "." + name }

// formatFloat writes f so that parseFloat gives back exactly f.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// metaReader parses metadata values, remembering the first error so that a LoadState can read
// every field and check once.
type metaReader struct {
	op   string
	meta map[string]string
	err  error
}

// checkKind fails unless meta[kindKey] names the expected kind.
func (r *metaReader) checkKind(kindKey, want string) {
	if got, ok := r.meta[kindKey]; !ok {
		r.fail("metadata has no %q key (want %q)", kindKey, want)
	} else if got != want {
		r.fail("metadata %q is %q, want %q", kindKey, got, want)
	}
}

// checkKeys fails on any metadata key outside allowed: a state is exactly what State wrote.
func (r *metaReader) checkKeys(allowed ...string) {
	for _, k := range slices.Sorted(maps.Keys(r.meta)) {
		if !slices.Contains(allowed, k) {
			r.fail("unexpected metadata key %q (known keys: %s)", k, strings.Join(allowed, ", "))
			return
		}
	}
}

func (r *metaReader) str(key string) (string, bool) {
	v, ok := r.meta[key]
	if !ok {
		r.fail("metadata has no %q key", key)
	}
	return v, ok
}

func (r *metaReader) float(key string) float64 {
	s, ok := r.str(key)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		r.fail("metadata %q is %q, not a finite number", key, s)
	}
	return f
}

func (r *metaReader) int(key string) int {
	s, ok := r.str(key)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		r.fail("metadata %q is %q, not an integer", key, s)
	}
	return n
}

func (r *metaReader) bool(key string) bool {
	s, ok := r.str(key)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.fail("metadata %q is %q, not true or false", key, s)
	}
	return b
}

// optimizerMeta starts reading an optimizer's metadata: the kind, the key set and the parameter
// count must be right before anything else is read.
func optimizerMeta(op, kind string, meta map[string]string, nParams int, keys []string) *metaReader {
	r := &metaReader{op: op, meta: meta}
	r.checkKind("optimizer", kind)
	r.checkKeys(keys...)
	n := r.int("params")
	if r.err == nil {
		r.check(n == nParams, "the state is for %d parameters, the optimizer has %d", n, nParams)
	}
	return r
}

// checkProblem records a validation problem ("" is none) once the values read so far are valid.
func (r *metaReader) checkProblem(problem string) {
	if r.err == nil && problem != "" {
		r.fail("%s", problem)
	}
}

// check records a failure unless ok; hyper-parameter range checks use it.
func (r *metaReader) check(ok bool, format string, args ...any) {
	if !ok {
		r.fail(format, args...)
	}
}

func (r *metaReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: "+format, append([]any{r.op}, args...)...)
	}
}

// splitState groups state tensors by parameter index: state.<i>.<name> becomes
// groups[i][name]. A key of another form, an index out of range or a name outside names is an
// error that names the key.
func splitState(op string, tensors map[string]*tensor.Tensor, nParams int, names ...string) (map[int]map[string]*tensor.Tensor, error) {
	groups := make(map[int]map[string]*tensor.Tensor)
	for _, key := range slices.Sorted(maps.Keys(tensors)) {
		rest, ok := strings.CutPrefix(key, "state.")
		index, name, ok2 := strings.Cut(rest, ".")
		if !ok || !ok2 {
			return nil, fmt.Errorf("%s: unexpected tensor key %q (want state.<i>.<%s>)", op, key, strings.Join(names, "|"))
		}
		i, err := strconv.Atoi(index)
		if err != nil || i < 0 || strconv.Itoa(i) != index {
			return nil, fmt.Errorf("%s: tensor key %q: %q is not a parameter index", op, key, index)
		}
		if i >= nParams {
			return nil, fmt.Errorf("%s: tensor key %q: parameter index %d out of range (the optimizer has %d parameters)", op, key, i, nParams)
		}
		if !slices.Contains(names, name) {
			return nil, fmt.Errorf("%s: tensor key %q: unknown state %q (want one of %s)", op, key, name, strings.Join(names, ", "))
		}
		if tensors[key] == nil {
			return nil, fmt.Errorf("%s: tensor key %q holds a nil tensor", op, key)
		}
		if groups[i] == nil {
			groups[i] = make(map[string]*tensor.Tensor)
		}
		groups[i][name] = tensors[key]
	}
	return groups, nil
}

// checkStateShape fails unless the state tensor under key has the parameter's shape.
func checkStateShape(op, key string, t *tensor.Tensor, paramShape []int) error {
	if !slices.Equal(t.Shape(), paramShape) {
		return fmt.Errorf("%s: tensor %q has shape %v, its parameter has shape %v", op, key, t.Shape(), paramShape)
	}
	return nil
}

// stepTensor holds a step count. PyTorch keeps it as a float32 scalar; float64 keeps every count
// below 2^53 exact.
func stepTensor(step int64) *tensor.Tensor { return tensor.Scalar(tensor.Float64, float64(step)) }

// parseStep reads a step count written by stepTensor (or by PyTorch, as float32): one element,
// a whole number ≥ 1 (a parameter has state only after its first step).
func parseStep(op, key string, t *tensor.Tensor) (int64, error) {
	if t.Numel() != 1 {
		return 0, fmt.Errorf("%s: tensor %q has shape %v, want a single step count", op, key, t.Shape())
	}
	f := t.Item()
	if !(f >= 1 && f <= 1<<53 && f == math.Trunc(f)) {
		return 0, fmt.Errorf("%s: tensor %q is %v, want a whole step count ≥ 1", op, key, f)
	}
	return int64(f), nil
}
