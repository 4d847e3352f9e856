package pprl

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
)

// MinSecretLen is the shortest regional secret accepted (bytes).
const MinSecretLen = 16

// ErrShortSecret is returned for a regional secret shorter than
// MinSecretLen.
var ErrShortSecret = errors.New("pprl: the regional secret must be at least 16 bytes")

// Key is a schema with the keys derived from one regional secret: what a
// node needs to encode records and keyed blocking keys. It is safe for
// concurrent use. The secret itself is not kept.
type Key struct {
	s     *Schema
	feats []featureKey
	block []byte
	perm  []uint16 // balancing permutation of the l output bits
	check string
	// groups are the field-group filters' keys, in schema order.
	groups []groupKey
}

type featureKey struct {
	f       *Feature
	key     []byte
	targets []groupTarget
}

// groupKey is a field group and its balancing permutation.
type groupKey struct {
	g    *FieldGroup
	perm []uint16
}

// groupTarget says where a feature's tokens put their bits in a field
// group: from the same keyed hash as their record-level bits but from
// words the record-level filter does not use (a group's bits must not be
// the record-level bits modulo a smaller length, or the two filters would
// be linkable bit by bit). tail > 0: the words [32-tail, 32-tail+bits) of
// the first digest; else a digest of its own, block number block. With
// cmp the tokens are the group's own (GroupFeature.Comparison), each
// hashed with block number block.
type groupTarget struct {
	group, bits int
	tail        int
	block       byte
	cmp         *Comparison
}

func (s *Schema) derive(secret []byte, label string, size int) []byte {
	salt, _ := base64.StdEncoding.DecodeString(s.ClkConfig.KDF.Salt)
	info, _ := base64.StdEncoding.DecodeString(s.ClkConfig.KDF.Info)
	info = append(append(info, 0), label...)
	k, err := hkdf.Key(sha256.New, secret, salt, string(info), size)
	if err != nil {
		panic("pprl: hkdf: " + err.Error()) // only for sizes we never ask
	}
	return k
}

// NewKey derives the feature keys of schema s from a regional secret with
// HKDF-SHA256 (salt and info from the schema's kdf; one key per feature,
// its identifier and salt in the info).
func NewKey(s *Schema, secret []byte) (*Key, error) {
	if len(secret) < MinSecretLen {
		return nil, ErrShortSecret
	}
	k := &Key{s: s}
	size := s.ClkConfig.KDF.KeySize
	for i := range s.Features {
		f := &s.Features[i]
		if f.Ignored {
			continue
		}
		k.feats = append(k.feats, featureKey{f: f, key: s.derive(secret, "feature\x00"+f.Identifier+"\x00"+f.Hashing.Salt, size)})
	}
	k.block = s.derive(secret, "blocking", 32)
	// The check value lets two nodes see that they hold the same key
	// without revealing it: a mismatch is a configuration error, not a
	// silent stream of no-hits.
	k.check = hex.EncodeToString(s.derive(secret, "key check\x00"+s.digest, 8))
	if s.ClkConfig.Hardening.Balance {
		k.perm = permutation(s.derive(secret, "balance permutation", 32), s.ClkConfig.L)
	}
	for gi := range s.ClkConfig.FieldGroups {
		g := &s.ClkConfig.FieldGroups[gi]
		gk := groupKey{g: g}
		for j, gf := range g.Features {
			for fi := range k.feats {
				if fk := &k.feats[fi]; fk.f.Identifier == gf.Identifier {
					t := groupTarget{group: gi, bits: gf.BitsPerToken}
					if gf.Comparison != nil {
						// Above every record-level block (at most 63) and
						// every group digest (128+group): 8 groups of at
						// most 8 features fit.
						t.cmp, t.block = gf.Comparison, byte(192+8*gi+j)
					}
					fk.targets = append(fk.targets, t)
				}
			}
		}
		if s.ClkConfig.Hardening.Balance {
			gk.perm = permutation(s.derive(secret, "balance permutation\x00group\x00"+g.Identifier, 32), g.L)
		}
		k.groups = append(k.groups, gk)
	}
	// A feature with a fixed bit budget that leaves room in the first
	// digest takes its group bits from the end of it (one compression per
	// token for both filters); otherwise each group gets a digest of its
	// own, numbered above every record-level block.
	for fi := range k.feats {
		fk := &k.feats[fi]
		used := fk.f.Hashing.Strategy.BitsPerToken
		for _, t := range fk.targets {
			if t.cmp == nil {
				used += t.bits
			}
		}
		tail := 0
		for ti := range fk.targets {
			t := &fk.targets[ti]
			if t.cmp != nil {
				continue
			}
			if fk.f.Hashing.Strategy.BitsPerToken > 0 && used <= 32 {
				tail += t.bits
				t.tail = tail
			} else {
				t.block = byte(128 + t.group)
			}
		}
	}
	return k, nil
}

// permutation is a keyed Fisher–Yates shuffle of 0..l-1.
func permutation(seed []byte, l int) []uint16 {
	rng := rand.New(rand.NewChaCha8([32]byte(seed)))
	p := make([]uint16, l)
	for i := range p {
		p[i] = uint16(i)
	}
	for i := l - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// Schema returns the key's schema.
func (k *Key) Schema() *Schema { return k.s }

// Check is the key check value (16 hex digits): equal on two nodes exactly
// when they derived their keys from the same secret under the same schema.
// It reveals nothing useful about the secret.
func (k *Key) Check() string { return k.check }

// Fingerprint names schema and key together ("digest/check").
func (k *Key) Fingerprint() string { return k.s.digest + "/" + k.check }

func le64(v uint64) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return b[:]
}
