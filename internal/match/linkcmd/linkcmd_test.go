package linkcmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/match"
)

var update = flag.Bool("update", false, "rewrite golden files")

func run(t *testing.T, fn func(context.Context, []string, io.Writer, io.Writer) error, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := fn(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s mismatch (run with -update)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestLinkGolden(t *testing.T) {
	l, r := filepath.Join("testdata", "left.csv"), filepath.Join("testdata", "right.csv")
	out, _, err := run(t, Link, l, r)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "link.golden", out)
	for _, want := range []string{"L1,R1,", "L2,R2,", "L3,R4,", "L4,R5,", "L5,R3,"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing pair %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, "R6") {
		t.Errorf("unrelated R6 matched:\n%s", out)
	}
	out, _, err = run(t, Link, l, r, "--explain", "--one-to-one")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "link_explain.golden", out)
	// Each run says how many pairs fell in the review band; --explain
	// names the decision for every pair, near misses included.
	_, errOut, err := run(t, Link, l, r, "--threshold", "0.9995")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "pairs linked, 0 of them in the review band") {
		t.Errorf("no review-band count on stderr: %q", errOut)
	}
	ex, _, err := run(t, Link, l, r, "--threshold", "0.9995", "--explain")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(strings.Split(ex, "\n"), func(l string) bool { return strings.HasPrefix(l, "L2,R2,0.999") && strings.Contains(l, ",not_linked,") }) {
		t.Errorf("--explain does not show the pair below the threshold as not linked:\n%s", ex)
	}
	// Flags may come before the files, and a high threshold drops pairs.
	hi, _, err := run(t, Link, "--threshold", "0.999999", l, r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(hi, "\n") >= strings.Count(out, "\n") {
		t.Errorf("threshold did not reduce output:\n%s", hi)
	}
}

func TestDedupe(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "people.csv")
	os.WriteFile(f, []byte("id,full_name,dob,jmbg\n"+
		"a,Marko Petrović,17.03.1985,1703985710028\n"+
		"b,PETROVIĆ Marko,1985-03-17,1703985710028\n"+
		"c,Ana Jovanović,1990-02-02,0202990715000\n"+
		"d,Марко Петровић,19850317,\n"+
		"e,Ilir Gashi,1970-01-01,\n"), 0o644)
	out, _, err := run(t, Dedupe, f)
	if err != nil {
		t.Fatal(err)
	}
	want := "id,cluster_id\na,a\nb,a\nc,c\nd,a\ne,e\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// --help lists every flag with its meaning and is not an error.
