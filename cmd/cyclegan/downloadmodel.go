package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/download"
)

func runDownloadModel(args []string) error { return downloadModel(args, os.Stdout, os.Stderr) }

// downloadModel is download-model writing its result to stdout and its progress to stderr.
func downloadModel(args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("cyclegan download-model", flag.ContinueOnError)
	dir := fs.String("dir", "pretrained", "folder to save into, as <dir>/<NAME>.pth")
	baseURL := fs.String("url", download.DefaultModelBaseURL, "where the models are, as <url>/<NAME>.pth")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cyclegan download-model [flags] NAME\n\nDownloads one of the CycleGAN authors' pretrained generators (a PyTorch state dict, ngf 64 with 9 blocks, about 45 MB), which translate takes as its -checkpoint.\n\nNAME is one of: %s\n\nflags:\n", strings.Join(download.ModelNames(), ", "))
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return cli.Usagef("want one model name (%s), got %d arguments", strings.Join(download.ModelNames(), ", "), fs.NArg())
	}
	name := fs.Arg(0)
	if !slices.Contains(download.ModelNames(), name) {
		return cli.Usagef("unknown model %q; known models: %s", name, strings.Join(download.ModelNames(), ", "))
	}
	// A failed download leaves no empty -dir folder behind.
	removeDir, err := cli.MkdirAll(*dir)
	if err != nil {
		return fmt.Errorf("cannot create the target folder: %w", err)
	}
	defer func() {
		if err != nil {
			removeDir()
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	path, err := download.Model(ctx, *baseURL, name, *dir, stderr)
	if err != nil {
		return err
	}
	// Each official file is one generator: the direction of its name (horse2zebra translates
	// horses), whatever -direction says.
	fmt.Fprintf(stdout, "saved %s; translate with:\n  cyclegan translate -checkpoint %s -out translated IMAGE_OR_FOLDER...\n", path, path)
	return nil
}
