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

// Encoding is one record's Bloom filter: Schema.Words() little-endian
// 64-bit words (bit i is word i/64, bit i%64) and its number of set bits.
type Encoding struct {
	Bits  []uint64
	Count int
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
	inner := cfg.L
	if cfg.Hardening.Balance {
		inner /= 2
	}
	inner <<= cfg.Hardening.XORFold
	bf := make([]uint64, inner/64)
	mask := uint32(inner - 1)
	var toks []string
	var digest [64]byte
	var buf []byte
	for _, fk := range k.feats {
		h := fk.f.Hashing
		toks = tokens(h.Comparison, values(fk.f.Identifier, n), toks[:0])
		if len(toks) == 0 && h.MissingValue != nil && h.MissingValue.ReplaceWith != "" {
			toks = append(toks, h.MissingValue.ReplaceWith)
		}
		if len(toks) == 0 {
			continue
		}
		per := h.Strategy.BitsPerToken
		if per == 0 {
			per = (h.Strategy.BitsPerFeature + len(toks) - 1) / len(toks)
		}
		// BLAKE2b-512 of key‖token (‖0‖block for more than 32 bits): with
		// a key of at most 64 bytes and a short token this is one
		// compression per token. BLAKE2 has no length extension, so the
		// prefixed key makes a PRF.
		for _, t := range toks {
			for blk, left := 0, per; left > 0; blk++ {
				buf = append(append(buf[:0], fk.key...), t...)
				if blk > 0 {
					buf = append(buf, 0, byte(blk))
				}
				digest = blake2b.Sum512(buf)
				for j := 0; j < 32 && left > 0; j, left = j+1, left-1 {
					pos := uint32(binary.LittleEndian.Uint16(digest[2*j:])) & mask
					bf[pos/64] |= 1 << (pos % 64)
				}
			}
		}
	}
	for f := 0; f < cfg.Hardening.XORFold; f++ {
		half := len(bf) / 2
		for i := 0; i < half; i++ {
			bf[i] ^= bf[i+half]
		}
		bf = bf[:half]
	}
	if cfg.Hardening.Balance {
		out := make([]uint64, cfg.L/64)
		half := uint(cfg.L / 2)
		for i := uint(0); i < uint(cfg.L); i++ {
			var set bool
			if i < half {
				set = bf[i/64]&(1<<(i%64)) != 0
			} else {
				j := i - half
				set = bf[j/64]&(1<<(j%64)) == 0
			}
			if set {
				d := uint(k.perm[i])
				out[d/64] |= 1 << (d % 64)
			}
		}
		bf = out
	}
	return Encoding{Bits: bf, Count: popcount(bf)}
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

// String is the wire form of an encoding: standard base64 of the words in
// little-endian byte order.
func (e Encoding) String() string {
	b := make([]byte, 8*len(e.Bits))
	for i, w := range e.Bits {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ParseEncoding reads the wire form of an encoding of the given number of
// 64-bit words.
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
