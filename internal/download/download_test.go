package download

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zebra-go/zebra/internal/filelock"
)

// entry is one file of a test archive; mode 0 means a regular 0644 file.
type entry struct {
	name string
	body string
	mode fs.FileMode
}

func makeZip(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// server serves archives by path and counts the requests it gets.
type server struct {
	*httptest.Server
	files    map[string][]byte
	requests atomic.Int32
}

func newServer(t *testing.T, files map[string][]byte) *server {
	s := &server{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		body, ok := s.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// tree lists every path under dir (relative, slash-separated), files with their contents.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = ""
		} else {
			b, _ := os.ReadFile(path)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

func keys(m map[string]string) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func TestDatasetDownloadsAndUnpacks(t *testing.T) {
	archive := makeZip(t, []entry{
		{name: "mini/", mode: fs.ModeDir | 0o755},
		{name: "mini/trainA/a.jpg", body: "horse"},
		{name: "mini/trainB/b.jpg", body: "zebra"},
		{name: "mini/testA/c.jpg", body: strings.Repeat("x", 100_000)},
	})
	srv := newServer(t, map[string][]byte{"/datasets/mini.zip": archive})
	dest := filepath.Join(t.TempDir(), "datasets")
	var progress bytes.Buffer
	if err := Dataset(context.Background(), srv.URL+"/datasets/", "mini", dest, &progress); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dest)
	want := map[string]string{
		"mini/": "", "mini/trainA/": "", "mini/trainB/": "", "mini/testA/": "",
		"mini/trainA/a.jpg": "horse", "mini/trainB/b.jpg": "zebra", "mini/testA/c.jpg": strings.Repeat("x", 100_000),
	}
	if len(got) != len(want) {
		t.Fatalf("unpacked %q, want %q (no temporary files left)", keys(got), keys(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s holds %d bytes, want %d", k, len(got[k]), len(v))
		}
	}
	t.Logf("progress output: %q", progress.String())
	if !strings.Contains(progress.String(), "mini.zip") || !strings.Contains(progress.String(), "unpacked 3 files") {
		t.Errorf("progress output %q should show the download and the unpacking", progress.String())
	}

	// A second download into the same place refuses to overwrite, without asking the server.
	before := srv.requests.Load()
	err := Dataset(context.Background(), srv.URL+"/datasets", "mini", dest, nil)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second download: err = %v, want 'already exists'", err)
	}
	if srv.requests.Load() != before {
		t.Error("the second download contacted the server")
	}
}

func TestDatasetUnknownNameNeverAsks(t *testing.T) {
	srv := newServer(t, nil)
	err := Dataset(context.Background(), srv.URL, "../../etc/passwd", t.TempDir(), nil)
	if !errors.Is(err, ErrUnknownDataset) || !strings.Contains(err.Error(), "horse2zebra") {
		t.Errorf("err = %v, want ErrUnknownDataset listing the known names", err)
	}
	if srv.requests.Load() != 0 {
		t.Error("an unknown name reached the server")
	}
}

func TestDataset404(t *testing.T) {
	srv := newServer(t, nil)
	dest := t.TempDir()
	err := Dataset(context.Background(), srv.URL, "horse2zebra", dest, nil)
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), srv.URL+"/horse2zebra.zip") {
		t.Errorf("err = %v, want a 404 naming the URL", err)
	}
	if left := tree(t, dest); len(left) != 0 {
		t.Errorf("a failed download left %q behind", keys(left))
	}
}

