package pprl

import "math/bits"

// Dice is the Dice coefficient 2|A∩B|/(|A|+|B|) of two encodings of the
// same length whose set bits were counted beforehand (ca, cb).
func Dice(a, b []uint64, ca, cb int) float64 {
	if ca+cb == 0 {
		return 0
	}
	b = b[:len(a)]
	n := 0
	for i, w := range a {
		n += bits.OnesCount64(w & b[i])
	}
	return 2 * float64(n) / float64(ca+cb)
}

// Dice1024 is Dice for the default 1024-bit encodings, unrolled.
func Dice1024(a, b *[16]uint64, ca, cb int) float64 {
	if ca+cb == 0 {
		return 0
	}
	n := bits.OnesCount64(a[0]&b[0]) + bits.OnesCount64(a[1]&b[1]) + bits.OnesCount64(a[2]&b[2]) + bits.OnesCount64(a[3]&b[3]) +
		bits.OnesCount64(a[4]&b[4]) + bits.OnesCount64(a[5]&b[5]) + bits.OnesCount64(a[6]&b[6]) + bits.OnesCount64(a[7]&b[7]) +
		bits.OnesCount64(a[8]&b[8]) + bits.OnesCount64(a[9]&b[9]) + bits.OnesCount64(a[10]&b[10]) + bits.OnesCount64(a[11]&b[11]) +
		bits.OnesCount64(a[12]&b[12]) + bits.OnesCount64(a[13]&b[13]) + bits.OnesCount64(a[14]&b[14]) + bits.OnesCount64(a[15]&b[15])
	return 2 * float64(n) / float64(ca+cb)
}

// diceScalar is the plain bit-by-bit loop, kept as the benchmark baseline.
func diceScalar(a, b []uint64) float64 {
	inter, na, nb := 0, 0, 0
	for i := range a {
		for j := uint(0); j < 64; j++ {
			x, y := a[i]>>j&1, b[i]>>j&1
			na += int(x)
			nb += int(y)
			inter += int(x & y)
		}
	}
	if na+nb == 0 {
		return 0
	}
	return 2 * float64(inter) / float64(na+nb)
}

// DiceBlock scores one probe against a block of stored 1024-bit encodings
// (the candidate list of a query), writing Dice coefficients to out. The
// probe's words stay in registers across the block.
func DiceBlock(p *[16]uint64, cp int, block [][16]uint64, counts []int32, out []float64) {
	p0, p1, p2, p3, p4, p5, p6, p7 := p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
	p8, p9, p10, p11, p12, p13, p14, p15 := p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]
	out = out[:len(block)]
	counts = counts[:len(block)]
	for i := range block {
		b := &block[i]
		n := bits.OnesCount64(p0&b[0]) + bits.OnesCount64(p1&b[1]) + bits.OnesCount64(p2&b[2]) + bits.OnesCount64(p3&b[3]) +
			bits.OnesCount64(p4&b[4]) + bits.OnesCount64(p5&b[5]) + bits.OnesCount64(p6&b[6]) + bits.OnesCount64(p7&b[7]) +
			bits.OnesCount64(p8&b[8]) + bits.OnesCount64(p9&b[9]) + bits.OnesCount64(p10&b[10]) + bits.OnesCount64(p11&b[11]) +
			bits.OnesCount64(p12&b[12]) + bits.OnesCount64(p13&b[13]) + bits.OnesCount64(p14&b[14]) + bits.OnesCount64(p15&b[15])
		d := cp + int(counts[i])
		if d == 0 {
			out[i] = 0
			continue
		}
		out[i] = 2 * float64(n) / float64(d)
	}
}
