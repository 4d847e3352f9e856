// Package pprl encodes person records as keyed Bloom filters
// (cryptographic long-term keys, CLKs, after Schnell, Bachteler and Reiher
// 2011 and the clkhash/anonlink tools) under a versioned linkage schema,
// and compares encodings with the Dice coefficient.
//
// The schema follows clkhash's linkage schema v3 (version, clkConfig with l
// and an HKDF kdf, features with format and hashing) and adds what the
// matching engine needs: a normalisation per feature (the engine's own
// script folding, diacritics folding and order-free names), two
// tokenisations clkhash lacks (positional date parts, phonetic name keys),
// and hardening options (balancing, XOR-folding, per-feature salt). The
// secret key is never part of the schema: every node derives the feature
// keys with HKDF-SHA256 from the regional secret it is configured with.
package pprl

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
)

// SchemaVersion is the linkage schema version understood (clkhash v3).
const SchemaVersion = 3

// Schema is a parsed, validated linkage schema.
type Schema struct {
	Version   int       `json:"version"`
	ID        string    `json:"id,omitempty"`
	ClkConfig ClkConfig `json:"clkConfig"`
	Features  []Feature `json:"features"`

	digest string
}

// ClkConfig is the encoding-wide configuration.
type ClkConfig struct {
	// L is the length of the encoding in bits (a power of two).
	L         int       `json:"l"`
	KDF       KDF       `json:"kdf"`
	Hardening Hardening `json:"hardening"`
	// FieldGroups are Bloom filters of a few features each, sent beside
	// the record-level filter so that a field-by-field model can weigh a
	// disagreeing date against a disagreeing street. Optional: without
	// them an encoding is the record-level filter alone.
	FieldGroups []FieldGroup `json:"fieldGroups,omitempty"`
}

// FieldGroup is one field-group filter: the tokens of its features (each
// tokenised and normalised as the feature says) hashed into l bits,
// hardened like the record-level filter (its own balancing permutation). An
// empty group sets no bits, so that "missing" is told from "different".
type FieldGroup struct {
	Identifier string         `json:"identifier"`
	L          int            `json:"l"`
	Features   []GroupFeature `json:"features"`
}

// GroupFeature is a feature inside a field group with its bit budget
// there (a group filter is smaller than the record-level one). The bits
// come from the same keyed hash of each token as its record-level bits,
// from words of the digest the record-level filter does not use.
//
// With Comparison the feature's values are tokenised for this group only,
// another way than at record level (positional digits of an identifier,
// so that one mistyped digit keeps most bits where another number keeps
// few); each such token gets a digest of its own. A feature may then
// appear in one group twice, once with each tokenisation.
type GroupFeature struct {
	Identifier   string      `json:"identifier"`
	BitsPerToken int         `json:"bitsPerToken"`
	Comparison   *Comparison `json:"comparison,omitempty"`
}

// KDF says how feature keys are derived from the regional secret.
type KDF struct {
	Type    string `json:"type"`           // "HKDF"
	Hash    string `json:"hash"`           // "SHA256"
	Salt    string `json:"salt,omitempty"` // base64
	Info    string `json:"info,omitempty"` // base64
	KeySize int    `json:"keySize"`        // bytes per feature key, 32..64
}

// Hardening lists the hardening applied to the whole encoding.
type Hardening struct {
	// Balance encodes into l/2 bits and appends the complement, under a
	// keyed permutation: every encoding then has exactly l/2 bits set, so
	// the Hamming weight no longer reveals the length of the names.
	Balance bool `json:"balance"`
	// XORFold encodes into l·2^n bits and folds the halves together n
	// times: a set bit no longer points to one token's hash.
	XORFold int `json:"xorFolds"`
}

// Feature is one encoded attribute of a person.
type Feature struct {
	Identifier    string         `json:"identifier"`
	Description   string         `json:"description,omitempty"`
	Ignored       bool           `json:"ignored,omitempty"`
	Format        *Format        `json:"format,omitempty"`
	Normalisation *Normalisation `json:"normalisation,omitempty"`
	Hashing       *Hashing       `json:"hashing,omitempty"`
}

