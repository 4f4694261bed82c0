package inception

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/torchfile"
	"github.com/zebra-go/zebra/tensor"
)

// The tests compare the network with PyTorch's (scripts/golden/inception_fid.py) under weights
// that both compute from one rule, deterministicValue, since the real weights are 95 MB.

// uniform is value i of key's stream: splitmix64(fnv1a64(key) + i) >> 11, scaled to [0, 1).
func uniform(key string, n int) []float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	seed := h.Sum64()
	out := make([]float64, n)
	for i := range out {
		z := seed + uint64(i) + 0x9E3779B97F4A7C15
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		z ^= z >> 31
		out[i] = float64(z>>11) / (1 << 53)
	}
	return out
}

// deterministicValue is the rule of inception_fid.py for the tensor called key.
func deterministicValue(key string, shape []int) []float32 {
	n := tensor.Numel(shape)
	u := uniform(key, n)
	out := make([]float32, n)
	for i, v := range u {
		switch {
		case strings.HasSuffix(key, "conv.weight"):
			v = (2*v - 1) * math.Sqrt(6/float64(n/shape[0]))
		case strings.HasSuffix(key, "bn.weight"):
			v = 0.8 + 0.4*v
		case strings.HasSuffix(key, "bn.bias"), strings.HasSuffix(key, "running_mean"):
			v = 0.2 * (2*v - 1)
		case strings.HasSuffix(key, "running_var"):
			v = 0.5 + v
		case key == "fc.weight":
			v = (2*v - 1) / math.Sqrt(2048)
		case key == "fc.bias":
			v = 0.1 * (2*v - 1)
		default:
			panic("no rule for " + key)
		}
		out[i] = float32(v)
	}
	return out
}

// fakeWeights is a state dict in memory.
type fakeWeights struct {
	names  []string
	values map[string][]float32
	shapes map[string][]int
}

func (w *fakeWeights) Names() []string { return w.names }

func (w *fakeWeights) Float32s(name string) ([]float32, []int, error) {
	v, ok := w.values[name]
	if !ok {
		return nil, nil, fmt.Errorf("no tensor %q", name)
	}
	return v, w.shapes[name], nil
}

func (w *fakeWeights) set(name string, v []float32, shape []int) {
	if _, ok := w.values[name]; !ok {
		w.names = append(w.names, name)
	}
	w.values[name], w.shapes[name] = v, shape
}

// goldenKeys reads testdata/state_dict_keys.txt: PyTorch's keys, in order, with their shapes.
func goldenKeys(t *testing.T) ([]string, map[string][]int) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "state_dict_keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var keys []string
	shapes := map[string][]int{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "#") {
			continue
		}
		var key, shape string
		if _, err := fmt.Sscan(s.Text(), &key, &shape); err != nil {
			t.Fatalf("%q: %v", s.Text(), err)
		}
		var dims []int
		for _, d := range strings.Split(strings.Trim(shape, "[]"), ",") {
			var v int
			if d != "" {
				fmt.Sscan(d, &v)
				dims = append(dims, v)
			}
		}
		keys = append(keys, key)
		shapes[key] = dims
	}
	return keys, shapes
}

// deterministicWeights is PyTorch's state dict under the rule, with the num_batches_tracked
// counters when withCounters.
func deterministicWeights(t *testing.T, withCounters bool) *fakeWeights {
	t.Helper()
	keys, shapes := goldenKeys(t)
	w := &fakeWeights{values: map[string][]float32{}, shapes: map[string][]int{}}
	for _, k := range keys {
		switch {
		case !strings.HasSuffix(k, "num_batches_tracked"):
			w.set(k, deterministicValue(k, shapes[k]), shapes[k])
		case withCounters:
			w.set(k, []float32{0}, shapes[k])
		}
	}
	return w
}

func TestStateDictKeysAreTorchvisions(t *testing.T) {
	keys, shapes := goldenKeys(t)
	if len(keys) != 566 {
		t.Fatalf("%d keys in the golden list, want 566", len(keys))
	}
	state := New().stateTensors()
	for _, k := range keys {
		got, ok := state[k]
		if !ok {
			t.Errorf("the network has no %s", k)
			continue
		}
		if !slices.Equal(got.Shape(), shapes[k]) {
			t.Errorf("%s: shape %v, PyTorch's %v", k, got.Shape(), shapes[k])
		}
	}
	if len(state) != len(keys) {
		t.Errorf("the network has %d keys, PyTorch's %d", len(state), len(keys))
	}
}

var goldenNet = func() func(t *testing.T) *Net {
	var net *Net
	return func(t *testing.T) *Net {
		t.Helper()
		if net == nil {
			net = New()
			if err := LoadWeights(net, deterministicWeights(t, true)); err != nil {
				t.Fatal(err)
			}
		}
		return net
	}
}()

