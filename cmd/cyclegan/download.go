package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/zebra-go/zebra/internal/download"
)

func runDownload(args []string) error {
	fs := flag.NewFlagSet("cyclegan download", flag.ContinueOnError)
	dir := fs.String("dir", "datasets", "folder to unpack into; the dataset lands in <dir>/<NAME>")
	baseURL := fs.String("url", download.DefaultBaseURL, "where the archives are, as <url>/<NAME>.zip")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cyclegan download [flags] NAME\n\nNAME is one of: %s\n\nflags:\n", strings.Join(download.Names(), ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want one dataset name, got %d arguments", fs.NArg())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return download.Dataset(ctx, *baseURL, fs.Arg(0), *dir, os.Stderr)
}
