package activities

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// MaxImportRows bounds one import.
const MaxImportRows = 5000

// columns maps the fields of an activity to the header names accepted in
// imports (compared after folding, with spaces, dashes and underscores
// treated alike). Export writes the first name of each, so an export can
// be imported again.
var columns = []struct {
	field   string
	headers []string
}{
	{"title", []string{"title", "activity", "naziv", "titulli", "naslov"}},
	{"description", []string{"description", "opis", "pershkrimi", "pershkrim"}},
	{"kind", []string{"kind", "type", "activity type", "vrsta", "lloji", "tip"}},
	{"status", []string{"status", "statusi"}},
	{"implementer", []string{"implementer", "implementing partner", "implementing organisation", "implementing organization", "partner", "realizator", "zbatuesi"}},
	{"donor", []string{"donor", "funder", "financed by", "donatori"}},
	{"budget", []string{"budget", "amount", "budzet", "buxheti", "iznos"}},
	{"currency", []string{"currency", "valuta", "monedha"}},
	{"countries", []string{"countries", "country", "beneficiary countries", "drzava", "drzave", "shteti", "vendi"}},
	{"agencies", []string{"agencies", "agency", "beneficiary agencies", "beneficiaries agencies", "institucija", "institucije", "institucioni"}},
	{"themes", []string{"themes", "theme", "tema", "teme", "temat", "area"}},
	{"start_date", []string{"start date", "start", "from", "pocetak", "fillimi", "od"}},
	{"end_date", []string{"end date", "end", "to", "kraj", "mbarimi", "do"}},
	{"expected_results", []string{"expected results", "results", "ocekivani rezultati", "rezultatet e pritura"}},
	{"indicators", []string{"indicators", "indikatori", "treguesit"}},
	{"beneficiaries", []string{"beneficiaries", "people", "participants", "broj korisnika", "perfituesit"}},
	{"contact_name", []string{"contact name", "contact", "kontakt"}},
	{"contact_email", []string{"contact email", "email", "e mail"}},
	{"contact_phone", []string{"contact phone", "phone", "telefon"}},
	{"documents", []string{"documents", "links", "dokumenti"}},
}

func headerKey(h string) string {
	f := fold(strings.TrimPrefix(h, "\ufeff"))
	f = strings.NewReplacer("_", " ", "-", " ", ".", " ").Replace(f)
	return strings.Join(strings.Fields(f), " ")
}

// ColumnMap says how one column of the file was understood.
type ColumnMap struct {
	Column int    `json:"column" doc:"1-based"`
	Header string `json:"header"`
	Field  string `json:"field,omitempty" doc:"activity field; empty when the column is ignored"`
}

// RowError is one problem in one row and column of an import.
type RowError struct {
	Row     int    `json:"row" doc:"1-based row of the file; the header is row 1"`
	Column  string `json:"column,omitempty" doc:"header of the column at fault"`
	Message string `json:"message"`
}

// ImportReport is the preview or result of an import.
type ImportReport struct {
	Format   string      `json:"format"`
	DryRun   bool        `json:"dry_run"`
	Rows     int         `json:"rows" doc:"data rows read"`
	Valid    int         `json:"valid" doc:"rows without errors"`
	Mapping  []ColumnMap `json:"mapping"`
	Ignored  []string    `json:"ignored_columns" doc:"headers not understood; their cells are not imported"`
	Errors   []RowError  `json:"errors"`
	Created  []string    `json:"created" doc:"IDs of the drafts saved"`
	Overlaps int         `json:"overlaps" doc:"drafts with overlaps to resolve before publishing"`
}

