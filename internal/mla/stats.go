package mla

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
)

// PairStats is the turnaround of requests from one country to another.
type PairStats struct {
	From            string  `json:"from" doc:"requesting node"`
	To              string  `json:"to" doc:"requested node"`
	Sent            int     `json:"sent" doc:"requests sent (drafts excluded)"`
	Open            int     `json:"open"`
	Executed        int     `json:"executed"`
	Partial         int     `json:"partially_executed"`
	Refused         int     `json:"refused"`
	Withdrawn       int     `json:"withdrawn"`
	Overdue         int     `json:"overdue" doc:"open requests past a deadline"`
	MedianRecognise float64 `json:"median_days_to_recognise" doc:"from receipt to recognition, in days (0: no data)"`
	MedianExecute   float64 `json:"median_days_to_execute" doc:"from sending to execution, in days (0: no data)"`
}

type statRow struct {
	from, to, status, basis                        string
	sent, received, recognised, closed, rdue, edue time.Time
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	v := xs[m]
	if len(xs)%2 == 0 {
		v = (xs[m-1] + xs[m]) / 2
	}
	return float64(int(v*10+0.5)) / 10
}

func days(a, b time.Time) float64 { return b.Sub(a).Hours() / 24 }

func (s *Service) aggregate(rows []statRow) []PairStats {
	now := s.d.Clock.Now()
	type acc struct {
		PairStats
		rec, exe []float64
	}
	m := map[[2]string]*acc{}
	for _, r := range rows {
		k := [2]string{r.from, r.to}
		a := m[k]
		if a == nil {
			a = &acc{PairStats: PairStats{From: r.from, To: r.to}}
			m[k] = a
		}
		a.Sent++
		switch r.status {
		case StatusExecuted:
			a.Executed++
		case StatusRefused:
			a.Refused++
		case StatusWithdrawn:
			a.Withdrawn++
		default:
			a.Open++
			if r.status == StatusPartial {
				a.Partial++
			}
			if (r.status == StatusSent || r.status == StatusReceived) && !r.rdue.IsZero() && !now.Before(r.rdue) ||
				(r.status == StatusInExecution || r.status == StatusPartial) && !r.edue.IsZero() && !now.Before(r.edue) {
				a.Overdue++
			}
		}
		if !r.received.IsZero() && !r.recognised.IsZero() {
			a.rec = append(a.rec, days(r.received, r.recognised))
		}
		if r.status == StatusExecuted && !r.sent.IsZero() && !r.closed.IsZero() {
			a.exe = append(a.exe, days(r.sent, r.closed))
		}
	}
	out := make([]PairStats, 0, len(m))
	for _, a := range m {
		a.MedianRecognise, a.MedianExecute = median(a.rec), median(a.exe)
		out = append(out, a.PairStats)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].To < out[j].To
	})
	return out
}

// Stats returns turnaround per country pair over the requests this node
// holds (sent and received). Reading is audited.
func (s *Service) Stats(ctx context.Context, actor *auth.Principal) ([]PairStats, error) {
	if err := auth.Authorize(actor, auth.ActMLAView); err != nil {
		return nil, err
	}
	rows, err := statRows(ctx, s.d.Store, "")
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "mla.Stats", "cannot read statistics", err)
	}
	return s.aggregate(rows), s.audit(ctx, actor, "mla.stats.view", "stats", "")
}

// Usage reports to the directory's implementation record how many
// judicial requests this node holds under an agreement (directory.UsageSource).
func (s *Service) Usage(ctx context.Context, subjectKind, subjectID string) (directory.Usage, error) {
	if subjectKind != "agreement" {
		return directory.Usage{}, directory.ErrNotCovered
	}
	rows, err := statRows(ctx, s.d.Store, ` AND legal_basis_id = ?`, subjectID)
	if err != nil {
		return directory.Usage{}, err
	}
	if len(rows) == 0 {
		// Nothing sent or received under it yet: "no data" rather than a
		// zero that would read as a measured absence of use.
		return directory.Usage{}, directory.ErrNotCovered
	}
	u := directory.Usage{Requests: len(rows)}
	for _, r := range rows {
		if d := directory.Day(r.sent.Format("2006-01-02")); !r.sent.IsZero() && d > u.LastActivity {
			u.LastActivity = d
		}
	}
	return u, nil
}

// UsageDetail is the turnaround per country pair under an agreement, in
// one line for the directory's implementation record (directory.UsageDetailer).
func (s *Service) UsageDetail(ctx context.Context, subjectKind, subjectID string) (string, error) {
	if subjectKind != "agreement" {
		return "", nil
	}
	rows, err := statRows(ctx, s.d.Store, ` AND legal_basis_id = ?`, subjectID)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	out := ""
	for i, p := range s.aggregate(rows) {
		if i > 0 {
			out += "; "
		}
		out += fmt.Sprintf("%s→%s: %d sent, %d executed, %d refused", p.From, p.To, p.Sent, p.Executed, p.Refused)
		if p.MedianExecute > 0 {
			out += fmt.Sprintf(", median %.1f days to execute", p.MedianExecute)
		}
	}
	return out, nil
}
