package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/nn"
)

// The defaults of Config's limits, which are cyclegan serve's flags.
const (
	// DefaultMaxBodyBytes bounds a request body: 25 MB holds any JPEG or PNG photograph of
	// DefaultMaxPixels that a camera writes.
	DefaultMaxBodyBytes = 25 << 20
	// DefaultMaxPixels bounds an image, width times height, from its header: 4096x4096. The
	// generator's activations take about 256 bytes a pixel at ngf 8 (cyclegan translate's
	// -max-pixels), so 4 GB at ngf 8 for the largest image, proportionally more at larger ngf.
	DefaultMaxPixels = 4096 * 4096
	// DefaultWorkers is how many translations run at once. One: the generator's convolutions
	// already spread over the cores. Measured with TestWorkersCompared (ZEBRA_SERVE_LOAD=1; two
	// clients, ngf 8, 2 blocks, three alternating runs each, on a 2-vCPU AMD EPYC Zen 4 shared
	// with a training job): at 256x256 one worker gave 19.4-21.5 translations/s with a p99 of
	// 110-135 ms, two gave 19.9-21.3/s with a p99 of 138-168 ms, so no more throughput, a
	// longer tail and twice the activations in memory; at 64x64, where one image does not fill
	// the cores, two gave 212-248/s against 180-198/s: -workers 2 pays off for small images.
	DefaultWorkers = 1
	// DefaultQueue is how many more requests may wait for a worker before the server refuses
	// them with 503.
	DefaultQueue = 8
	// DefaultTimeout bounds a request from its arrival to its answer, waiting included.
	DefaultTimeout = 2 * time.Minute
)

// Config says what a Server serves and within which limits. A zero limit takes its default.
type Config struct {
	// Generators are the networks by direction: both from a training checkpoint, one from a
	// bare generator state dict. New freezes them (cyclegan.FreezeForTranslation) so that
	// several translations may share one.
	Generators map[cyclegan.Direction]*cyclegan.ResnetGenerator
	// Device, Version, Checkpoint and CheckpointSHA256 are reported as they are by /v1/info.
	Device           string
	Version          map[string]string
	Checkpoint       string
	CheckpointSHA256 string

	MaxBodyBytes int64         // request body, in bytes
	MaxPixels    int64         // image width times height, before and after size=N resizing
	Workers      int           // translations at once
	Queue        int           // requests waiting for a worker, beyond those running
	Timeout      time.Duration // from a request's arrival to its answer
}

// Info is what GET /v1/info answers.
type Info struct {
	NGF              int               `json:"ngf"`
	Blocks           int               `json:"blocks"`
	Directions       []string          `json:"directions"`
	Device           string            `json:"device"`
	Version          map[string]string `json:"version"`
	Checkpoint       string            `json:"checkpoint"`
	CheckpointSHA256 string            `json:"checkpoint_sha256"`
	Limits           Limits            `json:"limits"`
}

