package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

func runExport(args []string) error { return export(args, os.Stdout) }

// export writes a weights-only checkpoint, an ONNX model or a generator's state_dict from a
// checkpoint, and reports what it wrote to out.
func export(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cyclegan export", flag.ContinueOnError)
	checkpoint := fs.String("checkpoint", "", "checkpoint to export: a full one (such as <runs>/<name>/checkpoints/latest.safetensors) or a weights-only one")
	output := fs.String("out", "", "file to write")
	format := fs.String("format", "zebra", "zebra (a weights-only checkpoint, for translate -checkpoint), onnx (one generator as an ONNX model, opset 17, for ONNX Runtime and the like) or safetensors (one generator's bare state_dict under the official keys, for PyTorch's load_state_dict)")
	direction := fs.String("direction", "AtoB", "with -format onnx or safetensors, the generator to write: AtoB (G_A) or BtoA (G_B), in any case")
	networks := fs.String("networks", "generators", "with -format zebra: generators (G_A and G_B: what translate needs) or all (and the discriminators D_A and D_B)")
	dtype := fs.String("dtype", "float16", "with -format zebra: float16 (half the size; each weight rounded to 11 significant bits) or float32 (the weights exactly); onnx and safetensors are float32")
	command := fs.String("command", "", "the command that trained the weights, recorded in the file's metadata as \"command\" (default: the one the checkpoint records, if any)")
	note := fs.String("note", "", "free text recorded in the file's metadata as \"note\"")
	skipChecksum := fs.Bool("skip-checksum", false, "do not compare the networks' data with the checkpoint's SHA-256 digests (salvaging a damaged one)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: cyclegan export -checkpoint FILE -out FILE [-format zebra|onnx|safetensors] [flags]\n\n"+
			"Writes the networks of a checkpoint, without the training state. -format zebra (the default)\n"+
			"writes a weights-only checkpoint for translate -checkpoint; the file records the architecture,\n"+
			"the training command given, and this command.\n\n"+
			"-format onnx writes the generator of -direction as an ONNX model: input \"input\" and output\n"+
			"\"output\" are [batch, 3, height, width] float32 in [-1, 1]: any batch, any height and width that are multiples of 4.\n"+
			"-format safetensors writes it as a bare state_dict under the official keys (model.1.weight, ...),\n"+
			"which the official ResnetGenerator loads with load_state_dict(..., strict=True).\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected arguments %q (all settings are flags)", fs.Args())
	}
	if *checkpoint == "" || *output == "" {
		return cli.Usagef("need -checkpoint and -out")
	}
	exportCommand := commandLine(append([]string{"export"}, args...)...)
	switch *format {
	case "zebra":
		if flagSet(fs, "direction") {
			return cli.Usagef("-direction applies to -format onnx and safetensors, which hold one generator; -format zebra holds both")
		}
	case "onnx", "safetensors":
		for _, name := range []string{"networks", "dtype"} {
			if flagSet(fs, name) {
				return cli.Usagef("-%s applies to -format zebra; -format %s holds one generator (-direction) in float32", name, *format)
			}
		}
		d, ok := parseDirection(*direction)
		if !ok {
			return cli.Usagef("-direction %q: want AtoB or BtoA", *direction)
		}
		e := generatorExport{checkpoint: *checkpoint, output: *output, format: *format, direction: d, skipChecksum: *skipChecksum,
			metadata: map[string]string{"export_command": exportCommand, "command": *command, "note": *note}}
		return e.run(out)
	default:
		return cli.Usagef("-format %q: want zebra, onnx or safetensors", *format)
	}
	w := cyclegan.WeightsOptions{Metadata: map[string]string{"export_command": exportCommand}}
	switch *networks {
	case "generators":
		w.Networks = cyclegan.Generators
	case "all":
		w.Networks = cyclegan.AllNetworks
	default:
		return cli.Usagef("-networks %q: want generators or all", *networks)
	}
	switch *dtype {
	case "float16":
		w.DType = cyclegan.WeightsFloat16
	case "float32":
		w.DType = cyclegan.WeightsFloat32
	default:
		return cli.Usagef("-dtype %q: want float16 or float32", *dtype)
	}
	if *command != "" {
		w.Metadata["command"] = *command
	}
	if *note != "" {
		w.Metadata["note"] = *note
	}
	in, err := checkNotSameFile(*checkpoint, *output)
	if err != nil {
		return err
	}
	if err := (cyclegan.CheckpointReader{SkipChecksum: *skipChecksum}).ExportWeights(*checkpoint, *output, w); err != nil {
		return err
	}
	written, err := os.Stat(*output)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: %s in %s, %s (the checkpoint: %s)\n",
		*output, map[string]string{"generators": "the generators", "all": "the four networks"}[*networks], *dtype,
		megabytes(written.Size()), megabytes(in.Size()))
	return nil
}

