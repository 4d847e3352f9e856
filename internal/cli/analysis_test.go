package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestAnalysisImportExport: a file with an error is refused with its line
// and nothing saved; a good one is imported and exported again.
func TestAnalysisImportExport(t *testing.T) {
	data := t.TempDir()
	bad, good := filepath.Join(t.TempDir(), "bad.csv"), filepath.Join(t.TempDir(), "gbv.csv")
	writeFile(t, bad, "indicator,value\nfemicides,7\nfemicide,2\n")
	writeFile(t, good, "indicator,sex,value\nfemicides,female,7\nipv_victims,female,455\n")
	args := []string{"--set", "gbv", "--title", "GBV RS entity 2025", "--period", "2025", "--jurisdiction", "BA-RS", "--definition", "ipv_victims|Art. 190 RS CC|per offence", "--data", data}
	r := run(t, nil, "", append([]string{"analysis", "import", bad}, args...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "line 3, column indicator: indicator") || !strings.Contains(r.stderr, "nothing was saved") {
		t.Fatalf("bad file: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "", append([]string{"analysis", "import", good}, args...)...)
	m := regexp.MustCompile(`imported table (\S+): gbv BA-RS 2025, 2 cells`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("import: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "", "analysis", "export", "--table", m[1], "--data", data)
	if r.code != 0 || !strings.Contains(r.stdout, "BA-RS,2025,ipv_victims,,female,,,,,455,false") {
		t.Fatalf("export: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "analysis", "export", "--data", data); r.code != 0 || !strings.HasPrefix(r.stdout, "node,partner,quarter") {
		t.Fatalf("scoreboard export: %d %q", r.code, r.stderr)
	}
	// An XLSX workbook is read the same way.
	book := excelize.NewFile()
	for i, row := range [][]any{{"indicator", "sex", "value"}, {"femicides", "female", 9}, {"ipv_victims", "female", 512}} {
		_ = book.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row)
	}
	xlsx := filepath.Join(t.TempDir(), "gbv.xlsx")
	if err := book.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "", append([]string{"analysis", "import", xlsx}, args...)...)
	if r.code != 0 || !regexp.MustCompile(`imported table \S+: gbv BA-RS 2025, 2 cells`).MatchString(r.stdout) {
		t.Fatalf("xlsx import: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// TestAssessmentCommands: an assessment started from the console is listed
// and printed as a PDF; an unknown one is a clear error.
func TestAssessmentCommands(t *testing.T) {
	data := t.TempDir()
	r := run(t, nil, "", "assessment", "create", "--area", "drugs", "--period", "2025", "--title", "Drugs 2025 — Дрога", "--data", data)
	m := regexp.MustCompile(`started assessment (\S+): drugs 2025, 0 contributions merged`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("create: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, "", "assessment", "list", "--data", data); r.code != 0 || !strings.Contains(r.stdout, m[1]+"\tdraft\tdrugs\t2025\tDrugs 2025 — Дрога") {
		t.Fatalf("list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "a.pdf")
	if r := run(t, nil, "", "assessment", "pdf", m[1], out, "--data", data); r.code != 0 {
		t.Fatalf("pdf: %d %q", r.code, r.stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "%PDF-") || !strings.Contains(string(b), "%%EOF") {
		t.Fatalf("not a PDF: %.20q", b)
	}
	if r := run(t, nil, "", "assessment", "pdf", "nope", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "no such assessment") {
		t.Fatalf("unknown: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "assessment", "create", "--area", "fishing", "--period", "2025", "--title", "x", "--data", data); r.code != 1 {
		t.Fatalf("unknown area: %d %q", r.code, r.stderr)
	}
}

// The analysis benchmark runs end to end on a tiny case database (the real
// run is documented in docs/PERFORMANCE.md).
func TestBenchAnalysisSmoke(t *testing.T) {
	r := run(t, nil, "", "bench", "analysis", "--cases", "50", "--entities", "300", "--relations", "900", "--queries", "5", "--threads", "60", "--dir", t.TempDir())
	for _, want := range []string{"statistics: ", "neighbours depth 2 (limit 5000): p50", "shortest path: p50", "scoreboard (7 nodes"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Fatalf("bench analysis: no %q in %+v", want, r)
		}
	}
	t.Log(r.stdout)
}
