package pprl

import (
	"math"
	"slices"
	"testing"
)

// FuzzParseSchema: any document either parses into a schema that encodes
// without panicking, or is refused with a SchemaError.
func FuzzParseSchema(f *testing.F) {
	f.Add(DefaultSchemaJSON())
	f.Add([]byte(`{"version":3,"clkConfig":{"l":256,"kdf":{"type":"HKDF","hash":"SHA256","keySize":32}},"features":[{"identifier":"name","hashing":{"comparison":{"type":"ngram","n":2},"strategy":{"bitsPerToken":1},"hash":{"type":"blakeHash"}}}]}`))
	f.Add([]byte(`{"version":3,"clkConfig":{"l":4096,"kdf":{"type":"HKDF","hash":"SHA256","keySize":64},"hardening":{"balance":true,"xorFolds":2}},"features":[{"identifier":"date_of_birth","hashing":{"comparison":{"type":"date"},"strategy":{"bitsPerFeature":2000},"hash":{"type":"blakeHash"},"missingValue":{"sentinel":"","replaceWith":"x"}}}]}`))
	f.Add([]byte(`{"version":3,"clkConfig":{"l":256,"kdf":{"type":"HKDF","hash":"SHA256","keySize":32},"fieldGroups":[{"identifier":"n","l":64,"features":[{"identifier":"name","bitsPerToken":3}]}]},"features":[{"identifier":"name","hashing":{"comparison":{"type":"ngram","n":2},"strategy":{"bitsPerToken":1},"hash":{"type":"blakeHash"}}}]}`))
	f.Add([]byte(`{"version":3,"clkConfig":{"l":512,"kdf":{"type":"HKDF","hash":"SHA256","keySize":32},"hardening":{"balance":true,"xorFolds":1},"fieldGroups":[{"identifier":"d","l":128,"features":[{"identifier":"date_of_birth","bitsPerToken":32}]},{"identifier":"x","l":1024,"features":[{"identifier":"sex","bitsPerToken":1}]}]},"features":[{"identifier":"date_of_birth","hashing":{"comparison":{"type":"date"},"strategy":{"bitsPerToken":5},"hash":{"type":"blakeHash"}}},{"identifier":"sex","hashing":{"comparison":{"type":"exact"},"strategy":{"bitsPerToken":5},"hash":{"type":"blakeHash"}}}]}`))
	f.Add([]byte(`{"version":3,"clkConfig":{"l":256,"kdf":{"type":"HKDF","hash":"SHA256","keySize":32},"fieldGroups":[{"identifier":"n","l":64,"features":[{"identifier":"phone","bitsPerToken":3}]}]},"features":[{"identifier":"name","hashing":{"comparison":{"type":"exact"},"strategy":{"bitsPerToken":1},"hash":{"type":"blakeHash"}}}]}`))
	f.Add([]byte(`{"version":3,"clkConfig":{"l":256,"kdf":{"type":"HKDF","hash":"SHA256","keySize":32},"hardening":{"balance":true},"fieldGroups":[{"identifier":"i","l":128,"features":[{"identifier":"personal_id","bitsPerToken":3,"comparison":{"type":"ngram","n":1,"positional":true}},{"identifier":"personal_id","bitsPerToken":4}]}]},"features":[{"identifier":"personal_id","hashing":{"comparison":{"type":"exact"},"strategy":{"bitsPerToken":30},"hash":{"type":"blakeHash"}}}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSchema(b)
		if err != nil {
			if _, ok := err.(*SchemaError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if s.Digest() == "" {
			t.Fatal("no digest")
		}
		k, err := NewKey(s, []byte("fuzz secret 0123456789"))
		if err != nil {
			t.Fatal(err)
		}
		p := goldenPerson()
		e := k.Encode(&p)
		if len(e.Bits) != s.Words() {
			t.Fatalf("%d words, want %d", len(e.Bits), s.Words())
		}
		if s.ClkConfig.Hardening.Balance && e.Count != s.ClkConfig.L/2 {
			t.Fatalf("balanced: %d bits", e.Count)
		}
		if len(e.Fields) != s.FieldWords() {
			t.Fatalf("%d field words, want %d", len(e.Fields), s.FieldWords())
		}
		round, err := s.ParseEncoding(e.String())
		if err != nil || !slices.Equal(round.Bits, e.Bits) || !slices.Equal(round.Fields, e.Fields) || round.Count != e.Count {
			t.Fatalf("wire round trip: %v", err)
		}
		m := DefaultDiceModel().ForSchema(s)
		if sc, d := m.Match(&e, &round); d != 1 && e.Count > 0 || sc < 0 || sc > 1 {
			t.Fatalf("self match %v dice %v", sc, d)
		}
	})
}

// FuzzParseEncoding: an encoding received from a peer either parses to
// the right length with its bits counted, or is refused; never a panic.
// Under the default schema (field groups) it also scores without one.
func FuzzParseEncoding(f *testing.F) {
	s := DefaultSchema()
	k, _ := NewKey(s, []byte("fuzz secret 0123456789"))
	model := DefaultDiceModel().ForSchema(s)
	p := goldenPerson()
	own := k.Encode(&p)
	f.Add(own.String())
	f.Add(own.String()[:172])
	f.Add("")
	f.Add("AAAA")
	f.Add("!!not base64!!")
	f.Fuzz(func(t *testing.T, str string) {
		if g, err := s.ParseEncoding(str); err == nil {
			if len(g.Bits) != s.Words() || len(g.Fields) != s.FieldWords() {
				t.Fatalf("parsed %d + %d words", len(g.Bits), len(g.Fields))
			}
			if sc, _ := model.Match(&g, &own); sc < 0 || sc > 1 || math.IsNaN(sc) {
				t.Fatalf("score %v", sc)
			}
		}
		e, err := ParseEncoding(str, 16)
		if err != nil {
			return
		}
		if len(e.Bits) != 16 || e.Count != popcount(e.Bits) {
			t.Fatalf("parsed %d words, count %d", len(e.Bits), e.Count)
		}
		if d := Dice(e.Bits, e.Bits, e.Count, e.Count); e.Count > 0 && d != 1 {
			t.Fatalf("self dice %v", d)
		}
	})
}