// compareFeatures checks got against PyTorch's features: |got − want| ≤ 1e-4·(1 + |want|)
// elementwise. Both are float32 computations of ~100 layers; the features are ~1 to 10.
func compareFeatures(t *testing.T, name string, got []float64) {
	t.Helper()
	f, err := torchfile.ReadFile(filepath.Join("testdata", "features.pth"))
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := f.Float64s(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d features, want %d", name, len(got), len(want))
	}
	worst, at := 0.0, 0
	for i := range want {
		if d := math.Abs(got[i]-want[i]) / (1 + math.Abs(want[i])); !(d <= worst) {
			worst, at = d, i
		}
	}
	t.Logf("%s: largest difference from PyTorch %.3g (relative to 1 + |want|), at %d: %g vs %g", name, worst, at, got[at], want[at])
	if !(worst <= 1e-4) {
		t.Errorf("%s: feature %d is %g, PyTorch's %g", name, at, got[at], want[at])
	}
}

func TestForwardMatchesPyTorch(t *testing.T) {
	net := goldenNet(t)
	x := tensor.FromFloat64(uniform("input/forward_75", 2*3*75*75), 2, 3, 75, 75)
	x = tensor.Cast(tensor.AddScalar(tensor.Scale(x, 2), -1), tensor.Float32)
	got := net.Forward(autograd.Constant(x)).Value
	if !slices.Equal(got.Shape(), []int{2, FeatureDims}) {
		t.Fatalf("features %v, want [2 2048]", got.Shape())
	}
	compareFeatures(t, "forward_75", got.Float64s())
}

func TestFeaturesMatchPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("two images at 299x299")
	}
	net := goldenNet(t)
	x := tensor.Cast(tensor.FromFloat64(uniform("input/features_64x80", 2*3*64*80), 2, 3, 64, 80), tensor.Float32)
	compareFeatures(t, "features_64x80", FeaturesOf(net, x).Float64s())
}

// Features on images is FeaturesOf on their bytes/255, whatever the batching and the image types.
func TestFeaturesOfImages(t *testing.T) {
	if testing.Short() {
		t.Skip("four images at 299x299")
	}
	net := goldenNet(t)
	rgba := image.NewRGBA(image.Rect(0, 0, 40, 30))
	gray := image.NewGray(image.Rect(5, 5, 45, 35)) // a bounds origin away from 0, another model
	u := uniform("input/images", 40*30*4)
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(255 * u[i])
		if i%4 == 3 {
			rgba.Pix[i] = 255
		}
	}
	for i := range gray.Pix {
		gray.Pix[i] = uint8(255 * u[i])
	}
	var done []int
	got, err := Features(net, []image.Image{rgba, gray}, Options{BatchSize: 1, Progress: func(n int) { done = append(done, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(done, []int{1, 2}) {
		t.Errorf("progress %v, want [1 2]", done)
	}
	var want []float64
	for _, img := range []image.Image{rgba, gray} {
		data := make([]float32, 3*30*40)
		for y := range 30 {
			for x := range 40 {
				c := color.RGBAModel.Convert(img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y)).(color.RGBA)
				for ch, v := range []uint8{c.R, c.G, c.B} {
					data[ch*1200+y*40+x] = float32(v) / 255
				}
			}
		}
		want = append(want, FeaturesOf(net, tensor.FromFloat32(data, 1, 3, 30, 40)).Float64s()...)
	}
	for i := range got {
		for j, v := range got[i] {
			if w := want[i*FeatureDims+j]; math.Abs(v-w) > 1e-5*(1+math.Abs(w)) {
				t.Fatalf("image %d feature %d: %g, want %g", i, j, v, w)
			}
		}
	}
	if _, err := Features(net, []image.Image{image.NewRGBA(image.Rect(0, 0, 0, 3))}, Options{}); err == nil {
		t.Error("an empty image gave no error")
	}
}

func TestLoadWeightsAcceptsAndRefuses(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(w *fakeWeights)
		want   string // "" for success, else a part of the error
	}{
		{"without num_batches_tracked", func(*fakeWeights) {}, ""},
		{"without fc", func(w *fakeWeights) {
			w.names = slices.DeleteFunc(w.names, func(n string) bool { return strings.HasPrefix(n, "fc.") })
		}, ""},
		{"missing", func(w *fakeWeights) {
			w.names = slices.DeleteFunc(w.names, func(n string) bool { return n == "Mixed_6e.branch7x7dbl_3.bn.running_var" })
		}, "1 missing keys (Mixed_6e.branch7x7dbl_3.bn.running_var)"},
		{"unexpected", func(w *fakeWeights) { w.set("AuxLogits.fc.weight", make([]float32, 1000*768), []int{1000, 768}) }, "1 unexpected keys (AuxLogits.fc.weight)"},
		{"1000 classes", func(w *fakeWeights) { w.set("fc.weight", make([]float32, 1000*2048), []int{1000, 2048}) }, "fc.weight is [1000 2048], want [1008 2048]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := deterministicWeights(t, false)
			c.change(w)
			net := New()
			err := LoadWeights(net, w)
			var we *WeightsError
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want == "":
				got := net.stateTensors()["Mixed_7c.branch_pool.bn.running_var"].Float32s()
				if want := deterministicValue("Mixed_7c.branch_pool.bn.running_var", []int{192}); !slices.Equal(got, want) {
					t.Error("the weights did not load")
				}
			case !errors.As(err, &we) || !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %v, want a *WeightsError with %q", err, c.want)
			default:
				if v := net.stateTensors()["Conv2d_1a_3x3.conv.weight"].Float32s(); slices.ContainsFunc(v, func(x float32) bool { return x != 0 }) {
					t.Error("a refused file loaded some weights")
				}
			}
		})
	}
}
