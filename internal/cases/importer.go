package cases

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Import formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatFtM  = "ftm"
)

// MaxImportBytes bounds one import file.
const MaxImportBytes = 64 << 20

// ImportOptions control an import.
type ImportOptions struct {
	Format   string
	Filename string
	// Kind is the entity kind of CSV rows without a "kind" column
	// (default person).
	Kind string
	// Mapping maps CSV headers (case-insensitive) to field names, or to
	// "ignore"; headers not mapped are recognised by name.
	Mapping map[string]string
	// Case links every imported entity without its own case column to
	// this case reference.
	Case   string
	DryRun bool
	// Progress, when set, is called after each chunk is written: the first
	// thousand rows, then chunks twice as large, up to 4,000 rows.
	Progress func(done, total int)
}

// RejectedRow is one rejected row and why.
type RejectedRow struct {
	Row    int    `json:"row" doc:"1-based line (CSV, with the header as line 1) or position (JSON, FollowTheMoney)"`
	Column string `json:"column,omitempty" doc:"the column or property at fault"`
	Msg    string `json:"message"`
}

// ColumnMapping is how one CSV column is read.
type ColumnMapping struct {
	Header string `json:"header"`
	Field  string `json:"field" doc:"entity field, kind, case, role, aliases, ref, or ignore"`
}

// ImportResult describes an import or a dry run. Every row is counted in
// exactly one of Created, Unchanged or Rejected.
type ImportResult struct {
	ID        string          `json:"id,omitempty"`
	Format    string          `json:"format"`
	DryRun    bool            `json:"dry_run"`
	Rows      int             `json:"rows"`
	Created   int             `json:"created" doc:"new entities (would be created, in a dry run)"`
	Unchanged int             `json:"unchanged" doc:"entities already stored (re-import changes nothing)"`
	Relations int             `json:"relations"`
	Cases     int             `json:"cases"`
	Rejected  []RejectedRow   `json:"rejected"`
	Columns   []ColumnMapping `json:"columns,omitempty"`
	Preview   [][]string      `json:"preview,omitempty" doc:"first rows as read, for the mapping preview"`
	SHA256    string          `json:"sha256"`
}

// importRow is one parsed entity, relation or case of an import.
type importRow struct {
	row      int
	ref      string // local reference for relations (CSV "ref" column, FtM id)
	entity   *EntityInput
	cas      *CaseInput
	relation *importRelation
	colOf    map[string]string // field → source column, for messages
	err      *RejectedRow
}

type importRelation struct {
	from, to, typ, note string
}

// headerAliases maps common CSV headers to field names.
var headerAliases = map[string]string{
	"first_name": match.ColGiven, "firstname": match.ColGiven, "given": match.ColGiven, "ime": match.ColGiven, "emri": match.ColGiven, "име": match.ColGiven,
	"surname": match.ColFamily, "last_name": match.ColFamily, "lastname": match.ColFamily, "prezime": match.ColFamily, "mbiemri": match.ColFamily, "презиме": match.ColFamily,
	"name": "", "fullname": match.ColFull, "full name": match.ColFull,
	"dob": match.ColDOB, "birth_date": match.ColDOB, "birthdate": match.ColDOB, "datum_rodjenja": match.ColDOB, "datum rođenja": match.ColDOB, "datelindja": match.ColDOB,
	"jmbg": match.ColPersonalID, "embg": match.ColPersonalID, "national_id": match.ColPersonalID, "nid": match.ColPersonalID, "id_number": match.ColPersonalID,
	"father": match.ColFather, "ime_oca": match.ColFather, "atesia": match.ColFather, "gender": match.ColSex, "pol": match.ColSex, "gjinia": match.ColSex,
	"city": match.ColCity, "grad": match.ColCity, "qyteti": match.ColCity, "address": match.ColAddress1, "adresa": match.ColAddress1, "adresa_1": match.ColAddress1,
	"citizenship": match.ColNationality, "drzavljanstvo": match.ColNationality, "tel": match.ColPhone, "telephone": match.ColPhone, "telefon": match.ColPhone, "mobile": match.ColPhone,
	"registration": "plate", "registration_number": "plate", "tablice": "plate", "reg_number": "reg_no", "tax_id": "reg_no", "pib": "reg_no", "nipt": "reg_no", "jib": "reg_no",
	"account": "number", "account_number": "number", "imei_number": "imei", "serial_number": "serial", "caliber": "calibre", "color": "colour",
	"type_of_document": "doc_type", "document_type": "doc_type", "entity_kind": "kind", "type": "",
	"case_reference": "case", "case_ref": "case", "alias": "aliases", "aka": "aliases", "id": "ref", "rec_id": "ref",
}

