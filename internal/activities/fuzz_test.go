package activities

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzReadTableCSV: any input either reads or fails with a domain error;
// the header mapper and row builder never panic on what was read.
func FuzzReadTableCSV(f *testing.F) {
	f.Add([]byte("title;kind;donor\nObuka;obuka;EU\n"))
	f.Add([]byte("\ufefftitle,countries,agencies\n\"a\"\"b\",RS,\"RS: MUP; ME: UP\"\n"))
	f.Add([]byte("budget\n1.000.000,00\n"))
	f.Add([]byte("\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ReadTable("csv", data)
		if err != nil {
			return
		}
		if len(rows) == 0 {
			return
		}
		m, _ := mapHeader(rows[0])
		for i, r := range rows[1:] {
			in, bad := rowInput(i+2, r, m)
			for _, b := range bad {
				if b.Row != i+2 || b.Column == "" {
					t.Fatalf("row error without row or column: %+v", b)
				}
			}
			_ = in
		}
	})
}

// FuzzReadTableXLSX: arbitrary bytes, and workbooks with arbitrary cell
// text, never panic the XLSX reader.
func FuzzReadTableXLSX(f *testing.F) {
	x := excelize.NewFile()
	_ = x.SetSheetRow("Sheet1", "A1", &[]any{"title", "kind", "start date"})
	_ = x.SetSheetRow("Sheet1", "A2", &[]any{"Obuka", "training", "01.03.2027"})
	var b bytes.Buffer
	_ = x.Write(&b)
	x.Close()
	f.Add(b.Bytes(), "cell")
	f.Add([]byte("PK\x03\x04 not really a zip"), "")
	f.Fuzz(func(t *testing.T, data []byte, cell string) {
		_, _ = ReadTable("xlsx", data)
		w := excelize.NewFile()
		defer w.Close()
		if err := w.SetCellStr("Sheet1", "B3", cell); err != nil {
			return
		}
		var buf bytes.Buffer
		if err := w.Write(&buf); err != nil {
			return
		}
		rows, err := ReadTable("xlsx", buf.Bytes())
		if err != nil {
			t.Fatalf("own workbook unreadable: %v", err)
		}
		if len(rows) == 0 {
			return // an empty cell leaves an empty sheet
		}
		m, _ := mapHeader(rows[0])
		for i, r := range rows[1:] {
			rowInput(i+2, r, m)
		}
	})
}