// TestDatasetRejectsUnsafeArchives serves archives that try to write outside the target
// folder, or hold links and devices, and checks that nothing at all is written.
func TestDatasetRejectsUnsafeArchives(t *testing.T) {
	cases := []struct {
		name    string
		entries []entry
		says    string
	}{
		{"dotdot", []entry{{name: "mini/a.jpg", body: "ok"}, {name: "../evil", body: "pwned"}}, "unsafe path"},
		{"nested dotdot", []entry{{name: "mini/../../evil", body: "pwned"}}, "unsafe path"},
		{"absolute", []entry{{name: "/tmp/evil", body: "pwned"}}, "unsafe path"},
		{"backslash", []entry{{name: `mini\..\..\evil`, body: "pwned"}}, "unsafe path"},
		{"symlink", []entry{{name: "mini/link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}}, "symbolic link"},
		{"device", []entry{{name: "mini/dev", mode: fs.ModeDevice | 0o644}}, "special file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, map[string][]byte{"/mini.zip": makeZip(t, tc.entries)})
			root := t.TempDir()
			dest := filepath.Join(root, "inner", "datasets")
			err := Dataset(context.Background(), srv.URL, "mini", dest, nil)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want one saying %q", err, tc.says)
			}
			if left := tree(t, root); len(left) != 2 { // inner/ and inner/datasets/ only
				t.Errorf("a refused archive left %q behind", keys(left))
			}
		})
	}
}

func TestUnzipRefusesZipBomb(t *testing.T) {
	// Lower the floor so that a 2 MB run of zeros (about 2 KB packed) counts as a bomb.
	defer func(old int64) { ratioFloor = old }(ratioFloor)
	ratioFloor = 1 << 10
	archive := makeZip(t, []entry{{name: "mini/zeros.jpg", body: string(make([]byte, 2<<20))}})
	dest := t.TempDir()
	_, err := Unzip(context.Background(), bytes.NewReader(archive), int64(len(archive)), dest)
	if err == nil || !strings.Contains(err.Error(), "zip bomb") {
		t.Errorf("err = %v, want a refused zip bomb", err)
	}
	if left := tree(t, dest); len(left) != 0 {
		t.Errorf("left %q behind", keys(left))
	}
}

func TestUnzipTotalSizeAndCountLimits(t *testing.T) {
	defer func(bytes int64, files int) { maxUnpackedBytes, maxFiles = bytes, files }(maxUnpackedBytes, maxFiles)
	archive := makeZip(t, []entry{{name: "m/a", body: "12345"}, {name: "m/b", body: "67890"}})
	maxUnpackedBytes = 9
	if _, err := Unzip(context.Background(), bytes.NewReader(archive), int64(len(archive)), t.TempDir()); err == nil ||
		!strings.Contains(err.Error(), "more than 9 bytes") {
		t.Errorf("10 bytes with a 9-byte limit: err = %v", err)
	}
	maxUnpackedBytes, maxFiles = 1<<20, 1
	if _, err := Unzip(context.Background(), bytes.NewReader(archive), int64(len(archive)), t.TempDir()); err == nil ||
		!strings.Contains(err.Error(), "2 entries") {
		t.Errorf("2 entries with a limit of 1: err = %v", err)
	}
}

func TestUnzipCorruptArchive(t *testing.T) {
	archive := makeZip(t, []entry{{name: "mini/a.jpg", body: strings.Repeat("horse ", 1000)}})
	// Flip a byte in the compressed data (after the 30-byte local header and the name).
	archive[30+len("mini/a.jpg")+5] ^= 0xff
	dest := t.TempDir()
	if _, err := Unzip(context.Background(), bytes.NewReader(archive), int64(len(archive)), dest); err == nil {
		t.Error("a corrupted entry unpacked without error")
	}
	if left := tree(t, dest); len(left) != 0 {
		t.Errorf("left %q behind", keys(left))
	}
	if _, err := Unzip(context.Background(), strings.NewReader("not a zip"), 9, dest); err == nil ||
		!strings.Contains(err.Error(), "not a valid zip") {
		t.Errorf("garbage: err = %v", err)
	}
}

func TestDatasetTruncatedDownload(t *testing.T) {
	archive := makeZip(t, []entry{{name: "mini/a.jpg", body: "horse"}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Promise the whole archive, send half, and hang up.
		w.Header().Set("Content-Length", strconv.Itoa(len(archive)))
		w.Write(archive[:len(archive)/2])
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	dest := t.TempDir()
	err := Dataset(context.Background(), srv.URL, "mini", dest, nil)
	if err == nil {
		t.Fatal("a truncated download succeeded")
	}
	if left := tree(t, dest); len(left) != 0 {
		t.Errorf("left %q behind", keys(left))
	}
}

func TestDatasetCancelled(t *testing.T) {
	srv := newServer(t, map[string][]byte{"/mini.zip": makeZip(t, []entry{{name: "mini/a", body: "x"}})})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Dataset(ctx, srv.URL, "mini", t.TempDir(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNamesAndURL(t *testing.T) {
	if got := URL(DefaultBaseURL, "horse2zebra"); got != "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip" {
		t.Errorf("URL = %s", got)
	}
	n := Names()
	if len(n) != 16 || n[2] != "horse2zebra" {
		t.Errorf("Names() = %q", n)
	}
	n[0] = "changed"
	if Names()[0] == "changed" {
		t.Error("Names returns the package's own slice")
	}
}

// TestDatasetRemovesWhatAKilledDownloadLeft: the partial archive and the unpacking folder of a
// download killed with -9 are removed by the next download; a partial archive that a live
// download holds locked stays.
func TestDatasetRemovesWhatAKilledDownloadLeft(t *testing.T) {
	srv := newServer(t, map[string][]byte{"/mini.zip": makeZip(t, []entry{{name: "mini/trainA/a.jpg", body: "horse"}})})
	dest := t.TempDir()
	for _, name := range []string{".mini.zip.part-123", ".unpack-456/mini/trainA/a.jpg", ".horse2zebra.zip.part-1"} {
		path := filepath.Join(dest, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("left by kill -9"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	live, err := os.Create(filepath.Join(dest, ".mini.zip.part-789"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if ok, err := filelock.TryLock(live); !ok || err != nil {
		t.Fatalf("locking the live partial archive: %v, %v", ok, err)
	}
	if err := Dataset(context.Background(), srv.URL, "mini", dest, nil); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(keys(tree(t, dest)), " ")
	// Another dataset's partial archive is not this download's business.
	if want := ".horse2zebra.zip.part-1 .mini.zip.part-789 mini/ mini/trainA/ mini/trainA/a.jpg"; got != want {
		t.Errorf("after the download the folder holds %s, want %s", got, want)
	}
}

// TestUnzipRefusesManySmallBombs: entries that each stay under the per-entry ratio floor (1 MiB
// of zeros, about 1 KB packed) still add up to a bomb: 300 of them made a 347 KB archive that
// unpacked to 301 MB. The whole archive's ratio is bounded too, before anything is written.
func TestUnzipRefusesManySmallBombs(t *testing.T) {
	var entries []entry
	zeros := string(make([]byte, 1<<20))
	for i := range 40 {
		entries = append(entries, entry{name: "mini/z" + strconv.Itoa(i) + ".jpg", body: zeros})
	}
	archive := makeZip(t, entries)
	dest := t.TempDir()
	_, err := Unzip(context.Background(), bytes.NewReader(archive), int64(len(archive)), dest)
	if err == nil || !strings.Contains(err.Error(), "zip bomb") {
		t.Errorf("%d bytes that unpack to 40 MiB: err = %v, want a refused zip bomb", len(archive), err)
	}
	if left := tree(t, dest); len(left) != 0 {
		t.Errorf("left %d files behind", len(left))
	}
}

// TestDatasetRedirects: a redirect on the same server is followed; one to another server is
// refused with an error naming it, and that server is never asked.
func TestDatasetRedirects(t *testing.T) {
	other := newServer(t, map[string][]byte{"/mini.zip": makeZip(t, []entry{{name: "mini/a.jpg", body: "evil"}})})
	srv := newServer(t, map[string][]byte{"/moved/mini.zip": makeZip(t, []entry{{name: "mini/a.jpg", body: "horse"}})})
	redirects := http.NewServeMux()
	redirects.HandleFunc("/same/mini.zip", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+"/moved/mini.zip", http.StatusFound)
	})
	redirects.HandleFunc("/away/mini.zip", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/mini.zip", http.StatusFound)
	})
	redirects.Handle("/", srv.Config.Handler)
	srv.Config.Handler = redirects

	dest := t.TempDir()
	if err := Dataset(context.Background(), srv.URL+"/same", "mini", dest, nil); err != nil {
		t.Fatalf("a redirect on the same server: %v", err)
	}
	dest = t.TempDir()
	err := Dataset(context.Background(), srv.URL+"/away", "mini", dest, nil)
	if err == nil || !strings.Contains(err.Error(), "another host") {
		t.Errorf("a redirect to another server: %v, want a refusal", err)
	}
	if n := other.requests.Load(); n != 0 {
		t.Errorf("the other server was asked %d times", n)
	}
}
