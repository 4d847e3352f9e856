package jit

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// check is the per-object rule set of a workspace: who, by their member
// role, may make which change, and whether the change fits the current
// state. The node-level policy (internal/auth) has already decided that
// the user may do this kind of thing at all. The leader runs check for
// every change it orders; a member's node runs it first too, so most
// refusals are immediate. check fills in fields taken from the actor.
func (s *Service) check(ws *Workspace, a Actor, kind string, ch *change) error {
	const op = "jit.check"
	if a.Username == SystemUser {
		return checkSystem(ws, a, kind, ch)
	}
	if kind == EvCreate {
		return nil
	}
	m := ws.member(a.Node, a.Username)
	if m == nil {
		return forbidden(op, "you are not a member of this workspace")
	}
	r := &rule{ws: ws, a: a, m: m, ch: ch, leader: "JIT leader"}
	if ws.Kind == KindParallel {
		r.leader = "coordinator"
	}
	switch kind {
	case EvMemberAdd:
		return r.memberAdd()
	case EvExtend:
		return r.extend()
	case EvTaskAdd:
		return r.taskAdd()
	case EvTaskStatus:
		return r.taskStatus()
	case EvPlanApprove:
		return r.planApprove()
	case EvMessage:
		return r.message()
	case EvEvidenceAdd:
		return r.evidenceAdd()
	case EvTransfer:
		return r.transfer()
	case EvAccess:
		return r.access()
	case EvAuthorise:
		return r.authorise()
	case EvCaseLink:
		return r.caseLink()
	case EvTargetAdd:
		return r.targetAdd()
	case EvExchangeAdd:
		return r.exchangeAdd()
	case EvAgree:
		return r.agree()
	case EvWarning:
		return forbidden(op, "deconfliction warnings come from the leader node only")
	}
	return errs.Newf(errs.Invalid, op, "unknown change %q", textutil.Clip(strings.TrimSpace(kind), 40))
}

// checkSystem allows the changes a node makes on its own: the leader's
// deconfliction warnings and the record of an evidence file's access.
func checkSystem(ws *Workspace, a Actor, kind string, ch *change) error {
	const op = "jit.check"
	switch {
	case kind == EvWarning && a.Node == ws.LeaderNode && ch.Warning != nil:
		return nil
	case kind == EvAccess && slices.Contains(ws.Parties, a.Node) && ch.Custody != nil:
		if ws.evidence(ch.Evidence2) == nil {
			return errs.New(errs.NotFound, op, "no such item of evidence")
		}
		ch.Custody.ActorNode = a.Node
		return nil
	}
	return forbidden(op, "this change needs a member of the workspace")
}

// rule is one member's proposed change to a workspace, checked by the
// rule of its kind; a rule may complete the change (who, when, from where).
type rule struct {
	ws     *Workspace
	a      Actor
	m      *Member
	ch     *change
	leader string // how the leader is called: JIT leader or coordinator
}

func (r *rule) is(roles ...string) bool { return slices.Contains(roles, r.m.Role) }

func (r *rule) memberAdd() error {
	const op = "jit.check"
	if r.ch.Member == nil {
		return errs.New(errs.Invalid, op, "missing member")
	}
	if !r.is(RoleLeader) {
		return forbidden(op, "only the "+r.leader+" invites members")
	}
	if r.ch.Member.Role == RoleLeader {
		return errs.New(errs.Invalid, op, "a workspace has exactly one leader")
	}
	if r.ws.member(r.ch.Member.Node, r.ch.Member.Username) != nil {
		return errs.Newf(errs.Conflict, op, "%s@%s is already a member", r.ch.Member.Username, r.ch.Member.Node)
	}
	return nil
}

func (r *rule) extend() error {
	const op = "jit.check"
	if r.ch.Extension == nil {
		return errs.New(errs.Invalid, op, "missing extension")
	}
	if !r.is(RoleLeader) {
		return forbidden(op, "only the "+r.leader+" extends the duration")
	}
	if r.ws.EndDate != "" && r.ch.Extension.To <= r.ws.EndDate {
		return errs.Newf(errs.Invalid, op, "the new end date must be after the current end date %s", r.ws.EndDate)
	}
	r.ch.Extension.From, r.ch.Extension.By = r.ws.EndDate, r.a.String()
	return nil
}

func (r *rule) taskAdd() error {
	const op = "jit.check"
	if r.ch.Task == nil {
		return errs.New(errs.Invalid, op, "missing task")
	}
	if !r.is(RoleLeader, RoleProsecutor, RolePolice) {
		return forbidden(op, "analysts and observers cannot change the action plan")
	}
	if r.ws.task(r.ch.Task.ID) != nil {
		return errs.New(errs.Conflict, op, "the task exists already")
	}
	if r.ch.Task.Owner != "" && r.ws.memberByID(r.ch.Task.Owner) == nil {
		return errs.New(errs.Invalid, op, "the task owner is not a member")
	}
	r.ch.Task.Status = TaskOpen
	return nil
}

