package safetensors

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckDigests: the digests of a file's tensors match after a round trip; a byte changed in
// one tensor's data is reported by name, unless want skips that tensor; a tensor without a
// digest and unreadable digests are errors too, all wrapping ErrDamaged.
func TestCheckDigests(t *testing.T) {
	tensors := sampleTensors()
	digests := Digests(tensors)
	f, err := Decode(encode(t, tensors, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.CheckDigests(digests, nil); err != nil {
		t.Fatalf("intact file: %v", err)
	}
	victim := f.Tensors[0]
	if len(victim.Data) == 0 {
		t.Fatalf("sample tensor %s has no data to damage", victim.Name)
	}
	victim.Data[len(victim.Data)-1] ^= 0x80
	err = f.CheckDigests(digests, nil)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), `"`+victim.Name+`"`) || strings.Count(err.Error(), "(SHA-256 ") != 1 {
		t.Errorf("one damaged tensor %s: %v, want ErrDamaged naming it alone", victim.Name, err)
	}
	if err := f.CheckDigests(digests, func(name string) bool { return name != victim.Name }); err != nil {
		t.Errorf("damaged tensor %s not wanted: %v", victim.Name, err)
	}
	if err := f.CheckDigests(Digests(tensors[1:]), nil); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "no recorded SHA-256") {
		t.Errorf("a tensor without a digest: %v", err)
	}
	if err := f.CheckDigests(`{"x":`, nil); !errors.Is(err, ErrDamaged) {
		t.Errorf("unreadable digests: %v", err)
	}
}
