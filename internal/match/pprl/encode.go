package pprl

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"

	"golang.org/x/crypto/blake2b"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
)

// Encoding is one record's Bloom filters: the record-level filter, Bits
// (Schema.Words() little-endian 64-bit words, bit i is word i/64, bit
// i%64) and its number of set bits, and, when the schema has field
// groups, their filters one after another in Fields (Schema.FieldWords()
// words; an empty group is all zero).
type Encoding struct {
	Bits   []uint64
	Count  int
	Fields []uint64
}

// values returns a feature's raw values from the engine's comparison form.
func values(id string, n *match.NormalForm) []string {
	one := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	switch id {
	case "name", "name_phonetic":
		// Order-free: the set of tokens, whatever their roles.
		v := slices.Clone(n.Names)
		slices.Sort(v)
		return slices.Compact(v)
	case "father_name":
		return n.Father
	case "date_of_birth":
		return one(n.DOB)
	case "sex":
		return one(n.Sex)
	case "personal_id":
		return one(n.ID)
	case "address":
		if len(n.Street) == 0 {
			return nil
		}
		v := slices.Clone(n.Street)
		if n.StreetNo != "" {
			v = append(v, n.StreetNo)
		}
		return v
	case "city":
		return one(n.City)
	case "postcode":
		return one(n.Postcode)
	case "phone":
		return one(n.Phone)
	case "nationality":
		return one(n.Nationality)
	}
	return nil
}

// tokens turns a feature's values into the tokens that are hashed.
func tokens(c Comparison, vals []string, out []string) []string {
	switch c.Type {
	case "exact":
		out = append(out, vals...)
	case "phonetic":
		for _, v := range vals {
			if p := entity.Phonetic(v); p != "" {
				out = append(out, p)
			}
		}
	case "date":
		for _, v := range vals {
			if len(v) != 8 {
				continue
			}
			y, m, d := v[:4], v[4:6], v[6:8]
			if y != "0000" {
				out = append(out, "y"+y)
			}
			if m != "00" {
				out = append(out, "m"+m)
			}
			if d != "00" {
				out = append(out, "d"+d)
			}
			if m != "00" && d != "00" {
				a, b := m, d
				if a > b {
					a, b = b, a
				}
				out = append(out, "p"+a+b)
			}
		}
	case "ngram":
		for _, v := range vals {
			out = ngrams(v, c.N, c.Positional, out)
		}
	}
	return out
}

// ngrams appends the n-grams of " v " (padded with a space on each side,
// as clkhash does), each prefixed by its position when positional.
func ngrams(v string, n int, positional bool, out []string) []string {
	r := []rune(" " + v + " ")
	if n == 1 {
		r = []rune(v)
	}
	for i := 0; i+n <= len(r); i++ {
		g := string(r[i : i+n])
		if positional {
			g = string(rune('0'+min(i, 74))) + g
		}
		out = append(out, g)
	}
	return out
}

// Encode returns the encoding of a person record.
func (k *Key) Encode(p *entity.Person) Encoding {
	n := match.Normal(p)
	return k.EncodeNormal(&n)
}

// EncodeNormal encodes a record already in the engine's comparison form.
func (k *Key) EncodeNormal(n *match.NormalForm) Encoding {
	cfg := k.s.ClkConfig
	bf := make([]uint64, innerWords(cfg.L, cfg.Hardening))
	var gfs [][]uint64
	if len(k.groups) > 0 {
		gfs = make([][]uint64, len(k.groups))
		for i, gk := range k.groups {
			gfs[i] = make([]uint64, innerWords(gk.g.L, cfg.Hardening))
		}
	}
	var h hasher
	var toks, gtoks []string
	for _, fk := range k.feats {
		hs := fk.f.Hashing
		vals := values(fk.f.Identifier, n)
		// Group-only tokenisations: a missing value sets no bits here
		// either (no missingValue replacement).
		for _, t := range fk.targets {
			if t.cmp == nil {
				continue
			}
			gtoks = tokens(*t.cmp, vals, gtoks[:0])
			for _, tok := range gtoks {
				setWords(gfs[t.group], h.block(fk.key, tok, t.block), 0, t.bits)
			}
		}
		toks = tokens(hs.Comparison, vals, toks[:0])
		if len(toks) == 0 && hs.MissingValue != nil && hs.MissingValue.ReplaceWith != "" {
			toks = append(toks, hs.MissingValue.ReplaceWith)
		}
		if len(toks) == 0 {
			continue
		}
		per := hs.Strategy.BitsPerToken
		if per == 0 {
			per = (hs.Strategy.BitsPerFeature + len(toks) - 1) / len(toks)
		}
		for _, tok := range toks {
			// BLAKE2b-512 of key‖token (‖0‖block for more than 32 bits):
			// with a key of at most 64 bytes and a short token this is one
			// compression per token. BLAKE2 has no length extension, so the
			// prefixed key makes a PRF; each 16-bit word picks one bit.
			var first [64]byte
			for blk, left := 0, per; left > 0; blk++ {
				d := h.block(fk.key, tok, byte(blk))
				if blk == 0 {
					first = *d
				}
				setWords(bf, d, 0, min(32, left))
				left -= 32
			}
			for _, t := range fk.targets {
				switch {
				case t.cmp != nil:
				case t.tail > 0:
					setWords(gfs[t.group], &first, 32-t.tail, t.bits)
				default:
					setWords(gfs[t.group], h.block(fk.key, tok, t.block), 0, t.bits)
				}
			}
		}
	}
	rec := harden(bf, cfg.L, cfg.Hardening, k.perm)
	if len(k.groups) == 0 {
		return Encoding{Bits: rec, Count: popcount(rec)}
	}
	// One allocation for the record-level and the group filters.
	words := len(rec)
	all := append(make([]uint64, 0, words+k.s.FieldWords()), rec...)
	for i, gk := range k.groups {
		if popcount(gfs[i]) == 0 {
			// Missing stays all zero rather than the balanced pattern of
			// an empty filter, so that two empty groups do not agree.
			all = append(all, make([]uint64, gk.g.L/64)...)
			continue
		}
		all = append(all, harden(gfs[i], gk.g.L, cfg.Hardening, gk.perm)...)
	}
	return Encoding{Bits: all[:words:words], Count: popcount(rec), Fields: all[words:]}
}

