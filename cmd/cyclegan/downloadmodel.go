package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/download"
)

func runDownloadModel(args []string) error { return downloadModel(args, os.Stdout, os.Stderr) }

// downloadModel is download-model writing its result to stdout and its progress to stderr.
func downloadModel(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cyclegan download-model", flag.ContinueOnError)
	dir := fs.String("dir", "pretrained", "folder to save into, as <dir>/<NAME>.pth (fid-inception: <dir>/pt_inception-2015-12-05-6726825d.pth)")
	baseURL := fs.String("url", "", "where the models are, as <url>/<NAME>.pth (default: "+download.DefaultModelBaseURL+", and pytorch-fid's GitHub releases for fid-inception)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cyclegan download-model [flags] NAME\n\nDownloads one of the CycleGAN authors' pretrained generators (a PyTorch state dict, ngf 64 with 9 blocks, about 45 MB), which translate takes as its -checkpoint, or with NAME %s pytorch-fid's Inception-v3 weights (95 MB), which eval and train -eval-every take as -inception.\n\nNAME is one of: %s, %s\n\nflags:\n", download.FIDInception, strings.Join(download.ModelNames(), ", "), download.FIDInception)
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	known := append(download.ModelNames(), download.FIDInception)
	if fs.NArg() != 1 {
		return cli.Usagef("want one model name (%s), got %d arguments", strings.Join(known, ", "), fs.NArg())
	}
	name := fs.Arg(0)
	if !slices.Contains(known, name) {
		return cli.Usagef("unknown model %q; known models: %s", name, strings.Join(known, ", "))
	}
	var path string
	err := downloadInto(*dir, func(ctx context.Context) error {
		var err error
		path, err = download.Model(ctx, *baseURL, name, *dir, stderr)
		return err
	})
	if err != nil {
		return err
	}
	if name == download.FIDInception {
		fmt.Fprintf(stdout, "saved %s; measure FID and KID with:\n  cyclegan eval -inception %s -real DIR -fake DIR\n", path, path)
		return nil
	}
	// Each official file is one generator: the direction of its name (horse2zebra translates
	// horses), whatever -direction says.
	fmt.Fprintf(stdout, "saved %s; translate with:\n  cyclegan translate -checkpoint %s -out translated IMAGE_OR_FOLDER...\n", path, path)
	return nil
}
