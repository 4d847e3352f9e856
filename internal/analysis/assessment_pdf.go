package analysis

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/liaison-wb/liaison/internal/errs"
)

// The PDF is written with DejaVu Sans, embedded (and subset into each
// document), so Latin with the region's diacritics and Cyrillic print as
// typed. Licence: fonts/LICENSE.

//go:embed fonts/DejaVuSans.ttf
var fontRegular []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var fontBold []byte

// pdfLabels are the English words of the PDF; a caller passes a
// translation for the reader's language (missing keys stay English).
var pdfLabels = map[string]string{
	"restricted":    "RESTRICTED — not for publication",
	"public":        "PUBLIC VERSION",
	"crime_area":    "Crime area",
	"period":        "Period",
	"state":         "State",
	"approved":      "Approved",
	"node":          "Regional node",
	"contributions": "National contributions",
	"summary":       "Summary",
	"chart":         "Risk by threat (threat × vulnerability × impact, 1–125)",
	"threats":       "Threats",
	"threat":        "Threat",
	"vulnerability": "Vulnerability",
	"impact":        "Impact",
	"risk":          "Risk",
	"priorities":    "Priorities",
	"rank":          "Rank",
	"countries":     "Countries",
	"none":          "None.",
	"page":          "Page",
	"formula":       "Risk = threat × vulnerability × impact; low below 27, medium below 64, high below 100, critical from 100.",
	"low":           "low",
	"medium":        "medium",
	"high":          "high",
	"critical":      "critical",
}

// PDFOptions adjust an assessment's PDF.
type PDFOptions struct {
	// T translates a label key (see pdfLabels), a section key,
	// "area_<crime area>" and "state_<state>"; nil or "" keeps English.
	T func(key string) string
	// Now is the creation date written into the document.
	Now time.Time
}

func (o PDFOptions) label(key string) string {
	if o.T != nil {
		if v := o.T(key); v != "" {
			return v
		}
	}
	if v, ok := pdfLabels[key]; ok {
		return v
	}
	if area, ok := strings.CutPrefix(key, "area_"); ok {
		if t, ok := TemplateOf(area); ok {
			return t.Title
		}
		return area
	}
	if st, ok := strings.CutPrefix(key, "state_"); ok {
		return strings.ReplaceAll(st, "_", " ")
	}
	return sectionTitles[key]
}

var levelColours = map[string][3]int{
	"low":      {76, 153, 0},
	"medium":   {230, 172, 0},
	"high":     {230, 92, 0},
	"critical": {192, 0, 0},
}

