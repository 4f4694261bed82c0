// im2col/col2im and reflection padding. Each work-item computes one output element; the adjoints
// (col2im, reflect_pad_backward) gather rather than scatter, so they need no atomics and add in the
// same order as the CPU backend.

// conv_geom_t mirrors tensor.ConvGeom field by field.
typedef struct {
	int n, c, h, w;
	int kh, kw;
	int stride_h, stride_w;
	int pad_h, pad_w;
	int dil_h, dil_w;
	int oh, ow;
} conv_geom_t;

// The convolution kernels run on 3-D grids: x is the position within a plane, y and z whatever
// else the element is indexed by, one work-group row each, so that a work-item divides only to
// split its own position (integer division by a value known only at run time costs a GPU tens of
// instructions, which made the 1-D versions instruction-bound). CUDA limits y and z to 65535:
// the host launches again from plane0 for more planes than that.

// im2col: cols [N, C*KH*KW, OH*OW]; element (plane n*C + c, tap kh*KW + kw, position oh*OW + ow)
// is that tap of that plane's image at that output position, or 0 where the tap falls into the
// zero padding. Grid: x the position, y the tap, z the plane (from plane0 on). Each work-item
// writes IM2COL_RUN positions GROUP apart (neighbours write neighbours): with one each, a
// work-group did too little to pay for its own scheduling. Storage holds fewer than 2^31
// elements, so int indexes suffice.
#define IM2COL_RUN 4
KERNEL im2col(int positions, int plane0, conv_geom_t g, GLOBAL real* cols, GLOBAL const real* x) {
	int tap = GROUP_ID(1), plane = plane0 + GROUP_ID(2);
	int kh = tap / g.kw, kw = tap - kh * g.kw;
	GLOBAL const real* image = x + plane * g.h * g.w;
	GLOBAL real* row = cols + (plane * g.kh * g.kw + tap) * positions;
	int first = GROUP_ID(0) * GROUP * IM2COL_RUN + LOCAL_ID(0);
	for (int k = 0; k < IM2COL_RUN; k++) {
		int p = first + k * GROUP;
		if (p >= positions) {
			return;
		}
		int oh = p / g.ow, ow = p - oh * g.ow;
		int ih = oh * g.stride_h - g.pad_h + kh * g.dil_h;
		int iw = ow * g.stride_w - g.pad_w + kw * g.dil_w;
		row[p] = ih >= 0 && ih < g.h && iw >= 0 && iw < g.w ? image[ih * g.w + iw] : (real)0;
	}
}

// col2im: pixel (ih, iw) of plane n*C+c sums every column entry that im2col read from it: tap
// (kh, kw) at output (oh, ow) with oh*stride_h = ih + pad_h - kh*dil_h, and likewise for the width.
// Grid: x the pixel, y the plane (from plane0 on). Stride 1, the common case, needs no division.
KERNEL col2im(int pixels, int plane0, conv_geom_t g, GLOBAL real* x, GLOBAL const real* cols) {
	int p = GLOBAL_ID(0);
	if (p >= pixels) {
		return;
	}
	int plane = plane0 + GROUP_ID(1);
	int ih = p / g.w, iw = p - ih * g.w;
	int positions = g.oh * g.ow;
	GLOBAL const real* c = cols + (long)plane * g.kh * g.kw * positions;
	bool unit = g.stride_h == 1 && g.stride_w == 1;
	real s = 0;
	for (int kh = 0; kh < g.kh; kh++) {
		int y = ih + g.pad_h - kh * g.dil_h;
		int oh = unit ? y : y / g.stride_h;
		if (y < 0 || oh * g.stride_h != y || oh >= g.oh) {
			continue;
		}
		for (int kw = 0; kw < g.kw; kw++) {
			int xx = iw + g.pad_w - kw * g.dil_w;
			int ow = unit ? xx : xx / g.stride_w;
			if (xx < 0 || ow * g.stride_w != xx || ow >= g.ow) {
				continue;
			}
			s += c[(long)(kh * g.kw + kw) * positions + oh * g.ow + ow];
		}
	}
	x[(long)plane * pixels + p] = s;
}

// reflect maps a coordinate outside [0, n) back inside by mirroring at the edge pixel, which is not
// repeated: -1 -> 1, n -> n-2.
DEVICE int reflect(int i, int n) {
	if (i < 0) {
		return -i;
	}
	if (i >= n) {
		return 2 * (n - 1) - i;
	}
	return i;
}

KERNEL reflect_pad(int total, int h, int w, int top, int left, int oh, int ow, GLOBAL real* dst, GLOBAL const real* src) {
	int i = GLOBAL_ID(0);
	if (i >= total) {
		return;
	}
	int x = i % ow;
	int t = i / ow;
	int y = t % oh;
	int plane = t / oh;
	dst[i] = src[((long)plane * h + reflect(y - top, h)) * w + reflect(x - left, w)];
}

// mirror_sources lists, in increasing order, the padded coordinates that reflect back to i:
// the mirror image in the leading pad, i itself, and the mirror image in the trailing pad.
DEVICE int mirror_sources(int i, int n, int lead, int trail, int* out) {
	int count = 0;
	if (i >= 1 && i <= lead) {
		out[count++] = lead - i;
	}
	out[count++] = lead + i;
	if (i <= n - 2 && 2 * (n - 1) - i < n + trail) {
		out[count++] = lead + 2 * (n - 1) - i;
	}
	return count;
}

KERNEL reflect_pad_backward(int total, int h, int w, int top, int bottom, int left, int right, GLOBAL real* dx, GLOBAL const real* dy) {
	int i = GLOBAL_ID(0);
	if (i >= total) {
		return;
	}
	int ix = i % w;
	int t = i / w;
	int iy = t % h;
	int plane = t / h;
	int oh = h + top + bottom, ow = w + left + right;
	int ys[3], xs[3];
	int ny = mirror_sources(iy, h, top, bottom, ys);
	int nx = mirror_sources(ix, w, left, right, xs);
	GLOBAL const real* g = dy + (long)plane * oh * ow;
	real s = 0;
	for (int a = 0; a < ny; a++) {
		for (int b = 0; b < nx; b++) {
			s += g[(long)ys[a] * ow + xs[b]];
		}
	}
	dx[i] = s;
}
