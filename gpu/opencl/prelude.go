package opencl

import _ "embed"

// prelude defines the kernel dialect of gpu/internal/device/kernels for OpenCL C.
//
//go:embed prelude.cl
var prelude string