// AssessmentPDF writes an assessment (the version given: restricted or
// public) as a PDF document with its title in the document information,
// a bar chart of the threats' risk, the scored threats with their
// reasoning, the merged sections with each paragraph's country, and the
// priorities.
func AssessmentPDF(a Assessment, o PDFOptions) ([]byte, error) {
	const op = "analysis.AssessmentPDF"
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("dejavu", "", fontRegular)
	pdf.AddUTF8FontFromBytes("dejavu", "B", fontBold)
	pdf.SetTitle(a.Title, true)
	pdf.SetSubject(o.label("crime_area")+": "+o.label("area_"+a.CrimeArea)+", "+a.Period, true)
	pdf.SetAuthor(strings.ToUpper(a.Node), true)
	pdf.SetCreator("Liaison", true)
	if !o.Now.IsZero() {
		pdf.SetCreationDate(o.Now)
		pdf.SetModificationDate(o.Now)
	}
	pdf.SetMargins(18, 20, 18)
	pdf.SetAutoPageBreak(true, 18)
	marking := o.label("restricted")
	if a.Public {
		marking = o.label("public")
	}
	pdf.SetHeaderFunc(func() {
		pdf.SetFont("dejavu", "B", 8)
		if a.Public {
			pdf.SetTextColor(60, 60, 60)
		} else {
			pdf.SetTextColor(170, 0, 0)
		}
		pdf.CellFormat(0, 5, marking, "", 1, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.Ln(2)
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-14)
		pdf.SetFont("dejavu", "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s — %s %d", a.Title, o.label("page"), pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	w, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	width := w - left - right

	pdf.SetFont("dejavu", "B", 18)
	pdf.MultiCell(width, 8, a.Title, "", "L", false)
	pdf.Ln(2)
	pdf.SetFont("dejavu", "", 10)
	meta := [][2]string{{o.label("crime_area"), o.label("area_" + a.CrimeArea)}, {o.label("period"), a.Period}, {o.label("state"), o.label("state_" + a.State)},
		{o.label("node"), strings.ToUpper(a.Node)}}
	if a.ApprovedAt != nil {
		meta = append(meta, [2]string{o.label("approved"), a.ApprovedAt.UTC().Format("2006-01-02")})
	}
	nodes := a.Nodes()
	for i := range nodes {
		nodes[i] = strings.ToUpper(nodes[i])
	}
	meta = append(meta, [2]string{o.label("contributions"), strings.Join(nodes, ", ")})
	for _, m := range meta {
		pdf.SetFont("dejavu", "B", 10)
		pdf.CellFormat(45, 6, m[0], "", 0, "L", false, 0, "")
		pdf.SetFont("dejavu", "", 10)
		pdf.MultiCell(width-45, 6, m[1], "", "L", false)
	}

	heading := func(s string) {
		pdf.Ln(4)
		pdf.SetFont("dejavu", "B", 13)
		pdf.MultiCell(width, 7, s, "", "L", false)
		pdf.SetFont("dejavu", "", 10)
	}
	if a.Summary != "" {
		heading(o.label("summary"))
		pdf.MultiCell(width, 5, a.Summary, "", "L", false)
	}

	ranked := a.RankedThreats()
	heading(o.label("chart"))
	drawRiskChart(pdf, ranked, left, width, o)

	heading(o.label("threats"))
	if len(ranked) == 0 {
		pdf.MultiCell(width, 5, o.label("none"), "", "L", false)
	}
	for i, t := range ranked {
		lvl := RiskLevel(t.Risk())
		pdf.SetFont("dejavu", "B", 11)
		pdf.MultiCell(width, 6, fmt.Sprintf("%d. %s — %s %d (%s)", i+1, t.Title, o.label("risk"), t.Risk(), o.label(lvl)), "", "L", false)
		pdf.SetFont("dejavu", "", 10)
		if t.Description != "" {
			pdf.MultiCell(width, 5, t.Description, "", "L", false)
		}
		for _, f := range []struct {
			key string
			s   Score
		}{{"threat", t.Threat}, {"vulnerability", t.Vulnerability}, {"impact", t.Impact}} {
			pdf.MultiCell(width, 5, fmt.Sprintf("%s %d/5: %s", o.label(f.key), f.s.Value, f.s.Reasoning), "", "L", false)
		}
		pdf.Ln(2)
	}
	pdf.SetFont("dejavu", "", 8)
	pdf.MultiCell(width, 4, o.label("formula"), "", "L", false)

	for _, sec := range a.Merged() {
		heading(o.label(sec.Key))
		if len(sec.Paragraphs) == 0 {
			pdf.MultiCell(width, 5, o.label("none"), "", "L", false)
		}
		for _, p := range sec.Paragraphs {
			pdf.SetFont("dejavu", "B", 10)
			pdf.CellFormat(14, 5, "["+strings.ToUpper(p.Node)+"]", "", 0, "L", false, 0, "")
			pdf.SetFont("dejavu", "", 10)
			pdf.MultiCell(width-14, 5, p.Text, "", "L", false)
			pdf.Ln(1)
		}
	}

	heading(o.label("priorities"))
	if len(a.Priorities) == 0 {
		pdf.MultiCell(width, 5, o.label("none"), "", "L", false)
	}
	for _, p := range a.Priorities {
		pdf.SetFont("dejavu", "B", 10)
		pdf.MultiCell(width, 5, fmt.Sprintf("%s %d: %s", o.label("rank"), p.Rank, p.Title), "", "L", false)
		pdf.SetFont("dejavu", "", 10)
		if len(p.Countries) > 0 {
			pdf.MultiCell(width, 5, o.label("countries")+": "+strings.Join(p.Countries, ", "), "", "L", false)
		}
		if p.Description != "" {
			pdf.MultiCell(width, 5, p.Description, "", "L", false)
		}
		pdf.Ln(1)
	}

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, errs.Wrap(errs.Internal, op, "the PDF cannot be written", err)
	}
	return buf.Bytes(), nil
}

// drawRiskChart draws one horizontal bar per threat on a 0–125 scale,
// coloured by risk level, with grid lines every 25.
func drawRiskChart(pdf *fpdf.Fpdf, ts []Threat, left, width float64, o PDFOptions) {
	if len(ts) == 0 {
		pdf.MultiCell(width, 5, o.label("none"), "", "L", false)
		return
	}
	const bar, gap, labelW, maxRisk = 6.0, 3.0, 62.0, 125.0
	plotW := width - labelW - 12
	height := float64(len(ts))*(bar+gap) + gap
	if _, h := pdf.GetPageSize(); pdf.GetY()+height+10 > h-20 {
		pdf.AddPage()
	}
	top := pdf.GetY() + 2
	x0 := left + labelW
	pdf.SetFont("dejavu", "", 7)
	pdf.SetDrawColor(200, 200, 200)
	for v := 0.0; v <= maxRisk; v += 25 {
		x := x0 + plotW*v/maxRisk
		pdf.Line(x, top, x, top+height)
		pdf.Text(x-2, top+height+4, fmt.Sprintf("%.0f", v))
	}
	pdf.SetDrawColor(0, 0, 0)
	pdf.Line(x0, top, x0, top+height)
	for i, t := range ts {
		y := top + gap + float64(i)*(bar+gap)
		c := levelColours[RiskLevel(t.Risk())]
		pdf.SetFillColor(c[0], c[1], c[2])
		pdf.Rect(x0, y, plotW*float64(t.Risk())/maxRisk, bar, "F")
		pdf.SetFont("dejavu", "", 8)
		pdf.SetXY(left, y)
		label := t.Title
		for len([]rune(label)) > 3 && pdf.GetStringWidth(label) > labelW-3 {
			r := []rune(label)
			label = string(r[:len(r)-2]) + "…"
		}
		pdf.CellFormat(labelW-2, bar, label, "", 0, "R", false, 0, "")
		pdf.Text(x0+plotW*float64(t.Risk())/maxRisk+1.5, y+bar-1.5, fmt.Sprint(t.Risk()))
	}
	pdf.SetY(top + height + 7)
	pdf.SetFont("dejavu", "", 10)
}