// special CSV columns, beyond entity fields.
var specialColumns = []string{"kind", "case", "role", "aliases", "ref", "ignore"}

func mapHeader(h string, kind entity.Kind, custom map[string]string) string {
	key := strings.ToLower(strings.TrimSpace(h))
	for k, v := range custom {
		if strings.EqualFold(strings.TrimSpace(k), key) {
			return v
		}
	}
	if slices.Contains(specialColumns, key) {
		return key
	}
	if slices.Contains(kindFields[kind], key) {
		return key
	}
	norm := strings.ReplaceAll(key, " ", "_")
	if slices.Contains(kindFields[kind], norm) {
		return norm
	}
	if v, ok := headerAliases[key]; ok && v != "" {
		return v
	}
	if v, ok := headerAliases[norm]; ok && v != "" {
		return v
	}
	if key == "name" || key == "type" {
		switch kind {
		case entity.KindPerson:
			if key == "name" {
				return match.ColFull
			}
		case entity.KindOrganisation:
			if key == "name" {
				return "name"
			}
		case entity.KindWeapon:
			if key == "type" {
				return "type"
			}
		case entity.KindDocument:
			if key == "type" {
				return "doc_type"
			}
		}
	}
	return ""
}

// ParseCSV reads entity rows from CSV. It never fails on a bad row: the
// row is returned with its error. It fails only when the file itself is
// unreadable (no header, not UTF-8 text).
func ParseCSV(r io.Reader, opt ImportOptions) ([]ColumnMapping, [][]string, []importRow, error) {
	const op = "cases.ParseCSV"
	kind := entity.KindPerson
	if opt.Kind != "" {
		k, ok := entity.ParseKind(opt.Kind)
		if !ok {
			return nil, nil, nil, errs.Newf(errs.Invalid, op, "kind %q is not an entity kind", opt.Kind)
		}
		kind = k
	}
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	// Sniff ; separated files (common in regional spreadsheets).
	if b, _ := br.Peek(4096); bytes.Count(firstLine(b), []byte(";")) > bytes.Count(firstLine(b), []byte(",")) {
		cr.Comma = ';'
	}
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil, errs.New(errs.Invalid, op, "the file is empty: a header row is required")
		}
		return nil, nil, nil, errs.Newf(errs.Invalid, op, "line 1: %v", err)
	}
	cols := make([]ColumnMapping, len(header))
	seen := map[string]string{}
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, nil, nil, errs.Newf(errs.Invalid, op, "line 1, column %d: the header is not UTF-8 text (save the file as UTF-8)", i+1)
		}
		f := mapHeader(h, kind, opt.Mapping)
		if f == "" {
			f = "ignore"
		}
		if f != "ignore" {
			if prev, dup := seen[f]; dup {
				return nil, nil, nil, errs.Newf(errs.Invalid, op, "columns %q and %q both map to %s; map one of them to ignore", prev, h, f)
			}
			if !slices.Contains(specialColumns, f) {
				if !fieldOfAnyKind(f) {
					return nil, nil, nil, errs.Newf(errs.Invalid, op, "column %q is mapped to %q, which is not a field", h, f)
				}
			}
			seen[f] = h
		}
		cols[i] = ColumnMapping{Header: h, Field: f}
	}
	var preview [][]string
	var rows []importRow
	line := 1
	for {
		rec, err := cr.Read()
		line++
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
				rows = append(rows, importRow{row: pe.Line, err: &RejectedRow{Row: pe.Line, Column: colName(cols, pe.Column-1), Msg: pe.Err.Error()}})
				if errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrFieldCount) {
					continue
				}
			}
			return cols, preview, rows, errs.Newf(errs.Invalid, op, "line %d: the file cannot be read further: %v", line, err)
		}
		if pos, _ := cr.FieldPos(0); pos > 0 {
			line = pos
		}
		if len(preview) < 10 {
			preview = append(preview, rec)
		}
		rows = append(rows, csvRow(line, rec, cols, kind, opt.Case))
		if len(rows) > 2_000_000 {
			return cols, preview, rows, errs.New(errs.TooLarge, op, "at most 2,000,000 rows per file")
		}
	}
	return cols, preview, rows, nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

