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
	if kind == EvCreate {
		return nil
	}
	m := ws.member(a.Node, a.Username)
	if m == nil {
		return forbidden(op, "you are not a member of this workspace")
	}
	is := func(roles ...string) bool { return slices.Contains(roles, m.Role) }
	leaderWord := "JIT leader"
	if ws.Kind == KindParallel {
		leaderWord = "coordinator"
	}
	switch kind {
	case EvMemberAdd:
		if ch.Member == nil {
			return errs.New(errs.Invalid, op, "missing member")
		}
		if !is(RoleLeader) {
			return forbidden(op, "only the "+leaderWord+" invites members")
		}
		if ch.Member.Role == RoleLeader {
			return errs.New(errs.Invalid, op, "a workspace has exactly one leader")
		}
		if ws.member(ch.Member.Node, ch.Member.Username) != nil {
			return errs.Newf(errs.Conflict, op, "%s@%s is already a member", ch.Member.Username, ch.Member.Node)
		}
	case EvExtend:
		if ch.Extension == nil {
			return errs.New(errs.Invalid, op, "missing extension")
		}
		if !is(RoleLeader) {
			return forbidden(op, "only the "+leaderWord+" extends the duration")
		}
		if ws.EndDate != "" && ch.Extension.To <= ws.EndDate {
			return errs.Newf(errs.Invalid, op, "the new end date must be after the current end date %s", ws.EndDate)
		}
		ch.Extension.From, ch.Extension.By = ws.EndDate, a.String()
	case EvTaskAdd:
		if ch.Task == nil {
			return errs.New(errs.Invalid, op, "missing task")
		}
		if !is(RoleLeader, RoleProsecutor, RolePolice) {
			return forbidden(op, "analysts and observers cannot change the action plan")
		}
		if ws.task(ch.Task.ID) != nil {
			return errs.New(errs.Conflict, op, "the task exists already")
		}
		if ch.Task.Owner != "" && ws.memberByID(ch.Task.Owner) == nil {
			return errs.New(errs.Invalid, op, "the task owner is not a member")
		}
		ch.Task.Status = TaskOpen
	case EvTaskStatus:
		if ch.Task == nil {
			return errs.New(errs.Invalid, op, "missing task")
		}
		t := ws.task(ch.Task.ID)
		if t == nil {
			return errs.New(errs.NotFound, op, "no such task")
		}
		if !is(RoleLeader) && t.Owner != m.ID {
			return forbidden(op, "only the task's owner or the "+leaderWord+" updates a task")
		}
	case EvPlanApprove:
		if !is(RoleLeader) {
			return forbidden(op, "only the "+leaderWord+" approves the action plan")
		}
		if len(ws.Tasks) == 0 {
			return errs.New(errs.Invalid, op, "the action plan has no tasks yet")
		}
		if ws.PlanStatus == PlanApproved {
			return errs.New(errs.Conflict, op, "the action plan is already approved")
		}
	case EvMessage:
		if ch.Message == nil {
			return errs.New(errs.Invalid, op, "missing message")
		}
		ch.Message.Node, ch.Message.Author = a.Node, m.Name
	case EvEvidenceAdd:
		e := ch.Evidence
		if e == nil {
			return errs.New(errs.Invalid, op, "missing evidence")
		}
		if ws.Kind != KindJIT {
			return errs.New(errs.Invalid, op, "the evidence register belongs to JITs; a parallel investigation exchanges evidence through mutual legal assistance")
		}
		if !is(RoleLeader, RoleProsecutor, RolePolice) {
			return forbidden(op, "only police officers, prosecutors and the JIT leader register evidence")
		}
		if ws.evidence(e.ID) != nil {
			return errs.New(errs.Conflict, op, "the item is registered already")
		}
		if !slices.Contains(ws.Parties, e.CollectingParty) {
			return errs.Newf(errs.Invalid, op, "the collecting party %s is not a party to this JIT", e.CollectingParty)
		}
		if !slices.Contains(ws.Parties, e.GoverningLaw) {
			return errs.Newf(errs.Invalid, op, "the governing law must be that of a party to this JIT, not %s", e.GoverningLaw)
		}
		if b, err := hex.DecodeString(e.SHA256); err != nil || len(b) != 32 {
			return errs.New(errs.Invalid, op, "the SHA-256 must be 64 hexadecimal digits")
		}
		e.Custodian, e.RegisteredBy, e.Workspace = a.Node, a.String(), ws.ID
	case EvTransfer:
		e := ws.evidence(ch.Evidence2)
		if e == nil || ch.Custody == nil {
			return errs.New(errs.NotFound, op, "no such item of evidence")
		}
		if !is(RoleLeader, RoleProsecutor, RolePolice) {
			return forbidden(op, "only police officers, prosecutors and the JIT leader transfer evidence")
		}
		if a.Node != e.Custodian {
			return forbidden(op, "only a member of the party holding the item ("+e.Custodian+") transfers it")
		}
		if !slices.Contains(ws.Parties, ch.Custody.To) || ch.Custody.To == e.Custodian {
			return errs.New(errs.Invalid, op, "transfer the item to another party of this JIT")
		}
		ch.Custody.Action, ch.Custody.From, ch.Custody.ActorNode = "transferred", e.Custodian, a.Node
	case EvAccess:
		if ws.evidence(ch.Evidence2) == nil || ch.Custody == nil {
			return errs.New(errs.NotFound, op, "no such item of evidence")
		}
		ch.Custody.ActorNode = a.Node
	case EvAuthorise:
		e := ws.evidence(ch.Evidence2)
		if e == nil {
			return errs.New(errs.NotFound, op, "no such item of evidence")
		}
		if !is(RoleProsecutor) {
			return forbidden(op, "only a prosecutor authorises the use of evidence in proceedings")
		}
		if a.Node != e.GoverningLaw {
			return forbidden(op, "only a prosecutor of the party whose law governs the item ("+e.GoverningLaw+") authorises its use")
		}
		if e.UseAuthorised {
			return errs.New(errs.Conflict, op, "its use is already authorised")
		}
		ch.Custody = &Custody{Action: "use_authorised", ActorNode: a.Node, Note: "use in proceedings authorised under the law of " + e.GoverningLaw}
	case EvCaseLink:
		if ch.Case == nil {
			return errs.New(errs.Invalid, op, "missing case")
		}
		if !is(RoleLeader, RoleProsecutor, RolePolice, RoleAnalyst) {
			return forbidden(op, "observers cannot link cases")
		}
		ch.Case.Node, ch.Case.LinkedBy = a.Node, a.String()
		for _, c := range ws.Cases {
			if c.Node == a.Node && c.CaseRef == ch.Case.CaseRef {
				return errs.New(errs.Conflict, op, "the case is linked already")
			}
		}
	case EvTargetAdd:
		if ch.Target == nil {
			return errs.New(errs.Invalid, op, "missing target")
		}
		if !is(RoleLeader, RoleProsecutor, RolePolice, RoleAnalyst) {
			return forbidden(op, "observers cannot declare targets")
		}
		ch.Target.Node, ch.Target.AddedBy = a.Node, a.String()
	case EvExchangeAdd:
		x := ch.Exchange
		if x == nil {
			return errs.New(errs.Invalid, op, "missing exchange line")
		}
		if !is(RoleLeader, RoleProsecutor, RolePolice) {
			return forbidden(op, "only police officers, prosecutors and the "+leaderWord+" change the exchange plan")
		}
		if !slices.Contains(ws.Parties, x.From) || !slices.Contains(ws.Parties, x.To) || x.From == x.To {
			return errs.New(errs.Invalid, op, "an exchange goes from one party to another party")
		}
	case EvAgree:
		if !is(RoleLeader, RoleProsecutor) {
			return forbidden(op, "only a prosecutor or the "+leaderWord+" agrees the exchange plan for their party")
		}
		if len(ws.Exchange) == 0 {
			return errs.New(errs.Invalid, op, "the exchange plan is empty")
		}
		if slices.Contains(ws.ExchangeAgreed, a.Node) {
			return errs.New(errs.Conflict, op, "your party has agreed the exchange plan already")
		}
	case EvWarning:
		return forbidden(op, "deconfliction warnings come from the leader node only")
	default:
		return errs.Newf(errs.Invalid, op, "unknown change %q", textutil.Clip(strings.TrimSpace(kind), 40))
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
