package analysis

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// TableInput describes a table to import: everything but its cells.
type TableInput struct {
	Set          string       `json:"set" enum:"gbv,thb,migration"`
	Title        string       `json:"title" maxLength:"200"`
	Period       string       `json:"period" maxLength:"7" doc:"YYYY, YYYY-Qn or YYYY-MM"`
	Jurisdiction string       `json:"jurisdiction" maxLength:"10" doc:"AL, BA, BA-FBIH, BA-RS, BA-BD, ME, MK, RS, XK"`
	Source       string       `json:"source,omitempty" maxLength:"300"`
	Definitions  []Definition `json:"definitions,omitempty" maxItems:"50"`
}

// TableImport says what an import did: the table saved, or every row's
// problem and nothing saved.
type TableImport struct {
	Saved  bool          `json:"saved"`
	Table  *Table        `json:"table,omitempty"`
	Errors []ImportError `json:"errors"`
}

var periodRE = regexp.MustCompile(`^(19|20)\d\d(-Q[1-4]|-(0[1-9]|1[0-2]))?$`)

func (s *Service) cleanTable(op string, in TableInput) (IndicatorSet, TableInput, error) {
	set, ok := SetOf(in.Set)
	if !ok {
		return set, in, errs.New(errs.Invalid, op, "choose an indicator set: gbv, thb or migration")
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || len(in.Title) > 200 {
		return set, in, errs.New(errs.Invalid, op, "a table needs a title of at most 200 characters")
	}
	in.Period = strings.ToUpper(strings.TrimSpace(in.Period))
	if !periodRE.MatchString(in.Period) {
		return set, in, errs.New(errs.Invalid, op, "the period must be a year, a quarter or a month (2025, 2025-Q1, 2025-03)")
	}
	in.Jurisdiction = strings.ToUpper(strings.TrimSpace(in.Jurisdiction))
	if !slices.Contains(Jurisdictions, in.Jurisdiction) {
		return set, in, errs.New(errs.Invalid, op, "the jurisdiction must be a country of the region or one of BA-FBIH, BA-RS, BA-BD")
	}
	in.Source = textutil.Ellipsis(strings.TrimSpace(in.Source), 300)
	if len(in.Definitions) > 50 {
		return set, in, errs.New(errs.Invalid, op, "at most 50 definitions per table")
	}
	for i, d := range in.Definitions {
		if !set.has(d.Indicator) || strings.TrimSpace(d.NationalOffence) == "" {
			return set, in, errs.New(errs.Invalid, op, "each definition names an indicator of the set and the national offence or record it counts")
		}
		in.Definitions[i] = Definition{Indicator: d.Indicator, NationalOffence: textutil.Ellipsis(strings.TrimSpace(d.NationalOffence), 300), Note: textutil.Ellipsis(strings.TrimSpace(d.Note), 1000)}
	}
	if in.Definitions == nil {
		in.Definitions = []Definition{}
	}
	return set, in, nil
}

// ImportTable saves a table whose cells come from a CSV file or an XLSX
// workbook. A file with any problem is refused as a whole, with every
// problem by line.
func (s *Service) ImportTable(ctx context.Context, p *auth.Principal, in TableInput, data []byte) (TableImport, error) {
	const op = "analysis.ImportTable"
	if err := auth.Authorize(p, auth.ActAnalysisEdit); err != nil {
		return TableImport{}, err
	}
	set, in, err := s.cleanTable(op, in)
	if err != nil {
		return TableImport{}, err
	}
	cells, rowErrs := ParseTableFile(set, data)
	if len(rowErrs) > 0 {
		return TableImport{Errors: rowErrs}, nil
	}
	t, err := s.saveTable(ctx, p, in, cells, "import")
	if err != nil {
		return TableImport{}, err
	}
	return TableImport{Saved: true, Table: &t, Errors: []ImportError{}}, nil
}

func (s *Service) saveTable(ctx context.Context, p *auth.Principal, in TableInput, cells []TableCell, how string) (Table, error) {
	now := s.d.Clock.Now().UTC()
	t := Table{ID: store.NewID(), Node: s.d.NodeID, Set: in.Set, Title: in.Title, Period: in.Period, Jurisdiction: in.Jurisdiction, Source: in.Source,
		Definitions: in.Definitions, Cells: cells, CreatedAt: now, UpdatedAt: now}
	if p != nil {
		t.CreatedBy = p.Username
	}
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertTable(ctx, tx, t); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.table."+how, "analysis/tables/"+t.ID, fmt.Sprintf("%s %s %s cells=%d", t.Set, t.Jurisdiction, t.Period, len(cells))))
	})
	return t, unavailable("analysis.saveTable", err)
}

// Tables lists this node's tables. Reading is audited.
func (s *Service) Tables(ctx context.Context, p *auth.Principal) ([]Table, error) {
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return nil, err
	}
	ts, err := listTables(ctx, s.d.Store, s.d.NodeID)
	if err != nil {
		return nil, unavailable("analysis.Tables", err)
	}
	return ts, s.record(ctx, s.entry(p, "analysis.table.list", "analysis/tables", ""))
}

