package cyclegan

import (
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

func TestParameterCounts(t *testing.T) {
	rng := tensor.NewRNG(1)
	for _, c := range []struct {
		name string
		net  nn.Module
		want int
	}{
		{"ResnetGenerator(ngf 64, 9 blocks)", NewResnetGenerator(rng, 64, 9), 11378179},
		{"ResnetGenerator(ngf 64, 6 blocks)", NewResnetGenerator(rng, 64, 6), 7837699},
		{"NLayerDiscriminator(ndf 64, 3 layers)", NewNLayerDiscriminator(rng, 64, 3), 2764737},
	} {
		if got := nn.NumParameters(c.net); got != c.want {
			t.Errorf("%s has %d parameters, the official network %d", c.name, got, c.want)
		}
	}
}

func TestStateDictKeys(t *testing.T) {
	g := NewResnetGenerator(tensor.NewRNG(1), 8, 9)
	var keys []string
	for _, np := range g.NamedParameters() {
		keys = append(keys, np.Name)
	}
	// The official generator with 9 blocks: model.1 (first conv), model.4 and model.7 (down),
	// model.10..18 (blocks), model.19 and model.22 (up), model.26 (last conv).
	want := []string{"model.1.weight", "model.1.bias", "model.4.weight", "model.4.bias", "model.7.weight", "model.7.bias"}
	for b := 10; b <= 18; b++ {
		for _, l := range []string{"1", "5"} {
			p := "model." + strconv.Itoa(b) + ".conv_block." + l
			want = append(want, p+".weight", p+".bias")
		}
	}
	want = append(want, "model.19.weight", "model.19.bias", "model.22.weight", "model.22.bias", "model.26.weight", "model.26.bias")
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("generator keys\n got %v\nwant %v", keys, want)
	}
	d := NewNLayerDiscriminator(tensor.NewRNG(1), 8, 3)
	keys = keys[:0]
	for _, np := range d.NamedParameters() {
		keys = append(keys, np.Name)
	}
	wantD := "model.0.weight model.0.bias model.2.weight model.2.bias model.5.weight model.5.bias model.8.weight model.8.bias model.11.weight model.11.bias"
	if got := strings.Join(keys, " "); got != wantD {
		t.Errorf("discriminator keys\n got %s\nwant %s", got, wantD)
	}
}

func TestInitWeights(t *testing.T) {
	g := NewResnetGenerator(tensor.NewRNG(7), 16, 2)
	var sum, sumSq float64
	n := 0
	for _, np := range g.NamedParameters() {
		v := np.Param.Value.Float64s()
		if np.Param.Value.NDim() == 1 {
			for _, x := range v {
				if x != 0 {
					t.Fatalf("bias %s is not zero", np.Name)
				}
			}
			continue
		}
		for _, x := range v {
			sum += x
			sumSq += x * x
			n++
		}
	}
	mean, std := sum/float64(n), math.Sqrt(sumSq/float64(n))
	if math.Abs(mean) > 0.001 || math.Abs(std-0.02) > 0.001 {
		t.Errorf("weights have mean %g and std %g over %d values, want N(0, 0.02²)", mean, std, n)
	}
	// The same seed gives the same network.
	g2 := NewResnetGenerator(tensor.NewRNG(7), 16, 2)
	for i, p := range g.Parameters() {
		a, b := p.Value.Float32s(), g2.Parameters()[i].Value.Float32s()
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("parameter %d differs between two networks from seed 7", i)
			}
		}
	}
}

// TestNetworksMatchPyTorch loads the weights written by scripts/golden/cyclegan.py into a small
// generator and discriminator (strict: the keys must be the official ones) and compares the
// output and every parameter's gradient with PyTorch's, in float64 (tight: the same math) and in
// float32 (the training dtype).
func TestNetworksMatchPyTorch(t *testing.T) {
	f, get := goldenTensors(t, "networks_golden.safetensors")
	for _, c := range []struct {
		prefix string
		build  func() nn.Module
	}{
		{"G", func() nn.Module { return NewResnetGenerator(tensor.NewRNG(1), 4, 2) }},
		{"D", func() nn.Module { return NewNLayerDiscriminator(tensor.NewRNG(1), 4, 3) }},
	} {
		for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
			// float32 carries about 7 digits through a few dozen layers (InstanceNorm divides by
			// small standard deviations); float64 must agree to rounding.
			tol := 1e-10
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			net := c.build()
			nn.Cast(net, dt)
			sd := map[string]*tensor.Tensor{}
			for _, name := range f.Names() {
				key, ok := strings.CutPrefix(name, c.prefix+".")
				if !ok || key == "x" || key == "y" || key == "grad_y" || strings.HasPrefix(key, "grad.") {
					continue
				}
				sd[key] = get(name)
			}
			if err := nn.LoadStateDict(net, sd, true); err != nil {
				t.Fatalf("%s: %v", c.prefix, err)
			}
			x := autograd.Constant(tensor.Cast(get(c.prefix+".x"), dt))
			y := net.Forward(x)
			compareClose(t, c.prefix+" "+dt.String()+" output", y.Value, get(c.prefix+".y"), tol)
			y.BackwardWith(tensor.Cast(get(c.prefix+".grad_y"), dt))
			for _, np := range net.NamedParameters() {
				if np.Param.Grad == nil {
					t.Fatalf("%s %s: no gradient", c.prefix, np.Name)
				}
				compareClose(t, c.prefix+" "+dt.String()+" grad "+np.Name, np.Param.Grad, get(c.prefix+".grad."+np.Name), tol)
			}
		}
	}
}

// compareClose fails unless |got − want| ≤ tol·(1 + max|want|) everywhere.
func compareClose(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	scale := 0.0
	for _, v := range w {
		scale = max(scale, math.Abs(v))
	}
	worst := 0.0
	for i := range g {
		worst = max(worst, math.Abs(g[i]-w[i]))
	}
	if !(worst <= tol*(1+scale)) {
		t.Errorf("%s: max abs error %g (values up to %g), tolerance %g", what, worst, scale, tol*(1+scale))
	}
}

// goldenTensors opens testdata/file, written by scripts/golden/cyclegan.py, and returns it with a
// function that reads one of its tensors in float64, failing the test if it is missing.
func goldenTensors(t *testing.T, file string) (*safetensors.File, func(name string) *tensor.Tensor) {
	t.Helper()
	f, err := safetensors.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return f, func(name string) *tensor.Tensor {
		t.Helper()
		data, shape, err := f.Float64s(name)
		if err != nil {
			t.Fatal(err)
		}
		return tensor.FromFloat64(data, shape...)
	}
}
