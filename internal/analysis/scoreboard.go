package analysis

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/store"
)

// Counts are what one node recorded of its cooperation with one partner
// (in total or in one quarter). They are counts only, with no personal data.
type Counts struct {
	RequestsSent       int     `json:"requests_sent" doc:"exchange requests this node sent to the partner"`
	RequestsAnswered   int     `json:"requests_answered" doc:"of those, answered or refused by the partner"`
	WithDeadline       int     `json:"with_deadline" doc:"answered requests that had a deadline"`
	WithinDeadline     int     `json:"within_deadline" doc:"of those, answered by the deadline"`
	MedianHours        float64 `json:"median_answer_hours" doc:"median time to answer, in hours (0: no answers)"`
	RequestsReceived   int     `json:"requests_received" doc:"exchange requests the partner sent to this node"`
	RequestsWeAnswered int     `json:"requests_we_answered"`
	QueriesSent        int     `json:"queries_sent" doc:"hit/no-hit queries sent to the partner"`
	Hits               int     `json:"hits" doc:"items the partner answered with a hit"`
	ReleasesReceived   int     `json:"releases_received" doc:"hits whose details the partner released"`
	QueriesReceived    int     `json:"queries_received"`
	HitsGiven          int     `json:"hits_given"`
	ReleasesGiven      int     `json:"releases_given"`
	MLASent            int     `json:"mla_sent" doc:"judicial requests sent to the partner"`
	MLAExecuted        int     `json:"mla_executed" doc:"of those, executed in full or in part"`
	MLAMedianDays      float64 `json:"mla_median_days" doc:"median days from sending to execution (0: none)"`
	MLAReceived        int     `json:"mla_received"`
	JITs               int     `json:"jits" doc:"joint investigation teams and parallel investigations with the partner"`
	Operations         int     `json:"operations" doc:"hot pursuits, surveillance, controlled deliveries and incidents with the partner (exercises excluded)"`
	Patrols            int     `json:"patrols" doc:"joint patrols with the partner"`
}

// Total is the number of recorded acts of cooperation in c.
func (c Counts) Total() int {
	return c.RequestsSent + c.RequestsReceived + c.QueriesSent + c.QueriesReceived + c.MLASent + c.MLAReceived + c.JITs + c.Operations + c.Patrols
}

// AnsweredShare is the share of requests sent that were answered, in percent.
func (c Counts) AnsweredShare() int { return pct(c.RequestsAnswered, c.RequestsSent) }

// DeadlineShare is the share of answers with a deadline given in time, in percent.
func (c Counts) DeadlineShare() int { return pct(c.WithinDeadline, c.WithDeadline) }

func pct(a, b int) int {
	if b == 0 {
		return 0
	}
	return (a*100 + b/2) / b
}

// PartnerRecord is one node's record with one partner.
type PartnerRecord struct {
	Partner string `json:"partner" doc:"the partner's node"`
	Counts
	Quarters []Quarter `json:"quarters" doc:"the same counts per calendar quarter, oldest first"`
}

// Quarter is one quarter of a pair's record.
type Quarter struct {
	Quarter string `json:"quarter" doc:"YYYY-Qn"`
	Counts
}

// AgreementUse is the recorded use of one agreement on this node.
type AgreementUse struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	ShortName   string   `json:"short_name,omitempty"`
	Partners    []string `json:"partners" doc:"the other parties' countries"`
	MLA         int      `json:"mla" doc:"judicial requests under it"`
	JITs        int      `json:"jits"`
	Operations  int      `json:"operations"`
	Manual      int      `json:"manual" doc:"entries of the implementation record made by hand"`
	Uses        int      `json:"uses"`
	Declaratory bool     `json:"declaratory" doc:"in force here but with no recorded use"`
}

// Scoreboard is one node's record of cooperation, per partner and per agreement.
type Scoreboard struct {
	Node       string          `json:"node" doc:"the node whose records these are"`
	At         time.Time       `json:"at"`
	Pairs      []PartnerRecord `json:"pairs"`
	Agreements []AgreementUse  `json:"agreements"`
}

// PartnerRecord returns the record with partner, and whether there is one.
func (b Scoreboard) Pair(partner string) (PartnerRecord, bool) {
	for _, p := range b.Pairs {
		if p.Partner == partner {
			return p, true
		}
	}
	return PartnerRecord{}, false
}

