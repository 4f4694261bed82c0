package nn

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/torchfile"
	"github.com/zebra-go/zebra/tensor"
)

// The layers of the FID Inception network against PyTorch 1.13 in float64, through
// scripts/golden/fid_layers.py, which documents the files; tensors are read and compared as
// golden_test.go's are, with goldenTolerances. Every case runs in float32 and float64 and
// compares the output, the input's and the parameters' gradients and, for BatchNorm2d, the
// buffers after the forward.

type fidLayerCase struct {
	Name, Kind      string
	Before          int
	Training        bool
	Affine          bool
	Eps             float64
	Momentum        *float64 // nil: PyTorch's momentum=None
	Track           bool
	Features        int
	Kernel          int
	Stride          int
	Padding         int
	CeilMode        bool `json:"ceil_mode"`
	CountIncludePad bool `json:"count_include_pad"`
	Size            []int
}

func loadFIDLayerGolden(t *testing.T) ([]fidLayerCase, *torchfile.File) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fid_layers_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Cases []fidLayerCase }
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	f, err := torchfile.ReadFile(filepath.Join("testdata", "fid_layers_golden.pth"))
	if err != nil {
		t.Fatal(err)
	}
	return meta.Cases, f
}

// fidLayer builds the layer a case describes, in float64 with the golden parameters and initial
// buffers, then cast to dt.
func fidLayer(t *testing.T, f *torchfile.File, c fidLayerCase, dt tensor.DType) Module {
	t.Helper()
	pool := Pool2dOptions{Stride: c.Stride, Padding: c.Padding, CeilMode: c.CeilMode, ExcludePadding: !c.CountIncludePad}
	switch c.Kind {
	case "batch_norm2d":
		o := BatchNorm2dOptions{Eps: c.Eps, NoAffine: !c.Affine, NoRunningStats: !c.Track, CumulativeAverage: c.Momentum == nil}
		if c.Momentum != nil {
			o.Momentum = *c.Momentum
		}
		b := NewBatchNorm2d(c.Features, o)
		b.SetTraining(c.Training)
		for _, np := range b.NamedParameters() {
			np.Param.Value = goldenTensor(t, f, c.Name+".param."+np.Name, dt)
		}
		if c.Track {
			b.RunningMean = goldenTensor(t, f, c.Name+".initial.running_mean", dt)
			b.RunningVar = goldenTensor(t, f, c.Name+".initial.running_var", dt)
		}
		return b
	case "max_pool2d":
		return NewMaxPool2d(c.Kernel, pool)
	case "avg_pool2d":
		return NewAvgPool2d(c.Kernel, pool)
	case "adaptive_avg_pool2d":
		return NewAdaptiveAvgPool2d(c.Size[0], c.Size[1])
	case "upsample_bilinear":
		return NewUpsample(c.Size[0], c.Size[1])
	}
	t.Fatalf("%s: unknown kind %q", c.Name, c.Kind)
	return nil
}

func TestFIDLayersMatchPyTorch(t *testing.T) {
	cases, f := loadFIDLayerGolden(t)
	if len(cases) < 20 {
		t.Fatalf("%d cases in the golden file, want the 22 of fid_layers.py", len(cases))
	}
	for _, c := range cases {
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			t.Run(c.Name+"/"+dt.String(), func(t *testing.T) {
				m := fidLayer(t, f, c, dt)
				for i := range c.Before {
					m.Forward(autograd.Constant(goldenTensor(t, f, c.Name+".before."+strconv.Itoa(i), dt)))
				}
				x := autograd.NewVar(goldenTensor(t, f, c.Name+".x", dt), true)
				y := m.Forward(x)
				compareGolden(t, f, c.Name+".y", y.Value)
				y.BackwardWith(goldenTensor(t, f, c.Name+".grad_y", dt))
				compareGolden(t, f, c.Name+".grad_x", x.Grad)
				for _, np := range m.NamedParameters() {
					compareGolden(t, f, c.Name+".grad."+np.Name, np.Param.Grad)
				}
				for _, nb := range Buffers(m) {
					compareGolden(t, f, c.Name+".buffer."+nb.Name, tensor.Cast(nb.Value, dt))
				}
				if n := len(Buffers(m)); c.Track != (n == 3) {
					t.Errorf("%d buffers, want %v", n, c.Track)
				}
			})
		}
	}
}

func TestFIDLayerStrings(t *testing.T) {
	for _, c := range []struct {
		m    Module
		want string
	}{
		{NewMaxPool2d(3, Pool2dOptions{Stride: 2}), "MaxPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(0, 0), dilation=1, ceil_mode=False)"},
		{NewAvgPool2d(3, Pool2dOptions{Stride: 1, Padding: 1, ExcludePadding: true}), "AvgPool2d(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), ceil_mode=False, count_include_pad=False)"},
		{NewAdaptiveAvgPool2d(1, 1), "AdaptiveAvgPool2d(output_size=(1, 1))"},
		{NewUpsample(299, 299), "Upsample(size=(299, 299), mode='bilinear')"},
		{NewBatchNorm2d(64, BatchNorm2dOptions{Eps: 1e-3}), "BatchNorm2d(64, eps=0.001, momentum=0.1, affine=True, track_running_stats=True)"},
	} {
		if got := c.m.(interface{ String() string }).String(); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}