func TestHelpListsFlags(t *testing.T) {
	for _, c := range []struct {
		fn   func(context.Context, []string, io.Writer, io.Writer) error
		args []string
		want []string
	}{
		{Link, []string{"--help"}, []string{"Usage: liaison link", "LEFT.csv RIGHT.csv", "-one-to-one", "keep at most one partner per record", "-threshold"}},
		{Dedupe, []string{"-h"}, []string{"Usage: liaison dedupe", "FILE.csv", "-field", "map a column to a kind"}},
		{Bench, []string{"match", "--help"}, []string{"Usage: liaison bench match", "-records", "deduplication sizes"}},
	} {
		_, stderr, err := run(t, c.fn, c.args...)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%v: err = %v, want flag.ErrHelp", c.args, err)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: help lacks %q:\n%s", c.args, w, stderr)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	l := filepath.Join("testdata", "left.csv")
	cases := []struct {
		fn   func(context.Context, []string, io.Writer, io.Writer) error
		args []string
	}{
		{Link, []string{l}},
		{Link, []string{l, l, l}},
		{Link, []string{l, l, "--threshold", "2"}},
		{Link, []string{l, l, "--threshold", "x"}},
		{Link, []string{l, l, "--field", "nokind"}},
		{Link, []string{l, l, "--field", "col=spaceship"}},
		{Link, []string{"--nope", l, l}},
		{Dedupe, []string{}},
		{Bench, []string{"match", "--records", "-5"}},
		{Bench, []string{"other"}},
	}
	for _, c := range cases {
		_, _, err := run(t, c.fn, c.args...)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want UsageError", c.args, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	good := write("good.csv", "id,surname\n1,Petrović\n")
	cases := []struct {
		name, content string
		want          []string
	}{
		{"noid.csv", "name,surname\nMarko,Petrović\n", []string{"noid.csv", "no id column"}},
		{"ragged.csv", "id,surname\n1,Petrović\n2,Jovanović,extra\n", []string{"ragged.csv", "line 3", "3 fields"}},
		{"utf8.csv", "id,surname\n1,Petrovi\xe6\n", []string{"utf8.csv", "line 2", "column 2", "surname", "UTF-8"}},
		{"dup.csv", "id,surname\n1,A\n2,B\n1,C\n", []string{"dup.csv", "line 4", "duplicate id", "line 2"}},
		{"empty.csv", "", []string{"empty.csv", "empty"}},
		{"quote.csv", "id,surname\n1,\"unterminated\n", []string{"quote.csv", "line"}},
		{"emptyid.csv", "id,surname\n,A\n", []string{"emptyid.csv", "line 2", "empty id"}},
		{"utf16.csv", "\xff\xfei\x00d\x00", []string{"utf16.csv", "UTF-16"}},
	}
	for _, c := range cases {
		p := write(c.name, c.content)
		_, _, err := run(t, Link, p, good)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		var ue *UsageError
		if errors.As(err, &ue) {
			t.Errorf("%s: bad input reported as usage error", c.name)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", c.name, err)
		}
	}
	if _, _, err := run(t, Dedupe, filepath.Join(dir, "missing.csv")); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestFieldMapping(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	b := filepath.Join(dir, "b.csv")
	os.WriteFile(a, []byte("Broj,Prezime ,Ime,Rodjen\n1,Petrović,Marko,17.03.1985\n2,Hoxha,Ilir,1970\n"), 0o644)
	os.WriteFile(b, []byte("key,family,given,born\nx,Petrovic,Marko,1985-03-17\n"), 0o644)
	_, _, err := run(t, Link, a, b)
	if err == nil {
		t.Fatal("expected missing id error")
	}
	out, _, err := run(t, Link, a, b, "--field", "Broj=id", "--field", "Rodjen=dob", "--field", "key=id",
		"--field", "family=surname", "--field", "given=given_name", "--field", "born=date_of_birth", "--threshold", "0.01")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "1,x,") {
		t.Errorf("mapped columns not used:\n%s", out)
	}
}

func TestSaveAndLoadWeights(t *testing.T) {
	dir := t.TempDir()
	w := filepath.Join(dir, "w.json")
	l, r := filepath.Join("testdata", "left.csv"), filepath.Join("testdata", "right.csv")
	out1, _, err := run(t, Link, l, r, "--save-weights", w)
	if err != nil {
		t.Fatal(err)
	}
	out2, _, err := run(t, Link, l, r, "--weights", w)
	if err != nil {
		t.Fatal(err)
	}
	if out1 != out2 {
		t.Errorf("fixed weights from the saved model give different output:\n%s\n%s", out1, out2)
	}
	os.WriteFile(w, []byte(`{"fields":{"family_name":{"exact":{"m":2}}}}`), 0o644)
	if _, _, err := run(t, Link, l, r, "--weights", w); err == nil || !strings.Contains(err.Error(), "family_name") {
		t.Errorf("bad weights accepted: %v", err)
	}
	_ = match.DefaultThreshold
}

func TestBenchSmall(t *testing.T) {
	out, _, err := run(t, Bench, "match", "--records", "3000", "--link", "1000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"link 1000 x ", "dedupe 3000", "records/s", "comparisons", "precision", "peak heap"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchCommand runs `liaison bench match` with the arguments in
// LIAISON_BENCH_ARGS (skipped when unset), so the figures in
// docs/PERFORMANCE.md can be reproduced before the CLI wiring exists.
func TestBenchCommand(t *testing.T) {
	args := os.Getenv("LIAISON_BENCH_ARGS")
	if args == "" {
		t.Skip("set LIAISON_BENCH_ARGS to run the matching benchmark")
	}
	if err := Bench(context.Background(), strings.Fields(args), os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}
