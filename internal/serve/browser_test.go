package serve

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshotEnv names a path where TestPageInBrowser leaves its screenshot, to look at.
const screenshotEnv = "ZEBRA_SERVE_SCREENSHOT"

// chromium returns the path of a Chromium or Chrome binary, or skips the test saying where it
// looked.
func chromium(t *testing.T) string {
	if path := os.Getenv("ZEBRA_CHROMIUM"); path != "" {
		return path
	}
	names := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skipf("no Chromium: looked for $ZEBRA_CHROMIUM and for %s on PATH (Debian: apt-get install chromium, as .ci/run does)", strings.Join(names, ", "))
	return ""
}

// TestPageInBrowser drives the page in headless Chromium as a user would: it chooses an image
// through the file input and waits for the translation. The translation shown must have the
// input's size, and its pixels, drawn onto a canvas in the page, must be those of the API's PNG
// for the same image. (The page's Content-Security-Policy keeps it from fetching its own blob:
// URLs, so the pixels shown are compared rather than the bytes received.) The screenshot goes to $ZEBRA_SERVE_SCREENSHOT when set.
func TestPageInBrowser(t *testing.T) {
	browser := chromium(t)
	_, ts := newTestServer(t, Config{Generators: testGenerators(8, 2), Device: "cpu"})
	dir := t.TempDir()
	input := filepath.Join(dir, "horse.png")
	body := encodePNG(t, testImage(96, 64, 1))
	if err := os.WriteFile(input, body, 0o644); err != nil {
		t.Fatal(err)
	}
	want := readPNG(t, post(t, ts, "direction=BtoA", "image/png", body))

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1000, 560),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#direction option").length === 2`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.SetValue(chromedp.CSS("#direction"), "BtoA"),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{input}),
		chromedp.Poll[chromedp.Void](`document.body.dataset.state === "done" || document.body.dataset.state === "error"`, chromedp.WithPollingTimeout(60*time.Second)),
	); err != nil {
		t.Fatalf("driving Chromium (%s): %v", browser, err)
	}
	state := inBrowser(t, ctx, chromedp.Evaluate[string](`document.body.dataset.state`))
	status := inBrowser(t, ctx, chromedp.Text(chromedp.CSS("#status")))
	caption := inBrowser(t, ctx, chromedp.Text(chromedp.CSS("#output-caption")))
	size := inBrowser(t, ctx, chromedp.Evaluate[[]int](`[output.naturalWidth, output.naturalHeight, input.naturalWidth, input.naturalHeight]`))
	// The pixels the page shows, drawn onto a canvas at their natural size.
	canvasPixels := inBrowser(t, ctx, chromedp.Evaluate[[]int](`(() => {
		const c = document.createElement("canvas");
		c.width = output.naturalWidth; c.height = output.naturalHeight;
		const g = c.getContext("2d");
		g.drawImage(output, 0, 0);
		return Array.from(g.getImageData(0, 0, c.width, c.height).data);
	})()`))
	shot := inBrowser(t, ctx, chromedp.FullScreenshot(100))
	if path := os.Getenv(screenshotEnv); path != "" {
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot in %s", path)
	}
	if state != "done" {
		t.Fatalf("the page ended in state %q: %s", state, status)
	}
	if !strings.Contains(status, "took") || !strings.Contains(status, "ms") {
		t.Errorf("status %q does not say how long it took", status)
	}
	if !strings.Contains(caption, "BtoA") || !strings.Contains(caption, "96×64") {
		t.Errorf("caption %q, want the direction and 96×64", caption)
	}
	if len(size) != 4 || size[0] != 96 || size[1] != 64 || size[2] != 96 || size[3] != 64 {
		t.Fatalf("output and input natural sizes %v, want 96x64 both", size)
	}
	if len(canvasPixels) != len(want.Pix) {
		t.Fatalf("the canvas holds %d values, want %d", len(canvasPixels), len(want.Pix))
	}
	for i, v := range canvasPixels {
		if v != int(want.Pix[i]) {
			t.Fatalf("the image shown differs from the API's at value %d (pixel %d): %d, want %d", i, i/4, v, want.Pix[i])
		}
	}

	// Dropping a JPEG on the drop zone, as a drag from the desktop does, translates it in the
	// direction chosen now.
	dropped := base64.StdEncoding.EncodeToString(encodeJPEG(t, testImage(40, 30, 2)))
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#direction"), "AtoB"),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const bytes = Uint8Array.from(atob("`+dropped+`"), (c) => c.charCodeAt(0));
			const files = new DataTransfer();
			files.items.add(new File([bytes], "dropped.jpg", { type: "image/jpeg" }));
			drop.dispatchEvent(new DragEvent("drop", { dataTransfer: files, bubbles: true, cancelable: true }));
		})()`),
		chromedp.Poll[chromedp.Void](`document.body.dataset.state === "done" || document.body.dataset.state === "error"`, chromedp.WithPollingTimeout(60*time.Second)),
	); err != nil {
		t.Fatalf("dropping a file: %v", err)
	}
	caption = inBrowser(t, ctx, chromedp.Text(chromedp.CSS("#output-caption")))
	if state := inBrowser(t, ctx, chromedp.Evaluate[string](`document.body.dataset.state`)); state != "done" || caption != "AtoB, 40×30" {
		t.Errorf("after the drop: state %q, caption %q, want done and \"AtoB, 40×30\"", state, caption)
	}
}

// inBrowser runs one action in the browser and returns its value, failing the test on error.
func inBrowser[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("in Chromium: %v", err)
	}
	return v
}