// innerWords is the number of words a filter of l bits is built in before
// hardening.
func innerWords(l int, hd Hardening) int {
	if hd.Balance {
		l /= 2
	}
	return (l << hd.XORFold) / 64
}

// hasher computes the keyed digests of tokens.
type hasher struct {
	buf    []byte
	digest [64]byte
}

// block is BLAKE2b-512 of key‖t, followed by 0‖blk for blocks after the
// first.
func (h *hasher) block(key []byte, t string, blk byte) *[64]byte {
	h.buf = append(append(h.buf[:0], key...), t...)
	if blk > 0 {
		h.buf = append(h.buf, 0, blk)
	}
	h.digest = blake2b.Sum512(h.buf)
	return &h.digest
}

// setWords sets in bf (a power of two bits long) the bits picked by the
// 16-bit little-endian words from..from+n-1 of digest d.
func setWords(bf []uint64, d *[64]byte, from, n int) {
	mask := uint32(64*len(bf) - 1)
	for j := from; j < from+n; j++ {
		pos := uint32(binary.LittleEndian.Uint16(d[2*j:])) & mask
		bf[pos/64] |= 1 << (pos % 64)
	}
}

// harden XOR-folds a filter and balances it into l bits under perm.
func harden(bf []uint64, l int, hd Hardening, perm []uint16) []uint64 {
	for f := 0; f < hd.XORFold; f++ {
		half := len(bf) / 2
		for i := 0; i < half; i++ {
			bf[i] ^= bf[i+half]
		}
		bf = bf[:half]
	}
	if !hd.Balance {
		return bf
	}
	// Bit j of the filter (j < l/2) goes to perm[j] when set, its
	// complement to perm[j+l/2] when not: l/2 bits set either way.
	out := make([]uint64, l/64)
	half := l / 2
	for j := 0; j < half; j++ {
		d := perm[j+half]
		if bf[j/64]&(1<<(j%64)) != 0 {
			d = perm[j]
		}
		out[d/64] |= 1 << (d % 64)
	}
	return out
}

func popcount(b []uint64) int {
	c := 0
	for _, w := range b {
		c += bits.OnesCount64(w)
	}
	return c
}

// EncodeWithBlocks returns the encoding and the keyed blocking keys of a
// person, preparing the record once.
func (k *Key) EncodeWithBlocks(p *entity.Person) (Encoding, []uint64) {
	n, raw := match.NormalWithKeys(p)
	return k.EncodeNormal(&n), k.KeyedBlocks(raw, nil)
}

// BlockKeys appends the keyed blocking keys of a person: the matching
// engine's index keys (match.IndexKeys: identifier and its halves, date of
// birth, phonetic name pairs, a name token with parts of the date, phone),
// each passed through a keyed hash, so that a key says nothing to whoever
// lacks the regional secret. They are sorted and unique.
func (k *Key) BlockKeys(p *entity.Person, out []uint64) []uint64 {
	raw := match.IndexKeys(p, nil)
	return k.KeyedBlocks(raw, out)
}

// KeyedBlocks passes raw engine keys through the keyed hash.
func (k *Key) KeyedBlocks(raw []uint64, out []uint64) []uint64 {
	if len(raw) == 0 {
		return out
	}
	var buf [40]byte
	copy(buf[:], k.block)
	start := len(out)
	for _, r := range raw {
		binary.LittleEndian.PutUint64(buf[32:], r)
		sum := blake2b.Sum256(buf[:])
		out = append(out, binary.LittleEndian.Uint64(sum[:8]))
	}
	tail := out[start:]
	slices.Sort(tail)
	return append(out[:start], slices.Compact(tail)...)
}

// String is the wire form of an encoding: standard base64 of the words
// of the record-level filter followed by those of the field groups, in
// little-endian byte order.
func (e Encoding) String() string {
	b := make([]byte, 0, 8*(len(e.Bits)+len(e.Fields)))
	for _, w := range e.Bits {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	for _, w := range e.Fields {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ParseEncoding reads the wire form of a record-level encoding of the
// given number of 64-bit words (a schema without field groups).
func ParseEncoding(s string, words int) (Encoding, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 8*words {
		return Encoding{}, fmt.Errorf("pprl: encoding is not %d bits of base64", 64*words)
	}
	e := Encoding{Bits: make([]uint64, words)}
	for i := range e.Bits {
		e.Bits[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	e.Count = popcount(e.Bits)
	return e, nil
}

// ParseEncoding reads the wire form of an encoding under schema s, field
// groups included.
func (s *Schema) ParseEncoding(str string) (Encoding, error) {
	words, fw := s.Words(), s.FieldWords()
	e, err := ParseEncoding(str, words+fw)
	if err != nil {
		return Encoding{}, err
	}
	if fw == 0 {
		return e, nil
	}
	all := e.Bits
	e.Bits, e.Fields = all[:words:words], all[words:]
	e.Count = popcount(e.Bits)
	return e, nil
}
