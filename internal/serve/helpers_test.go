package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

// testGenerators returns two small generators (ngf 4, 1 block) with different weights.
func testGenerators(ngf, blocks int) map[cyclegan.Direction]*cyclegan.ResnetGenerator {
	return map[cyclegan.Direction]*cyclegan.ResnetGenerator{
		cyclegan.AtoB: cyclegan.NewResnetGenerator(tensor.NewRNG(1), ngf, blocks),
		cyclegan.BtoA: cyclegan.NewResnetGenerator(tensor.NewRNG(2), ngf, blocks),
	}
}

// newTestServer serves cfg (with testGenerators when it has none) on a loopback httptest server.
func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Generators == nil {
		cfg.Generators = testGenerators(4, 1)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// testImage returns a w x h image of smooth colour gradients with some texture, opaque.
func testImage(w, h int, seed int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			img.Pix[i] = uint8(x * 255 / max(1, w-1))
			img.Pix[i+1] = uint8(y * 255 / max(1, h-1))
			img.Pix[i+2] = uint8((x*y + seed*40) % 256)
			img.Pix[i+3] = 255
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngClaiming returns a valid PNG header (signature and IHDR, with a correct checksum) that
// claims a w x h RGBA image, followed by nothing: a decompression bomb's first bytes, which is
// all a header check reads.
func pngClaiming(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8 bits, RGBA
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// post sends body to the server's translate endpoint with query and contentType ("" for none).
func post(t *testing.T, ts *httptest.Server, query, contentType string, body []byte) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/translate?"+query, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// readPNG reads a 200 answer's PNG, failing the test on any other answer.
func readPNG(t *testing.T, resp *http.Response) *image.RGBA {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s: %s", resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type %q, want image/png", ct)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rgba, ok := img.(*image.RGBA)
	if !ok {
		t.Fatalf("the PNG decodes to %T, want *image.RGBA (opaque RGB)", img)
	}
	return rgba
}

// readError reads an error answer: it must have status want and a JSON body with a non-empty
// "error", which it returns.
func readError(t *testing.T, resp *http.Response, want int) string {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Errorf("status %s, want %d: %s", resp.Status, want, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e struct{ Error string }
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Errorf("body %q: want JSON {\"error\": \"...\"}", body)
	}
	return e.Error
}

// heldTranslations replaces a server's generator by one that blocks until released, to hold
// its workers busy; it counts the translations that started.
type heldTranslations struct {
	started atomic.Int64
	release chan struct{}
	once    sync.Once
}

func holdTranslations(s *Server) *heldTranslations {
	h := &heldTranslations{release: make(chan struct{})}
	s.translate = func(_ *cyclegan.ResnetGenerator, img *image.RGBA) *image.RGBA {
		h.started.Add(1)
		<-h.release
		return img
	}
	return h
}

// releaseAll lets every held and future translation finish.
func (h *heldTranslations) releaseAll() { h.once.Do(func() { close(h.release) }) }

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// get fetches path from the server and returns the answer with its whole body, closed.
func get(t *testing.T, ts *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := ts.Client().Get(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// metricsText returns the server's /metrics page.
func metricsText(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	_, body := get(t, ts, "/metrics")
	return string(body)
}

// hasMetric reports whether the metrics text has the line "name value".
func hasMetric(text, nameAndLabels, value string) bool {
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == nameAndLabels+" "+value {
			return true
		}
	}
	return false
}
