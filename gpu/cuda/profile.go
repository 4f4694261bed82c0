package cuda

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// KernelTime is the GPU time that one kernel (or one shape of cuBLAS product) took during a
// kernel profile, summed over its launches.
type KernelTime struct {
	Name     string // the kernel's name, or "cublas MxNxK" in the column-major terms cuBLAS sees
	Launches int
	Time     time.Duration
}

// kernelProfile times every launch between two CUDA events on the stream. It is touched only on
// the CUDA thread.
type kernelProfile struct {
	free    []uintptr // recorded and read events, for reuse
	pending []timedLaunch
	totals  map[string]*KernelTime
	err     error // the first failed event call; the profile then reports it
}

type timedLaunch struct {
	name       string
	start, end uintptr
}

// maxPending bounds the events in flight: past it the profile waits for the oldest and reads
// them, which costs a host-device synchronization every so many launches.
const maxPending = 4096

// StartKernelProfile starts timing every kernel launch and cuBLAS call on the GPU, for
// StopKernelProfile to report. Each launch gets an event before and after it, which adds a little
// GPU time of its own and a synchronization every few thousand launches, so the total of a
// profiled run is slightly above an unprofiled one; the shares are what it is for.
func (b *Backend) StartKernelProfile() error {
	d := b.Driver().(*driver)
	if d.cu.EventCreate == nil {
		return errors.New(d.Name() + ": the CUDA driver has no event API to time kernels with")
	}
	d.do(func() { d.prof = &kernelProfile{totals: map[string]*KernelTime{}} })
	return nil
}

// StopKernelProfile waits for the queued work, stops the profile and returns the GPU time of each
// kernel, most first.
func (b *Backend) StopKernelProfile() ([]KernelTime, error) {
	d := b.Driver().(*driver)
	var times []KernelTime
	var err error
	d.do(func() {
		p := d.prof
		if p == nil {
			err = errors.New(d.Name() + ": StopKernelProfile without StartKernelProfile")
			return
		}
		d.prof = nil
		d.harvest(p, len(p.pending))
		for _, t := range p.totals {
			times = append(times, *t)
		}
		err = p.err
	})
	slices.SortFunc(times, func(a, b KernelTime) int { return cmp.Compare(b.Time, a.Time) })
	return times, err
}

// beginTimed records the event before a launch when a profile is on, and returns the profile's
// handle for endTimed, or nil (then the caller skips endTimed, and nothing is allocated: launches
// are the hot path). It runs on the CUDA thread.
func (d *driver) beginTimed() *timedStart {
	p := d.prof
	if p == nil || p.err != nil {
		return nil
	}
	start := d.event(p)
	d.record(p, start)
	return &timedStart{p, start}
}

// timedStart is a launch's start event in its profile.
type timedStart struct {
	p     *kernelProfile
	event uintptr
}

// endTimed records the event after the launch that start began and books it under name.
func (d *driver) endTimed(start *timedStart, name string) {
	p := start.p
	end := d.event(p)
	d.record(p, end)
	p.pending = append(p.pending, timedLaunch{name: name, start: start.event, end: end})
	if len(p.pending) >= maxPending {
		d.harvest(p, maxPending/2)
	}
}

func (d *driver) event(p *kernelProfile) uintptr {
	if n := len(p.free); n > 0 {
		e := p.free[n-1]
		p.free = p.free[:n-1]
		return e
	}
	var e uintptr
	if err := d.cu.check("cuEventCreate", d.cu.EventCreate(&e, 0)); err != nil && p.err == nil {
		p.err = err
	}
	return e
}

func (d *driver) record(p *kernelProfile, e uintptr) {
	if err := d.cu.check("cuEventRecord", d.cu.EventRecord(e, 0)); err != nil && p.err == nil {
		p.err = err
	}
}

// harvest waits for the end event of the n oldest timed launches and adds their times up.
func (d *driver) harvest(p *kernelProfile, n int) {
	if n == 0 {
		return
	}
	if err := d.cu.check("cuEventSynchronize", d.cu.EventSynchronize(p.pending[n-1].end)); err != nil {
		if p.err == nil {
			p.err = err
		}
		p.pending = p.pending[n:]
		return
	}
	for _, l := range p.pending[:n] {
		var ms float32
		if err := d.cu.check("cuEventElapsedTime", d.cu.EventElapsedTime(&ms, l.start, l.end)); err != nil {
			if p.err == nil {
				p.err = err
			}
			continue
		}
		t := p.totals[l.name]
		if t == nil {
			t = &KernelTime{Name: l.name}
			p.totals[l.name] = t
		}
		t.Launches++
		t.Time += time.Duration(float64(ms) * float64(time.Millisecond))
		p.free = append(p.free, l.start, l.end)
	}
	p.pending = slices.Delete(p.pending, 0, n)
}

// cublasName names a cuBLAS call in the profile by its shape.
func cublasName(c colMajorGemm, batch int) string {
	if batch > 1 {
		return fmt.Sprintf("cublas %dx%dx%d x%d", c.M, c.N, c.K, batch)
	}
	return fmt.Sprintf("cublas %dx%dx%d", c.M, c.N, c.K)
}