func fieldOfAnyKind(f string) bool {
	for _, fs := range kindFields {
		if slices.Contains(fs, f) {
			return true
		}
	}
	return false
}

func colName(cols []ColumnMapping, i int) string {
	if i >= 0 && i < len(cols) {
		return cols[i].Header
	}
	return ""
}

func csvRow(line int, rec []string, cols []ColumnMapping, kind entity.Kind, defCase string) importRow {
	row := importRow{row: line, colOf: map[string]string{}}
	if len(rec) != len(cols) {
		row.err = &RejectedRow{Row: line, Msg: fmt.Sprintf("has %d columns, the header has %d", len(rec), len(cols))}
		return row
	}
	in := EntityInput{Kind: string(kind), Fields: map[string]string{}, Case: defCase}
	empty := true
	for i, v := range rec {
		if m := validate.FieldValue(cols[i].Field, v); m != "" {
			row.err = &RejectedRow{Row: line, Column: cols[i].Header, Msg: m}
			return row
		}
		v = strings.TrimSpace(v)
		if v != "" {
			empty = false
		}
		switch f := cols[i].Field; f {
		case "ignore":
		case "kind":
			if v != "" {
				in.Kind = v
			}
			row.colOf["kind"] = cols[i].Header
		case "case":
			if v != "" {
				in.Case = v
			}
			row.colOf["case"] = cols[i].Header
		case "role":
			in.Role = v
			row.colOf["role"] = cols[i].Header
		case "aliases":
			for _, a := range strings.Split(v, ";") {
				if a = strings.TrimSpace(a); a != "" {
					in.Aliases = append(in.Aliases, a)
				}
			}
		case "ref":
			row.ref = v
		default:
			if v != "" {
				in.Fields[f] = v
			}
			row.colOf[f] = cols[i].Header
		}
	}
	if empty {
		row.err = &RejectedRow{Row: line, Msg: "the row is empty"}
		return row
	}
	row.entity = &in
	return row
}

// jsonImport is the native JSON import document.
type jsonImport struct {
	Cases    []CaseInput `json:"cases"`
	Entities []struct {
		Ref string `json:"ref"`
		EntityInput
	} `json:"entities"`
	Relations []struct {
		From string `json:"from"`
		To   string `json:"to"`
		Type string `json:"type"`
		Note string `json:"note"`
	} `json:"relations"`
}

