// Package serve is the HTTP server behind cyclegan serve: trained CycleGAN generators behind a
// small JSON API, a web page and Prometheus metrics.
//
//	POST /v1/translate?direction=AtoB|BtoA[&size=N]  image bytes (JPEG or PNG) in, PNG out
//	GET  /                                           a page to try it in a browser (embedded, offline)
//	GET  /healthz                                    200 while serving, 503 once shutting down
//	GET  /v1/info                                    the networks' sizes, directions, device, version
//	GET  /metrics                                    requests, latencies and the queue, for Prometheus
//
// A translation answers with exactly the pixels cyclegan translate writes for the same file:
// both decode with imageio (DecodeWithin is LoadWithin's decoder) and run cyclegan.Translate.
//
// The generators are the scarce resource, so the server guards them with a queue (queue.go):
// at most Workers translations run at once and at most Queue more requests wait; a request
// beyond that is refused at once with 503 and Retry-After rather than piling up, since each
// admitted request holds its body and decoded image. The body and the image's pixels are
// bounded before anything large is allocated (the pixels from the header, as imageio does for
// files). A request whose client goes away, or whose timeout passes, while it waits never
// starts its translation; one already running cannot be interrupted (the generator's forward
// has no cancellation points) and finishes in the background, holding its worker, but its
// answer is dropped. Every error a client can cause is a 4xx with a JSON body {"error": "..."}.
package serve
