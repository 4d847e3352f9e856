package analysis

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// MinCell is the smallest count shared with other nodes: cells from 1 to
// MinCell-1 could point at individuals and are suppressed before a table
// leaves the node.
const MinCell = 5

// IndicatorDef is one harmonised indicator of an indicator set.
type IndicatorDef struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// IndicatorSet is a family of comparable indicators.
type IndicatorSet struct {
	Code       string         `json:"code"`
	Label      string         `json:"label"`
	Source     string         `json:"source" doc:"where the definitions come from"`
	Indicators []IndicatorDef `json:"indicators"`
}

// IndicatorSets are the harmonised sets this node knows.
var IndicatorSets = []IndicatorSet{
	{Code: "gbv", Label: "Gender-based violence (EIGE police and justice indicators)", Source: "EIGE, indicators on intimate partner violence, rape and femicide for the police and justice sectors",
		Indicators: []IndicatorDef{
			{"ipv_victims", "Women victims of intimate partner violence"},
			{"femicides", "Women killed by an intimate partner or family member"},
			{"protection_orders_applied", "Protection orders applied for"},
			{"protection_orders_granted", "Protection orders granted"},
			{"perpetrators_prosecuted", "Perpetrators prosecuted"},
			{"perpetrators_convicted", "Perpetrators convicted"},
		}},
	{Code: "thb", Label: "Trafficking in human beings and migrant smuggling: case profile", Source: "computed from local cases and completed by hand",
		Indicators: []IndicatorDef{
			{"cases", "Cases"},
			{"victims", "Victims"},
			{"perpetrators", "Perpetrators (suspects)"},
		}},
	{Code: "migration", Label: "Migration and asylum (MARRI)", Source: "MARRI regional data collection",
		Indicators: []IndicatorDef{
			{"refused_entry", "Persons refused entry"},
			{"illegally_present", "Persons found illegally present"},
			{"ordered_to_leave", "Persons ordered to leave"},
			{"returned", "Persons returned"},
			{"asylum_applications", "Asylum applications"},
			{"readmission_requests", "Readmission requests"},
			{"readmission_decisions", "Readmission decisions"},
		}},
}

// SetOf returns the indicator set with code.
func SetOf(code string) (IndicatorSet, bool) {
	for _, s := range IndicatorSets {
		if s.Code == code {
			return s, true
		}
	}
	return IndicatorSet{}, false
}

func (s IndicatorSet) has(ind string) bool {
	return slices.ContainsFunc(s.Indicators, func(i IndicatorDef) bool { return i.Code == ind })
}

// Jurisdictions a table may be reported for: countries, and Bosnia and
// Herzegovina's Federation, Republika Srpska and Brčko District separately.
var Jurisdictions = []string{"AL", "BA", "BA-FBIH", "BA-RS", "BA-BD", "ME", "MK", "RS", "XK", "REGION"}

// Breakdown values shared by every set ("" where a cell is not broken down).
var (
	Sexes         = []string{"", "female", "male", "unknown"}
	AgeBands      = []string{"", "<18", "18-24", "25-34", "35-44", "45-54", "55+", "unknown"}
	Relationships = []string{"", "current_partner", "former_partner", "family_member", "other", "unknown"}
	Forms         = []string{"", "physical", "sexual", "psychological", "economic", "sexual_exploitation", "forced_labour", "forced_begging", "forced_marriage", "other", "unknown"}
)

// Definition maps a national offence or data source to an indicator, with
// a comparability note.
type Definition struct {
	Indicator       string `json:"indicator"`
	NationalOffence string `json:"national_offence" maxLength:"300" doc:"the national offence or record counted, e.g. 'Art. 222 Domestic violence (FBiH CC)'"`
	Note            string `json:"note,omitempty" maxLength:"1000" doc:"comparability note"`
}

// TableCell is one count of a table.
type TableCell struct {
	Indicator    string `json:"indicator"`
	Area         string `json:"area,omitempty" doc:"crime area (case profiles)"`
	Sex          string `json:"sex,omitempty"`
	AgeBand      string `json:"age_band,omitempty"`
	Relationship string `json:"relationship,omitempty"`
	Form         string `json:"form,omitempty" doc:"form of violence or exploitation"`
	Nationality  string `json:"nationality,omitempty"`
	Value        *int   `json:"value,omitempty" doc:"absent when suppressed"`
	Suppressed   bool   `json:"suppressed,omitempty" doc:"a count from 1 to 4 left out before sharing"`
}

