package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/zebra-go/zebra/internal/cli"
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
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return cli.Usagef("want one dataset name (%s), got %d arguments", strings.Join(download.Names(), ", "), fs.NArg())
	}
	if !slices.Contains(download.Names(), fs.Arg(0)) {
		return cli.Usagef("unknown dataset %q; known datasets: %s", fs.Arg(0), strings.Join(download.Names(), ", "))
	}
	return downloadInto(*dir, func(ctx context.Context) error {
		return download.Dataset(ctx, *baseURL, fs.Arg(0), *dir, os.Stderr)
	})
}

// downloadInto creates dir and runs fetch with a context that SIGINT and SIGTERM cancel. A
// failed download (no network, a bad archive, an interrupt) leaves no empty dir behind: a
// folder that downloadInto created is removed again when fetch fails.
func downloadInto(dir string, fetch func(ctx context.Context) error) (err error) {
	removeDir, err := cli.MkdirAll(dir)
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
	return fetch(ctx)
}
