package optim_test

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn/optim"
	"github.com/zebra-go/zebra/tensor"
)

// Minimize (x - 3)² with Adam, whose gradient 2(x - 3) is written out by hand here; a model would
// get it from loss.Backward().
func ExampleAdam() {
	x := autograd.NewVar(tensor.FromFloat64([]float64{0}, 1), true)
	opt := optim.NewAdam([]*autograd.Var{x}, optim.AdamOptions{LR: 0.1})
	for range 200 {
		opt.ZeroGrad()
		x.Grad = tensor.FromFloat64([]float64{2 * (x.Value.Item() - 3)}, 1)
		opt.Step()
	}
	fmt.Printf("x = %.2f\n", x.Value.Item())
	// Output: x = 3.00
}

// CycleGAN's schedule: 100 epochs at 2e-4, then 100 decaying linearly to 2e-4/101.
func ExampleNewLinearDecayLR() {
	params := []*autograd.Var{autograd.NewVar(tensor.Zeros(tensor.Float32, 1), true)}
	opt := optim.NewAdam(params, optim.AdamOptions{LR: 2e-4, Beta1: 0.5})
	sched := optim.NewLinearDecayLR(opt, 100, 100)
	for epoch := 0; epoch < 200; epoch++ {
		if epoch%50 == 0 || epoch == 199 {
			fmt.Printf("epoch %3d: lr %.4g\n", epoch, opt.LR())
		}
		// ... one epoch of opt.Step() calls ...
		sched.Step()
	}
	// Output:
	// epoch   0: lr 0.0002
	// epoch  50: lr 0.0002
	// epoch 100: lr 0.000198
	// epoch 150: lr 9.901e-05
	// epoch 199: lr 1.98e-06
}

// Save an optimizer and its schedule, and restore them into fresh ones, as a checkpoint does.
func ExampleOptimizer_state() {
	params := []*autograd.Var{autograd.NewVar(tensor.Zeros(tensor.Float32, 3), true)}
	opt := optim.NewAdam(params, optim.AdamOptions{LR: 2e-4, Beta1: 0.5})
	sched := optim.NewLinearDecayLR(opt, 100, 100)
	params[0].Grad = tensor.Ones(tensor.Float32, 3)
	opt.Step()
	sched.Step()

	tensors, meta := opt.State() // write these to a checkpoint...
	schedMeta := sched.State()   // ...with these

	opt2 := optim.NewAdam(params, optim.AdamOptions{})
	sched2 := optim.NewLinearDecayLR(opt2, 100, 100)
	if err := opt2.LoadState(tensors, meta); err != nil {
		fmt.Println(err)
	}
	if err := sched2.LoadState(schedMeta); err != nil {
		fmt.Println(err)
	}
	fmt.Println(opt2.LR(), sched2.LastEpoch(), tensors["state.0.step"].Item())
	// Output: 0.0002 1 1
}
