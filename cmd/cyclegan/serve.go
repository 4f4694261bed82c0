package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/serve"
	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

func runServe(args []string) error {
	fs := flag.NewFlagSet("cyclegan serve", flag.ContinueOnError)
	checkpoint := fs.String("checkpoint", "", "checkpoint written by cyclegan train (both directions), or a ResnetGenerator state_dict (one, see -direction)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port); the default answers this machine only")
	device := fs.String("device", "cpu", "cpu, opencl[:N] or cuda[:N]")
	direction := fs.String("direction", "AtoB", "the direction a bare generator state_dict translates, which the file does not say (a training checkpoint serves both)")
	maxBody := fs.Int64("max-body", serve.DefaultMaxBodyBytes, "largest request body, in bytes")
	maxPixels := fs.Int64("max-pixels", serve.DefaultMaxPixels, "largest image, in pixels (width times height), checked from its header before decoding, and again after size=N")
	workers := fs.Int("workers", serve.DefaultWorkers, "translations that run at once")
	queue := fs.Int("queue", serve.DefaultQueue, "requests that may wait for a worker; more get 503 with Retry-After")
	timeout := fs.Duration("timeout", serve.DefaultTimeout, "time a request may take from its arrival to its answer, waiting included")
	skipChecksum := fs.Bool("skip-checksum", false, "do not compare the generators' data with the checkpoint's SHA-256 digests")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: cyclegan serve -checkpoint FILE [flags]

Serves the checkpoint's generators over HTTP until SIGINT or SIGTERM, then finishes the requests in
flight and exits 0:

  POST /v1/translate?direction=AtoB|BtoA[&size=N]  a JPEG or PNG body in, its translation out as
                                                   PNG (size=N scales the longer side to N first)
  GET  /                                           a page to try it in a browser
  GET  /healthz, /v1/info, /metrics                readiness, the model, Prometheus metrics

  curl --data-binary @horse.jpg 'http://127.0.0.1:8080/v1/translate?direction=AtoB' -o zebra.png

flags:
`)
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *checkpoint == "" || fs.NArg() != 0 {
		return cli.Usagef("need -checkpoint, and no other arguments")
	}
	bare, ok := parseDirection(*direction)
	if !ok {
		return cli.Usagef("-direction %q: want AtoB or BtoA", *direction)
	}
	switch {
	case *maxBody < 1:
		return cli.Usagef("-max-body %d: want a positive number of bytes", *maxBody)
	case *maxPixels < 1:
		return cli.Usagef("-max-pixels %d: want a positive number of pixels", *maxPixels)
	case *workers < 1:
		return cli.Usagef("-workers %d: want at least 1", *workers)
	case *queue < 0:
		return cli.Usagef("-queue %d: want 0 or more", *queue)
	case *timeout <= 0:
		return cli.Usagef("-timeout %v: want a positive duration", *timeout)
	}
	backend, err := gpu.Open(*device)
	if err != nil {
		return err
	}
	generators, err := loadGenerators(cyclegan.CheckpointReader{SkipChecksum: *skipChecksum}, *checkpoint, bare, backend)
	if err != nil {
		return err
	}
	digest, err := fileSHA256(*checkpoint)
	if err != nil {
		return err
	}
	server, err := serve.New(serve.Config{
		Generators: generators, Device: backend.Name(), Version: versionFields(cli.Version("cyclegan")),
		Checkpoint: *checkpoint, CheckpointSHA256: digest,
		MaxBodyBytes: *maxBody, MaxPixels: *maxPixels, Workers: *workers, Queue: *queue, Timeout: *timeout,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var directions []string
	for _, d := range []cyclegan.Direction{cyclegan.AtoB, cyclegan.BtoA} {
		if generators[d] != nil {
			directions = append(directions, string(d))
		}
	}
	fmt.Fprintf(os.Stderr, "serving %s (%s) on %s at http://%s/ (Ctrl-C to stop)\n",
		*checkpoint, strings.Join(directions, " and "), backend.Name(), ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := server.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(os.Stderr, "stopped: every request in flight was answered")
	return nil
}

// loadGenerators loads the generators of the checkpoint at path: both directions from a
// training checkpoint (one that fails to load is reported and left out, so that a damaged G_B
// does not stop G_A from being served), or the one of a bare state dict as direction bare.
func loadGenerators(r cyclegan.CheckpointReader, path string, bare cyclegan.Direction, b tensor.Backend) (map[cyclegan.Direction]*cyclegan.ResnetGenerator, error) {
	directions := []cyclegan.Direction{bare}
	if cyclegan.HoldsBothGenerators(path) {
		directions = []cyclegan.Direction{cyclegan.AtoB, cyclegan.BtoA}
	}
	generators := map[cyclegan.Direction]*cyclegan.ResnetGenerator{}
	var firstErr error
	for _, d := range directions {
		g, err := r.LoadGenerator(path, d, b)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			fmt.Fprintf(os.Stderr, "serve: generator %s not served: %v\n", d, err)
			continue
		}
		generators[d] = g
	}
	if len(generators) == 0 {
		return nil, checkpointHint(checkpointError(firstErr, path), path, "serve with -checkpoint %s instead", nil)
	}
	return generators, nil
}

// fileSHA256 returns the hex SHA-256 of the file at path, which /v1/info reports so that a client
// can tell which weights answered it.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	digest, err := readerSHA256(f)
	if err != nil {
		return "", fmt.Errorf("checksum of %s: %w", path, err)
	}
	return digest, nil
}

// readerSHA256 returns the hex SHA-256 of what r holds.
func readerSHA256(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// versionFields turns cli.Version's report into /v1/info's "version" object: its first line
// "cyclegan (devel)" gives {"cyclegan": "(devel)"}, each "key: value" line one more entry.
func versionFields(report string) map[string]string {
	fields := map[string]string{}
	for i, line := range strings.Split(strings.TrimSpace(report), "\n") {
		if i == 0 {
			program, version, _ := strings.Cut(line, " ")
			fields[program] = version
			continue
		}
		if key, value, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[key] = strings.TrimSpace(value)
		}
	}
	return fields
}
