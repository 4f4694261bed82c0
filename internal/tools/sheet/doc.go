// Command sheet lays images out in a grid on one PNG: the pictures in the README are made with
// it from what make demo writes.
//
//	go run ./internal/tools/sheet -cols 4 -height 128 -o docs/images/pretrained.png \
//	    runs/demo/pretrained/*_real.png ... (input, output, input, output, ...)
//
// Each image is scaled to -height pixels (nearest neighbour, so that small network outputs stay
// crisp rather than smoothed into something they are not) keeping its aspect ratio, and placed
// left to right, -cols to a row, with a gap of -gap white pixels.
package main
