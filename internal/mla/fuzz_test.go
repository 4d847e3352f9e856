package mla_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/mla"
)

func FuzzParseLanguages(f *testing.F) {
	for _, s := range []string{"sq, mk*, en", "SQ sq+done", "", "s", "sr-latn*;bs\nhr\t", "ćš", "**"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := mla.ParseLanguages(s)
		if err != nil {
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error message is not valid UTF-8: %q", err.Error())
			}
			return
		}
		// Round trip: formatting and parsing again gives the same list.
		again, err := mla.ParseLanguages(mla.FormatLanguages(ts))
		if err != nil || mla.FormatLanguages(again) != mla.FormatLanguages(ts) {
			t.Fatalf("round trip of %q: %v %v", s, ts, err)
		}
		for _, x := range ts {
			if x.Language != strings.ToLower(x.Language) || len(x.Language) < 2 || len(x.Language) > 10 {
				t.Fatalf("bad code %q from %q", x.Language, s)
			}
		}
	})
}

func FuzzParseWire(f *testing.F) {
	r := mla.Request{ID: "0193", OriginNode: "rs", TargetNode: "me", Kind: "evidence", Title: "t", Channel: "formal", CaseRefs: []string{}, Translations: []mla.Translation{}}
	f.Add(`{"id":"0193","origin_node":"rs","target_node":"me","kind":"evidence","title":"t","channel":"formal","signed_by":"p","signed_at":"2026-01-01T00:00:00Z","digest":"` + mla.Digest(r) + `"}`)
	f.Add(`{"request_id":"x","kind":"status","status":"refused","reason":"r","at":"2026-01-01T00:00:00Z"}`)
	f.Add(`{"request_id":"x","kind":"extension","recognise_due":"2026-01-01T00:00:00Z","at":"2026-01-01T00:00:00Z"}`)
	f.Add(`{}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := mla.ParseRequest("rs", "me", []byte(s)); err == nil {
			if r.Direction != mla.Incoming || r.OriginNode != "rs" || r.TargetNode != "me" || mla.Digest(r) != r.Digest || r.CaseRefs == nil {
				t.Fatalf("accepted an inconsistent request: %+v", r)
			}
		}
		_, _ = mla.ParseUpdate([]byte(s))
	})
}
