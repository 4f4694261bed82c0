package safetensors

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zebra-go/zebra/internal/atomicfile"
)

// ReadFile reads and decodes the safetensors file at path, which must be a regular file (not a
// folder, a FIFO or a device). It checks the header length against the file's real size before
// reading the rest, so a corrupt length can neither trigger a huge allocation nor a long read.
// Errors about the file's contents wrap ErrInvalid and name path.
func ReadFile(path string) (*File, error) {
	fd, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()

	var prefix [9]byte // the header length and the header's first byte
	n, err := io.ReadFull(fd, prefix[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
	}
	if _, err := readHeaderLength(prefix[:n], size); err != nil {
		return nil, withPath(err, path)
	}

	// The size comes from the file system, not from the file's contents, so it is safe to
	// allocate. Read exactly that many bytes and make sure the file did not change under us.
	data := make([]byte, size)
	copy(data, prefix[:n])
	if _, err := io.ReadFull(fd, data[n:]); err != nil {
		return nil, fmt.Errorf("safetensors: read %s: %w (did the file shrink while being read?)", path, err)
	}
	var extra [1]byte
	if n, _ := fd.Read(extra[:]); n != 0 {
		return nil, fmt.Errorf("safetensors: read %s: file grew while being read", path)
	}
	f, err := Decode(data)
	if err != nil {
		return nil, withPath(err, path)
	}
	return f, nil
}

// openRegular opens path for reading if it is a regular file (not a folder, a FIFO or a device)
// and returns its size. It looks before opening, since opening a FIFO (or a device) for reading
// can wait for a writer for ever, and again on the open file, in case path changed in between.
func openRegular(path string) (*os.File, int64, error) {
	if info, err := os.Stat(path); err != nil {
		return nil, 0, fmt.Errorf("safetensors: %w", err)
	} else if !info.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("safetensors: %s is not a regular file (%v)", path, info.Mode().Type())
	}
	fd, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("safetensors: %w", err)
	}
	info, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, 0, fmt.Errorf("safetensors: %w", err)
	}
	if !info.Mode().IsRegular() {
		fd.Close()
		return nil, 0, fmt.Errorf("safetensors: %s is not a regular file", path)
	}
	return fd, info.Size(), nil
}

// withPath adds path to an invalidError's message.
func withPath(err error, path string) error {
	var inv *invalidError
	if errors.As(err, &inv) {
		return &invalidError{path: path, msg: inv.msg, foreign: inv.foreign}
	}
	return fmt.Errorf("safetensors: %s: %w", path, err)
}

// WriteFile writes tensors and metadata to path atomically (package atomicfile): it encodes into a
// temporary file in the same directory, syncs it, renames it over path and syncs the directory. A
// crash or an error at any point leaves either the old file or the complete new one under path,
// never a mix, and the temporary file is removed on error. The new file gets mode 0644.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	// Check the tensors before touching the file system, so invalid input creates nothing.
	if _, err := checkTensors(tensors); err != nil {
		return err
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return Encode(w, tensors, metadata)
	})
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// ReadMetadata reads only the header of the safetensors file at path and returns its
// __metadata__ (empty when it has none): what a caller needs to tell files apart (a full checkpoint
// from a weights-only one) without reading a few hundred megabytes of tensors. The header is
// checked as ReadFile checks it.
func ReadMetadata(path string) (map[string]string, error) {
	fd, size, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	var prefix [9]byte
	n, err := io.ReadFull(fd, prefix[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
	}
	headerLen, err := readHeaderLength(prefix[:n], size)
	if err != nil {
		return nil, withPath(err, path)
	}
	header := make([]byte, headerLen) // at most MaxHeaderSize, and no more than the file holds
	if _, err := fd.ReadAt(header, 8); err != nil {
		return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
	}
	f, _, err := parseHeader(header)
	if err != nil {
		return nil, withPath(err, path)
	}
	return f.Metadata, nil
}