// QuarterOf names the calendar quarter of t ("2026-Q4").
func QuarterOf(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
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

type pairAcc struct {
	total    Counts
	quarters map[string]*Counts
	hours    []float64
	qhours   map[string][]float64
	days     []float64
	qdays    map[string][]float64
}

type board struct {
	self  string
	pairs map[string]*pairAcc
}

func (b *board) add(partner string, at time.Time, f func(c *Counts)) {
	if partner == "" || partner == b.self {
		return
	}
	a := b.pairs[partner]
	if a == nil {
		a = &pairAcc{quarters: map[string]*Counts{}, qhours: map[string][]float64{}, qdays: map[string][]float64{}}
		b.pairs[partner] = a
	}
	f(&a.total)
	if at.IsZero() {
		return
	}
	q := QuarterOf(at)
	c := a.quarters[q]
	if c == nil {
		c = &Counts{}
		a.quarters[q] = c
	}
	f(c)
}

// Scoreboard computes this node's cooperation record from its own
// records. Reading it is audited.
func (s *Service) Scoreboard(ctx context.Context, p *auth.Principal) (Scoreboard, error) {
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return Scoreboard{}, err
	}
	b, err := s.compute(ctx, s.d.Store)
	if err != nil {
		return Scoreboard{}, err
	}
	return b, s.record(ctx, s.entry(p, "analysis.scoreboard.view", "analysis/scoreboard", fmt.Sprintf("partners=%d", len(b.Pairs))))
}

func (s *Service) compute(ctx context.Context, q store.Querier) (Scoreboard, error) {
	const op = "analysis.Scoreboard"
	self := s.d.NodeID
	b := &board{self: self, pairs: map[string]*pairAcc{}}

	// Exchange: the first request of each thread and the first answer or
	// refusal from the other side.
	msgs, err := exchangeMessages(ctx, q)
	if err != nil {
		return Scoreboard{}, unavailable(op, err)
	}
	for i := 0; i < len(msgs); {
		j := i
		for j < len(msgs) && msgs[j].thread == msgs[i].thread {
			j++
		}
		s.exchangeThread(b, msgs[i:j])
		i = j
	}

	// Hit/no-hit.
	qs, err := sentQueries(ctx, q)
	if err != nil {
		return Scoreboard{}, unavailable(op, err)
	}
	for _, x := range qs {
		for _, peer := range x.peers {
			b.add(peer, x.created, func(c *Counts) { c.QueriesSent++ })
		}
	}
	for _, src := range []struct {
		read func(context.Context, store.Querier) ([]peerAt, error)
		add  func(c *Counts, n int)
	}{
		{queryHits, func(c *Counts, n int) { c.Hits += n }},
		{releasesReceived, func(c *Counts, n int) { c.ReleasesReceived += n }},
		{inboundQueries, func(c *Counts, n int) { c.QueriesReceived++; c.HitsGiven += n }},
		{releasesGiven, func(c *Counts, n int) { c.ReleasesGiven += n }},
	} {
		rows, err := src.read(ctx, q)
		if err != nil {
			return Scoreboard{}, unavailable(op, err)
		}
		for _, r := range rows {
			b.add(r.peer, r.at, func(c *Counts) { src.add(c, r.n) })
		}
	}

	// Judicial requests.
	mr, err := mlaRequests(ctx, q)
	if err != nil {
		return Scoreboard{}, unavailable(op, err)
	}
	useMLA := map[string]int{}
	for _, r := range mr {
		useMLA[r.basis]++
		if r.origin == self {
			executed := r.status == "executed" || r.status == "partially_executed"
			b.add(r.target, r.sent, func(c *Counts) {
				c.MLASent++
				if executed {
					c.MLAExecuted++
				}
			})
			if executed && !r.sent.IsZero() && !r.closed.IsZero() {
				d := r.closed.Sub(r.sent).Hours() / 24
				if a := b.pairs[r.target]; a != nil {
					a.days = append(a.days, d)
					a.qdays[QuarterOf(r.sent)] = append(a.qdays[QuarterOf(r.sent)], d)
				}
			}
		} else if r.target == self {
			b.add(r.origin, r.sent, func(c *Counts) { c.MLAReceived++ })
		}
	}

	// JITs and operations: one per partner taking part with this node.
	useJIT, useOps := map[string]int{}, map[string]int{}
	jits, err := jitWorkspaces(ctx, q)
	if err != nil {
		return Scoreboard{}, unavailable(op, err)
	}
	for _, g := range jits {
		useJIT[g.basis]++
		for _, n := range withOrigin(g) {
			b.add(n, g.created, func(c *Counts) { c.JITs++ })
		}
	}
	ops, err := operations(ctx, q)
	if err != nil {
		return Scoreboard{}, unavailable(op, err)
	}
	for _, g := range ops {
		useOps[g.basis]++
		patrol := g.kind == "joint_patrol"
		for _, n := range withOrigin(g) {
			b.add(n, g.created, func(c *Counts) {
				if patrol {
					c.Patrols++
				} else {
					c.Operations++
				}
			})
		}
	}

	out := Scoreboard{Node: self, At: s.d.Clock.Now().UTC(), Pairs: []PartnerRecord{}, Agreements: []AgreementUse{}}
	partners := make([]string, 0, len(b.pairs))
	for k := range b.pairs {
		partners = append(partners, k)
	}
	sort.Strings(partners)
	for _, k := range partners {
		a := b.pairs[k]
		pr := PartnerRecord{Partner: k, Counts: a.total, Quarters: []Quarter{}}
		pr.MedianHours, pr.MLAMedianDays = median(a.hours), median(a.days)
		qs := make([]string, 0, len(a.quarters))
		for q := range a.quarters {
			qs = append(qs, q)
		}
		sort.Strings(qs)
		for _, q := range qs {
			c := *a.quarters[q]
			c.MedianHours, c.MLAMedianDays = median(a.qhours[q]), median(a.qdays[q])
			pr.Quarters = append(pr.Quarters, Quarter{Quarter: q, Counts: c})
		}
		out.Pairs = append(out.Pairs, pr)
	}

	// Agreements this node's country is party to, with their recorded use.
	countries, err := nodeCountries(ctx, q)
	if err != nil {
		return Scoreboard{}, unavailable(op, err)
	}
	country := countries[self]
	if country == "" {
		country = cases.RegionOf(self)
	}
	manual, err := manualUse(ctx, q)
	if err != nil {
		return Scoreboard{}, unavailable(op, err)
	}
	ags, err := agreements(ctx, q)
	if err != nil {
		return Scoreboard{}, unavailable(op, err)
	}
	for _, a := range ags {
		if country == "" || !slices.Contains(a.parties, country) || a.ended != "" || a.status == "ended" {
			continue
		}
		u := AgreementUse{ID: a.id, Title: a.title, ShortName: a.short, Partners: []string{}, MLA: useMLA[a.id], Operations: useOps[a.id], Manual: manual[a.id]}
		for _, name := range []string{a.id, a.title, a.short} {
			if name != "" {
				u.JITs += useJIT[name]
			}
		}
		for _, c := range a.parties {
			if c != country {
				u.Partners = append(u.Partners, c)
			}
		}
		u.Uses = u.MLA + u.JITs + u.Operations + u.Manual
		u.Declaratory = u.Uses == 0
		out.Agreements = append(out.Agreements, u)
	}
	return out, nil
}