// ReadTable reads a CSV (comma or semicolon separated, optional BOM) or the
// first sheet of an XLSX file into rows of cells.
func ReadTable(format string, data []byte) ([][]string, error) {
	const op = "activities.Import"
	switch format {
	case "", "csv":
		data = bytes.TrimPrefix(data, []byte("\ufeff"))
		first, _, _ := bytes.Cut(data, []byte("\n"))
		r := csv.NewReader(bytes.NewReader(data))
		if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
			r.Comma = ';'
		}
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		var rows [][]string
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, errs.Wrap(errs.Invalid, op, "the CSV file cannot be read: "+csvErr(err), err)
			}
			rows = append(rows, rec)
			if len(rows) > MaxImportRows+1 {
				return nil, errs.Newf(errs.TooLarge, op, "at most %d rows per import", MaxImportRows)
			}
		}
		return rows, nil
	case "xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, op, "the file is not a readable XLSX workbook", err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, errs.New(errs.Invalid, op, "the workbook has no sheet")
		}
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, op, "the first sheet cannot be read", err)
		}
		if len(rows) > MaxImportRows+1 {
			return nil, errs.Newf(errs.TooLarge, op, "at most %d rows per import", MaxImportRows)
		}
		return rows, nil
	}
	return nil, errs.Newf(errs.Invalid, op, "format %q is not supported; use csv or xlsx", textutil.Ellipsis(format, 10))
}

func csvErr(err error) string {
	var pe *csv.ParseError
	if e, ok := err.(*csv.ParseError); ok {
		pe = e
		return fmt.Sprintf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return "malformed CSV"
}

// mapHeader finds each column's field.
func mapHeader(header []string) ([]ColumnMap, []string) {
	var m []ColumnMap
	var ignored []string
	used := map[string]bool{}
	for i, h := range header {
		k := headerKey(h)
		cm := ColumnMap{Column: i + 1, Header: strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))}
		for _, c := range columns {
			if used[c.field] {
				continue
			}
			for _, name := range c.headers {
				if k == name {
					cm.Field = c.field
				}
			}
			if cm.Field != "" {
				used[c.field] = true
				break
			}
		}
		if cm.Field == "" && k != "" {
			ignored = append(ignored, cm.Header)
		}
		m = append(m, cm)
	}
	return m, ignored
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '\n' || r == '|' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// rowInput builds an input from one row; problems with single cells are
// returned as row errors naming the column.
func rowInput(rowNum int, row []string, m []ColumnMap) (Input, []RowError) {
	var in Input
	var bad []RowError
	for _, cm := range m {
		if cm.Field == "" || cm.Column-1 >= len(row) {
			continue
		}
		v := strings.TrimSpace(row[cm.Column-1])
		switch cm.Field {
		case "title":
			in.Title = v
		case "description":
			in.Description = v
		case "kind":
			in.Kind = v
		case "status":
			in.Status = v
		case "implementer":
			in.Implementer = v
		case "donor":
			in.Donor = v
		case "budget":
			if v == "" {
				continue
			}
			n, err := parseAmount(v)
			if err != nil {
				bad = append(bad, RowError{Row: rowNum, Column: cm.Header, Message: fmt.Sprintf("budget %q is not a whole amount (write 450000 or 450.000)", textutil.Ellipsis(v, 40))})
				continue
			}
			in.Budget = n
		case "currency":
			in.Currency = v
		case "countries":
			for _, c := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '|' }) {
				in.Countries = append(in.Countries, c)
			}
		case "agencies":
			for _, a := range splitList(v) {
				// "RS: Ministry of Interior" names the country; otherwise the
				// first beneficiary country is assumed below.
				b := Beneficiary{Agency: a}
				if c, rest, ok := strings.Cut(a, ":"); ok && len(strings.TrimSpace(c)) <= 6 {
					b.Country, b.Agency = strings.ToUpper(strings.TrimSpace(c)), strings.TrimSpace(rest)
				}
				in.Agencies = append(in.Agencies, b)
			}
		case "themes":
			in.Themes = strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == '|' })
		case "start_date":
			in.StartDate = v
		case "end_date":
			in.EndDate = v
		case "expected_results":
			in.ExpectedResults = v
		case "indicators":
			in.Indicators = splitList(v)
		case "beneficiaries":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(strings.ReplaceAll(v, ".", ""))
			if err != nil || n < 0 {
				bad = append(bad, RowError{Row: rowNum, Column: cm.Header, Message: fmt.Sprintf("beneficiaries %q is not a number of people", textutil.Ellipsis(v, 40))})
				continue
			}
			in.Beneficiaries = n
		case "contact_name":
			in.ContactName = v
		case "contact_email":
			in.ContactEmail = v
		case "contact_phone":
			in.ContactPhone = v
		case "documents":
			for _, u := range splitList(v) {
				in.Documents = append(in.Documents, Document{URL: u})
			}
		}
	}
	for i := range in.Agencies {
		if in.Agencies[i].Country == "" && len(in.Countries) > 0 {
			in.Agencies[i].Country = strings.ToUpper(strings.TrimSpace(in.Countries[0]))
		}
	}
	return in, bad
}

