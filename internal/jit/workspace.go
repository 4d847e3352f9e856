package jit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Template is a model agreement a JIT starts from.
type Template struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	LegalBasis string      `json:"legal_basis"`
	Purpose    string      `json:"purpose"`
	Months     int         `json:"months" doc:"default duration"`
	Tasks      []TaskInput `json:"tasks"`
}

// Templates are the agreement templates offered when creating a JIT.
var Templates = []Template{
	{ID: "model-2017", Name: "Model agreement for setting up a joint investigation team (Council Resolution 2017/C 18/01)",
		LegalBasis: "Article 20 of the Second Additional Protocol to the European Convention on Mutual Assistance in Criminal Matters; Article 19 of the UN Convention against Transnational Organized Crime",
		Purpose:    "To investigate the offences described in the agreement, identify the persons involved, secure evidence for proceedings in the parties and trace the proceeds of crime.",
		Months:     12,
		Tasks: []TaskInput{{Title: "Agree the operational action plan"}, {Title: "Map suspects, links and assets"}, {Title: "Coordinate the common action day"},
			{Title: "Agree the use of evidence and the place of prosecution"}}},
	{ID: "pcc-see", Name: "Joint investigation team under the Police Cooperation Convention for Southeast Europe",
		LegalBasis: "Police Cooperation Convention for Southeast Europe (Vienna, 2006), joint investigation teams; national law of each party",
		Purpose:    "Joint police investigation of a cross-border criminal group in the region.",
		Months:     6,
		Tasks:      []TaskInput{{Title: "Exchange available intelligence"}, {Title: "Plan controlled deliveries and surveillance"}}},
	{ID: "untoc-19", Name: "Joint investigation under Article 19 of the UN Convention against Transnational Organized Crime",
		LegalBasis: "Article 19 of the UN Convention against Transnational Organized Crime (Palermo, 2000)",
		Purpose:    "Joint investigation of an organised criminal group operating in the parties.", Months: 12},
}

// TemplateByID returns a template.
func TemplateByID(id string) (Template, bool) {
	for _, t := range Templates {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

func validRole(r string) bool { return slices.Contains(MemberRoles, r) }

func validNode(n string) bool { return federation.ValidNodeID(n) }

func normDate(op, field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return "", errs.Newf(errs.Invalid, op, "%s must be a date YYYY-MM-DD, not %q", field, textutil.Clip(strings.TrimSpace(v), 20))
	}
	return t.Format("2006-01-02"), nil
}

func (s *Service) peerSet(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	if s.d.Fed == nil {
		return out, nil
	}
	ps, err := s.d.Fed.Peers(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if !p.Suspended {
			out[p.ID] = true
		}
	}
	return out, nil
}

func cleanMember(op string, in MemberInput) (Member, error) {
	m := Member{Node: strings.ToLower(strings.TrimSpace(in.Node)), Username: strings.TrimSpace(in.Username), Name: textutil.Clip(strings.TrimSpace(in.Name), 200),
		Agency: textutil.Clip(strings.TrimSpace(in.Agency), 200), Role: strings.ToLower(strings.TrimSpace(in.Role))}
	switch {
	case !validNode(m.Node):
		return m, errs.Newf(errs.Invalid, op, "member node %q is not a node ID such as rs, ba or selec", textutil.Clip(strings.TrimSpace(in.Node), 40))
	case m.Username == "" || len(m.Username) > 100:
		return m, errs.New(errs.Invalid, op, "every member needs the username they log in with on their node")
	case !validRole(m.Role):
		return m, errs.Newf(errs.Invalid, op, "member role %q is not known; use one of %s", textutil.Clip(strings.TrimSpace(in.Role), 40), strings.Join(MemberRoles, ", "))
	}
	if m.Name == "" {
		m.Name = m.Username
	}
	return m, nil
}

// Create sets up a JIT from a template agreement, or a parallel
// investigation. This node becomes the leader node; the caller must be one
// of the members, and the leader member must belong to this node.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in CreateInput) (Workspace, error) {
	const op = "jit.Create"
	action := auth.ActJITCreate
	if in.Kind == KindParallel {
		action = auth.ActParallelCreate
	}
	if err := s.authorize(ctx, p, action, "jit"); err != nil {
		return Workspace{}, err
	}
	ws, tasks, err := s.cleanCreate(ctx, op, in)
	if err != nil {
		_ = s.record(ctx, p, string(action), "jit", "denied", errs.SafeMessage(err))
		return Workspace{}, err
	}
	a := actorOf(p, s.d.Node)
	if ws.member(a.Node, a.Username) == nil {
		err := errs.New(errs.Invalid, op, "add yourself as a member: the workspace is created on your behalf")
		_ = s.record(ctx, p, string(action), "jit", "denied", errs.SafeMessage(err))
		return Workspace{}, err
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.commit(ctx, tx, ws.ID, a, EvCreate, change{Workspace: &ws}); err != nil {
			return err
		}
		for i := range tasks {
			if _, err := s.commit(ctx, tx, ws.ID, a, EvTaskAdd, change{Task: &tasks[i]}); err != nil {
				return err
			}
		}
		return nil
	})
	if err := s.finish(ctx, p, err, string(action), "jit/"+ws.ID); err != nil {
		return Workspace{}, err
	}
	return s.Get(ctx, p, ws.ID)
}

