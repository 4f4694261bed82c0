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

func TestBestAndRunnable(t *testing.T) {
	levels := []Level{AVX512, AVX2, Generic}
	id := func(l Level) Level { return l }
	if got := Best(levels, id, Generic); got != Active() {
		t.Errorf("Best = %s, want the active level %s", got, Active())
	}
	if got := Best([]Level{}, id, AVX2); got != AVX2 {
		t.Errorf("Best of nothing = %s, want the fallback", got)
	}
	got := Runnable(levels, id)
	if len(got) == 0 || got[len(got)-1] != Generic {
		t.Fatalf("Runnable = %v, want generic last", got)
	}
	for _, l := range got {
		if !Has(l) {
			t.Errorf("Runnable lists %s, which this CPU lacks", l)
		}
	}
	if len(got) != int(Supported())+1 {
		t.Errorf("Runnable = %v, want every level up to %s", got, Supported())
	}
}

func TestNamesAndFind(t *testing.T) {
	levels := []Level{AVX512, AVX2, Generic}
	id := func(l Level) Level { return l }
	names := Names(levels, id, Level.String)
	if len(names) != int(Supported())+1 || names[len(names)-1] != "generic" {
		t.Errorf("Names = %v, want every level up to %s, generic last", names, Supported())
	}
	for _, l := range levels {
		got, ok := Find(levels, id, Level.String, l.String())
		if ok != Has(l) || (ok && got != l) {
			t.Errorf("Find(%s) = %s, %v; this CPU has it: %v", l, got, ok, Has(l))
		}
	}
	if _, ok := Find(levels, id, Level.String, "sse2"); ok {
		t.Error("Find found a level that is not in the list")
	}
}