// ParseJSON reads the native JSON format:
//
//	{"cases": [{"reference": "BA-1", "title": "…", "crime_area": "drugs"}],
//	 "entities": [{"ref": "p1", "kind": "person", "fields": {…}, "case": "BA-1", "role": "suspect"}],
//	 "relations": [{"from": "p1", "to": "v1", "type": "uses"}]}
func ParseJSON(r io.Reader) ([]importRow, error) {
	var doc jsonImport
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, errs.Newf(errs.Invalid, "cases.ParseJSON", "the file is not a JSON import document: %v", err)
	}
	var rows []importRow
	n := 0
	for i := range doc.Cases {
		n++
		rows = append(rows, importRow{row: n, cas: &doc.Cases[i]})
	}
	for _, e := range doc.Entities {
		n++
		in := e.EntityInput
		rows = append(rows, importRow{row: n, ref: e.Ref, entity: &in})
	}
	for _, rel := range doc.Relations {
		n++
		rows = append(rows, importRow{row: n, relation: &importRelation{from: rel.From, to: rel.To, typ: rel.Type, note: rel.Note}})
	}
	return rows, nil
}

// Import reads a file and stores its cases, entities and relations. Every
// row is created, found unchanged or rejected with its reason; nothing is
// dropped silently. Re-importing the same file changes nothing. With
// DryRun nothing is written.
func (s *Service) Import(ctx context.Context, p *auth.Principal, r io.Reader, opt ImportOptions) (ImportResult, error) {
	const op = "cases.Import"
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return ImportResult{}, errs.Wrap(errs.Invalid, op, "the file cannot be read", err)
	}
	if len(data) > MaxImportBytes {
		return ImportResult{}, errs.Newf(errs.TooLarge, op, "the file is larger than %d MiB", MaxImportBytes>>20)
	}
	sum := sha256.Sum256(data)
	rep := ImportResult{Format: opt.Format, DryRun: opt.DryRun, SHA256: hex.EncodeToString(sum[:]), Rejected: []RejectedRow{}}
	var rows []importRow
	switch opt.Format {
	case FormatCSV, "":
		rep.Format = FormatCSV
		rep.Columns, rep.Preview, rows, err = ParseCSV(bytes.NewReader(data), opt)
	case FormatJSON:
		rows, err = ParseJSON(bytes.NewReader(data))
	case FormatFtM:
		rows, err = ParseFtM(bytes.NewReader(data))
	default:
		return rep, errs.Newf(errs.Invalid, op, "format %q is unknown; use csv, json or ftm", opt.Format)
	}
	if err != nil {
		return rep, err
	}
	// Validate every row first, so a dry run reports everything; rows are
	// independent, so on every core.
	parallel(len(rows), func(i int) {
		row := &rows[i]
		if row.err != nil {
			return
		}
		switch {
		case row.entity != nil:
			if _, err := s.normaliseEntity(row.entity); err != nil {
				re := RejectedRow{Row: row.row, Msg: err.Error()}
				var fe *FieldError
				if errors.As(err, &fe) {
					re.Column, re.Msg = fe.Field, fe.Msg
					if c, ok := row.colOf[fe.Field]; ok {
						re.Column = c
					}
				}
				row.err = &re
			}
		case row.cas != nil:
			if err := row.cas.normalise(); err != nil {
				row.err = &RejectedRow{Row: row.row, Msg: errs.SafeMessage(err)}
			}
		case row.relation != nil:
			row.relation.typ = strings.ToLower(strings.TrimSpace(row.relation.typ))
			if !slices.Contains(RelationTypes, row.relation.typ) {
				row.err = &RejectedRow{Row: row.row, Column: "type", Msg: fmt.Sprintf("%q is not a relation type (%s)", row.relation.typ, strings.Join(RelationTypes, ", "))}
			}
		}
	})
	rep.Rows = len(rows)
	if opt.DryRun {
		err = s.dryRun(ctx, rows, &rep)
	} else {
		if err := s.record(ctx, entry(p, "cases.import.start", "import/"+rep.SHA256[:16], "", fmt.Sprintf("format=%s file=%s rows=%d", rep.Format, textutil.Clip(strings.TrimSpace(opt.Filename), 200), len(rows)))); err != nil {
			return rep, err
		}
		// The rows and the import's own record commit together: a file
		// refused half-way (a storage failure, a cancelled command) leaves
		// the database as it was.
		indexed, err := s.write(ctx, p, rows, opt, &rep, func(tx *store.Tx) error {
			collectRejected(rows, &rep)
			rep.ID = store.NewID()
			by := ""
			if p != nil {
				by = p.Username
			}
			if err := insertImport(ctx, tx, rep, textutil.Clip(strings.TrimSpace(opt.Filename), 200), by, s.now()); err != nil {
				return err
			}
			return s.queue(ctx, tx, entry(p, "cases.import", "import/"+rep.ID, "", reportDetail(rep)))
		})
		if err != nil {
			rep.ID = ""
			return rep, err
		}
		// The statistics are refreshed while the rows join the index.
		s.analyzeAfterLoad(ctx, rep.Created)
		<-indexed
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	collectRejected(rows, &rep)
	return rep, s.record(ctx, entry(p, "cases.import.dryrun", "import/"+rep.SHA256[:16], "", reportDetail(rep)))
}