func (s *Service) cleanCreate(ctx context.Context, op string, in CreateInput) (Workspace, []Task, error) {
	ws := Workspace{ID: store.NewID(), Kind: in.Kind, LeaderNode: s.d.Node, PlanStatus: PlanDraft, PlanVersion: 1}
	if ws.Kind == "" {
		ws.Kind = KindJIT
	}
	if ws.Kind != KindJIT && ws.Kind != KindParallel {
		return ws, nil, errs.New(errs.Invalid, op, "kind must be jit or parallel")
	}
	tpl, hasTpl := TemplateByID(in.Template)
	if in.Template != "" && !hasTpl {
		return ws, nil, errs.Newf(errs.Invalid, op, "template %q is not known", textutil.Clip(strings.TrimSpace(in.Template), 64))
	}
	ws.Template = tpl.ID
	ws.Title, ws.Reference, ws.Purpose, ws.LegalBasis = textutil.Clip(strings.TrimSpace(in.Title), 300), textutil.Clip(strings.TrimSpace(in.Reference), 100), textutil.Clip(strings.TrimSpace(in.Purpose), 5000), textutil.Clip(strings.TrimSpace(in.LegalBasis), 1000)
	if ws.Title == "" {
		return ws, nil, errs.New(errs.Invalid, op, "a title is required")
	}
	if ws.Purpose == "" {
		ws.Purpose = tpl.Purpose
	}
	if ws.LegalBasis == "" {
		ws.LegalBasis = tpl.LegalBasis
	}
	if ws.Kind == KindJIT && ws.LegalBasis == "" {
		return ws, nil, errs.New(errs.Invalid, op, "a JIT needs a legal basis (choose a template agreement or write it)")
	}
	var err error
	if ws.StartDate, err = normDate(op, "start date", in.StartDate); err != nil {
		return ws, nil, err
	}
	if ws.EndDate, err = normDate(op, "end date", in.EndDate); err != nil {
		return ws, nil, err
	}
	if ws.StartDate == "" {
		ws.StartDate = s.d.Clock.Now().UTC().Format("2006-01-02")
	}
	if ws.EndDate == "" && ws.Kind == KindJIT {
		months := tpl.Months
		if months == 0 {
			months = 12
		}
		st, _ := time.Parse("2006-01-02", ws.StartDate)
		ws.EndDate = st.AddDate(0, months, 0).Format("2006-01-02")
	}
	if ws.EndDate != "" && ws.EndDate < ws.StartDate {
		return ws, nil, errs.New(errs.Invalid, op, "the end date is before the start date")
	}
	peers, err := s.peerSet(ctx)
	if err != nil {
		return ws, nil, dbErr(op, err)
	}
	parties := []string{s.d.Node}
	addParty := func(n string) error {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" || slices.Contains(parties, n) {
			return nil
		}
		if !validNode(n) {
			return errs.Newf(errs.Invalid, op, "party %q is not a node ID", textutil.Clip(strings.TrimSpace(n), 40))
		}
		if !peers[n] {
			return errs.Newf(errs.Invalid, op, "party %s is not an active peer of this node; the workspace is replicated to every party through the federation", n)
		}
		parties = append(parties, n)
		return nil
	}
	for _, n := range in.Parties {
		if err := addParty(n); err != nil {
			return ws, nil, err
		}
	}
	leaders := 0
	for _, mi := range in.Members {
		m, err := cleanMember(op, mi)
		if err != nil {
			return ws, nil, err
		}
		if ws.member(m.Node, m.Username) != nil {
			return ws, nil, errs.Newf(errs.Invalid, op, "member %s@%s is listed twice", m.Username, m.Node)
		}
		if m.Role == RoleLeader {
			leaders++
			if m.Node != s.d.Node {
				return ws, nil, errs.New(errs.Invalid, op, "the leader must belong to this node, which leads the workspace")
			}
		}
		if err := addParty(m.Node); err != nil {
			return ws, nil, err
		}
		m.ID = store.NewID()
		ws.Members = append(ws.Members, m)
	}
	if leaders != 1 {
		return ws, nil, errs.New(errs.Invalid, op, "name exactly one member with the role leader")
	}
	ws.Parties = parties
	tin := in.Tasks
	if len(tin) == 0 && ws.Kind == KindJIT {
		tin = tpl.Tasks
	}
	var tasks []Task
	for _, ti := range tin {
		t, err := cleanTask(op, &ws, ti)
		if err != nil {
			return ws, nil, err
		}
		tasks = append(tasks, t)
	}
	return ws, tasks, nil
}

