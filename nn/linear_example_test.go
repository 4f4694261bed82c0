package nn_test

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/nn/optim"
	"github.com/zebra-go/zebra/tensor"
)

// A small MLP classifier learns XOR-like quadrants (label 1 where x·y > 0), which no linear model
// can: Linear, ReLU, Linear, trained with Adam on BCEWithLogitsLoss.
func ExampleLinear() {
	rng := tensor.NewRNG(1)
	x := tensor.Uniform(rng, tensor.Float32, -1, 1, 128, 2)
	points := x.Float64s()
	labels := make([]float64, 128)
	for i := range labels {
		if points[2*i]*points[2*i+1] > 0 {
			labels[i] = 1
		}
	}
	target := autograd.Constant(tensor.Cast(tensor.FromFloat64(labels, 128, 1), tensor.Float32))

	model := nn.NewSequential(
		nn.NewLinear(rng, 2, 16, nn.LinearOptions{}),
		nn.NewReLU(),
		nn.NewLinear(rng, 16, 1, nn.LinearOptions{}),
	)
	opt := optim.NewAdam(nn.Parameters(model), optim.AdamOptions{LR: 0.05})
	var first, last float64
	for step := range 300 {
		opt.ZeroGrad()
		loss := nn.BCEWithLogitsLoss(model.Forward(autograd.Constant(x)), target, nn.ReductionMean)
		loss.Backward()
		opt.Step()
		if step == 0 {
			first = loss.Value.Item()
		}
		last = loss.Value.Item()
	}

	// Evaluation: no graph (nn.RequiresGrad), a logit above 0 means label 1.
	defer nn.RequiresGrad(model, false)()
	logits := model.Forward(autograd.Constant(x)).Value.Float64s()
	correct := 0
	for i, l := range logits {
		if (l > 0) == (labels[i] == 1) {
			correct++
		}
	}
	fmt.Printf("loss fell from about %.1f: %v\n", first, last < first/4)
	fmt.Println("accuracy above 95%:", correct > 122)
	// Output:
	// loss fell from about 0.7: true
	// accuracy above 95%: true
}