// withOrigin lists the nodes taking part in a JIT or operation.
func withOrigin(g groupRow) []string {
	out := slices.Clone(g.nodes)
	if g.origin != "" && !slices.Contains(out, g.origin) {
		out = append(out, g.origin)
	}
	return out
}

// exchangeThread adds one thread's request and answer to the board.
func (s *Service) exchangeThread(b *board, ms []exMessageRow) {
	var req *exMessageRow
	for i := range ms {
		if ms[i].kind == "request" {
			req = &ms[i]
			break
		}
	}
	if req == nil {
		return
	}
	self := s.d.NodeID
	var partners []string
	if req.node == self {
		for _, n := range req.parties {
			if n != self {
				partners = append(partners, n)
			}
		}
	} else {
		partners = []string{req.node}
	}
	for _, partner := range partners {
		answerer := partner
		if req.node != self {
			answerer = self
		}
		var ans *exMessageRow
		for i := range ms {
			if (ms[i].kind == "answer" || ms[i].kind == "refusal") && ms[i].node == answerer && !ms[i].at.Before(req.at) {
				ans = &ms[i]
				break
			}
		}
		if req.node != self {
			b.add(partner, req.at, func(c *Counts) {
				c.RequestsReceived++
				if ans != nil {
					c.RequestsWeAnswered++
				}
			})
			continue
		}
		b.add(partner, req.at, func(c *Counts) {
			c.RequestsSent++
			if ans == nil {
				return
			}
			c.RequestsAnswered++
			if !req.deadline.IsZero() {
				c.WithDeadline++
				if !ans.at.After(req.deadline) {
					c.WithinDeadline++
				}
			}
		})
		if ans != nil {
			h := ans.at.Sub(req.at).Hours()
			a := b.pairs[partner]
			a.hours = append(a.hours, h)
			a.qhours[QuarterOf(req.at)] = append(a.qhours[QuarterOf(req.at)], h)
		}
	}
}
