package safetensors

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrDamaged is wrapped by the errors of CheckDigests: a tensor's data is not what was written
// (a bit flipped on a disk or in a copy), or the digests themselves are unreadable.
var ErrDamaged = errors.New("damaged safetensors data")

// Digests returns the SHA-256 of each tensor's data, in hex, as a JSON object from tensor name to
// digest, for the metadata of the file that holds the tensors. A digest per tensor, rather than
// one over the whole buffer, lets CheckDigests say which tensor is damaged, and lets a reader
// check only the tensors it uses. The digests cover the data only: a damaged header shows as a
// layout that Decode refuses, or as a tensor whose data no longer matches.
func Digests(tensors []Tensor) string {
	digests := make(map[string]string, len(tensors))
	for _, t := range tensors {
		sum := sha256.Sum256(t.Data)
		digests[t.Name] = hex.EncodeToString(sum[:])
	}
	data, _ := json.Marshal(digests) // a map of strings always marshals; keys come out sorted
	return string(data)
}

// CheckDigests compares the data of the tensors of f for which want is true (every tensor when
// want is nil) with digests, as written by Digests. The error wraps ErrDamaged and names the
// damaged tensors (up to five of them, and how many in all), or a tensor without a digest.
func (f *File) CheckDigests(digests string, want func(name string) bool) error {
	var recorded map[string]string
	if err := json.Unmarshal([]byte(digests), &recorded); err != nil {
		return fmt.Errorf("%w: the SHA-256 digests of the tensors do not read as a JSON object: %v", ErrDamaged, err)
	}
	var damaged []string
	for _, t := range f.Tensors {
		if want != nil && !want(t.Name) {
			continue
		}
		hexSum, ok := recorded[t.Name]
		if !ok {
			return fmt.Errorf("%w: tensor %q has no recorded SHA-256 (was it renamed?)", ErrDamaged, t.Name)
		}
		sum := sha256.Sum256(t.Data)
		if got := hex.EncodeToString(sum[:]); got != hexSum {
			damaged = append(damaged, fmt.Sprintf("%q (SHA-256 %s, recorded %s)", t.Name, got, hexSum))
		}
	}
	if len(damaged) == 0 {
		return nil
	}
	shown := damaged[:min(len(damaged), 5)]
	more := ""
	if len(damaged) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(damaged)-len(shown))
	}
	return fmt.Errorf("%w: %d tensor(s) do not match the SHA-256 recorded when the file was written: %s%s",
		ErrDamaged, len(damaged), strings.Join(shown, ", "), more)
}