func cleanTask(op string, ws *Workspace, in TaskInput) (Task, error) {
	t := Task{ID: store.NewID(), Title: textutil.Clip(strings.TrimSpace(in.Title), 300), Description: textutil.Clip(strings.TrimSpace(in.Description), 5000), Status: TaskOpen}
	if t.Title == "" {
		return t, errs.New(errs.Invalid, op, "a task needs a title")
	}
	var err error
	if t.DueDate, err = normDate(op, "due date", in.DueDate); err != nil {
		return t, err
	}
	if o := strings.TrimSpace(in.Owner); o != "" {
		m := ws.memberByID(o)
		if m == nil {
			if u, n, ok := strings.Cut(o, "@"); ok {
				m = ws.member(strings.ToLower(n), u)
			}
		}
		if m == nil {
			return t, errs.Newf(errs.Invalid, op, "task owner %q is not a member (use username@node)", textutil.Clip(strings.TrimSpace(o), 140))
		}
		t.Owner = m.ID
	}
	return t, nil
}

// List returns the workspaces the caller is a member of.
func (s *Service) List(ctx context.Context, p *auth.Principal, kind string) ([]WorkspaceSummary, error) {
	const op = "jit.List"
	action := auth.ActJITView
	if kind == KindParallel {
		action = auth.ActParallelView
	}
	if err := s.authorize(ctx, p, action, "jit"); err != nil {
		return nil, err
	}
	out, err := memberWorkspaces(ctx, s.d.Store, s.d.Node, p.Username, kind)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, nil
}

// Get returns the whole workspace for a member; every read is audited.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (Workspace, error) {
	const op = "jit.Get"
	if err := s.authorize(ctx, p, auth.ActJITView, "jit/"+id); err != nil {
		return Workspace{}, err
	}
	ws, err := s.load(ctx, s.d.Store, id, true)
	if err != nil {
		return Workspace{}, err
	}
	me := ws.member(s.d.Node, p.Username)
	if me == nil {
		_ = s.record(ctx, p, "jit.view", "jit/"+id, "denied", "not a member")
		return Workspace{}, errs.New(errs.NotFound, op, "no such workspace, or you are not a member of it")
	}
	ws.Me = me
	if err := s.record(ctx, p, "jit.view", "jit/"+id, "", ws.Kind+" "+ws.Reference); err != nil {
		return Workspace{}, err
	}
	return *ws, nil
}

