package auth

// Operations room actions: hot pursuits, cross-border surveillance,
// controlled deliveries, joint patrols and incidents.
const (
	ActOpsView   Action = "operations.view"   // the board, operations and incidents (OperationVisible narrows which)
	ActOpsNotify Action = "operations.notify" // open operations and incidents, post positions, log entries, reports, situation reports, tasks
	ActOpsDecide Action = "operations.decide" // the host's decisions: acknowledge, hand over, stop, authorise, refuse, confirm, share
	ActOpsTerms  Action = "operations.terms"  // record what a state declared under an agreement (limits, deadlines)
	// ActOpsTermsView reads the states' declared terms under an agreement
	// (the directory's agreement page, the API).
	ActOpsTermsView Action = "operations.terms.view"
)

// Units in the field notify and report; the national contact unit (or
// police cooperation centre) takes the host country's decisions and sees
// every operation on its node. Analysts, prosecutors, partners and
// auditors have no access to live operations.
var operationsRules = map[Action]rule{
	ActOpsView:   {roles: []Role{RoleOfficer, RoleNCUOperator}},
	ActOpsNotify: {roles: []Role{RoleOfficer, RoleNCUOperator}},
	ActOpsDecide: {roles: []Role{RoleNCUOperator}},
	ActOpsTerms:  {roles: []Role{RoleNCUOperator, RoleAdmin}},
	// Declared terms are read by those who rely on them (the units and the
	// NCU, as in a legal basis) and those who record them (the NCU and
	// the administrator); they say nothing of live operations.
	ActOpsTermsView: {roles: []Role{RoleOfficer, RoleNCUOperator, RoleAdmin}},
}

// OperationFacts are what the policy needs to know about one operation.
type OperationFacts struct {
	Involved bool // the caller's agency is one of the units taking part on this node
}

// OperationVisible decides whether p may see an operation: the NCU sees
// every operation held on its node; otherwise only the units taking part
// (the notifying unit, a unit it was handed over to).
func OperationVisible(p *Principal, f OperationFacts) bool {
	if Authorize(p, ActOpsView) != nil {
		return false
	}
	return p.Has(RoleNCUOperator) || f.Involved
}
