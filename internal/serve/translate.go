package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// maxSize bounds size=N, as cyclegan translate bounds -resize.
const maxSize = 1 << 15

// handleTranslate answers POST /v1/translate?direction=AtoB|BtoA[&size=N]: the body is a JPEG
// or PNG image, the answer its translation as PNG, of the same size (or of the size that
// size=N resized it to). Everything that can be checked from the URL and the headers is
// checked before the queue is asked for a place, and the body's size and the image's pixels
// before the image is decoded.
func (s *Server) handleTranslate(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	if !allowMethod(w, r, http.MethodPost) {
		return
	}
	d, g, err := s.generator(r.URL.Query().Get("direction"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	size, err := parseSize(r.URL.Query().Get("size"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if err := checkDeclaredType(r.Header.Get("Content-Type")); err != nil {
		writeError(w, http.StatusUnsupportedMediaType, "%v", err)
		return
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "the body is %d bytes, more than the %d allowed (-max-body)", r.ContentLength, s.cfg.MaxBodyBytes)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()

	t, ok := s.queue.admit()
	if !ok {
		s.metrics.dropped.WithLabelValues("queue_full").Inc()
		w.Header().Set("Retry-After", strconv.Itoa(s.queue.retryAfter()))
		writeError(w, http.StatusServiceUnavailable, "busy: %d translations running and %d waiting, the most the server takes (-workers %d, -queue %d); retry later",
			s.queue.running(), s.queue.waiting.Load(), s.cfg.Workers, s.cfg.Queue)
		return
	}
	defer t.done()
	img, status, err := s.readImage(w, r, size)
	if err != nil {
		writeError(w, status, "%v", err)
		return
	}

	var out *image.RGBA
	var took time.Duration
	var crash any
	queued := time.Now()
	done, err := t.run(ctx, func() {
		defer func() { crash = recover() }() // a failing device must not take the server down
		start := time.Now()
		out = s.translate(g, img)
		took = time.Since(start)
		s.metrics.translate.WithLabelValues(string(d)).Observe(took.Seconds())
	})
	if err == nil {
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if err != nil {
		s.timedOut(w, r, err, done == nil)
		return
	}
	if crash != nil {
		writeError(w, http.StatusInternalServerError, "the translation failed: %v", crash)
		return
	}
	var png bytes.Buffer
	if err := imageio.EncodePNG(&png, out); err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the translation: %v", err)
		return
	}
	b := out.Bounds()
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(png.Len()))
	w.Header().Set("X-Image-Size", fmt.Sprintf("%dx%d", b.Dx(), b.Dy()))
	// Server-Timing (a W3C header browsers show in their developer tools) splits the time:
	// waiting for a worker, the generator, and everything from arrival to the answer.
	w.Header().Set("Server-Timing", fmt.Sprintf("queue;dur=%.1f, translate;dur=%.1f, total;dur=%.1f",
		ms(time.Since(queued)-took), ms(took), ms(time.Since(arrived))))
	w.WriteHeader(http.StatusOK)
	w.Write(png.Bytes())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timedOut answers a request whose context ended: its client went away (no one to answer,
// counted only) or its time ran out (503). waiting says whether it ended before the
// translation started; one that ended after goes on in the background.
func (s *Server) timedOut(w http.ResponseWriter, r *http.Request, err error, waiting bool) {
	if r.Context().Err() != nil {
		s.metrics.dropped.WithLabelValues("client_gone").Inc()
		return
	}
	s.metrics.dropped.WithLabelValues("timeout").Inc()
	w.Header().Set("Retry-After", strconv.Itoa(s.queue.retryAfter()))
	if waiting {
		writeError(w, http.StatusServiceUnavailable, "timed out after %v waiting for a worker (-timeout); retry later", s.cfg.Timeout)
		return
	}
	writeError(w, http.StatusServiceUnavailable, "the translation took longer than %v (-timeout): try a smaller image or size=N", s.cfg.Timeout)
}

// generator parses a direction in any case and returns its generator.
func (s *Server) generator(direction string) (cyclegan.Direction, *cyclegan.ResnetGenerator, error) {
	if direction == "" {
		return "", nil, fmt.Errorf("missing direction: add ?direction= with one of %s", strings.Join(s.info.Directions, ", "))
	}
	for _, d := range []cyclegan.Direction{cyclegan.AtoB, cyclegan.BtoA} {
		if !strings.EqualFold(direction, string(d)) {
			continue
		}
		g := s.cfg.Generators[d]
		if g == nil {
			return "", nil, fmt.Errorf("direction %s: the checkpoint %s has no generator for it, only %s", d, s.cfg.Checkpoint, strings.Join(s.info.Directions, ", "))
		}
		return d, g, nil
	}
	return "", nil, fmt.Errorf("direction %q: want AtoB or BtoA (in any case)", direction)
}

// parseSize reads size=N, the length to scale the longer side to; 0 when absent.
func parseSize(text string) (int, error) {
	if text == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > maxSize {
		return 0, fmt.Errorf("size=%s: want the longer side's length in pixels, 1 to %d", text, maxSize)
	}
	return n, nil
}

// checkDeclaredType refuses a body declared as something the server cannot read: an image
// type other than JPEG or PNG, or a multipart form. The format is taken from the bytes, as
// imageio takes a file's, so any other type (none, application/octet-stream, or curl's default
// for --data-binary, application/x-www-form-urlencoded) leaves the bytes to tell.
func checkDeclaredType(contentType string) error {
	if contentType == "" {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("Content-Type %q does not parse: send image/jpeg or image/png", contentType)
	}
	switch {
	case mediaType == "image/jpeg" || mediaType == "image/png" || mediaType == "image/jpg":
		return nil
	case strings.HasPrefix(mediaType, "image/"):
		return fmt.Errorf("unsupported image format %s: send JPEG or PNG", mediaType)
	case strings.HasPrefix(mediaType, "multipart/"):
		return fmt.Errorf("Content-Type %s: send the image's bytes as the body, not a form", mediaType)
	}
	return nil
}

// readImage reads the body and decodes it into an RGB image, resized when size > 0. On error
// it returns the status to answer with.
func (s *Server) readImage(w http.ResponseWriter, r *http.Request, size int) (*image.RGBA, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLong *http.MaxBytesError
		if errors.As(err, &tooLong) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the body is more than the %d bytes allowed (-max-body)", s.cfg.MaxBodyBytes)
		}
		return nil, http.StatusBadRequest, fmt.Errorf("reading the body: %v", err)
	}
	if len(body) == 0 {
		return nil, http.StatusBadRequest, errors.New("the body is empty: send a JPEG or PNG image's bytes")
	}
	if sniffed := http.DetectContentType(body); sniffed != "image/jpeg" && sniffed != "image/png" {
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("the body is not a JPEG or PNG image (its first bytes look like %s)", sniffed)
	}
	decoded, err := imageio.DecodeWithin("in the body", bytes.NewReader(body), s.cfg.MaxPixels)
	if err != nil {
		var large *imageio.TooLargeError
		if errors.As(err, &large) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the %s image is %dx%d, %d pixels, more than the %d allowed (-max-pixels)",
				large.Format, large.Width, large.Height, int64(large.Width)*int64(large.Height), s.cfg.MaxPixels)
		}
		return nil, http.StatusBadRequest, err
	}
	img := imageio.ToRGB(decoded)
	if size == 0 {
		return img, 0, nil
	}
	w0, h0 := img.Bounds().Dx(), img.Bounds().Dy()
	rw, rh := longerSideTo(w0, h0, size)
	if int64(rw)*int64(rh) > s.cfg.MaxPixels {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("size=%d makes the %dx%d image %dx%d, %d pixels, more than the %d allowed (-max-pixels)",
			size, w0, h0, rw, rh, int64(rw)*int64(rh), s.cfg.MaxPixels)
	}
	if rw == w0 && rh == h0 {
		return img, 0, nil
	}
	return imageio.ResizeBicubic(img, rw, rh), 0, nil
}

// longerSideTo returns the size of a w x h image scaled so that its longer side is n pixels,
// keeping the aspect ratio; the shorter side is rounded to the nearest pixel (at least 1).
func longerSideTo(w, h, n int) (int, int) {
	if w >= h {
		return n, max(1, int(math.Round(float64(h)*float64(n)/float64(w))))
	}
	return max(1, int(math.Round(float64(w)*float64(n)/float64(h)))), n
}