func (c TableCell) key() string {
	return strings.Join([]string{c.Indicator, c.Area, c.Sex, c.AgeBand, c.Relationship, c.Form, c.Nationality}, "|")
}

// Table is one harmonised aggregate table: a period, a jurisdiction, its
// definitions and its counts. No personal data.
type Table struct {
	ID           string       `json:"id"`
	Node         string       `json:"node" doc:"the node that holds and reports it"`
	Set          string       `json:"set" doc:"indicator set: gbv, thb, migration"`
	Title        string       `json:"title"`
	Period       string       `json:"period" doc:"YYYY, YYYY-Qn or YYYY-MM"`
	Jurisdiction string       `json:"jurisdiction" doc:"country code, or BA-FBIH, BA-RS, BA-BD for Bosnia and Herzegovina's entities and Brčko District"`
	Source       string       `json:"source,omitempty" doc:"national data source, e.g. the coordinative body or the central domestic-violence records"`
	Definitions  []Definition `json:"definitions"`
	Cells        []TableCell  `json:"cells"`
	Suppressed   bool         `json:"suppressed" doc:"shared form: small cells left out"`
	CreatedBy    string       `json:"created_by,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
}

// Shared returns the form of t that may leave the node: cells under
// MinCell (but not zero) lose their value and are marked suppressed, and
// the author is left out.
func (t Table) Shared() Table {
	out := t
	out.CreatedBy = ""
	out.Suppressed = true
	out.Cells = make([]TableCell, len(t.Cells))
	for i, c := range t.Cells {
		if c.Value != nil && *c.Value > 0 && *c.Value < MinCell {
			c.Value, c.Suppressed = nil, true
		}
		out.Cells[i] = c
	}
	return out
}

// ImportError is one problem of an imported file, by line and column.
type ImportError struct {
	Line   int    `json:"line" doc:"1 is the header"`
	Column string `json:"column,omitempty"`
	Code   string `json:"code" doc:"stable code: header, columns, indicator, value, breakdown, duplicate, too-many, encoding, workbook"`
	Value  string `json:"value,omitempty"`
}

// MaxRows bounds an imported table.
const MaxRows = 5000

var importColumns = []string{"indicator", "sex", "age_band", "relationship", "form", "nationality", "value"}

// ParseTableFile reads the cells of a table of set from an uploaded file:
// an XLSX workbook (its first sheet) or CSV text.
func ParseTableFile(set IndicatorSet, data []byte) ([]TableCell, []ImportError) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return ParseXLSX(set, data)
	}
	return ParseCSV(set, data)
}

// rowSource yields a file's rows after the header: the cells, the line
// (or sheet row) number, io.EOF at the end, or an error for a row that
// cannot be read.
type rowSource func() (rec []string, line int, err error)

// ParseCSV reads the cells of a table of set from CSV. Columns are found
// by header name (indicator and value required; sex, age_band,
// relationship, form, nationality optional). Every problem is reported
// with its line; a file with any problem yields no cells.
func ParseCSV(set IndicatorSet, data []byte) ([]TableCell, []ImportError) {
	if !utf8.Valid(data) {
		return nil, []ImportError{{Line: 1, Code: "encoding"}}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	if bytes.Count(data[:min(len(data), 2048)], []byte(";")) > bytes.Count(data[:min(len(data), 2048)], []byte(",")) {
		r.Comma = ';'
	}
	head, err := r.Read()
	if err != nil {
		return nil, []ImportError{{Line: 1, Code: "header"}}
	}
	return parseRows(set, slices.Clone(head), func() ([]string, int, error) {
		rec, err := r.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, max(line, 1), err
		}
		line, _ := r.FieldPos(0)
		return rec, line, nil
	})
}

// ParseXLSX reads the cells of a table of set from the first sheet of an
// XLSX workbook, with the same columns and checks as ParseCSV; the line
// of an error is the sheet's row number.
func ParseXLSX(set IndicatorSet, data []byte) ([]TableCell, []ImportError) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, []ImportError{{Line: 1, Code: "workbook"}}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, []ImportError{{Line: 1, Code: "workbook"}}
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, []ImportError{{Line: 1, Code: "workbook"}}
	}
	defer rows.Close()
	line := 0
	next := func() ([]string, int, error) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, line + 1, err
			}
			return nil, 0, io.EOF
		}
		line++
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, line, err
		}
		for i, c := range rec {
			if !utf8.ValidString(c) {
				rec[i] = strings.ToValidUTF8(c, "")
			}
		}
		return rec, line, nil
	}
	head, _, err := next()
	if err != nil {
		return nil, []ImportError{{Line: 1, Code: "header"}}
	}
	return parseRows(set, head, next)
}

// parseRows checks a table file's rows: the header names the columns,
// every row is one cell. Every problem is reported with its line; a file
// with any problem yields no cells.
func parseRows(set IndicatorSet, head []string, next rowSource) ([]TableCell, []ImportError) {
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if slices.Contains(importColumns, h) {
			col[h] = i
		}
	}
	var errs []ImportError
	for _, need := range []string{"indicator", "value"} {
		if _, ok := col[need]; !ok {
			errs = append(errs, ImportError{Line: 1, Column: need, Code: "header"})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var cells []TableCell
	seen := map[string]int{}
	for {
		rec, line, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, ImportError{Line: line, Code: "columns"})
			break
		}
		if len(cells) >= MaxRows {
			errs = append(errs, ImportError{Line: line, Code: "too-many"})
			break
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		c := TableCell{Indicator: strings.ToLower(get("indicator")), Sex: strings.ToLower(get("sex")), AgeBand: strings.ToLower(get("age_band")),
			Relationship: strings.ToLower(get("relationship")), Form: strings.ToLower(get("form")), Nationality: strings.ToUpper(get("nationality"))}
		bad := func(column, code, v string) {
			if len(v) > 40 {
				v = v[:40]
			}
			errs = append(errs, ImportError{Line: line, Column: column, Code: code, Value: strings.ToValidUTF8(v, "")})
		}
		if !set.has(c.Indicator) {
			bad("indicator", "indicator", c.Indicator)
		}
		for _, b := range []struct {
			name, v string
			allowed []string
		}{{"sex", c.Sex, Sexes}, {"age_band", c.AgeBand, AgeBands}, {"relationship", c.Relationship, Relationships}, {"form", c.Form, Forms}} {
			if !slices.Contains(b.allowed, b.v) {
				bad(b.name, "breakdown", b.v)
			}
		}
		if n := c.Nationality; n != "" && (len(n) != 2 || strings.ToUpper(n) != n || strings.IndexFunc(n, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0) {
			bad("nationality", "breakdown", n)
		}
		v, err := strconv.Atoi(strings.ReplaceAll(get("value"), " ", ""))
		if err != nil || v < 0 || v > 100_000_000 {
			bad("value", "value", get("value"))
		} else {
			c.Value = &v
		}
		if prev, ok := seen[c.key()]; ok {
			bad("", "duplicate", strconv.Itoa(prev))
		}
		seen[c.key()] = line
		cells = append(cells, c)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cells, nil
}

// Contribution is one node's table in a regional table.
type Contribution struct {
	Node         string       `json:"node"`
	TableID      string       `json:"table_id"`
	Jurisdiction string       `json:"jurisdiction"`
	Source       string       `json:"source,omitempty"`
	Definitions  []Definition `json:"definitions"`
}

// RegionalRow is one indicator and breakdown across the contributions.
type RegionalRow struct {
	TableCell
	Values []*int `json:"values" doc:"one per contribution, in order; null when not reported or suppressed"`
	Total  int    `json:"total" doc:"sum of the reported values"`
}

// Regional is the merge of contributions of one set and period.
type Regional struct {
	Set           string         `json:"set"`
	Period        string         `json:"period"`
	Contributions []Contribution `json:"contributions"`
	Rows          []RegionalRow  `json:"rows"`
}

// Merge lays tables of one set and period side by side: each
// contribution keeps its jurisdiction, source and definitions; each row
// shows every contribution's value and their total.
func Merge(set, period string, tables []Table) Regional {
	out := Regional{Set: set, Period: period, Contributions: []Contribution{}, Rows: []RegionalRow{}}
	var ts []Table
	for _, t := range tables {
		if t.Set == set && t.Period == period {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b Table) int { return strings.Compare(a.Jurisdiction+a.Node, b.Jurisdiction+b.Node) })
	index := map[string]int{}
	for i, t := range ts {
		out.Contributions = append(out.Contributions, Contribution{Node: t.Node, TableID: t.ID, Jurisdiction: t.Jurisdiction, Source: t.Source, Definitions: t.Definitions})
		for _, c := range t.Cells {
			k := c.key()
			j, ok := index[k]
			if !ok {
				j = len(out.Rows)
				index[k] = j
				base := c
				base.Value, base.Suppressed = nil, false
				out.Rows = append(out.Rows, RegionalRow{TableCell: base, Values: make([]*int, len(ts))})
			}
			if c.Value != nil {
				v := *c.Value
				out.Rows[j].Values[i] = &v
				out.Rows[j].Total += v
			}
		}
	}
	return out
}
