// Package safetensors reads and writes the safetensors file format, the format of zebra's
// checkpoints, so that PyTorch users can read ours and we can read theirs.
//
// A file is three parts: an 8-byte little-endian unsigned length N, N bytes of JSON header, and a
// byte buffer. The header maps each tensor name to its dtype, shape and [begin, end) byte offsets
// into the buffer; the optional key "__metadata__" holds a map of free-form strings:
//
//	{"__metadata__": {"format": "pt"},
//	 "conv.weight": {"dtype": "F32", "shape": [64, 3, 7, 7], "data_offsets": [0, 37632]}, ...}
//
// All numbers in the buffer are little-endian. Decode and ReadFile check a file the way the
// reference implementation (huggingface/safetensors) does: the header length is capped at
// 100,000,000 bytes and must fit inside the file, the header is well-formed UTF-8 JSON that starts
// with '{', names are unique, every dtype is known, shape product times element size equals each
// tensor's byte length, and the tensors tile the buffer exactly, without gaps or overlaps. Every
// problem with a file's contents is an error that wraps ErrInvalid and says what is wrong and
// where; nothing a file contains can cause a panic or an allocation out of proportion to the
// file's size.
//
// ReadFile and Decode return a File: its Metadata, its Tensors in header order, and lookup by
// name. Tensor.Data holds raw little-endian bytes in the tensor's own dtype. File.Float32s and
// File.Float64s convert F16, BF16, F32 and F64 tensors (F16 and BF16 exactly, including
// subnormals, infinities and NaN); File.Int64s widens the integer dtypes. FromFloat32, FromFloat64
// and FromInt64 build tensors to write.
//
// Encode and WriteFile lay tensors out in the reference implementation's order: by dtype, wider
// types first, then by name, so every tensor starts at an offset aligned to its element size; "__metadata__" comes
// first in the header and the header is padded with spaces to a multiple of 8 bytes. The output
// is therefore deterministic: the same tensors always give the same bytes. WriteFile writes to a
// temporary file in the destination directory, syncs it, renames it into place and syncs the
// directory, so a crash never leaves a half-written checkpoint under the real name.
//
// The format is specified at https://github.com/huggingface/safetensors.
package safetensors
