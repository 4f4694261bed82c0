// Package nn holds zebra's neural-network building blocks: the Module interface, Sequential,
// layers (Linear, Flatten, Conv2d, ConvTranspose2d, ReflectionPad2d, InstanceNorm2d, activations,
// Dropout), losses
// (MSELoss, L1Loss, BCEWithLogitsLoss), parameter initialization and state dicts saved as
// safetensors files.
//
// It follows PyTorch's torch.nn: the same layer names, the same defaults, the same math, and
// parameter names (NamedParameters) equal to the keys of PyTorch's state_dict for the same
// structure ("model.1.weight"), so checkpoints move between the two. A parameter is a leaf
// *autograd.Var that requires a gradient; a layer's Forward is a few autograd ops, so nn holds no
// backward code and never calls a kernel. Each layer's documentation gives its math, a Shape line
// with the output-size formula, and its defaults. Layers are created in float32 on the CPU from an
// explicit seeded *tensor.RNG; Cast and To change the dtype and device of a whole module.
// Parameters(m) lists a module's parameters for an optimizer, RequiresGrad(m, false) freezes it for
// evaluation (no graph is recorded), and GradCheckModule checks a layer's backward, parameters
// included.
//
// Sub-package optim holds the optimizers and learning-rate schedules.
package nn
