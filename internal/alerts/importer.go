package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Import formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// importColumns are the CSV columns of an import; lists are separated by
// "|", a recipient is "node" or "node:agreement-id".
var importColumns = []string{"kind", "sub", "given_name", "family_name", "names", "date_of_birth", "place_of_birth", "sex", "nationalities", "documents",
	"national_ids", "object_type", "plate", "vin", "serial", "doc_number", "doc_status", "make", "model", "calibre", "description", "warnings", "action",
	"reason", "authority", "warrant_ref", "interpol_ref", "case_refs", "recipients"}

// AlertImportResult reports an import: either every row was written as a draft,
// or none was and Errors says why, by line.
type AlertImportResult struct {
	Rows    int             `json:"rows"`
	Created int             `json:"created"`
	IDs     []string        `json:"ids"`
	DryRun  bool            `json:"dry_run"`
	Errors  []AlertRowError `json:"errors"`
}

// ImportLine is a draft read from a file with its line (CSV) or position
// (JSON, 1-based).
type ImportLine struct {
	Line  int
	Draft AlertDraft
}

func splitBar(v string) []string {
	var out []string
	for _, p := range strings.Split(v, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseImport reads drafts from CSV (header with the columns of
// importColumns, in any order) or JSON (an array of drafts).
func ParseImport(in io.Reader, format string) ([]ImportLine, []AlertRowError, error) {
	const op = "alerts.Import"
	data, err := readAll(in, op)
	if err != nil {
		return nil, nil, err
	}
	switch format {
	case FormatJSON:
		var ds []AlertDraft
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ds); err != nil {
			return nil, nil, errs.Wrap(errs.Invalid, op, "the file is not a JSON array of alerts", err)
		}
		if len(ds) > MaxImportRows {
			return nil, nil, errs.Newf(errs.TooLarge, op, "an import is limited to %d alerts", MaxImportRows)
		}
		out := make([]ImportLine, len(ds))
		for i, d := range ds {
			out[i] = ImportLine{Line: i + 1, Draft: d}
		}
		return out, nil, nil
	case FormatCSV, "":
	default:
		return nil, nil, errs.New(errs.Invalid, op, "the format is csv or json")
	}
	r := csvReader(data)
	header, err := r.Read()
	if err != nil {
		return nil, nil, errs.New(errs.Invalid, op, "the file has no header line")
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, c := range importColumns {
			known = known || c == h
		}
		if !known {
			return nil, nil, errs.Newf(errs.Invalid, op, "unknown column %s; the columns are %s", quote(h), strings.Join(importColumns, ", "))
		}
		col[h] = i
	}
	var out []ImportLine
	var bad []AlertRowError
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			bad = append(bad, AlertRowError{Line: line, Msg: "not a CSV row"})
			if len(bad) > 1000 {
				break
			}
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		d := AlertDraft{Kind: get("kind"), Sub: get("sub"), Warnings: splitBar(get("warnings")), Action: get("action"), Reason: get("reason"),
			Authority: get("authority"), WarrantRef: get("warrant_ref"), InterpolRef: get("interpol_ref"), CaseRefs: splitBar(get("case_refs"))}
		if t := get("object_type"); t != "" {
			d.Object = &WantedObject{Type: t, Plate: get("plate"), VIN: get("vin"), Serial: get("serial"), DocNumber: get("doc_number"), DocStatus: get("doc_status"),
				Make: get("make"), Model: get("model"), Calibre: get("calibre"), Description: get("description")}
		} else {
			d.Person = &WantedPerson{GivenName: get("given_name"), FamilyName: get("family_name"), Names: splitBar(get("names")), DateOfBirth: get("date_of_birth"),
				PlaceOfBirth: get("place_of_birth"), Sex: get("sex"), Nationalities: splitBar(get("nationalities")), Documents: splitBar(get("documents")),
				NationalIDs: splitBar(get("national_ids")), Description: get("description")}
		}
		for _, rc := range splitBar(get("recipients")) {
			node, basis, _ := strings.Cut(rc, ":")
			d.Recipients = append(d.Recipients, RecipientInput{Node: strings.TrimSpace(node), LegalBasisID: strings.TrimSpace(basis)})
		}
		out = append(out, ImportLine{Line: line, Draft: d})
		if len(out) > MaxImportRows {
			return nil, nil, errs.Newf(errs.TooLarge, op, "an import is limited to %d alerts", MaxImportRows)
		}
	}
	return out, bad, nil
}

// Import validates every alert of a file as a draft of the caller's
// agency — content, recipients and legal bases, compatibility with the
// alerts in force and with the file's other rows — and writes them all in
// one transaction, or none: any refused row is reported with its line and
// nothing is written. Imported alerts are drafts; a second person
// validates each as usual.
func (s *Service) Import(ctx context.Context, actor *auth.Principal, in io.Reader, format string, dryRun bool) (AlertImportResult, error) {
	const op = "alerts.Import"
	if err := auth.Authorize(actor, auth.ActAlertsDraft); err != nil {
		return AlertImportResult{}, err
	}
	lines, bad, err := ParseImport(in, format)
	if err != nil {
		return AlertImportResult{}, err
	}
	res := AlertImportResult{Rows: len(lines) + len(bad), DryRun: dryRun, Errors: bad, IDs: []string{}}
	type ready struct {
		a      Alert
		recips []Recipient
	}
	var todo []ready
	now := s.d.Clock.Now()
	for _, l := range lines {
		a, err := s.clean(op, l.Draft)
		if err == nil {
			var recips []Recipient
			recips, _, err = s.resolveRecipients(ctx, actor, op, l.Draft)
			if err == nil {
				a.ID, a.OriginNode, a.Status, a.Local = store.NewID(), s.d.NodeID, StatusDraft, true
				a.Agency, a.CreatedBy, a.CreatedAt, a.UpdatedAt = actor.Agency, actor.Username, now, now
				var comp Compatibility
				if comp, err = s.compatibility(ctx, s.d.Store, a); err == nil {
					err = comp.refusal(op)
				}
				for _, o := range todo {
					if err == nil && o.a.Kind == a.Kind && sameSubject(o.a, a) {
						err = errs.New(errs.Conflict, op, "the same subject and kind as an earlier row of the file")
					}
				}
				todo = append(todo, ready{a, recips})
			}
		}
		if err != nil {
			if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
				return AlertImportResult{}, err
			}
			res.Errors = append(res.Errors, AlertRowError{Line: l.Line, Msg: errs.SafeMessage(err)})
		}
	}
	if len(res.Errors) > 0 || dryRun {
		if len(res.Errors) > 0 {
			res.IDs = []string{}
		}
		return res, nil
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, t := range todo {
			if err := insertAlert(ctx, tx, t.a); err != nil {
				return err
			}
			for _, r := range t.recips {
				if err := insertRecipient(ctx, tx, t.a.ID, r); err != nil {
					return err
				}
			}
			if err := s.event(ctx, tx, t.a.ID, actor.Username, "created", StatusDraft, "imported"); err != nil {
				return err
			}
		}
		return s.queueAudit(ctx, tx, actor, "alerts.import", "import", "drafts="+strconv.Itoa(len(todo)))
	})
	if err != nil {
		return AlertImportResult{}, dbErr(op, "could not save the alerts", err)
	}
	res.Created = len(todo)
	for _, t := range todo {
		res.IDs = append(res.IDs, t.a.ID)
	}
	return res, nil
}