// Timeline returns the workspace's events, newest first.
func (s *Service) Timeline(ctx context.Context, p *auth.Principal, id string) ([]TimelineEvent, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return s.events(ctx, s.d.Store, id, 0, true)
}

func (s *Service) events(ctx context.Context, q store.Querier, id string, before int64, desc bool) ([]TimelineEvent, error) {
	out, err := workspaceEvents(ctx, q, id, before, desc)
	if err != nil {
		return nil, dbErr("jit.events", err)
	}
	return out, nil
}

// load reads a workspace; full adds messages, custody chains, cases,
// targets, warnings, the exchange plan and rejections.
func (s *Service) load(ctx context.Context, q store.Querier, id string, full bool) (*Workspace, error) {
	const op = "jit.load"
	w := &Workspace{ID: id}
	err := workspaceRow(ctx, q, w)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, op, "no such workspace, or you are not a member of it")
	}
	if err != nil {
		return nil, dbErr(op, err)
	}
	if err := loadMembers(ctx, q, w); err != nil {
		return nil, dbErr(op, err)
	}
	if err := loadTasks(ctx, q, w); err != nil {
		return nil, dbErr(op, err)
	}
	if err := s.loadEvidence(ctx, q, w, full); err != nil {
		return nil, dbErr(op, err)
	}
	if err := loadExchange(ctx, q, w); err != nil {
		return nil, dbErr(op, err)
	}
	if err := loadTargets(ctx, q, w); err != nil {
		return nil, dbErr(op, err)
	}
	if !full {
		return w, nil
	}
	if err := loadFull(ctx, q, w); err != nil {
		return nil, dbErr(op, err)
	}
	return w, nil
}

func parseOpt(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return store.ParseTime(s)
}

// commit is the leader's step for every change: check it against the
// current state, give it the next sequence number, apply it, and send it to
// every party node. It runs inside the caller's transaction.
func (s *Service) commit(ctx context.Context, tx *store.Tx, wsID string, a Actor, kind string, ch change) (TimelineEvent, error) {
	var ws *Workspace
	if kind == EvCreate {
		ws = ch.Workspace
		if ws == nil {
			return TimelineEvent{}, errs.New(errs.Invalid, "jit.commit", "missing workspace")
		}
		ws.LastSeq = 0
	} else {
		var err error
		if ws, err = s.load(ctx, tx, wsID, false); err != nil {
			return TimelineEvent{}, err
		}
	}
	if ws.LeaderNode != s.d.Node {
		return TimelineEvent{}, errs.New(errs.Conflict, "jit.commit", "only the leader node orders changes")
	}
	if err := s.check(ws, a, kind, &ch); err != nil {
		return TimelineEvent{}, err
	}
	ev := TimelineEvent{Workspace: wsID, Seq: ws.LastSeq + 1, Kind: kind, Actor: a, At: s.now()}
	ev.Summary = summarize(ws, kind, ch)
	ev.Data, _ = json.Marshal(ch)
	oldParties := append([]string(nil), ws.Parties...)
	if kind == EvCreate {
		oldParties = nil
	}
	if err := s.apply(ctx, tx, ev, ch); err != nil {
		return TimelineEvent{}, err
	}
	parties := oldParties
	if kind == EvCreate {
		parties = ws.Parties
	}
	if kind == EvMemberAdd && !slices.Contains(parties, ch.Member.Node) {
		parties = append(append([]string(nil), parties...), ch.Member.Node)
	}
	if s.d.Fed != nil {
		for _, n := range parties {
			if n == s.d.Node {
				continue
			}
			if !slices.Contains(oldParties, n) && kind != EvCreate {
				// A new party gets the whole history first, in order.
				hist, err := s.events(ctx, tx, wsID, ev.Seq, false)
				if err != nil {
					return TimelineEvent{}, err
				}
				for _, h := range hist {
					if err := s.send(ctx, tx, n, h); err != nil {
						return TimelineEvent{}, err
					}
				}
			}
			if err := s.send(ctx, tx, n, ev); err != nil {
				return TimelineEvent{}, err
			}
		}
	}
	if err := s.queueAudit(ctx, tx, a, "jit."+kind, "jit/"+wsID, ev.Summary); err != nil {
		return TimelineEvent{}, err
	}
	if err := s.afterApply(ctx, tx, ev, ch); err != nil {
		return TimelineEvent{}, err
	}
	if kind == EvTargetAdd {
		ws.Targets = append(ws.Targets, *ch.Target)
		for _, w := range s.deconflict(ctx, ws, *ch.Target) {
			w := w
			if _, err := s.commit(ctx, tx, wsID, Actor{Node: s.d.Node, Username: SystemUser}, EvWarning, change{Warning: &w}); err != nil {
				return TimelineEvent{}, err
			}
		}
	}
	return ev, nil
}

