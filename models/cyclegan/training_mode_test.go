package cyclegan

import (
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// TestSetTrainingReachesInnerLayers: nn.SetTraining on a network reaches a Dropout deep inside
// it (the official generator has one in each residual block with use_dropout), so that
// evaluation mode turns it off. A Dropout with p = 1 zeroes everything in training mode and
// passes its input through in evaluation mode.
func TestSetTrainingReachesInnerLayers(t *testing.T) {
	rng := tensor.NewRNG(1)
	x := autograd.Constant(tensor.Normal(rng, tensor.Float32, 0, 1, 1, 3, 8, 8)) // not constant: InstanceNorm would zero it
	dropout := func() *nn.Dropout { return nn.NewDropout(1, tensor.NewRNG(2)) }

	block := NewResnetBlock(rng, 3)
	block.ConvBlock.Append(dropout()) // F(x) becomes 0 in training mode
	g := NewResnetGenerator(rng, 4, 1)
	g.Model.Layers[10].(*ResnetBlock).ConvBlock.Append(dropout())
	d := NewNLayerDiscriminator(rng, 4, 1)
	d.Model.Append(dropout())

	for _, c := range []struct {
		name string
		m    interface {
			nn.Module
			Forward(*autograd.Var) *autograd.Var
		}
		in *autograd.Var
	}{{"ResnetBlock", block, x}, {"ResnetGenerator", g, x}, {"NLayerDiscriminator", d, x}} {
		train := c.m.Forward(c.in).Value
		nn.SetTraining(c.m, false)
		eval := c.m.Forward(c.in).Value
		nn.SetTraining(c.m, true)
		again := c.m.Forward(c.in).Value
		if tensorsEqual(train, eval) {
			t.Errorf("%s: the same output in training and evaluation mode: SetTraining did not reach the Dropout", c.name)
		}
		if !tensorsEqual(train, again) {
			t.Errorf("%s: back in training mode the output differs from the first training-mode output", c.name)
		}
	}
}

func tensorsEqual(a, b *tensor.Tensor) bool {
	av, bv := a.Float32s(), b.Float32s()
	if len(av) != len(bv) {
		return false
	}
	for i := range av {
		if av[i] != bv[i] {
			return false
		}
	}
	return true
}