// collectRejected lists the rows refused, in file order.
func collectRejected(rows []importRow, rep *ImportResult) {
	rep.Rejected = rep.Rejected[:0]
	for _, row := range rows {
		if row.err != nil {
			rep.Rejected = append(rep.Rejected, *row.err)
		}
	}
	slices.SortStableFunc(rep.Rejected, func(a, b RejectedRow) int { return a.Row - b.Row })
}

func reportDetail(r ImportResult) string {
	return fmt.Sprintf("format=%s rows=%d created=%d unchanged=%d relations=%d cases=%d rejected=%d sha256=%s", r.Format, r.Rows, r.Created, r.Unchanged, r.Relations, r.Cases, len(r.Rejected), r.SHA256)
}

func (s *Service) dryRun(ctx context.Context, rows []importRow, rep *ImportResult) error {
	refs := map[string]bool{}
	cases := map[string]bool{}
	for _, row := range rows {
		if row.err == nil && row.cas != nil {
			cases[row.cas.Reference] = true
		}
	}
	for i := range rows {
		row := &rows[i]
		if row.err != nil {
			continue
		}
		switch {
		case row.cas != nil:
			n, err := countCases(ctx, s.d.Store, row.cas.Reference, false)
			if err != nil {
				return unavailable("cases.Import", err)
			}
			if n == 0 {
				rep.Cases++
			}
		case row.entity != nil:
			if c := row.entity.Case; c != "" && !cases[c] {
				n, err := countCases(ctx, s.d.Store, c, true)
				if err != nil {
					return unavailable("cases.Import", err)
				}
				if n == 0 {
					row.err = &RejectedRow{Row: row.row, Column: orCol(row.colOf, "case"), Msg: fmt.Sprintf("no case with reference %q", c)}
					continue
				}
			}
			kind, _ := entity.ParseKind(row.entity.Kind)
			n, err := countFingerprint(ctx, s.d.Store, fingerprint(kind, row.entity.Fields, row.entity.Aliases))
			if err != nil {
				return unavailable("cases.Import", err)
			}
			if n == 0 {
				rep.Created++
			} else {
				rep.Unchanged++
			}
			if row.ref != "" {
				refs[row.ref] = true
			}
		}
	}
	for i := range rows {
		row := &rows[i]
		if row.err == nil && row.relation != nil {
			if !refs[row.relation.from] || !refs[row.relation.to] {
				row.err = &RejectedRow{Row: row.row, Column: "from", Msg: "relation between entities not in the file (or rejected)"}
				continue
			}
			rep.Relations++
		}
	}
	return nil
}

func orCol(m map[string]string, f string) string {
	if c, ok := m[f]; ok {
		return c
	}
	return f
}

// chunkBounds splits n rows into chunks of firstChunk rows, then twice as
// many each time up to entityBatch: the writer starts after a small chunk
// is prepared, and most rows go in large batches (on PostgreSQL each batch
// costs a COPY, a staging INSERT and a TRUNCATE, whatever its size).
func chunkBounds(n int) []int {
	b := []int{0}
	for size := firstChunk; b[len(b)-1] < n; size = min(2*size, entityBatch) {
		b = append(b, min(b[len(b)-1]+size, n))
	}
	return b
}

