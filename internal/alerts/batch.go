package alerts

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Limits of files read by the module.
const (
	MaxBatchRows  = 10000
	MaxImportRows = 10000
	maxFileBytes  = 16 << 20
)

// AlertRowError is a refused row of a file, by its line number.
type AlertRowError struct {
	Line   int    `json:"line" doc:"line of the file, the header being line 1"`
	Column string `json:"column,omitempty"`
	Msg    string `json:"msg"`
}

func (e AlertRowError) String() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// BatchRow is one traveller or vehicle of a batch check.
type BatchRow struct {
	Line        int    `json:"line"`
	Ref         string `json:"ref,omitempty" doc:"the row's own reference (seat, passenger number)"`
	Query       string `json:"query" doc:"what is checked, as typed in the search box"`
	Sex         string `json:"sex,omitempty" maxLength:"20" doc:"the traveller's sex as the travel document gives it (m/f, muški/ženski, mashkull/femër); tells namesakes apart"`
	Nationality string `json:"nationality,omitempty" maxLength:"60" doc:"the traveller's nationality (ISO code or country name)"`
}

// batchColumns are the columns a batch file may have (found by header,
// case-insensitive); their values are joined into one query.
var batchColumns = []string{"query", "given_name", "first_name", "family_name", "surname", "last_name", "full_name", "name", "date_of_birth", "dob",
	"document", "passport", "personal_id", "national_id", "jmbg", "plate", "vin", "serial"}

// batchSexColumns and batchNationalityColumns are read beside the query:
// a passenger list gives them from the travel document.
var (
	batchSexColumns         = []string{"sex", "gender"}
	batchNationalityColumns = []string{"nationality", "citizenship"}
)

// csvReader reads a CSV file with a header, detecting ';' as separator.
func csvReader(data []byte) *csv.Reader {
	first, _, _ := strings.Cut(string(data), "\n")
	r := csv.NewReader(strings.NewReader(string(data)))
	if strings.Count(first, ";") > strings.Count(first, ",") {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	return r
}

func readAll(in io.Reader, op string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(in, maxFileBytes+1))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, "the file cannot be read", err)
	}
	if len(data) > maxFileBytes {
		return nil, errs.Newf(errs.TooLarge, op, "the file is larger than %d MiB", maxFileBytes>>20)
	}
	if !utf8.Valid(data) {
		return nil, errs.New(errs.Invalid, op, "the file is not UTF-8 text")
	}
	return data, nil
}

// ParseBatch reads a CSV list of travellers or vehicles (a bus passenger
// list): a "query" column, or name, date of birth, document and vehicle
// columns joined into one query, and an optional "ref" column. Rows with
// nothing to check are refused with their line numbers.
func ParseBatch(in io.Reader) ([]BatchRow, []AlertRowError, error) {
	const op = "alerts.ParseBatch"
	data, err := readAll(in, op)
	if err != nil {
		return nil, nil, err
	}
	r := csvReader(data)
	header, err := r.Read()
	if err != nil {
		return nil, nil, errs.New(errs.Invalid, op, "the file has no header line (e.g. ref,given_name,family_name,date_of_birth,document,plate)")
	}
	cols := map[int]string{}
	ref, sex, nat := -1, -1, -1
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch {
		case h == "ref" || h == "id":
			ref = i
			continue
		case slices.Contains(batchSexColumns, h):
			sex = i
			continue
		case slices.Contains(batchNationalityColumns, h):
			nat = i
			continue
		}
		for _, c := range batchColumns {
			if h == c {
				cols[i] = h
			}
		}
	}
	if len(cols) == 0 {
		return nil, nil, errs.Newf(errs.Invalid, op, "no column to check; use %s", strings.Join(batchColumns, ", "))
	}
	var rows []BatchRow
	var bad []AlertRowError
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			bad = append(bad, AlertRowError{Line: line, Msg: "not a CSV row"})
			if len(bad) > 1000 {
				break
			}
			continue
		}
		var parts []string
		for i, v := range rec {
			if _, ok := cols[i]; ok {
				if v = strings.TrimSpace(v); v != "" {
					parts = append(parts, v)
				}
			}
		}
		row := BatchRow{Line: line, Query: strings.Join(parts, " ")}
		if ref >= 0 && ref < len(rec) {
			row.Ref = strings.TrimSpace(rec[ref])
		}
		if sex >= 0 && sex < len(rec) {
			row.Sex = strings.TrimSpace(rec[sex])
		}
		if nat >= 0 && nat < len(rec) {
			row.Nationality = strings.TrimSpace(rec[nat])
		}
		if row.Query == "" {
			bad = append(bad, AlertRowError{Line: line, Msg: "nothing to check in this row"})
			continue
		}
		if _, err := ParseQuery(row.Query); err != nil {
			bad = append(bad, AlertRowError{Line: line, Msg: errs.SafeMessage(err)})
			continue
		}
		if e := row.travelDocumentError(); e != nil {
			e.Line = line
			bad = append(bad, *e)
			continue
		}
		if utf8.RuneCountInString(row.Ref) > 100 {
			bad = append(bad, AlertRowError{Line: line, Column: "ref", Msg: "the reference is limited to 100 characters"})
			continue
		}
		rows = append(rows, row)
		if len(rows) > MaxBatchRows {
			return nil, nil, errs.Newf(errs.TooLarge, op, "a batch check is limited to %d rows", MaxBatchRows)
		}
	}
	return rows, bad, nil
}