// Table returns one of this node's tables, or one a partner shared.
func (s *Service) Table(ctx context.Context, p *auth.Principal, id string) (Table, error) {
	const op = "analysis.Table"
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return Table{}, err
	}
	t, err := getTable(ctx, s.d.Store, s.d.NodeID, id)
	if errors.Is(err, sql.ErrNoRows) {
		shared, err2 := s.sharedTables(ctx)
		if err2 != nil {
			return Table{}, err2
		}
		i := slices.IndexFunc(shared, func(t Table) bool { return t.ID == id })
		if i < 0 {
			return Table{}, errs.New(errs.NotFound, op, "no such statistics table")
		}
		t, err = shared[i], nil
	}
	if err != nil {
		return Table{}, unavailable(op, err)
	}
	return t, s.record(ctx, s.entry(p, "analysis.table.read", "analysis/tables/"+id, ""))
}

func (s *Service) sharedTables(ctx context.Context) ([]Table, error) {
	rows, err := sharedOf(ctx, s.d.Store, "table:")
	if err != nil {
		return nil, unavailable("analysis.SharedTables", err)
	}
	out := []Table{}
	for _, r := range rows {
		var t Table
		if json.Unmarshal(r.payload, &t) == nil {
			t.Node = r.peer
			out = append(out, t)
		}
	}
	return out, nil
}

// SharedTables lists the tables partners shared with this node.
func (s *Service) SharedTables(ctx context.Context, p *auth.Principal) ([]Table, error) {
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return nil, err
	}
	out, err := s.sharedTables(ctx)
	if err != nil {
		return nil, err
	}
	return out, s.record(ctx, s.entry(p, "analysis.table.shared", "analysis/tables", fmt.Sprintf("tables=%d", len(out))))
}

// ShareTable sends a table, small cells suppressed, to partners; the
// envelopes wait for the NCU.
func (s *Service) ShareTable(ctx context.Context, p *auth.Principal, id string, in ShareInput) ([]string, error) {
	const op = "analysis.ShareTable"
	if err := auth.Authorize(p, auth.ActAnalysisShare); err != nil {
		return nil, err
	}
	peers, err := s.cleanPeers(op, in)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		t, err := getTable(ctx, tx, s.d.NodeID, id)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, op, "no such statistics table")
		}
		if err != nil {
			return err
		}
		shared := t.Shared()
		for _, peer := range peers {
			eid, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: peer, Type: TypeTable, Payload: shared, Conversation: "analysis/tables/" + t.ID,
				Summary: "statistics table " + t.Set + " " + t.Jurisdiction + " " + t.Period + " (aggregate, small cells suppressed)", Actor: p})
			if err != nil {
				return err
			}
			ids = append(ids, eid)
		}
		return s.d.Audit.Queue(ctx, tx, s.entry(p, "analysis.table.share", "analysis/tables/"+t.ID, "to="+strings.Join(peers, ",")))
	})
	if err != nil {
		return nil, unavailable(op, err)
	}
	s.d.Fed.Notify()
	return ids, nil
}

// ParseTable decodes and checks a table received from node from: it must
// be in the shared form, with no cell under the suppression threshold.
func ParseTable(from string, raw []byte) (Table, error) {
	const op = "analysis.receive"
	var t Table
	if err := json.Unmarshal(raw, &t); err != nil {
		return Table{}, errs.Wrap(errs.Invalid, op, "malformed statistics table", err)
	}
	if _, ok := SetOf(t.Set); !ok || t.ID == "" || len(t.ID) > 64 || t.Node != from || !t.Suppressed || len(t.Cells) > MaxRows || len(t.Definitions) > 50 {
		return Table{}, errs.New(errs.Invalid, op, "statistics table from another node, unsuppressed or too large")
	}
	for _, c := range t.Cells {
		if c.Value != nil && *c.Value > 0 && *c.Value < MinCell {
			return Table{}, errs.New(errs.Invalid, op, "statistics table from another node, unsuppressed or too large")
		}
	}
	return t, nil
}

func describeTable(from string, payload json.RawMessage) (federation.Preview, error) {
	t, err := ParseTable(from, payload)
	if err != nil {
		return federation.Preview{}, err
	}
	return federation.Preview{Title: "statistics table: " + t.Title, Fields: []federation.PreviewField{{Label: "set", Value: t.Set},
		{Label: "jurisdiction", Value: t.Jurisdiction}, {Label: "period", Value: t.Period}, {Label: "cells", Value: fmt.Sprint(len(t.Cells))}}}, nil
}

func (s *Service) handleTable(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	t, err := ParseTable(in.From, in.Payload)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(t)
	if err := saveShared(ctx, tx, in.From, "table:"+t.ID, raw, s.d.Clock.Now()); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "federation", Action: "analysis.table.receive", Object: "peer/" + in.From,
		Detail: t.Set + " " + t.Jurisdiction + " " + t.Period})
}

// RegionalTable merges this node's and the shared tables of one set and
// period, each contribution with its definitions.
func (s *Service) RegionalTable(ctx context.Context, p *auth.Principal, set, period string) (Regional, error) {
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return Regional{}, err
	}
	own, err := listTables(ctx, s.d.Store, s.d.NodeID)
	if err != nil {
		return Regional{}, unavailable("analysis.RegionalTable", err)
	}
	shared, err := s.sharedTables(ctx)
	if err != nil {
		return Regional{}, err
	}
	all := make([]Table, 0, len(own)+len(shared))
	for _, t := range own {
		all = append(all, t.Shared()) // the regional view shows what may be shared
	}
	all = append(all, shared...)
	r := Merge(set, strings.ToUpper(period), all)
	return r, s.record(ctx, s.entry(p, "analysis.table.regional", "analysis/regional/"+set+"/"+period, fmt.Sprintf("contributions=%d", len(r.Contributions))))
}
