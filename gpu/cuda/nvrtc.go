package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
)

// nvrtcAPI holds the NVRTC entry points (nvrtc.h). nvrtcResult is int32; programs are uintptr.
type nvrtcAPI struct {
	lib *dynlib.Lib

	Version           func(major, minor *int32) int32
	CreateProgram     func(prog *uintptr, src *byte, name *byte, numHeaders int32, headers, includeNames unsafe.Pointer) int32
	CompileProgram    func(prog uintptr, numOptions int32, options unsafe.Pointer) int32
	GetProgramLogSize func(prog uintptr, size *uintptr) int32
	GetProgramLog     func(prog uintptr, log *byte) int32
	GetPTXSize        func(prog uintptr, size *uintptr) int32
	GetPTX            func(prog uintptr, ptx *byte) int32
	DestroyProgram    func(prog *uintptr) int32
	GetErrorString    func(result int32) string

	// Optional (CUDA 11.2+): the architectures this NVRTC can target.
	GetNumSupportedArchs func(n *int32) int32
	GetSupportedArchs    func(archs *int32) int32
	// Optional (CUDA 11.1+): machine code (CUBIN) instead of PTX.
	GetCUBINSize func(prog uintptr, size *uintptr) int32
	GetCUBIN     func(prog uintptr, cubin *byte) int32
}

// nvrtcNames are probed newest first; the unversioned name is the toolkit's development symlink.
var nvrtcNames = []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so.11.1",
	"libnvrtc.so.11.0", "libnvrtc.so"}

var (
	nvrtcOnce sync.Once
	nvrtcLib  *nvrtcAPI
	nvrtcErr  error
)

func loadNVRTC() (*nvrtcAPI, error) {
	nvrtcOnce.Do(func() {
		lib, err := dynlib.Open("NVRTC, the CUDA runtime compiler", nvrtcNames, cudaDirs("cuda_nvrtc"))
		if err != nil {
			nvrtcErr = err
			return
		}
		preloadBuiltins(lib.Path)
		a := &nvrtcAPI{lib: lib}
		b := dynlib.Binder{Lib: lib}
		b.Bind(&a.Version, "nvrtcVersion")
		b.Bind(&a.CreateProgram, "nvrtcCreateProgram")
		b.Bind(&a.CompileProgram, "nvrtcCompileProgram")
		b.Bind(&a.GetProgramLogSize, "nvrtcGetProgramLogSize")
		b.Bind(&a.GetProgramLog, "nvrtcGetProgramLog")
		b.Bind(&a.GetPTXSize, "nvrtcGetPTXSize")
		b.Bind(&a.GetPTX, "nvrtcGetPTX")
		b.Bind(&a.DestroyProgram, "nvrtcDestroyProgram")
		b.Bind(&a.GetErrorString, "nvrtcGetErrorString")
		if lib.Has("nvrtcGetSupportedArchs") && lib.Has("nvrtcGetNumSupportedArchs") {
			b.Bind(&a.GetNumSupportedArchs, "nvrtcGetNumSupportedArchs")
			b.Bind(&a.GetSupportedArchs, "nvrtcGetSupportedArchs")
		}
		if lib.Has("nvrtcGetCUBIN") && lib.Has("nvrtcGetCUBINSize") {
			b.Bind(&a.GetCUBINSize, "nvrtcGetCUBINSize")
			b.Bind(&a.GetCUBIN, "nvrtcGetCUBIN")
		}
		nvrtcLib, nvrtcErr = a, b.Err
	})
	return nvrtcLib, nvrtcErr
}

// preloadBuiltins opens libnvrtc-builtins from the folder where NVRTC was found. NVRTC opens it
// by bare name when it compiles, which the dynamic linker finds only on its own search path; a
// library that is already loaded matches that name wherever it came from.
func preloadBuiltins(nvrtcPath string) {
	if !strings.ContainsRune(nvrtcPath, '/') {
		return // found by the dynamic linker, which will find its builtins the same way
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(nvrtcPath), "libnvrtc-builtins.so*"))
	slices.Reverse(matches) // the versioned names sort after the development symlink
	if len(matches) > 0 {
		dynlib.Open("NVRTC's builtins", matches, nil) // failures show up, named, when NVRTC compiles
	}
}

// target is what NVRTC compiles for: machine code for sm_<Arch> (CUBIN) or PTX for
// compute_<Arch>.
type target struct {
	Arch  int
	CUBIN bool
}

func (t target) String() string {
	if t.CUBIN {
		return fmt.Sprintf("sm_%d", t.Arch)
	}
	return fmt.Sprintf("compute_%d", t.Arch)
}

