package serve

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in a registry of its own (not the client
// library's global one, so that two servers in one test binary do not collide). Besides the
// ones below it holds the Go runtime's and the process's standard metrics
// (process_resident_memory_bytes is the RSS).
type metrics struct {
	registry *prometheus.Registry
	// requests counts answered requests by handler and status code.
	requests *prometheus.CounterVec
	// latency is the time from a request's arrival to its answer, by handler.
	latency *prometheus.HistogramVec
	// translate is the generator's time alone, by direction.
	translate *prometheus.HistogramVec
	// dropped counts translate requests that got no translation: "queue_full" (refused at
	// once, 503), "client_gone" (the client left while it waited: never started) and
	// "timeout" (503 once the request's time was up, waiting or running).
	dropped *prometheus.CounterVec
}

// latencyBuckets span a small model on a small image (tens of milliseconds) to the paper's
// model on a 4096x4096 image on the CPU (minutes), in seconds.
var latencyBuckets = prometheus.ExponentialBuckets(0.005, 2.5, 12) // 5 ms ... 298 s

func newMetrics(q *queue) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cyclegan_serve_requests_total",
			Help: "HTTP requests answered, by handler and status code.",
		}, []string{"handler", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cyclegan_serve_request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by handler.",
			Buckets: latencyBuckets,
		}, []string{"handler"}),
		translate: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cyclegan_serve_translation_duration_seconds",
			Help:    "Time the generator took for one image, by direction.",
			Buckets: latencyBuckets,
		}, []string{"direction"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cyclegan_serve_translations_dropped_total",
			Help: "Translate requests that got no translation: queue_full (refused with 503), client_gone (left while waiting, never started), timeout (503 when the request's time was up).",
		}, []string{"reason"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.translate, m.dropped,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cyclegan_serve_queue_depth",
			Help: "Admitted translate requests waiting for a worker.",
		}, func() float64 { return float64(q.waiting.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cyclegan_serve_translations_running",
			Help: "Translations running on the generators now.",
		}, func() float64 { return float64(q.running()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cyclegan_serve_workers",
			Help: "Translations that may run at once (-workers).",
		}, func() float64 { return float64(q.workers) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, reason := range []string{"queue_full", "client_gone", "timeout"} {
		m.dropped.WithLabelValues(reason) // present at 0 from the start, for rate()
	}
	return m
}

// instrument counts h's requests and times them under the handler label name.
func (m *metrics) instrument(name string, h http.HandlerFunc) http.Handler {
	labels := prometheus.Labels{"handler": name}
	return promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(labels),
		promhttp.InstrumentHandlerDuration(m.latency.MustCurryWith(labels), h))
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