func (s *Service) send(ctx context.Context, tx *store.Tx, to string, ev TimelineEvent) error {
	_, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: to, Type: TypeEvent, Conversation: "jit/" + ev.Workspace,
		Payload: ev, Summary: "jit " + ev.Workspace + " #" + strconv.FormatInt(ev.Seq, 10) + " " + ev.Kind})
	return err
}

// propose makes a change on behalf of a: committed here when this node
// leads the workspace, otherwise checked against the local copy and
// submitted to the leader, which checks it again and replicates it.
func (s *Service) propose(ctx context.Context, tx *store.Tx, wsID string, a Actor, kind string, ch change) (TimelineEvent, error) {
	ws, err := s.load(ctx, tx, wsID, false)
	if err != nil {
		return TimelineEvent{}, err
	}
	if ws.LeaderNode == s.d.Node {
		return s.commit(ctx, tx, wsID, a, kind, ch)
	}
	if err := s.check(ws, a, kind, &ch); err != nil {
		return TimelineEvent{}, err
	}
	if s.d.Fed == nil {
		return TimelineEvent{}, errs.New(errs.Unavailable, "jit.propose", "this node has no federation to reach the leader node")
	}
	sub := Submission{ID: store.NewID(), Workspace: wsID, Kind: kind, Actor: a, Data: ch}
	summary := summarize(ws, kind, ch)
	if err := insertPending(ctx, tx, sub, textutil.Clip(summary, 2000), s.now()); err != nil {
		return TimelineEvent{}, err
	}
	if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: ws.LeaderNode, Type: TypeSubmit, Conversation: "jit/" + wsID,
		Payload: sub, Summary: "jit " + wsID + " submit " + kind}); err != nil {
		return TimelineEvent{}, err
	}
	if err := s.queueAudit(ctx, tx, a, "jit."+kind+".submit", "jit/"+wsID, summarize(ws, kind, ch)); err != nil {
		return TimelineEvent{}, err
	}
	return TimelineEvent{Workspace: wsID, Kind: kind, Actor: a, At: s.now(), Summary: "submitted to the leader node " + ws.LeaderNode + ": " + summarize(ws, kind, ch)}, nil
}

// change runs one user change through the policy and propose.
func (s *Service) change(ctx context.Context, p *auth.Principal, action auth.Action, wsID, kind string, ch change) (TimelineEvent, error) {
	if err := s.authorize(ctx, p, action, "jit/"+wsID); err != nil {
		return TimelineEvent{}, err
	}
	var ev TimelineEvent
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ev, err = s.propose(ctx, tx, wsID, actorOf(p, s.d.Node), kind, ch)
		return err
	})
	return ev, s.finish(ctx, p, err, "jit."+kind, "jit/"+wsID)
}

// AddMember invites a member (possibly from another node; that node becomes
// a party and receives the whole workspace). Leader only.
func (s *Service) AddMember(ctx context.Context, p *auth.Principal, wsID string, in MemberInput) (TimelineEvent, error) {
	m, err := cleanMember("jit.AddMember", in)
	if err != nil {
		return TimelineEvent{}, err
	}
	if m.Node != s.d.Node {
		peers, err := s.peerSet(ctx)
		if err != nil {
			return TimelineEvent{}, dbErr("jit.AddMember", err)
		}
		if !peers[m.Node] {
			return TimelineEvent{}, errs.Newf(errs.Invalid, "jit.AddMember", "%s is not an active peer of this node", m.Node)
		}
	}
	m.ID = store.NewID()
	return s.change(ctx, p, auth.ActJITManage, wsID, EvMemberAdd, change{Member: &m})
}