// Limits are the server's limits, as /v1/info reports them.
type Limits struct {
	MaxBodyBytes   int64   `json:"max_body_bytes"`
	MaxPixels      int64   `json:"max_pixels"`
	Workers        int     `json:"workers"`
	Queue          int     `json:"queue"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
}

// Server serves generators over HTTP; Handler gives its routes, Serve runs it on a listener.
type Server struct {
	cfg      Config
	info     Info
	queue    *queue
	metrics  *metrics
	draining atomic.Bool // set when Serve begins shutting down: /healthz answers 503
	// translate is cyclegan.Translate; tests replace it to hold a worker busy.
	translate func(*cyclegan.ResnetGenerator, *image.RGBA) *image.RGBA
}

// New returns a server of cfg's generators, which must all have the same size.
func New(cfg Config) (*Server, error) {
	if len(cfg.Generators) == 0 {
		return nil, errors.New("serve: no generator to serve")
	}
	cfg.MaxBodyBytes = orDefault(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.MaxPixels = orDefault(cfg.MaxPixels, DefaultMaxPixels)
	cfg.Workers = orDefault(cfg.Workers, DefaultWorkers)
	cfg.Queue = orDefault(cfg.Queue, DefaultQueue)
	cfg.Timeout = orDefault(cfg.Timeout, DefaultTimeout)
	if cfg.MaxBodyBytes < 0 || cfg.MaxPixels < 0 || cfg.Workers < 0 || cfg.Queue < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("serve: negative limit in %+v", cfg)
	}
	info := Info{
		Device: cfg.Device, Version: cfg.Version, Checkpoint: cfg.Checkpoint, CheckpointSHA256: cfg.CheckpointSHA256,
		Limits: Limits{
			MaxBodyBytes: cfg.MaxBodyBytes, MaxPixels: cfg.MaxPixels, Workers: cfg.Workers, Queue: cfg.Queue,
			TimeoutSeconds: cfg.Timeout.Seconds(),
		},
	}
	for _, d := range []cyclegan.Direction{cyclegan.AtoB, cyclegan.BtoA} {
		g := cfg.Generators[d]
		if g == nil {
			continue
		}
		ngf, blocks := generatorSize(g)
		if len(info.Directions) > 0 && (ngf != info.NGF || blocks != info.Blocks) {
			return nil, fmt.Errorf("serve: generator %s has ngf %d and %d blocks, the other ngf %d and %d", d, ngf, blocks, info.NGF, info.Blocks)
		}
		info.NGF, info.Blocks = ngf, blocks
		info.Directions = append(info.Directions, string(d))
		cyclegan.FreezeForTranslation(g)
	}
	if len(info.Directions) != len(cfg.Generators) {
		return nil, fmt.Errorf("serve: generators %v: want directions %s and %s only", slices.Collect(maps.Keys(cfg.Generators)), cyclegan.AtoB, cyclegan.BtoA)
	}
	q := newQueue(cfg.Workers, cfg.Queue)
	return &Server{cfg: cfg, info: info, queue: q, metrics: newMetrics(q), translate: cyclegan.Translate}, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// generatorSize reads ngf (the first convolution's filters) and the residual block count off a
// generator.
func generatorSize(g *cyclegan.ResnetGenerator) (ngf, blocks int) {
	ngf = nn.Parameters(g)[0].Value.Dim(0)
	for _, layer := range g.Model.Layers {
		if _, ok := layer.(*cyclegan.ResnetBlock); ok {
			blocks++
		}
	}
	return ngf, blocks
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// Methods are checked in the handlers rather than in the patterns, so that a wrong one is
	// answered in JSON like every other client error.
	mux.Handle("/v1/translate", s.metrics.instrument("translate", s.handleTranslate))
	mux.Handle("/v1/info", s.metrics.instrument("info", s.handleInfo))
	mux.Handle("/healthz", s.metrics.instrument("healthz", s.handleHealth))
	mux.Handle("/metrics", s.metrics.handler())
	mux.Handle("/", s.metrics.instrument("page", s.handlePage))
	return mux
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	writeJSON(w, http.StatusOK, s.info)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully: it stops accepting
// connections at once, lets the requests in flight finish (for up to the request timeout and 5
// seconds more), and returns. It returns nil after a shutdown that finished in time.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// The body must arrive within the request's time; the answer gets 30 s more to go out.
		ReadTimeout:  s.cfg.Timeout,
		WriteTimeout: s.cfg.Timeout + 30*time.Second,
		IdleTimeout:  2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	shutdown, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout+5*time.Second)
	defer cancel()
	err := hs.Shutdown(shutdown)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// allowMethod answers 405 and reports false unless r uses method.
func allowMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, http.StatusMethodNotAllowed, "%s %s: use %s", r.Method, r.URL.Path, method)
	return false
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) // an error here is the client's connection failing: nothing left to tell it
}

// writeError answers with {"error": message}, the body of every error the server gives.
func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}
