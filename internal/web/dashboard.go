package web

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/mla"
)

// The dashboard shows each person the work waiting for them, oldest and
// most urgent first: the NCU its queue, officers the hits to decide and the
// requests due, prosecutors the legal-assistance deadlines, auditors the
// last verification. Menus carry the same counts as badges.

// badges counts the work behind menu entries, for the roles that do it.
// Counts read no content and are not audited; a count that cannot be read
// is left out rather than failing the page.
func (s *Server) badges(ctx context.Context, p *auth.Principal) map[string]int {
	out := map[string]int{}
	if p == nil || p.MustChangePassword {
		return out
	}
	if s.d.Federation != nil && auth.Can(p, auth.ActNCUQueue) {
		if n, err := s.d.Federation.WaitingForNCU(ctx); err == nil {
			out["nav.ncu"] = n
		}
	}
	if s.d.Cases != nil && auth.Can(p, auth.ActCasesHits) {
		if n, err := s.d.Cases.CountHits(ctx, "new"); err == nil {
			out["nav.cases"] = n
		}
	}
	if s.d.Alerts != nil && auth.Can(p, auth.ActAlertsManage) {
		if n, err := s.d.Alerts.OpenHits(ctx, p); err == nil {
			out["nav.alerts"] = n
		}
	}
	if s.d.Exchange != nil && auth.Can(p, auth.ActExchangeNotifications) {
		if n, err := s.d.Exchange.UnreadCount(ctx, p); err == nil {
			out["nav.exchange"] = n
		}
	}
	return out
}

// dueThread is an open request with the time left to answer it.
type dueThread struct {
	exchange.Thread
	Left    time.Duration
	Overdue bool
}

// dueRequest is a legal-assistance request with its next deadline.
type dueRequest struct {
	mla.Request
	Due time.Time
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	now := s.d.Clock.Now()
	data := map[string]any{}
	fail := func(err error) { s.uiError(w, r, err) }

	if s.d.Federation != nil && auth.Can(p, auth.ActNCUQueue) {
		q, err := s.d.Federation.Queue(ctx, p)
		if err != nil {
			fail(err)
			return
		}
		sortQueue(q)
		data["NCU"] = q
		data["NCUShown"] = q[:min(len(q), 8)]
	}
	if s.d.Cases != nil && auth.Can(p, auth.ActCasesHits) {
		hits, err := s.d.Cases.Hits(ctx, p, "new")
		if err != nil {
			fail(err)
			return
		}
		sort.SliceStable(hits, func(i, j int) bool { return hits[i].CreatedAt.Before(hits[j].CreatedAt) })
		data["Hits"] = hits
		data["HitsShown"] = hits[:min(len(hits), 6)]
	}
	if s.d.Exchange != nil && auth.Can(p, auth.ActExchangeList) {
		threads, err := s.d.Exchange.List(ctx, p, exchange.Filter{Status: exchange.StatusOpen, DeadlineBefore: now.Add(7 * 24 * time.Hour), Purpose: "dashboard: requests due", Limit: 50})
		if err != nil {
			fail(err)
			return
		}
		var due []dueThread
		for _, t := range threads {
			// Requests this agency owes an answer to; its own requests wait on others.
			if t.DeadlineAt.IsZero() || t.OriginNode == s.d.Node.ID && t.OriginAgency == p.Agency {
				continue
			}
			due = append(due, dueThread{Thread: t, Left: t.DeadlineAt.Sub(now), Overdue: !now.Before(t.DeadlineAt)})
		}
		sort.SliceStable(due, func(i, j int) bool { return due[i].DeadlineAt.Before(due[j].DeadlineAt) })
		data["Due"] = due
	}
	if s.d.Exchange != nil && auth.Can(p, auth.ActExchangeNotifications) {
		ns, err := s.d.Exchange.Notifications(ctx, p, true)
		if err != nil {
			fail(err)
			return
		}
		data["Unread"] = ns
		data["UnreadShown"] = ns[:min(len(ns), 6)]
	}
	if s.d.MLA != nil && auth.Can(p, auth.ActMLAView) && p.Has(auth.RoleProsecutor) {
		reqs, err := s.d.MLA.List(ctx, p, mla.Filter{})
		if err != nil {
			fail(err)
			return
		}
		var due []dueRequest
		for _, rq := range reqs {
			if rq.Overdue == "" && !rq.DueSoon {
				continue
			}
			d := rq.RecogniseDue
			if rq.Overdue == "execution" || (rq.Overdue == "" && !rq.ExecuteDue.IsZero()) {
				d = rq.ExecuteDue
			}
			due = append(due, dueRequest{Request: rq, Due: d})
		}
		sort.SliceStable(due, func(i, j int) bool { return due[i].Due.Before(due[j].Due) })
		data["MLA"] = due
	}
	if auth.Can(p, auth.ActAuditVerify) {
		last, err := audit.List(ctx, s.d.Store, audit.Filter{Action: "audit.verify", Limit: 1})
		if err != nil {
			fail(err)
			return
		}
		if len(last) > 0 {
			data["LastVerify"] = last[0]
		}
		data["Auditor"] = true
		if s.d.Witness != nil {
			if st, err := s.d.Witness.Status(ctx); err == nil {
				data["Alarms"] = len(st.Alarms)
			}
		}
	}
	// What the person did, not the lists this page itself had to read.
	recent, err := audit.List(ctx, s.d.Store, audit.Filter{Actor: p.Username, Limit: 60})
	if err != nil {
		fail(err)
		return
	}
	recent = slices.DeleteFunc(recent, func(e audit.Entry) bool {
		return strings.HasSuffix(e.Action, ".list") || strings.HasSuffix(e.Action, ".search") || strings.HasSuffix(e.Action, ".view")
	})
	data["Recent"] = recent[:min(len(recent), 8)]
	s.render(w, r, http.StatusOK, "dashboard", "dash.title", "nav.dashboard", data, "", "")
}

// sortQueue puts urgent items first, then the oldest.
func sortQueue(q []federation.QueueItem) {
	urgent := func(it federation.QueueItem) bool { return strings.Contains(strings.ToLower(it.Summary), "urgent") }
	sort.SliceStable(q, func(i, j int) bool {
		ui, uj := urgent(q[i]), urgent(q[j])
		if ui != uj {
			return ui
		}
		return q[i].CreatedAt.Before(q[j].CreatedAt)
	})
}
