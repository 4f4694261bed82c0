package cyclegan

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/zebra-go/zebra/nn/optim"
	"github.com/zebra-go/zebra/tensor"
)

// NonFiniteStateError reports a weight or an optimizer moment that became NaN or infinite in an
// optimizer step (a learning rate far too large does it in one step, with every loss still
// finite). The trainer's state is then lost: it must not be saved or trained further.
type NonFiniteStateError struct {
	Epoch, Index int
	Tensor       string // checkpoint name of the first such tensor, "G_A.model.1.weight"
}

func (e *NonFiniteStateError) Error() string {
	return fmt.Sprintf("cyclegan: %s is not finite after the optimizer step at epoch %d, sample %d; training stopped. Lower -lr or check the data",
		e.Tensor, e.Epoch, e.Index)
}

// checkFinite returns a *NonFiniteStateError naming the first tensor of the networks (under
// their checkpoint prefixes) and of the optimizer's state (under optName) that holds a NaN or an
// infinity.
//
// It runs on the tensors' own device, without copying them to the host: x·0 is 0 for a finite x
// and NaN for a NaN or an infinity, so the sum of every tensor's x·0 is NaN exactly when one
// element is not finite. Only then are the tensors looked at one by one, to name the culprit.
func (t *Trainer) checkFinite(optName string, opt *optim.Adam, prefixes ...string) error {
	var names []string
	var tensors []*tensor.Tensor
	for _, n := range t.namedNetworks() {
		if slices.Contains(prefixes, n.name) {
			for _, np := range n.module.NamedParameters() {
				names = append(names, n.name+"."+np.Name)
				tensors = append(tensors, np.Param.Value)
			}
		}
	}
	state, _ := opt.State()
	for _, k := range slices.Sorted(maps.Keys(state)) {
		if !strings.HasSuffix(k, ".step") { // host-side counts, not the device's numbers
			names = append(names, optName+"."+k)
			tensors = append(tensors, state[k])
		}
	}
	zeroTimes := func(x *tensor.Tensor) *tensor.Tensor { return tensor.Sum(tensor.Scale(x, 0), nil, false) }
	total := zeroTimes(tensors[0])
	for _, x := range tensors[1:] {
		total = tensor.Add(total, zeroTimes(x))
	}
	if finite(total.Item()) {
		return nil
	}
	for i, x := range tensors {
		if !finite(zeroTimes(x).Item()) {
			return &NonFiniteStateError{Epoch: t.Epoch, Index: t.Index, Tensor: names[i]}
		}
	}
	return nil // a NaN in the sum alone cannot happen: every term was 0
}

// firstNonFinite returns the index and value of the first NaN or infinity in xs, or -1.
func firstNonFinite[T float32 | float64](xs []T) (int, float64) {
	for i, x := range xs {
		if v := float64(x); math.IsNaN(v) || math.IsInf(v, 0) {
			return i, v
		}
	}
	return -1, 0
}