// parseAmount reads 450000, 450.000, 450,000, 450 000 or 450000.00.
func parseAmount(v string) (int64, error) {
	v = strings.NewReplacer(" ", "", "\u00a0", "", "'", "").Replace(v)
	if i := strings.LastIndexAny(v, ".,"); i >= 0 && len(v)-i == 3 {
		v = v[:i] // cents
	}
	v = strings.NewReplacer(".", "", ",", "").Replace(v)
	return strconv.ParseInt(v, 10, 64)
}

// fieldOf finds the field a validation message is about.
func fieldOf(msg string) string {
	best := ""
	for _, c := range columns {
		if strings.HasPrefix(msg, c.field) && len(c.field) > len(best) {
			best = c.field
		}
	}
	return best
}

// Import reads a CSV or XLSX file of activities. Every row either becomes a
// draft (unless dryRun) or is reported with its errors; nothing is dropped
// silently. The drafts of one file are created in one transaction with
// their audit entries and the import's: all of them or none.
func (s *Service) Import(ctx context.Context, p *auth.Principal, format string, data []byte, dryRun bool) (ImportReport, error) {
	const op = "activities.Import"
	if err := s.authorize(ctx, p, auth.ActActivityImport, "activities"); err != nil {
		return ImportReport{}, err
	}
	if format == "" {
		format = "csv"
	}
	rows, err := ReadTable(format, data)
	if err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Format: format, DryRun: dryRun, Mapping: []ColumnMap{}, Ignored: []string{}, Errors: []RowError{}, Created: []string{}}
	if len(rows) == 0 {
		return rep, errs.New(errs.Invalid, op, "the file is empty; the first row must name the columns")
	}
	rep.Mapping, rep.Ignored = mapHeader(rows[0])
	if rep.Ignored == nil {
		rep.Ignored = []string{}
	}
	header := map[string]string{}
	for _, cm := range rep.Mapping {
		if cm.Field != "" {
			header[cm.Field] = cm.Header
		}
	}
	for _, need := range []string{"title", "kind", "donor", "implementer", "countries", "themes", "start_date", "end_date"} {
		if header[need] == "" {
			rep.Errors = append(rep.Errors, RowError{Row: 1, Column: need, Message: "no column for " + need + "; name a column " + strconv.Quote(columnsFor(need))})
		}
	}
	if len(rep.Errors) > 0 {
		return rep, nil
	}
	var valid []Input
	for i, row := range rows[1:] {
		rowNum := i + 2
		empty := true
		for _, c := range row {
			if strings.TrimSpace(c) != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		rep.Rows++
		in, bad := rowInput(rowNum, row, rep.Mapping)
		if len(bad) > 0 {
			rep.Errors = append(rep.Errors, bad...)
			continue
		}
		clean, err := s.clean(ctx, op, in)
		if err != nil {
			msg := errs.SafeMessage(err)
			f := fieldOf(msg)
			col := header[f]
			if col == "" {
				col = f
			}
			rep.Errors = append(rep.Errors, RowError{Row: rowNum, Column: col, Message: msg})
			continue
		}
		rep.Valid++
		if !dryRun {
			valid = append(valid, clean)
		}
	}
	summary := func() string {
		return fmt.Sprintf("%s dry_run=%v rows=%d valid=%d created=%d errors=%d", format, dryRun, rep.Rows, rep.Valid, len(rep.Created), len(rep.Errors))
	}
	if dryRun {
		return rep, s.record(ctx, p, "activities.import", "activities", summary())
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		rep.Created, rep.Overlaps = []string{}, 0
		for _, in := range valid {
			a, err := s.create(ctx, tx, p, in)
			if err != nil {
				return err
			}
			rep.Created = append(rep.Created, a.ID)
			ovs, err := s.overlaps(ctx, tx, a)
			if err != nil {
				return err
			}
			if len(ovs) > 0 {
				rep.Overlaps++
			}
		}
		return s.recordTx(ctx, tx, p, "activities.import", "activities", summary())
	})
	if err != nil {
		return ImportReport{}, dbErr(op, err)
	}
	return rep, nil
}

