package cyclegan

import (
	"fmt"
	"maps"
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
// It runs on the tensors' own device, without copying them to the host (tensor.AllFinite: on the
// CPU one read of each tensor, in place; on a GPU a sum of x·0 over every tensor, which is NaN
// exactly when one element is not finite, read back as one number). Only when that finds
// something are the tensors looked at one by one, to name the culprit.
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
	if tensor.AllFinite(tensors...) {
		return nil
	}
	for i, x := range tensors {
		if !tensor.AllFinite(x) {
			return &NonFiniteStateError{Epoch: t.Epoch, Index: t.Index, Tensor: names[i]}
		}
	}
	return nil // unreachable: some tensor was not finite
}

// firstNonFinite returns the index and value of the first NaN or infinity in xs, or -1.
func firstNonFinite[T float32 | float64](xs []T) (int, float64) {
	for i, x := range xs {
		if x-x != 0 { // NaN for a NaN or an infinity, 0 for every finite x
			return i, float64(x)
		}
	}
	return -1, 0
}
