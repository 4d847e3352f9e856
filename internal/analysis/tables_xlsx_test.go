package analysis_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/liaison-wb/liaison/internal/analysis"
)

// workbook writes rows to the first sheet of a new workbook; int values
// are stored as numbers.
func workbook(t *testing.T, rows [][]any, numFmt string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	style := 0
	if numFmt != "" {
		var err error
		if style, err = f.NewStyle(&excelize.Style{CustomNumFmt: &numFmt}); err != nil {
			t.Fatal(err)
		}
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
			if _, isInt := v.(int); isInt && style != 0 {
				_ = f.SetCellStyle(sheet, cell, cell, style)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestParseXLSXReportsEveryRowByRow: a workbook is checked exactly as a
// CSV file, each problem with its sheet row; numbers formatted with
// thousands separators are read as the numbers stored.
func TestParseXLSXReportsEveryRowByRow(t *testing.T) {
	data := workbook(t, [][]any{
		{"indicator", "sex", "relationship", "form", "value"},
		{"ipv_victims", "female", "current_partner", "physical", 812},
		{"ipv_victimz", "female", "", "", 3},
		{"femicides", "woman", "", "", 2},
		{"protection_orders_granted", "", "", "", -4},
		{"ipv_victims", "female", "current_partner", "physical", 10},
	}, "")
	cells, errs := analysis.ParseTableFile(gbv(), data)
	if cells != nil {
		t.Fatalf("cells from a workbook with errors: %+v", cells)
	}
	want := []analysis.ImportError{{Line: 3, Column: "indicator", Code: "indicator", Value: "ipv_victimz"}, {Line: 4, Column: "sex", Code: "breakdown", Value: "woman"},
		{Line: 5, Column: "value", Code: "value", Value: "-4"}, {Line: 6, Code: "duplicate", Value: "2"}}
	if fmt.Sprint(errs) != fmt.Sprint(want) {
		t.Fatalf("errors\n got %+v\nwant %+v", errs, want)
	}
	good := workbook(t, [][]any{{"Indicator", "Sex", "Value"}, {"femicides", "female", 4}, {}, {"ipv_victims", "female", 1204}}, "#,##0")
	cells, errs = analysis.ParseTableFile(gbv(), good)
	if len(errs) != 0 || len(cells) != 2 || *cells[1].Value != 1204 {
		t.Fatalf("good workbook: %+v %+v", cells, errs)
	}
	if _, errs := analysis.ParseTableFile(gbv(), workbook(t, [][]any{{"sex", "value"}, {"female", 3}}, "")); len(errs) != 1 || errs[0].Code != "header" || errs[0].Column != "indicator" {
		t.Fatalf("missing column: %+v", errs)
	}
	if _, errs := analysis.ParseTableFile(gbv(), []byte("PK\x03\x04 not really a workbook")); len(errs) != 1 || errs[0].Code != "workbook" {
		t.Fatalf("broken workbook: %+v", errs)
	}
}