// Extend extends the JIT's duration. Leader only.
func (s *Service) Extend(ctx context.Context, p *auth.Principal, wsID, to, reason string) (TimelineEvent, error) {
	d, err := normDate("jit.Extend", "new end date", to)
	if err != nil {
		return TimelineEvent{}, err
	}
	if d == "" || strings.TrimSpace(reason) == "" {
		return TimelineEvent{}, errs.New(errs.Invalid, "jit.Extend", "give the new end date and the reason for the extension")
	}
	return s.change(ctx, p, auth.ActJITManage, wsID, EvExtend, change{Extension: &Extension{To: d, Reason: textutil.Clip(strings.TrimSpace(reason), 1000)}})
}

// AddTask adds a task to the action plan (which returns to draft).
func (s *Service) AddTask(ctx context.Context, p *auth.Principal, wsID string, in TaskInput) (TimelineEvent, error) {
	ws, err := s.load(ctx, s.d.Store, wsID, false)
	if err != nil {
		return TimelineEvent{}, err
	}
	t, err := cleanTask("jit.AddTask", ws, in)
	if err != nil {
		return TimelineEvent{}, err
	}
	return s.change(ctx, p, auth.ActJITEdit, wsID, EvTaskAdd, change{Task: &t})
}

// SetTaskStatus moves a task (its owner or the leader).
func (s *Service) SetTaskStatus(ctx context.Context, p *auth.Principal, wsID, taskID, status string) (TimelineEvent, error) {
	if status != TaskOpen && status != TaskInProgress && status != TaskDone {
		return TimelineEvent{}, errs.New(errs.Invalid, "jit.SetTaskStatus", "status must be open, in_progress or done")
	}
	return s.change(ctx, p, auth.ActJITEdit, wsID, EvTaskStatus, change{Task: &Task{ID: taskID, Status: status}})
}

// ApprovePlan approves the current action plan. Only the JIT leader.
func (s *Service) ApprovePlan(ctx context.Context, p *auth.Principal, wsID string) (TimelineEvent, error) {
	return s.change(ctx, p, auth.ActJITApprove, wsID, EvPlanApprove, change{})
}

// PostMessage posts on the team channel.
func (s *Service) PostMessage(ctx context.Context, p *auth.Principal, wsID, body string) (TimelineEvent, error) {
	body = textutil.Clip(strings.TrimSpace(body), 10000)
	if body == "" {
		return TimelineEvent{}, errs.New(errs.Invalid, "jit.PostMessage", "the message is empty")
	}
	return s.change(ctx, p, auth.ActJITEdit, wsID, EvMessage, change{Message: &TeamMessage{ID: store.NewID(), Body: body}})
}

// LinkCase links a national case of the caller's node.
func (s *Service) LinkCase(ctx context.Context, p *auth.Principal, wsID, caseRef, note string) (TimelineEvent, error) {
	const op = "jit.LinkCase"
	caseRef = textutil.Clip(strings.TrimSpace(caseRef), 100)
	if caseRef == "" {
		return TimelineEvent{}, errs.New(errs.Invalid, op, "give the national case reference")
	}
	if s.d.Cases == nil {
		return TimelineEvent{}, errs.New(errs.Unavailable, op, "the case database is not available on this node")
	}
	exists, err := s.d.Cases.HasCase(ctx, caseRef)
	if err != nil {
		return TimelineEvent{}, dbErr(op, err)
	}
	if !exists {
		return TimelineEvent{}, errs.Newf(errs.Invalid, op, "case %s is not in this node's case database; create it under Cases first", caseRef)
	}
	return s.change(ctx, p, auth.ActParallelEdit, wsID, EvCaseLink, change{Case: &CaseLink{CaseRef: caseRef, Note: textutil.Clip(strings.TrimSpace(note), 1000)}})
}