// write stores the rows in one transaction, in chunks prepared one ahead
// of the writer. Once the rows are committed they are added to the
// in-memory index in the background; indexed is closed when that is done.
func (s *Service) write(ctx context.Context, p *auth.Principal, rows []importRow, opt ImportOptions, rep *ImportResult, finish func(tx *store.Tx) error) (indexed <-chan struct{}, err error) {
	src := "import:" + rep.Format + ":" + textutil.Clip(strings.TrimSpace(opt.Filename), 100) + "@" + rep.SHA256[:12]
	ids := map[string]string{}
	cases := map[string]string{} // case reference → ID, as looked up
	total := len(rows)
	// Cases first, so entities can link to them.
	order := make([]int, 0, len(rows))
	for i, r := range rows {
		if r.cas != nil {
			order = append(order, i)
		}
	}
	for i, r := range rows {
		if r.entity != nil {
			order = append(order, i)
		}
	}
	for i, r := range rows {
		if r.relation != nil {
			order = append(order, i)
		}
	}
	// Chunks are prepared one ahead of the writer, on the other cores.
	prepared := make([]preparedEntity, len(rows))
	bounds := chunkBounds(len(order))
	ready := make([]chan struct{}, len(bounds)-1)
	for c := range ready {
		ready[c] = make(chan struct{})
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for c := range ready {
			s.prepareRows(rows, order[bounds[c]:bounds[c+1]], prepared)
			close(ready[c])
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	done := make(chan struct{})
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		// The rows created join the in-memory index once they are
		// committed (their index data computed with the rows, so no second
		// pass): a refused import leaves no pk in the index that SQLite
		// could hand to another entity later.
		var created []memItem
		tx.AfterCommit(func() {
			go func() {
				defer close(done)
				s.indexAdd(created, true)
			}()
		})
		for c := range ready {
			start, end := bounds[c], bounds[c+1]
			if err := ctx.Err(); err != nil {
				return err // cancelled: nothing is kept
			}
			<-ready[c]
			var batch []memItem
			var pending []int // entity rows waiting to be written together
			flush := func() error {
				err := s.storeEntityRows(ctx, tx, p, rows, pending, prepared, cases, ids, rep, &batch)
				pending = pending[:0]
				return err
			}
			for _, i := range order[start:end] {
				row := &rows[i]
				if row.err != nil {
					continue
				}
				if row.entity != nil {
					row.entity.Source = src
					if pending = append(pending, i); len(pending) == entityBatch {
						if err := flush(); err != nil {
							return err
						}
					}
					continue
				}
				if err := flush(); err != nil { // relations need the entities before them
					return err
				}
				switch {
				case row.cas != nil:
					_, created, err := s.createCase(ctx, tx, p, *row.cas)
					if err != nil {
						return err
					}
					if created {
						rep.Cases++
					}
				case row.relation != nil:
					from, to := ids[row.relation.from], ids[row.relation.to]
					if from == "" || to == "" {
						row.err = &RejectedRow{Row: row.row, Column: "from", Msg: "relation between entities not in the file (or rejected)"}
						continue
					}
					r := Relation{ID: store.NewID(), From: from, To: to, Type: row.relation.typ, Note: textutil.Clip(strings.TrimSpace(row.relation.note), 1000), CreatedAt: s.now()}
					created, err := s.relate(ctx, tx, &r)
					if err != nil {
						return err
					}
					if created {
						rep.Relations++
					}
				}
			}
			if err := flush(); err != nil {
				return err
			}
			created = append(created, batch...)
			if opt.Progress != nil {
				opt.Progress(end, total)
			}
		}
		return finish(tx)
	})
	switch {
	case err == nil:
		return done, nil
	case ctx.Err() != nil:
		return nil, errs.Wrap(errs.Unavailable, "cases.Import", "the import was cancelled; nothing was stored", err)
	default:
		return nil, errs.WrapPlain(errs.Unavailable, "cases.Import", "the import failed; nothing was stored", err)
	}
}

