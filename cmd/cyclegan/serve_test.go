package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/internal/serve"
)

// TestServeUsageErrors: flags that cannot work are usage errors (exit status 2), before any
// checkpoint is read.
func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "-checkpoint", "x.safetensors", "extra"},
		{"serve", "-checkpoint", "x.safetensors", "-workers", "0"},
		{"serve", "-checkpoint", "x.safetensors", "-queue", "-1"},
		{"serve", "-checkpoint", "x.safetensors", "-max-pixels", "0"},
		{"serve", "-checkpoint", "x.safetensors", "-max-body", "0"},
		{"serve", "-checkpoint", "x.safetensors", "-timeout", "0s"},
		{"serve", "-checkpoint", "x.safetensors", "-direction", "up"},
	} {
		out, err := runCyclegan(t, "", "", args...).CombinedOutput()
		if status := exitStatus(t, err); status != 2 {
			t.Errorf("%q: exit status %d, want 2: %s", args, status, out)
		}
	}
	out, err := runCyclegan(t, "", "", "serve", "-checkpoint", filepath.Join(t.TempDir(), "missing.safetensors")).CombinedOutput()
	if status := exitStatus(t, err); status != 1 || !strings.Contains(string(out), "does not exist") {
		t.Errorf("missing checkpoint: exit status %d: %s", status, out)
	}
}

// servingProcess runs cyclegan serve with args on a free loopback port and returns the process
// and the server's URL, read from the line it prints once it listens.
func servingProcess(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := runCyclegan(t, "", "", append([]string{"serve", "-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	var rest bytes.Buffer
	go func() {
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			select {
			case lines <- scanner.Text():
			default:
				rest.WriteString(scanner.Text() + "\n")
			}
		}
		close(lines)
	}()
	listening := regexp.MustCompile(`at (http://127\.0\.0\.1:[0-9]+)/`)
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("cyclegan serve exited before it listened")
			}
			if m := listening.FindStringSubmatch(line); m != nil {
				go func() {
					for line := range lines {
						rest.WriteString(line + "\n")
					}
				}()
				return cmd, m[1], &rest
			}
			t.Logf("serve: %s", line)
		case <-timeout:
			t.Fatal("cyclegan serve did not say where it listens within 60 s")
		}
	}
}

// TestServeAnswersWhatTranslateWrites runs cyclegan serve on a training checkpoint's
// generators: /v1/info reports both directions and the file's SHA-256, each direction answers
// with exactly the pixels of the _fake.png that cyclegan translate writes for the same file,
// and SIGTERM stops the server with status 0. A bare generator state dict serves one direction.
func TestServeAnswersWhatTranslateWrites(t *testing.T) {
	dir := t.TempDir()
	checkpoint, _ := tinyGenerators(t, dir)
	input := filepath.Join(dir, "horse.png")
	writePNG(t, input, 45, 30, true)
	body, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	cmd, url, stderr := servingProcess(t, "-checkpoint", checkpoint)

	var info serve.Info
	getJSON(t, url+"/v1/info", &info)
	data, err := os.ReadFile(checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(data)
	if strings.Join(info.Directions, ",") != "AtoB,BtoA" || info.NGF != 8 || info.Blocks != 2 || info.Device != "cpu" ||
		info.CheckpointSHA256 != hex.EncodeToString(digest[:]) || info.Version["cyclegan"] == "" || info.Version["go"] == "" {
		t.Errorf("/v1/info: %+v", info)
	}
	for _, direction := range []string{"AtoB", "BtoA"} {
		out := filepath.Join(dir, "translated-"+direction)
		if msg, err := runCyclegan(t, "", "", "translate", "-checkpoint", checkpoint, "-direction", direction, "-out", out, input).CombinedOutput(); err != nil {
			t.Fatalf("translate: %v: %s", err, msg)
		}
		want, err := imageio.LoadRGB(filepath.Join(out, "horse_fake.png"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(url+"/v1/translate?direction="+direction, "image/png", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got := decodePNGAnswer(t, resp)
		if got.Bounds() != want.Bounds() || !bytes.Equal(imageio.ToRGB(got).Pix, want.Pix) {
			t.Errorf("%s: the served pixels differ from cyclegan translate's", direction)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if status := exitStatus(t, cmd.Wait()); status != 0 {
		t.Errorf("after SIGTERM: exit status %d, want 0", status)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("after SIGTERM it printed %q", stderr.String())
	}

	bare := filepath.Join(dir, "g_b.safetensors")
	if msg, err := runCyclegan(t, "", "", "export", "-checkpoint", checkpoint, "-format", "safetensors", "-direction", "BtoA", "-out", bare).CombinedOutput(); err != nil {
		t.Fatalf("export: %v: %s", err, msg)
	}
	_, url, _ = servingProcess(t, "-checkpoint", bare, "-direction", "btoa")
	getJSON(t, url+"/v1/info", &info)
	if strings.Join(info.Directions, ",") != "BtoA" {
		t.Errorf("a bare G_B serves %v, want BtoA alone", info.Directions)
	}
	resp, err := http.Post(url+"/v1/translate?direction=AtoB", "image/png", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("AtoB from a bare G_B: status %s, want 400", resp.Status)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func decodePNGAnswer(t *testing.T, resp *http.Response) image.Image {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s: %s", resp.Status, body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