func (r *rule) taskStatus() error {
	const op = "jit.check"
	if r.ch.Task == nil {
		return errs.New(errs.Invalid, op, "missing task")
	}
	t := r.ws.task(r.ch.Task.ID)
	if t == nil {
		return errs.New(errs.NotFound, op, "no such task")
	}
	if !r.is(RoleLeader) && t.Owner != r.m.ID {
		return forbidden(op, "only the task's owner or the "+r.leader+" updates a task")
	}
	return nil
}

func (r *rule) planApprove() error {
	const op = "jit.check"
	if !r.is(RoleLeader) {
		return forbidden(op, "only the "+r.leader+" approves the action plan")
	}
	if len(r.ws.Tasks) == 0 {
		return errs.New(errs.Invalid, op, "the action plan has no tasks yet")
	}
	if r.ws.PlanStatus == PlanApproved {
		return errs.New(errs.Conflict, op, "the action plan is already approved")
	}
	return nil
}

func (r *rule) message() error {
	const op = "jit.check"
	if r.ch.Message == nil {
		return errs.New(errs.Invalid, op, "missing message")
	}
	r.ch.Message.Node, r.ch.Message.Author = r.a.Node, r.m.Name
	return nil
}

func (r *rule) evidenceAdd() error {
	const op = "jit.check"
	e := r.ch.Evidence
	if e == nil {
		return errs.New(errs.Invalid, op, "missing evidence")
	}
	if r.ws.Kind != KindJIT {
		return errs.New(errs.Invalid, op, "the evidence register belongs to JITs; a parallel investigation exchanges evidence through mutual legal assistance")
	}
	if !r.is(RoleLeader, RoleProsecutor, RolePolice) {
		return forbidden(op, "only police officers, prosecutors and the JIT leader register evidence")
	}
	if r.ws.evidence(e.ID) != nil {
		return errs.New(errs.Conflict, op, "the item is registered already")
	}
	if !slices.Contains(r.ws.Parties, e.CollectingParty) {
		return errs.Newf(errs.Invalid, op, "the collecting party %s is not a party to this JIT", e.CollectingParty)
	}
	if !slices.Contains(r.ws.Parties, e.GoverningLaw) {
		return errs.Newf(errs.Invalid, op, "the governing law must be that of a party to this JIT, not %s", e.GoverningLaw)
	}
	if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 {
		return errs.New(errs.Invalid, op, "the SHA-256 must be 64 hexadecimal digits")
	}
	e.Custodian, e.RegisteredBy, e.Workspace = r.a.Node, r.a.String(), r.ws.ID
	return nil
}

func (r *rule) transfer() error {
	const op = "jit.check"
	e := r.ws.evidence(r.ch.Evidence2)
	if e == nil || r.ch.Custody == nil {
		return errs.New(errs.NotFound, op, "no such item of evidence")
	}
	if !r.is(RoleLeader, RoleProsecutor, RolePolice) {
		return forbidden(op, "only police officers, prosecutors and the JIT leader transfer evidence")
	}
	if r.a.Node != e.Custodian {
		return forbidden(op, "only a member of the party holding the item ("+e.Custodian+") transfers it")
	}
	if !slices.Contains(r.ws.Parties, r.ch.Custody.To) || r.ch.Custody.To == e.Custodian {
		return errs.New(errs.Invalid, op, "transfer the item to another party of this JIT")
	}
	r.ch.Custody.Action, r.ch.Custody.From, r.ch.Custody.ActorNode = "transferred", e.Custodian, r.a.Node
	return nil
}

func (r *rule) access() error {
	const op = "jit.check"
	if r.ws.evidence(r.ch.Evidence2) == nil || r.ch.Custody == nil {
		return errs.New(errs.NotFound, op, "no such item of evidence")
	}
	r.ch.Custody.ActorNode = r.a.Node
	return nil
}

func (r *rule) authorise() error {
	const op = "jit.check"
	e := r.ws.evidence(r.ch.Evidence2)
	if e == nil {
		return errs.New(errs.NotFound, op, "no such item of evidence")
	}
	if !r.is(RoleProsecutor) {
		return forbidden(op, "only a prosecutor authorises the use of evidence in proceedings")
	}
	if r.a.Node != e.GoverningLaw {
		return forbidden(op, "only a prosecutor of the party whose law governs the item ("+e.GoverningLaw+") authorises its use")
	}
	if e.UseAuthorised {
		return errs.New(errs.Conflict, op, "its use is already authorised")
	}
	r.ch.Custody = &Custody{Action: "use_authorised", ActorNode: r.a.Node, Note: "use in proceedings authorised under the law of " + e.GoverningLaw}
	return nil
}

func (r *rule) caseLink() error {
	const op = "jit.check"
	if r.ch.Case == nil {
		return errs.New(errs.Invalid, op, "missing case")
	}
	if !r.is(RoleLeader, RoleProsecutor, RolePolice, RoleAnalyst) {
		return forbidden(op, "observers cannot link cases")
	}
	r.ch.Case.Node, r.ch.Case.LinkedBy = r.a.Node, r.a.String()
	for _, c := range r.ws.Cases {
		if c.Node == r.a.Node && c.CaseRef == r.ch.Case.CaseRef {
			return errs.New(errs.Conflict, op, "the case is linked already")
		}
	}
	return nil
}