// entityBatch is how many entity rows are written together at most: one
// COPY on PostgreSQL, multi-row statements of up to a thousand rows on
// SQLite. firstChunk is the size of an import's first chunk.
const (
	entityBatch = 4000
	firstChunk  = 1000
)

// storeEntityRows writes the entity rows listed in which (already
// normalised and prepared) in bulk (store.Tx.InsertMany): one COPY or
// multi-row statement for a thousand rows instead of one each. A row naming a case that does not
// exist is rejected; an entity already stored is linked, not duplicated.
func (s *Service) storeEntityRows(ctx context.Context, tx *store.Tx, p *auth.Principal, rows []importRow, which []int, prepared []preparedEntity,
	cases map[string]string, ids map[string]string, rep *ImportResult, batch *[]memItem) error {
	if len(which) == 0 {
		return nil
	}
	by := ""
	if p != nil {
		by = p.Username
	}
	type pendingRow struct {
		i      int
		caseID string
		e      Entity
	}
	todo := make([]pendingRow, 0, len(which))
	ents := make([]newEntity, 0, len(which))
	now := s.now() // one creation time for the rows written together
	for _, i := range which {
		row := &rows[i]
		in := row.entity
		var caseID string
		if in.Case != "" {
			id, ok := cases[in.Case]
			if !ok {
				var err error
				if id, _, err = caseKey(ctx, tx, in.Case); errors.Is(err, sql.ErrNoRows) {
					id = ""
				} else if err != nil {
					return err
				}
				cases[in.Case] = id
			}
			if id == "" {
				row.err = &RejectedRow{Row: row.row, Column: orCol(row.colOf, "case"), Msg: fmt.Sprintf("no case with reference %q", in.Case)}
				continue
			}
			caseID = id
		}
		pe := &prepared[i]
		e := Entity{ID: pe.id, Kind: string(pe.kind), Label: pe.label, Fields: in.Fields, Aliases: nz(in.Aliases), Source: in.Source, CreatedBy: by, CreatedAt: now}
		todo = append(todo, pendingRow{i: i, caseID: caseID, e: e})
		ents = append(ents, newEntity{e: e, fingerprint: pe.fingerprint, ix: pe.stored, fields: pe.fields, aliases: pe.aliases})
	}
	created, err := insertEntities(ctx, tx, ents)
	if err != nil {
		return err
	}
	var known []string
	for _, t := range todo {
		if _, ok := created[t.e.ID]; !ok {
			known = append(known, prepared[t.i].fingerprint)
		}
	}
	existing, err := entitiesByFingerprints(ctx, tx, known)
	if err != nil {
		return err
	}
	var links []caseLink
	for _, t := range todo {
		row := &rows[t.i]
		e := t.e
		if pk, ok := created[e.ID]; ok {
			it := prepared[t.i].item
			it.ID = pk
			*batch = append(*batch, it)
			rep.Created++
		} else if old, ok := existing[prepared[t.i].fingerprint]; ok {
			e = old
			rep.Unchanged++
		} else {
			return fmt.Errorf("entity with fingerprint %s neither stored nor found", prepared[t.i].fingerprint)
		}
		if row.ref != "" {
			ids[row.ref] = e.ID
		}
		if t.caseID != "" {
			links = append(links, caseLink{caseID: t.caseID, entityID: e.ID, role: row.entity.Role})
		}
	}
	return linkEntities(ctx, tx, links)
}

