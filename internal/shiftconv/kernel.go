package shiftconv

// tapsGo is the plain Go twin of the taps kernels: for k < chunks, q < chunk and o < ob,
//
//	out[o*ldo + k*chunk + q] = Σ_{t<taps} w[t*ob+o] · in[offs[t] + k*chunk + q]
//
// summed in ascending t, each product rounded before it is added (the kernels fuse the two).
func tapsGo(chunk, ob int, out []float32, ldo int, in []float32, offs []int, w []float32, taps, chunks int) {
	n := chunks * chunk
	for o := range ob {
		row := out[o*ldo:][:n]
		for p := range row {
			var s float32
			for t, off := range offs[:taps] {
				s += float32(w[t*ob+o] * in[off+p])
			}
			row[p] = s
		}
	}
}

// dotsGo is the plain Go twin of the dots kernels: for o < ob, t < tb and l < lanes,
//
//	part[(o*tb+t)*lanes + l] = Σ_{k<n} dy[o*lddy + k*lanes + l] · in[offs[t] + k*lanes + l]
//
// summed in ascending k, each product rounded before it is added.
func dotsGo(lanes, tb, ob int, part, dy []float32, lddy int, in []float32, offs []int, n int) {
	for o := range ob {
		row := dy[o*lddy:][:n*lanes]
		for t, off := range offs[:tb] {
			shifted := in[off:][:n*lanes]
			for l := range lanes {
				var s float32
				for k := l; k < len(row); k += lanes {
					s += float32(row[k] * shifted[k])
				}
				part[(o*tb+t)*lanes+l] = s
			}
		}
	}
}
