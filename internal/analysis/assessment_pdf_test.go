package analysis_test

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/liaison-wb/liaison/internal/analysis"
)

func sampleAssessment() analysis.Assessment {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return analysis.Assessment{ID: "a1", Node: "selec", CrimeArea: "drugs", Period: "2025", Title: "Regionalna procjena: droge 2025 — Ђорђевић čćžšđ",
		Summary: "Kokain kroz luke Jadrana; Шкодра–Подгорица.", State: analysis.AStateApproved, ApprovedAt: &at,
		Paragraphs: []analysis.Paragraph{{Section: analysis.SecTrends, Text: "Regional trend."}, {Section: analysis.SecRoutes, Text: "Secret route", Restricted: true}},
		Contributions: []analysis.NationalContribution{{Node: "rs", Paragraphs: []analysis.Paragraph{{Section: analysis.SecTrends, Text: "Заплене су удвостручене."}}},
			{Node: "al", Paragraphs: []analysis.Paragraph{{Section: analysis.SecRoutes, Text: "Rruga përmes Durrësit; çështje."}}}},
		Threats: []analysis.Threat{
			{Title: "Cocaine through Adriatic ports", Threat: analysis.Score{Value: 5, Reasoning: "Capable groups"}, Vulnerability: analysis.Score{Value: 4, Reasoning: "Few scanners"}, Impact: analysis.Score{Value: 5, Reasoning: "Violence"}},
			{Title: "Cannabis cultivation", Threat: analysis.Score{Value: 3, Reasoning: "Local"}, Vulnerability: analysis.Score{Value: 3, Reasoning: "Rural"}, Impact: analysis.Score{Value: 2, Reasoning: "Low"}},
			{Title: "Synthetic drugs online", Threat: analysis.Score{Value: 4, Reasoning: "Growing"}, Vulnerability: analysis.Score{Value: 4, Reasoning: "Parcels"}, Impact: analysis.Score{Value: 3, Reasoning: "Health"}, Restricted: true}},
		Priorities: []analysis.Priority{{Title: "Container profiling", Rank: 1, Countries: []string{"ME", "AL"}}}}
}

// checkPDF parses the document's structure back: header, trailer, the
// cross-reference table (every offset starts its object) and the Info
// dictionary's title, which it returns.
func checkPDF(t *testing.T, doc []byte) string {
	t.Helper()
	if !bytes.HasPrefix(doc, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimRight(doc, "\r\n"), []byte("%%EOF")) {
		t.Fatalf("not a PDF: %q … %q", doc[:min(16, len(doc))], doc[max(0, len(doc)-16):])
	}
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(doc)
	if m == nil {
		t.Fatal("no startxref")
	}
	off, _ := strconv.Atoi(string(m[1]))
	if off >= len(doc) || !bytes.HasPrefix(doc[off:], []byte("xref")) {
		t.Fatalf("startxref %d does not point at the xref table", off)
	}
	lines := strings.Split(string(doc[off:]), "\n")
	var first, count int
	if _, err := fmtSscan(lines[1], &first, &count); err != nil {
		t.Fatalf("xref header %q: %v", lines[1], err)
	}
	for i := 1; i < count; i++ {
		e := strings.Fields(lines[2+i])
		if len(e) != 3 || e[2] != "n" {
			continue
		}
		o, _ := strconv.Atoi(e[0])
		if !bytes.HasPrefix(doc[o:], []byte(strconv.Itoa(first+i)+" 0 obj")) {
			t.Fatalf("xref entry %d points at %q", first+i, doc[o:min(o+12, len(doc))])
		}
	}
	trailer := doc[off:]
	im := regexp.MustCompile(`/Info (\d+) 0 R`).FindSubmatch(trailer)
	if im == nil {
		t.Fatal("trailer has no Info dictionary")
	}
	start := bytes.Index(doc, append(im[1], []byte(" 0 obj")...))
	end := bytes.Index(doc[start:], []byte("endobj"))
	info := doc[start : start+end]
	ti := bytes.Index(info, []byte("/Title ("))
	if ti < 0 {
		t.Fatalf("Info has no title: %q", info)
	}
	return pdfString(info[ti+len("/Title ("):])
}

func fmtSscan(s string, a, b *int) (int, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, strconv.ErrSyntax
	}
	var err error
	if *a, err = strconv.Atoi(f[0]); err == nil {
		*b, err = strconv.Atoi(f[1])
	}
	return 2, err
}

// pdfString decodes a literal string (after its opening parenthesis),
// UTF-16BE when it starts with a byte order mark.
func pdfString(b []byte) string {
	var out []byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == ')' {
			break
		}
		if c == '\\' && i+1 < len(b) {
			i++
			switch b[i] {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			default:
				if b[i] >= '0' && b[i] <= '7' {
					j := i
					for j < len(b) && j < i+3 && b[j] >= '0' && b[j] <= '7' {
						j++
					}
					v, _ := strconv.ParseUint(string(b[i:j]), 8, 8)
					c, i = byte(v), j-1
				} else {
					c = b[i]
				}
			}
		}
		out = append(out, c)
	}
	if len(out) >= 2 && out[0] == 0xFE && out[1] == 0xFF {
		u := make([]uint16, 0, len(out)/2)
		for i := 2; i+1 < len(out); i += 2 {
			u = append(u, uint16(out[i])<<8|uint16(out[i+1]))
		}
		return string(utf16.Decode(u))
	}
	return string(out)
}

func TestAssessmentPDF(t *testing.T) {
	a := sampleAssessment()
	doc, err := analysis.AssessmentPDF(a, analysis.PDFOptions{Now: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if got := checkPDF(t, doc); got != a.Title {
		t.Fatalf("title in the Info dictionary: %q, want %q", got, a.Title)
	}
	if !bytes.Contains(doc, []byte("/FontFile2")) || !bytes.Contains(doc, []byte("/BaseFont /utf8dejavu")) {
		t.Fatal("the UTF-8 font is not embedded")
	}
	pub, err := analysis.AssessmentPDF(a.PublicVersion(), analysis.PDFOptions{T: func(k string) string {
		if k == "chart" {
			return "Ризик по пријетњи"
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := checkPDF(t, pub); got != a.Title {
		t.Fatalf("public title %q", got)
	}
	if dir := os.Getenv("LIAISON_PDF_OUT"); dir != "" {
		_ = os.WriteFile(dir+"/assessment.pdf", doc, 0o644)
		_ = os.WriteFile(dir+"/assessment-public.pdf", pub, 0o644)
	}
}