func columnsFor(field string) string {
	for _, c := range columns {
		if c.field == field {
			return c.headers[0]
		}
	}
	return field
}

// exportHeader is the first header name of every column.
func exportHeader() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = strings.ReplaceAll(c.headers[0], " ", "_")
	}
	return append([]string{"id", "owner_node", "version"}, out...)
}

func exportRow(a Activity) []string {
	var ag, docs []string
	for _, b := range a.Agencies {
		ag = append(ag, b.Country+": "+b.Agency)
	}
	for _, d := range a.Documents {
		docs = append(docs, d.URL)
	}
	return []string{a.ID, a.OwnerNode, strconv.FormatInt(a.Version, 10), a.Title, a.Description, a.Kind, a.Status, a.Implementer, a.Donor,
		strconv.FormatInt(a.Budget, 10), a.Currency, strings.Join(a.Countries, "; "), strings.Join(ag, "; "), strings.Join(a.Themes, "; "),
		a.StartDate, a.EndDate, a.ExpectedResults, strings.Join(a.Indicators, "; "), strconv.Itoa(a.Beneficiaries), a.ContactName, a.ContactEmail,
		a.ContactPhone, strings.Join(docs, "; ")}
}

// Export writes the matching activities as JSON, CSV or XLSX.
func (s *Service) Export(ctx context.Context, p *auth.Principal, format string, f Filter) ([]byte, string, string, error) {
	const op = "activities.Export"
	if err := s.authorize(ctx, p, auth.ActActivityExport, "activities"); err != nil {
		return nil, "", "", err
	}
	list, err := s.list(ctx, f, f.Drafts && auth.Can(p, auth.ActActivityEdit))
	if err != nil {
		return nil, "", "", dbErr(op, err)
	}
	var body []byte
	var mt, name string
	switch format {
	case "", "json":
		body, _ = json.MarshalIndent(list, "", "  ")
		mt, name = "application/json", "activities.json"
	case "csv":
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.Write(exportHeader())
		for _, a := range list {
			row := exportRow(a)
			for i := range row {
				row[i] = textutil.SpreadsheetSafe(row[i])
			}
			_ = w.Write(row)
		}
		w.Flush()
		body, mt, name = b.Bytes(), "text/csv; charset=utf-8", "activities.csv"
	case "xlsx":
		x := excelize.NewFile()
		defer x.Close()
		sheet := "Activities"
		_ = x.SetSheetName("Sheet1", sheet)
		hdr := exportHeader()
		vals := make([]any, len(hdr))
		for i, h := range hdr {
			vals[i] = h
		}
		_ = x.SetSheetRow(sheet, "A1", &vals)
		for r, a := range list {
			row := exportRow(a)
			vals := make([]any, len(row))
			for i, v := range row {
				vals[i] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := x.SetSheetRow(sheet, cell, &vals); err != nil {
				return nil, "", "", errs.Wrap(errs.Internal, op, "cannot write the workbook", err)
			}
		}
		var b bytes.Buffer
		if err := x.Write(&b); err != nil {
			return nil, "", "", errs.Wrap(errs.Internal, op, "cannot write the workbook", err)
		}
		body, mt, name = b.Bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "activities.xlsx"
	default:
		return nil, "", "", errs.Newf(errs.Invalid, op, "format %q is not supported; use json, csv or xlsx", textutil.Ellipsis(format, 10))
	}
	return body, mt, name, s.record(ctx, p, "activities.export", "activities", format+": "+strconv.Itoa(len(list))+" activities")
}