func (r *rule) targetAdd() error {
	const op = "jit.check"
	if r.ch.Target == nil {
		return errs.New(errs.Invalid, op, "missing target")
	}
	if !r.is(RoleLeader, RoleProsecutor, RolePolice, RoleAnalyst) {
		return forbidden(op, "observers cannot declare targets")
	}
	r.ch.Target.Node, r.ch.Target.AddedBy = r.a.Node, r.a.String()
	return nil
}

func (r *rule) exchangeAdd() error {
	const op = "jit.check"
	x := r.ch.Exchange
	if x == nil {
		return errs.New(errs.Invalid, op, "missing exchange line")
	}
	if !r.is(RoleLeader, RoleProsecutor, RolePolice) {
		return forbidden(op, "only police officers, prosecutors and the "+r.leader+" change the exchange plan")
	}
	if !slices.Contains(r.ws.Parties, x.From) || !slices.Contains(r.ws.Parties, x.To) || x.From == x.To {
		return errs.New(errs.Invalid, op, "an exchange goes from one party to another party")
	}
	return nil
}

func (r *rule) agree() error {
	const op = "jit.check"
	if !r.is(RoleLeader, RoleProsecutor) {
		return forbidden(op, "only a prosecutor or the "+r.leader+" agrees the exchange plan for their party")
	}
	if len(r.ws.Exchange) == 0 {
		return errs.New(errs.Invalid, op, "the exchange plan is empty")
	}
	if slices.Contains(r.ws.ExchangeAgreed, r.a.Node) {
		return errs.New(errs.Conflict, op, "your party has agreed the exchange plan already")
	}
	return nil
}

func (w *Workspace) evidence(id string) *Evidence {
	for i := range w.Evidence {
		if w.Evidence[i].ID == id {
			return &w.Evidence[i]
		}
	}
	return nil
}

// summarize is the timeline line of a change.
func summarize(ws *Workspace, kind string, ch change) string {
	switch kind {
	case EvCreate:
		if ws.Kind == KindParallel {
			return "Parallel investigation set up: " + ws.Title + " (parties " + strings.Join(ws.Parties, ", ") + ")"
		}
		return "JIT set up: " + ws.Title + " (parties " + strings.Join(ws.Parties, ", ") + ")"
	case EvMemberAdd:
		if ch.Member != nil {
			return "Member added: " + ch.Member.Name + " (" + ch.Member.Agency + ", " + ch.Member.Node + ") as " + ch.Member.Role
		}
	case EvExtend:
		if ch.Extension != nil {
			return "Duration extended to " + ch.Extension.To + ": " + ch.Extension.Reason
		}
	case EvTaskAdd:
		if ch.Task != nil {
			return "Task added: " + ch.Task.Title
		}
	case EvTaskStatus:
		if ch.Task != nil {
			title := ch.Task.ID
			if t := ws.task(ch.Task.ID); t != nil {
				title = t.Title
			}
			return "Task " + title + " is now " + strings.ReplaceAll(ch.Task.Status, "_", " ")
		}
	case EvPlanApprove:
		return "Action plan approved"
	case EvMessage:
		return "Message on the team channel"
	case EvEvidenceAdd:
		if ch.Evidence != nil {
			return "Evidence registered: " + ch.Evidence.Title + " (SHA-256 " + ch.Evidence.SHA256[:min(12, len(ch.Evidence.SHA256))] + "…)"
		}
	case EvTransfer:
		if ch.Custody != nil {
			return "Evidence " + evTitle(ws, ch.Evidence2) + " transferred " + ch.Custody.From + " → " + ch.Custody.To
		}
	case EvAccess:
		if ch.Custody != nil {
			return "Evidence " + evTitle(ws, ch.Evidence2) + " " + ch.Custody.Action + " at " + ch.Custody.ActorNode
		}
	case EvAuthorise:
		return "Use of evidence " + evTitle(ws, ch.Evidence2) + " in proceedings authorised"
	case EvCaseLink:
		if ch.Case != nil {
			return "National case linked: " + ch.Case.CaseRef + " (" + ch.Case.Node + ")"
		}
	case EvTargetAdd:
		if ch.Target != nil {
			return "Target declared by " + ch.Target.Node + ": " + ch.Target.Kind
		}
	case EvWarning:
		if ch.Warning != nil {
			return "Deconfliction warning: " + ch.Warning.NodeA + " and " + ch.Warning.NodeB + " target the same " + ch.Warning.Kind
		}
	case EvExchangeAdd:
		if ch.Exchange != nil {
			return "Exchange plan: " + ch.Exchange.From + " → " + ch.Exchange.To + ": " + ch.Exchange.What
		}
	case EvAgree:
		return "Exchange plan agreed by a party"
	}
	return kind
}

func evTitle(ws *Workspace, id string) string {
	if e := ws.evidence(id); e != nil {
		return e.Title
	}
	return id
}