// generatorExport writes one generator of a checkpoint as an ONNX model or a bare state_dict.
type generatorExport struct {
	checkpoint, output string
	format             string // "onnx" or "safetensors"
	direction          cyclegan.Direction
	skipChecksum       bool
	metadata           map[string]string // export_command, and command and note if given
}

// carriedKeys are the checkpoint's metadata keys that describe the weights themselves, kept in
// the exported file unless the export's flags give new values.
var carriedKeys = []string{"command", "note", "epoch", "steps"}

func (e generatorExport) run(out io.Writer) error {
	in, err := checkNotSameFile(e.checkpoint, e.output)
	if err != nil {
		return err
	}
	g, err := cyclegan.CheckpointReader{SkipChecksum: e.skipChecksum}.LoadGenerator(e.checkpoint, e.direction, tensor.CPU)
	if err != nil {
		return err
	}
	network := map[cyclegan.Direction]string{cyclegan.AtoB: "G_A", cyclegan.BtoA: "G_B"}[e.direction]
	metadata := map[string]string{"network": network, "direction": string(e.direction)}
	if top, err := safetensors.ReadMetadata(e.checkpoint); err == nil {
		for _, k := range carriedKeys {
			if v := top[k]; v != "" {
				metadata[k] = v
			}
		}
	}
	for k, v := range e.metadata {
		if v != "" {
			metadata[k] = v
		}
	}
	var what string
	switch e.format {
	case "onnx":
		m, err := g.ONNX("zebra")
		if err != nil {
			return err
		}
		m.ProducerVersion = moduleVersion()
		m.Metadata = metadata
		if err := m.WriteFile(e.output); err != nil {
			return err
		}
		what = fmt.Sprintf("an ONNX model (opset %d)", m.Opset)
	case "safetensors":
		var tensors []safetensors.Tensor
		for _, np := range g.NamedParameters() {
			v := np.Param.Value
			tensors = append(tensors, safetensors.FromFloat32(np.Name, v.Shape(), v.Float32s()))
		}
		metadata["format"] = "pt" // what PyTorch's safetensors loaders expect
		if err := safetensors.WriteFile(e.output, tensors, metadata); err != nil {
			return err
		}
		what = "a state_dict"
	}
	written, err := os.Stat(e.output)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: %s (%s) as %s in float32, %s (the checkpoint: %s)\n",
		e.output, network, e.direction, what, megabytes(written.Size()), megabytes(in.Size()))
	return nil
}

// checkNotSameFile returns the checkpoint's file information, or an error if it is missing or
// if output is the checkpoint itself: writing over it would replace a training state with
// weights alone.
func checkNotSameFile(checkpoint, output string) (os.FileInfo, error) {
	in, err := os.Stat(checkpoint)
	if err != nil {
		return nil, err
	}
	if o, err := os.Stat(output); err == nil && os.SameFile(in, o) {
		return nil, cli.Usagef("-out %s is the checkpoint itself: choose another file", output)
	}
	return in, nil
}

// flagSet reports whether the command line set the flag called name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// moduleVersion is zebra's module version as the go command stamped it ("(devel)" in a
// checkout, "v0.3.0" when installed with go install ...@v0.3.0), for an exported model's producer
// version.
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "unknown"
}

// saveEpochCheckpoint writes a periodic checkpoint of train's -epoch-save kind: "full" (the
// whole training state, resumable), "networks" (the four networks' weights) or "generators".
// Weights are kept in float32, exactly, and record the command that trained them.
func saveEpochCheckpoint(tr *cyclegan.Trainer, path, kind string) error {
	if kind == "full" {
		return tr.Save(path)
	}
	w := cyclegan.WeightsOptions{Networks: cyclegan.Generators, Metadata: map[string]string{"command": commandLine(os.Args[1:]...)}}
	if kind == "networks" {
		w.Networks = cyclegan.AllNetworks
	}
	return tr.SaveWeights(path, w)
}

// megabytes formats a size in bytes as MB (10^6 bytes), as ls -h --si and most download pages do.
func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// commandLine is the command that runs this program with args, as the user ran it ("cyclegan",
// "./cyclegan" or "go run ./cmd/cyclegan"), quoted so that it can be pasted into a shell.
func commandLine(args ...string) string {
	return strings.TrimSpace(cli.Invocation() + " " + cli.ShellQuote(args...))
}
