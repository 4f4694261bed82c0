package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/models/cyclegan"
)

func runExport(args []string) error { return export(args, os.Stdout) }

// export writes a weights-only checkpoint from a checkpoint, and reports what it wrote to out.
func export(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cyclegan export", flag.ContinueOnError)
	checkpoint := fs.String("checkpoint", "", "checkpoint to export: a full one (such as <runs>/<name>/checkpoints/latest.safetensors) or a weights-only one")
	output := fs.String("out", "", "weights-only checkpoint to write")
	networks := fs.String("networks", "generators", "generators (G_A and G_B: what translate needs) or all (and the discriminators D_A and D_B)")
	dtype := fs.String("dtype", "float16", "float16 (half the size; each weight rounded to 11 significant bits) or float32 (the weights exactly)")
	command := fs.String("command", "", "the command that trained the weights, recorded in the file's metadata as \"command\" (default: the one the checkpoint records, if any)")
	note := fs.String("note", "", "free text recorded in the file's metadata as \"note\"")
	skipChecksum := fs.Bool("skip-checksum", false, "do not compare the networks' data with the checkpoint's SHA-256 digests (salvaging a damaged one)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: cyclegan export -checkpoint FILE -out FILE [flags]\n\n"+
			"Writes the networks of a checkpoint, without the training state, for translate -checkpoint\n"+
			"(and for PyTorch: the G_A.* tensors are a state_dict of the official ResnetGenerator).\n"+
			"The file records the architecture, the training command given, and this command.\n\nflags:\n")
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
	w := cyclegan.WeightsOptions{Metadata: map[string]string{"export_command": commandLine(append([]string{"export"}, args...)...)}}
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
	// Writing over the checkpoint would replace a training state with weights alone.
	in, err := os.Stat(*checkpoint)
	if err != nil {
		return err
	}
	if o, err := os.Stat(*output); err == nil && os.SameFile(in, o) {
		return cli.Usagef("-out %s is the checkpoint itself: choose another file", *output)
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