// prepareRows computes the fingerprints, labels, index data, IDs and JSON
// text of the entity rows listed in which, on every core, into out: the
// writer then only sends them.
func (s *Service) prepareRows(rows []importRow, which []int, out []preparedEntity) {
	parallel(len(which), func(k int) {
		if r := rows[which[k]]; r.err == nil && r.entity != nil {
			kind, _ := entity.ParseKind(r.entity.Kind)
			pe := s.prepareEntity(kind, *r.entity)
			pe.id = store.NewID()
			pe.fields, pe.aliases = jsonFields(r.entity.Fields), jsonStrings(r.entity.Aliases)
			out[which[k]] = pe
		}
	})
}

// BulkLoad stores many new persons quickly (initial loads of large
// registers and benchmarks): bulk inserts (COPY on PostgreSQL) in large transactions,
// no per-entity audit entry (the load is audited once). Entities whose
// fingerprint is already stored are skipped.
func (s *Service) BulkLoad(ctx context.Context, p *auth.Principal, source string, persons []map[string]string) error {
	const op = "cases.BulkLoad"
	const rowsPerStmt = 1000
	next, err := maxEntityPK(ctx, s.d.Store)
	if err != nil {
		return unavailable(op, err)
	}
	now := store.FormatTime(s.now())
	by := ""
	if p != nil {
		by = p.Username
	}
	for start := 0; start < len(persons); start += 5000 {
		end := min(start+5000, len(persons))
		var fresh []memItem
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			fresh = fresh[:0]
			for i := start; i < end; i += rowsPerStmt {
				j := min(i+rowsPerStmt, end)
				batch := make([]bulkPerson, 0, j-i)
				items := map[int64]memItem{}
				for k, f := range persons[i:j] {
					in := EntityInput{Kind: string(entity.KindPerson), Fields: f}
					if _, err := s.normaliseEntity(&in); err != nil {
						return errs.Newf(errs.Invalid, op, "person %d: %v", i+k+1, err)
					}
					next++
					it := s.indexItem(next, entity.KindPerson, in.Fields, nil)
					batch = append(batch, bulkPerson{pk: next, id: store.NewID(), label: label(entity.KindPerson, in.Fields), fields: in.Fields,
						fingerprint: fingerprint(entity.KindPerson, in.Fields, nil), ix: s.storedIndex(it)})
					items[next] = it
				}
				// Only the rows actually inserted (not already stored) are indexed.
				inserted, err := insertPersons(ctx, tx, batch, source, by, now)
				if err != nil {
					return err
				}
				for _, pk := range inserted {
					fresh = append(fresh, items[pk])
				}
			}
			// Each transaction of the load carries its own audit entry.
			detail := fmt.Sprintf("source=%s persons=%d", source, end-start)
			if start > 0 || end < len(persons) {
				detail += fmt.Sprintf(" (%d-%d of %d)", start+1, end, len(persons))
			}
			return s.queue(ctx, tx, entry(p, "cases.bulkload", "cases/bulk", "", detail))
		})
		if err != nil {
			return unavailable(op, err)
		}
		s.indexAdd(fresh, true)
	}
	if err := resyncEntityPKs(ctx, s.d.Store); err != nil {
		return unavailable(op, err)
	}
	s.analyzeAfterLoad(ctx, len(persons))
	return nil
}

// analyzeAfterLoad refreshes the database's statistics after a large load,
// so that the next start streams the index by primary key instead of
// sorting the table (on PostgreSQL, 17 ms a page instead of 650).
func (s *Service) analyzeAfterLoad(ctx context.Context, rows int) {
	if rows < 10_000 {
		return
	}
	// The streaming read at start-up needs the table size and the order of
	// pk; sampling the long and unique text columns took most of the time.
	err := s.d.Store.AnalyzeColumns(ctx, "cases_entities", "pk", "kind", "merged_into")
	if err == nil {
		err = s.d.Store.Analyze(ctx, "cases_case_entities")
	}
	if err != nil {
		s.d.Logger.Warn("cases: refreshing statistics after a load failed", "err", err)
	}
}