// sameSubject reports whether two alerts of one file concern the same
// subject: a shared identifier, or the same normalised name and date of
// birth.
func sameSubject(a, b Alert) bool {
	ia := identifiers(a)
	for _, id := range identifiers(b) {
		for _, x := range ia {
			if x == id {
				return true
			}
		}
	}
	if a.Person != nil && b.Person != nil {
		return identNorm(a.Person.FullName()) == identNorm(b.Person.FullName()) && a.Person.DateOfBirth == b.Person.DateOfBirth
	}
	return false
}

// Export writes the alerts issued on this node that the caller may see, as
// a JSON array of drafts that Import reads back.
func (s *Service) Export(ctx context.Context, actor *auth.Principal, w io.Writer) (int, error) {
	const op = "alerts.Export"
	if err := auth.Authorize(actor, auth.ActAlertsView); err != nil {
		return 0, err
	}
	all, err := s.listAlerts(ctx, listFilter{Origin: "local", Limit: 1000})
	if err != nil {
		return 0, unavailable(op, err)
	}
	out := []AlertDraft{}
	for _, a := range all {
		if !auth.AlertVisible(actor, s.facts(actor, a)) || Final(a.Status) {
			continue
		}
		rs, err := recipients(ctx, s.d.Store, a.ID)
		if err != nil {
			return 0, unavailable(op, err)
		}
		d := AlertDraft{Kind: a.Kind, Sub: a.Sub, Person: a.Person, Object: a.Object, Warnings: a.Warnings, Action: a.Action, Reason: a.Reason,
			Authority: a.Authority, WarrantRef: a.WarrantRef, InterpolRef: a.InterpolRef, Misused: a.Misused, CaseRefs: a.CaseRefs}
		for _, r := range rs {
			d.Recipients = append(d.Recipients, RecipientInput{Node: r.Node, LegalBasisID: r.LegalBasisID})
		}
		out = append(out, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return 0, err
	}
	return len(out), s.audit(ctx, actor, "alerts.export", "export", "alerts="+strconv.Itoa(len(out)))
}