// Format describes the accepted value (clkhash's format).
type Format struct {
	Type      string `json:"type"` // string, date, enum, integer
	Encoding  string `json:"encoding,omitempty"`
	MaxLength int    `json:"maxLength,omitempty"`
}

// Normalisation is the matching engine's normalisation applied before
// tokenising. All are on by default in Liaison; the fields document it so
// that another implementation can reproduce the encoding.
type Normalisation struct {
	Script     string `json:"script,omitempty"`     // "latin": Cyrillic transliterated
	Diacritics string `json:"diacritics,omitempty"` // "fold"
	Case       string `json:"case,omitempty"`       // "lower"
	NameOrder  string `json:"nameOrder,omitempty"`  // "free": tokens of all roles, sorted
}

// Hashing says how a feature's tokens become bits.
type Hashing struct {
	Comparison   Comparison    `json:"comparison"`
	Strategy     Strategy      `json:"strategy"`
	Hash         Hash          `json:"hash"`
	Salt         string        `json:"salt,omitempty"`
	MissingValue *MissingValue `json:"missingValue,omitempty"`
}

// Comparison is the tokenisation: "ngram" (n, positional), "exact",
// "date" (year, month, day and the unordered day–month pair as separate
// tokens) or "phonetic" (the engine's phonetic key of each token).
type Comparison struct {
	Type       string `json:"type"`
	N          int    `json:"n,omitempty"`
	Positional bool   `json:"positional,omitempty"`
}

// Strategy is the bit budget: a fixed number of bits per token, or a total
// per feature spread over its tokens.
type Strategy struct {
	BitsPerToken   int `json:"bitsPerToken,omitempty"`
	BitsPerFeature int `json:"bitsPerFeature,omitempty"`
}

// Hash names the hash: "blakeHash", BLAKE2b-512 over the feature key
// followed by the token (and a zero byte and block number for more than 32
// bits); each 16-bit little-endian word of the digest, modulo the filter
// length, picks one bit.
type Hash struct {
	Type string `json:"type"`
}

// MissingValue is what an empty value becomes: nothing (no bits, the
// default) or a replacement token.
type MissingValue struct {
	Sentinel    string `json:"sentinel"`
	ReplaceWith string `json:"replaceWith,omitempty"`
}

// Feature identifiers the encoder knows, in the engine's comparison form.
var featureNames = []string{
	"name", "name_phonetic", "father_name", "date_of_birth", "sex", "personal_id",
	"address", "city", "postcode", "phone", "nationality",
}

//go:embed default_schema.json
var defaultSchemaJSON []byte

// DefaultSchemaJSON returns the regional default linkage schema document.
func DefaultSchemaJSON() []byte { return bytes.Clone(defaultSchemaJSON) }

// DefaultSchema returns the parsed regional default schema.
func DefaultSchema() *Schema {
	s, err := ParseSchema(defaultSchemaJSON)
	if err != nil {
		panic("pprl: default schema invalid: " + err.Error())
	}
	return s
}

// SchemaError is an invalid schema document.
type SchemaError struct{ Msg string }

func (e *SchemaError) Error() string { return "linkage schema: " + e.Msg }

func schemaErr(format string, a ...any) error {
	return &SchemaError{Msg: fmt.Sprintf(format, a...)}
}

// MaxSchemaSize bounds a schema document.
const MaxSchemaSize = 64 << 10

