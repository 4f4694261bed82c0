package cpu

import "testing"

func TestParseLevelRoundTrip(t *testing.T) {
	for _, l := range []Level{Generic, AVX2, AVX512} {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", l.String(), got, err, l)
		}
	}
	if _, err := ParseLevel("sse9"); err == nil {
		t.Error("ParseLevel(\"sse9\") succeeded; want an error")
	}
}

func TestLadder(t *testing.T) {
	if !Has(Generic) {
		t.Error("Has(Generic) = false")
	}
	if Has(AVX512) && !Has(AVX2) {
		t.Error("AVX512 reported without AVX2")
	}
	if s := Supported(); !Has(s) || Missing(s) != "" {
		t.Errorf("Supported() = %v but Has = %v, Missing = %q", s, Has(s), Missing(s))
	}
	if Active() > Supported() {
		t.Errorf("Active() = %v above Supported() = %v", Active(), Supported())
	}
	t.Logf("supported %v, active %v %s", Supported(), Active(), Note())
}
