package cases_test

import (
	"bytes"
	"testing"

	"github.com/liaison-wb/liaison/internal/cases"
)

// The import parsers must never panic and must account for every row:
// each parsed row is an entity, a case, a relation or an error.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(importCSV), "person")
	f.Add([]byte("plate,make\nBG 123-AA,Audi\n\"x"), "vehicle")
	f.Add([]byte("\xef\xbb\xbfname;kind\nA;organisation\n;;\n"), "")
	f.Add([]byte("a,b\n1\n1,2,3\n"), "phone")
	f.Fuzz(func(t *testing.T, data []byte, kind string) {
		_, _, _, _ = cases.ParseCSV(bytes.NewReader(data), cases.ImportOptions{Kind: kind})
	})
}

func FuzzParseFtM(f *testing.F) {
	f.Add([]byte(ftmDoc))
	f.Add([]byte(`[{"id":"x","schema":"Person","properties":{"name":["A"],"alias":null}}]`))
	f.Add([]byte(`{"id":"o","schema":"Ownership","properties":{"owner":[],"asset":["x"]}}`))
	f.Add([]byte("{}\n\n[\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = cases.ParseFtM(bytes.NewReader(data))
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"entities":[{"kind":"person","fields":{"given_name":"A"}}],"relations":[{"from":"a","to":"b","type":"owns"}]}`))
	f.Add([]byte(`{"cases":[null],"entities":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = cases.ParseJSON(bytes.NewReader(data))
	})
}