// targets lists what to compile for, best first. Machine code for the device's own architecture
// comes first when this NVRTC can produce it: it loads on any driver of the same CUDA major
// version, while PTX from an NVRTC newer than the driver fails to load (the driver's JIT does not
// know its PTX version), which is common when NVRTC comes from a pip wheel. PTX follows, for the
// device's compute capability (major*10+minor) if this NVRTC knows it, else for the newest it
// knows below it: the driver compiles PTX forward to the device.
func targets(device int, supported []int, cubin bool) []target {
	var out []target
	if cubin && slices.Contains(supported, device) {
		out = append(out, target{Arch: device, CUBIN: true})
	}
	best := 0
	for _, a := range supported {
		if a <= device && a > best {
			best = a
		}
	}
	if best == 0 {
		best = device
	}
	return append(out, target{Arch: best})
}

func (n *nvrtcAPI) supportedArchs() []int {
	if n.GetNumSupportedArchs == nil {
		return nil
	}
	var count int32
	if n.GetNumSupportedArchs(&count) != 0 || count <= 0 {
		return nil
	}
	archs := make([]int32, count)
	if n.GetSupportedArchs(&archs[0]) != 0 {
		return nil
	}
	out := make([]int, count)
	for i, a := range archs {
		out[i] = int(a)
	}
	return out
}

// compile turns CUDA C++ source into PTX (NUL-terminated, as cuModuleLoadData wants it) or a
// CUBIN for t. On failure the error holds NVRTC's log.
func (n *nvrtcAPI) compile(src string, t target, options []string) ([]byte, error) {
	csrc, cname := dynlib.CString(src), dynlib.CString("zebra.cu")
	var prog uintptr
	if r := n.CreateProgram(&prog, &csrc[0], &cname[0], 0, nil, nil); r != 0 {
		return nil, fmt.Errorf("cuda: nvrtcCreateProgram: %s", n.GetErrorString(r))
	}
	defer n.DestroyProgram(&prog)
	opts := append([]string{"--gpu-architecture=" + t.String()}, options...)
	cstrs := make([][]byte, len(opts))
	ptrs := make([]*byte, len(opts))
	for i, o := range opts {
		cstrs[i] = dynlib.CString(o)
		ptrs[i] = &cstrs[i][0]
	}
	result := n.CompileProgram(prog, int32(len(ptrs)), unsafe.Pointer(&ptrs[0]))
	if result != 0 {
		var size uintptr
		n.GetProgramLogSize(prog, &size)
		log := make([]byte, size+1)
		n.GetProgramLog(prog, &log[0])
		return nil, fmt.Errorf("cuda: NVRTC (%s) could not compile the kernels for %s: %s\n%s",
			n.lib.Path, t, n.GetErrorString(result), dynlib.GoString(log))
	}
	getSize, get, what := n.GetPTXSize, n.GetPTX, "PTX"
	if t.CUBIN {
		getSize, get, what = n.GetCUBINSize, n.GetCUBIN, "CUBIN"
	}
	var size uintptr
	if r := getSize(prog, &size); r != 0 || size == 0 {
		return nil, fmt.Errorf("cuda: nvrtcGet%sSize: %s", what, n.GetErrorString(r))
	}
	code := make([]byte, size+1) // PTX's size counts its NUL; the spare byte keeps it terminated
	if r := get(prog, &code[0]); r != 0 {
		return nil, fmt.Errorf("cuda: nvrtcGet%s: %s", what, n.GetErrorString(r))
	}
	return code, nil
}

// ptxCache keeps compiled PTX and CUBINs on disk, keyed by a hash of everything that went into
// them (source, options, NVRTC version) and the target, so that a process after the first skips
// NVRTC, which takes seconds for the whole kernel set.
type ptxCache struct{ dir string }

func defaultPTXCache() ptxCache {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ptxCache{}
	}
	return ptxCache{dir: filepath.Join(dir, "zebra", "ptx")}
}

func (c ptxCache) path(key string, t target) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, fmt.Sprintf("%s-%s.bin", hex.EncodeToString(sum[:12]), t))
}

// load returns cached code (NUL-terminated) or nil.
func (c ptxCache) load(key string, t target) []byte {
	if c.dir == "" {
		return nil
	}
	b, err := os.ReadFile(c.path(key, t))
	if err != nil || len(b) == 0 || b[len(b)-1] != 0 {
		return nil
	}
	return b
}

// store writes code atomically (temporary file, sync, rename); failures only cost the cache.
func (c ptxCache) store(key string, t target, code []byte) {
	if c.dir == "" || os.MkdirAll(c.dir, 0o755) != nil {
		return
	}
	f, err := os.CreateTemp(c.dir, "ptx-*.tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(code)
	serr := f.Sync()
	cerr := f.Close()
	if werr != nil || serr != nil || cerr != nil || os.Rename(f.Name(), c.path(key, t)) != nil {
		os.Remove(f.Name())
	}
}
