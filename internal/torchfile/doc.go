// Package torchfile reads the tensors of PyTorch checkpoints (.pth, .pt: what torch.save
// writes) without Python, so zebra can load the official pretrained CycleGAN generators.
//
// torch.save pickles a Python object, usually a state dict (an OrderedDict from names to
// tensors), and stores each tensor's storage (its block of elements) beside the pickle. It has
// two formats, and Decode tells them apart by their first bytes, not by the file's extension:
//
//   - The zip format (PyTorch 1.6 and later): archive/data.pkl holds the pickle, archive/data/N
//     each storage, uncompressed; archive/byteorder (PyTorch 2.0 on) the byte order. See zip.go.
//   - The legacy format (before 1.6, and _use_new_zipfile_serialization=False): five pickles
//     back to back (magic number, protocol version, system info, the object, the storage keys),
//     then each storage's element count and bytes. The official CycleGAN generators of
//     2017-2018 are in it. See legacy.go.
//
// In both, a tensor is pickled as a call of torch._utils._rebuild_tensor_v2 (storage, offset,
// size, stride, ...) and its storage as a persistent id ('storage', torch.FloatStorage, key,
// location, numel). The pickle is read by a restricted unpickler (pickle.go, protocols 0 to 5)
// that knows only the names a state dict needs (globals.go): collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 (6 or 7 arguments), _rebuild_tensor (torch 0.3 and older)
// and _rebuild_parameter, and the typed storage classes of torch and torch.cuda. Any other
// name (os.system, builtins.eval, a model's class) is an error that names it; nothing in a
// file is ever executed. The storage's location ("cuda:0") is ignored: everything is read
// into memory.
//
// A tensor is a view: File.Tensor returns its elements contiguous and little-endian, in the
// storage's dtype, honouring the storage offset, the strides (a transposed tensor is gathered
// into row-major order), the file's byte order, and storages shared by several tensors. The
// Tensor type is safetensors.Tensor, and File has the methods of safetensors.File that read
// (Names, Tensor, Float32s, Float64s, Int64s), so a caller can accept either file:
//
//	f, err := torchfile.ReadFile("latest_net_G_A.pth")
//	w, shape, err := f.Float32s("model.1.weight")
//
// Names are those of the state dict. A dict nested in the top-level object is flattened with
// dots, as state_dict() itself names submodules: {"G_A": sd, "epoch": 5} gives
// "G_A.model.1.weight"; items of lists and tuples are numbered ("param_groups.0..."). Values
// that are not tensors (numbers, strings, None) are skipped. A file holding a single tensor
// names it "". BUILD on an OrderedDict (the _metadata attribute of a state dict) is accepted
// and its state ignored.
//
// Decode rejects TorchScript archives (torch.jit.save, recognized by constants.pkl), the tar
// format of PyTorch before 0.1.10, compressed zip records (torch.save never writes them), and
// expanded views with more elements than their storage. Every problem with a file's contents
// is an error wrapping ErrInvalid that says what and where. No input can panic or make the
// reader allocate much more than the file's size: lengths are checked against the bytes left
// before anything is sliced or allocated, a tensor must fit inside its storage and a storage
// inside the file, and the walk over the unpickled object is bounded in depth (cycles through
// the pickle's memo) and in visits (containers shared many times).
package torchfile