// BatchResult is the answer for one row.
type BatchResult struct {
	BatchRow
	Hit       bool         `json:"hit"`
	Certain   bool         `json:"certain" doc:"a HIT, not only possible hits (see CheckResult)"`
	Matches   []CheckMatch `json:"matches"`
	Unsettled bool         `json:"unsettled" doc:"no hit, but the row's date of birth leaves alerts open (see CheckResult)"`
	Open      []CheckMatch `json:"open"`
	CheckDate bool         `json:"check_date" doc:"check the row again with the date of birth from the document (see CheckResult)"`
}

// BatchCheck checks every row against the alerts in force on this node.
// The whole batch is one audit entry naming the rows that hit.
func (s *Service) BatchCheck(ctx context.Context, actor *auth.Principal, rows []BatchRow, purpose string) ([]BatchResult, error) {
	const op = "alerts.BatchCheck"
	if err := auth.Authorize(actor, auth.ActAlertsCheck); err != nil {
		return nil, err
	}
	if len(rows) > MaxBatchRows {
		return nil, errs.Newf(errs.TooLarge, op, "a batch check is limited to %d rows", MaxBatchRows)
	}
	purpose, err := validate.Field(op, "purpose", purpose, 500, false)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		// Rows sent as JSON have no file line: name the row by its
		// position in the list, as the file path names line and column.
		if e := r.travelDocumentError(); e != nil {
			return nil, errs.Newf(errs.Invalid, op, "row %d, field %s: the sex cannot be read; use M or F", i+1, e.Column)
		}
		switch q := strings.TrimSpace(r.Query); {
		case q == "":
			return nil, errs.Newf(errs.Invalid, op, "row %d, field %s: nothing to check in this row", i+1, "query")
		case utf8.RuneCountInString(q) > maxQueryRunes:
			return nil, errs.Newf(errs.Invalid, op, "row %d, field %s: a check is limited to 200 characters", i+1, "query")
		}
	}
	out := make([]BatchResult, len(rows))
	// Rows are checked by a few workers; the first failure stops the batch.
	workers := min(len(rows), max(runtime.GOMAXPROCS(0), 4))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := s.check(ctx, actor, rows[i].Query, rows[i].Sex, rows[i].Nationality)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					continue
				}
				out[i] = BatchResult{BatchRow: rows[i], Hit: res.Hit, Certain: res.Certain, Matches: res.Matches, Unsettled: res.Unsettled, Open: res.Open, CheckDate: res.CheckDate}
			}
		}()
	}
	for i := range rows {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var hits []string
	unsettled := 0
	for _, r := range out {
		if r.Hit {
			hits = append(hits, strconv.Itoa(r.Line))
		}
		if r.Unsettled {
			unsettled++
		}
	}
	detail := "rows=" + strconv.Itoa(len(rows)) + " hits=" + strconv.Itoa(len(hits)) + " unsettled=" + strconv.Itoa(unsettled)
	if len(hits) > 0 {
		detail += "; lines " + strings.Join(hits, ",")
	}
	e := audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "alerts.check.batch", Object: "alerts/check", Purpose: purpose, Detail: detail}
	return out, s.d.Audit.Record(ctx, e)
}

// WriteBatchCSV writes batch results as CSV: line, ref, query, result
// (HIT; POSSIBLE HIT; POSSIBLE HIT, CHECK DATE OF BIRTH when the date
// decides it; CHECK DATE OF BIRTH; or NO HIT), and for each row the first
// alert hit (or left open) with its action, warnings and flag.
func WriteBatchCSV(w io.Writer, res []BatchResult) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"line", "ref", "query", "result", "alert_id", "issuer", "kind", "action", "warnings", "do_not_act", "other_hits"}); err != nil {
		return err
	}
	for _, r := range res {
		rec := []string{strconv.Itoa(r.Line), safeCell(r.Ref), safeCell(r.Query), "NO HIT", "", "", "", "", "", "", ""}
		if r.Hit {
			m := r.Matches[0]
			rec[3], rec[4], rec[5], rec[6], rec[7], rec[8] = "HIT", m.AlertID, m.OriginNode, m.Kind, safeCell(m.Action), strings.Join(m.Warnings, "|")
			if m.DoNotAct {
				rec[9] = "yes"
			}
			rec[10] = strconv.Itoa(len(r.Matches) - 1)
			switch {
			case r.Certain:
			case r.CheckDate:
				rec[3] = "POSSIBLE HIT, CHECK DATE OF BIRTH"
			default:
				rec[3] = "POSSIBLE HIT"
			}
		} else if r.Unsettled {
			rec[3] = "CHECK DATE OF BIRTH"
			if len(r.Open) > 0 {
				m := r.Open[0]
				rec[4], rec[5], rec[6], rec[7], rec[8] = m.AlertID, m.OriginNode, m.Kind, safeCell(m.Action), strings.Join(m.Warnings, "|")
				rec[10] = strconv.Itoa(len(r.Open) - 1)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell keeps a spreadsheet from reading a cell as a formula.
func safeCell(v string) string {
	if v != "" && strings.ContainsAny(v[:1], "=+-@\t\r") {
		return "'" + v
	}
	return v
}

// travelDocumentError checks the sex of a row: one that cannot be read is
// refused rather than ignored. A nationality is compared only when it
// reads as a country code (knownCountry); any other is left aside, as a
// traveller may come from anywhere. Nil when the row is fine; the caller
// sets the line.
func (r BatchRow) travelDocumentError() *AlertRowError {
	if r.Sex != "" && entity.ParseSex(r.Sex) == entity.SexUnknown {
		return &AlertRowError{Column: "sex", Msg: "the sex cannot be read; use M or F"}
	}
	return nil
}

// knownCountry is the ISO code of a country name or code the directory
// knows, or "".
func knownCountry(v string) string {
	c := entity.ParseCountry(v)
	if len(c) == 2 && strings.ToUpper(c) == c {
		return c
	}
	return ""
}
