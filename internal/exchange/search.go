package exchange

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
)

// Filter selects threads.
type Filter struct {
	Query          string    `query:"q" maxLength:"200" doc:"words to find in subjects, texts, entities and attachment names (Cyrillic or Latin, with or without diacritics)"`
	Country        string    `query:"country" maxLength:"32" doc:"participating node, e.g. me"`
	CrimeArea      string    `query:"crime_area" maxLength:"100"`
	Status         string    `query:"status" enum:"open,answered,refused,closed," doc:"thread status"`
	DeadlineBefore time.Time `query:"deadline_before" doc:"open requests due before this time"`
	Overdue        bool      `query:"overdue" doc:"only open requests past their deadline"`
	Purpose        string    `query:"purpose" maxLength:"200" doc:"why you search (recorded in the audit log)"`
	Limit          int       `query:"limit" minimum:"0" maximum:"500" doc:"default 100"`
}

// queryTerms folds a query into search terms; the last one matches as a prefix.
func queryTerms(q string) []string {
	return terms(entity.Fold(q))
}

// List returns the threads the caller may see that match f, most recently
// updated first. The search is audited with its purpose.
func (s *Service) List(ctx context.Context, actor *auth.Principal, f Filter) ([]Thread, error) {
	const op = "exchange.List"
	if f.Status != "" && !slices.Contains([]string{StatusOpen, StatusAnswered, StatusRefused, StatusClosed}, f.Status) {
		return nil, errs.New(errs.Invalid, op, "status must be open, answered, refused or closed")
	}
	ts := queryTerms(f.Query)
	if len(ts) > 8 {
		ts = ts[:8]
	}
	if strings.TrimSpace(f.Query) != "" && len(ts) == 0 {
		return nil, errs.New(errs.Invalid, op, "search for words of at least two letters or digits")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	tf := threadFilter{country: strings.ToLower(strings.Trim(f.Country, `"% `)), crimeArea: entity.Fold(f.CrimeArea), status: f.Status,
		deadlineBefore: f.DeadlineBefore, terms: ts, limit: limit}
	if f.Country == "" {
		tf.country = ""
	}
	if f.CrimeArea == "" {
		tf.crimeArea = ""
	}
	if f.Overdue {
		tf.overdueAt = s.d.Clock.Now()
	}
	out, err := s.searchThreads(ctx, actor, tf)
	if err != nil {
		return nil, dbErr(op, "cannot search threads", err)
	}
	slices.SortStableFunc(out, func(a, b Thread) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []Thread{}
	}
	if err := s.markThreads(ctx, out); err != nil {
		return nil, err
	}
	fj, _ := json.Marshal(struct {
		Q, Country, CrimeArea, Status string
		Overdue                       bool
	}{f.Query, f.Country, f.CrimeArea, f.Status, f.Overdue})
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.thread.search", Object: "threads",
		Purpose: f.Purpose, Detail: string(fj) + " → " + strconv.Itoa(len(out)) + " threads"}); err != nil {
		return nil, err
	}
	return out, nil
}

// DashboardRow counts open requests with one counterpart by age.
type DashboardRow struct {
	Country  string `json:"country" doc:"the other node of the thread"`
	Under1d  int    `json:"under_1d"`
	Days1to3 int    `json:"days_1_3"`
	Days3to7 int    `json:"days_3_7"`
	Over7d   int    `json:"over_7d"`
	Overdue  int    `json:"overdue"`
	Total    int    `json:"total"`
}

// Dashboard counts the caller's open requests by counterpart country and age.
func (s *Service) Dashboard(ctx context.Context, actor *auth.Principal) ([]DashboardRow, error) {
	const op = "exchange.Dashboard"
	open, err := openThreads(ctx, s.d.Store, actor.Agency)
	if err != nil {
		return nil, dbErr(op, "cannot read open requests", err)
	}
	now := s.d.Clock.Now()
	by := map[string]*DashboardRow{}
	for _, o := range open {
		ps := o.parties
		age := now.Sub(o.created)
		dl := o.deadline
		others := slices.DeleteFunc(ps, func(p string) bool { return p == s.d.NodeID })
		if len(others) == 0 {
			others = []string{s.d.NodeID}
		}
		for _, p := range others {
			r := by[p]
			if r == nil {
				r = &DashboardRow{Country: p}
				by[p] = r
			}
			switch {
			case age < 24*time.Hour:
				r.Under1d++
			case age < 72*time.Hour:
				r.Days1to3++
			case age < 7*24*time.Hour:
				r.Days3to7++
			default:
				r.Over7d++
			}
			if !dl.IsZero() && now.After(dl) {
				r.Overdue++
			}
			r.Total++
		}
	}
	out := []DashboardRow{}
	for _, r := range by {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b DashboardRow) int { return strings.Compare(a.Country, b.Country) })
	return out, nil
}

// Routing lists every thread of the node with routing metadata only, for
// the national contact unit: no subjects, texts or entities.
func (s *Service) Routing(ctx context.Context, actor *auth.Principal) ([]RoutingInfo, error) {
	const op = "exchange.Routing"
	out, err := routingRows(ctx, s.d.Store)
	if err != nil {
		return nil, dbErr(op, "cannot read threads", err)
	}
	return out, s.d.Audit.Record(ctx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.routing.read", Object: "threads", Detail: strconv.Itoa(len(out)) + " threads"})
}

// markThreads fills each thread's marking summary.
func (s *Service) markThreads(ctx context.Context, ts []Thread) error {
	if len(ts) == 0 {
		return nil
	}
	idx := map[string]int{}
	ids := make([]string, len(ts))
	for i, t := range ts {
		idx[t.ID], ids[i] = i, t.ID
	}
	by, err := threadMarkings(ctx, s.d.Store, ids)
	if err != nil {
		return dbErr("exchange.List", "cannot read markings", err)
	}
	for id, ms := range by {
		ts[idx[id]].Marking = Marking(ms)
	}
	return nil
}