// ParseSchema reads and validates a linkage schema document. Unknown
// fields are refused, so that a misspelt option is not silently ignored.
func ParseSchema(b []byte) (*Schema, error) {
	if len(b) > MaxSchemaSize {
		return nil, schemaErr("document larger than %d bytes", MaxSchemaSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Schema
	if err := dec.Decode(&s); err != nil {
		return nil, schemaErr("%v", err)
	}
	if dec.More() {
		return nil, schemaErr("trailing data after the document")
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	canon, err := json.Marshal(&s)
	if err != nil {
		return nil, schemaErr("%v", err)
	}
	sum := sha256.Sum256(canon)
	s.digest = hex.EncodeToString(sum[:8])
	return &s, nil
}

func (s *Schema) validate() error {
	if s.Version != SchemaVersion {
		return schemaErr("version %d not supported (want %d)", s.Version, SchemaVersion)
	}
	if len(s.ID) > 100 {
		return schemaErr("id longer than 100 characters")
	}
	c := &s.ClkConfig
	if c.L < 256 || c.L > 4096 || bits.OnesCount(uint(c.L)) != 1 {
		return schemaErr("clkConfig.l must be a power of two from 256 to 4096, got %d", c.L)
	}
	if c.KDF.Type != "HKDF" || c.KDF.Hash != "SHA256" {
		return schemaErr("clkConfig.kdf must be HKDF with SHA256")
	}
	if c.KDF.KeySize < 32 || c.KDF.KeySize > 64 {
		return schemaErr("clkConfig.kdf.keySize must be 32..64 bytes, got %d", c.KDF.KeySize)
	}
	for name, v := range map[string]string{"salt": c.KDF.Salt, "info": c.KDF.Info} {
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return schemaErr("clkConfig.kdf.%s is not base64", name)
		}
	}
	if c.Hardening.XORFold < 0 || c.Hardening.XORFold > 2 {
		return schemaErr("clkConfig.hardening.xorFolds must be 0..2, got %d", c.Hardening.XORFold)
	}
	if len(s.Features) == 0 || len(s.Features) > 32 {
		return schemaErr("want 1..32 features, got %d", len(s.Features))
	}
	seen := map[string]bool{}
	used := 0
	for i := range s.Features {
		f := &s.Features[i]
		if f.Identifier == "" || len(f.Identifier) > 64 {
			return schemaErr("feature %d: identifier required (at most 64 characters)", i+1)
		}
		if seen[f.Identifier] {
			return schemaErr("feature %q appears twice", f.Identifier)
		}
		seen[f.Identifier] = true
		if len(f.Description) > 500 {
			return schemaErr("feature %q: description longer than 500 characters", f.Identifier)
		}
		if f.Ignored {
			if f.Hashing != nil {
				return schemaErr("feature %q: ignored features have no hashing", f.Identifier)
			}
			continue
		}
		known := false
		for _, n := range featureNames {
			known = known || n == f.Identifier
		}
		if !known {
			return schemaErr("feature %q unknown (one of %s); mark it ignored", f.Identifier, strings.Join(featureNames, ", "))
		}
		h := f.Hashing
		if h == nil {
			return schemaErr("feature %q: hashing required", f.Identifier)
		}
		if err := h.Comparison.validate(); err != nil {
			return schemaErr("feature %q: %s", f.Identifier, err.Msg)
		}
		st := h.Strategy
		if (st.BitsPerToken == 0) == (st.BitsPerFeature == 0) {
			return schemaErr("feature %q: strategy needs exactly one of bitsPerToken, bitsPerFeature", f.Identifier)
		}
		if st.BitsPerToken < 0 || st.BitsPerToken > 100 || st.BitsPerFeature < 0 || st.BitsPerFeature > 2000 {
			return schemaErr("feature %q: bit budget out of range", f.Identifier)
		}
		if h.Hash.Type != "blakeHash" {
			return schemaErr("feature %q: hash type %q not supported (blakeHash)", f.Identifier, h.Hash.Type)
		}
		if len(h.Salt) > 64 {
			return schemaErr("feature %q: salt longer than 64 characters", f.Identifier)
		}
		if mv := h.MissingValue; mv != nil && (mv.Sentinel != "" || len(mv.ReplaceWith) > 64) {
			return schemaErr("feature %q: missingValue sentinel must be empty and replaceWith at most 64 characters", f.Identifier)
		}
		if n := f.Normalisation; n != nil {
			if (n.Script != "" && n.Script != "latin") || (n.Diacritics != "" && n.Diacritics != "fold") ||
				(n.Case != "" && n.Case != "lower") || (n.NameOrder != "" && n.NameOrder != "free") {
				return schemaErr("feature %q: normalisation values are script=latin, diacritics=fold, case=lower, nameOrder=free", f.Identifier)
			}
		}
		used++
	}
	if used == 0 {
		return schemaErr("every feature is ignored")
	}
	return s.validateGroups()
}

func (c *Comparison) validate() *SchemaError {
	switch c.Type {
	case "ngram":
		if c.N < 1 || c.N > 4 {
			return &SchemaError{Msg: "ngram n must be 1..4"}
		}
	case "exact", "date", "phonetic":
		if c.N != 0 || c.Positional {
			return &SchemaError{Msg: c.Type + " comparison takes no n or positional"}
		}
	default:
		return &SchemaError{Msg: fmt.Sprintf("comparison type %q unknown (ngram, exact, date, phonetic)", c.Type)}
	}
	return nil
}

// MaxFieldGroups bounds the field groups of a schema.
const MaxFieldGroups = 8

func (s *Schema) validateGroups() error {
	gs := s.ClkConfig.FieldGroups
	if len(gs) > MaxFieldGroups {
		return schemaErr("clkConfig.fieldGroups: at most %d groups, got %d", MaxFieldGroups, len(gs))
	}
	hashed := map[string]bool{}
	for i := range s.Features {
		if f := &s.Features[i]; !f.Ignored {
			hashed[f.Identifier] = true
		}
	}
	seen := map[string]bool{}
	for i, g := range gs {
		if g.Identifier == "" || len(g.Identifier) > 64 {
			return schemaErr("clkConfig.fieldGroups[%d]: identifier required (at most 64 characters)", i)
		}
		if seen[g.Identifier] {
			return schemaErr("field group %q appears twice", g.Identifier)
		}
		seen[g.Identifier] = true
		if g.L < 64 || g.L > 1024 || bits.OnesCount(uint(g.L)) != 1 {
			return schemaErr("field group %q: l must be a power of two from 64 to 1024, got %d", g.Identifier, g.L)
		}
		if s.ClkConfig.Hardening.Balance && g.L < 128 {
			return schemaErr("field group %q: l must be at least 128 with balancing", g.Identifier)
		}
		if len(g.Features) == 0 || len(g.Features) > 8 {
			return schemaErr("field group %q: want 1..8 features, got %d", g.Identifier, len(g.Features))
		}
		// A feature may appear once with its own tokenisation and once
		// with each other one.
		in := map[string]bool{}
		for _, f := range g.Features {
			if !hashed[f.Identifier] {
				return schemaErr("field group %q: feature %q is not a hashed feature of the schema", g.Identifier, f.Identifier)
			}
			key := f.Identifier
			if c := f.Comparison; c != nil {
				if err := c.validate(); err != nil {
					return schemaErr("field group %q: feature %q: %s", g.Identifier, f.Identifier, err.Msg)
				}
				key += fmt.Sprintf("\x00%s\x00%d\x00%v", c.Type, c.N, c.Positional)
			}
			if in[key] {
				return schemaErr("field group %q: feature %q appears twice", g.Identifier, f.Identifier)
			}
			in[key] = true
			if f.BitsPerToken < 1 || f.BitsPerToken > 32 {
				return schemaErr("field group %q: feature %q: bitsPerToken must be 1..32, got %d", g.Identifier, f.Identifier, f.BitsPerToken)
			}
		}
	}
	return nil
}

// Digest identifies the schema's content (hex, 16 digits): two nodes with
// the same digest encode the same way.
func (s *Schema) Digest() string { return s.digest }

// Words is the number of 64-bit words of the record-level filter.
func (s *Schema) Words() int { return s.ClkConfig.L / 64 }

// FieldWords is the number of 64-bit words of all field-group filters.
func (s *Schema) FieldWords() int {
	n := 0
	for _, g := range s.ClkConfig.FieldGroups {
		n += g.L / 64
	}
	return n
}
