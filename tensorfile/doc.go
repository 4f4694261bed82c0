// Package tensorfile reads named tensors from safetensors and PyTorch files and writes them as
// safetensors, so that a program using zebra can read a checkpoint without knowing which tool
// wrote it:
//
//	f, err := tensorfile.Open("latest_net_G_A.pth") // or model.safetensors
//	for _, name := range f.Names() {
//		t, err := f.Tensor(name) // a *tensor.Tensor on the CPU, float32 or float64
//		...
//	}
//	err = tensorfile.Write("copy.safetensors", map[string]*tensor.Tensor{"w": t}, nil)
//
// Open tells the formats apart by their first bytes, never by the extension: a zip archive or a
// pickle that starts with torch's magic number is a torch.save file (both of torch.save's
// formats, the zip one of PyTorch 1.6 on and the legacy one of the official CycleGAN models of
// 2017-2018), anything else is read as safetensors. The readers are zebra's own
// (internal/safetensors, internal/torchfile): a .pth file is unpickled by a restricted reader
// that builds nothing but tensors and dicts, so opening a file from the internet executes no
// code, and a corrupt file of either kind is an error that wraps ErrInvalid, never a panic.
//
// Names are a state dict's keys; dicts nested in a .pth file are flattened with dots
// ({"G_A": sd} gives "G_A.model.1.weight"). Tensor converts F32, F16 and BF16 to float32 and F64
// to float64, exactly; integer and bool tensors (a num_batches_tracked counter, an optimizer's
// step) have no float dtype in zebra and are an error wrapping ErrNotFloat: Info still gives
// their dtype and shape.
//
// To load a file into a module, matching keys as PyTorch's load_state_dict does, use
// nn.LoadFile, which reads through this package.
package tensorfile
