package auth

import (
	"sort"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Role is what a user may do at their agency.
type Role string

const (
	RoleAdmin       Role = "admin"
	RoleNCUOperator Role = "ncu_operator"
	RoleOfficer     Role = "officer"
	RoleAnalyst     Role = "analyst"
	RoleProsecutor  Role = "prosecutor"
	RolePartner     Role = "partner"
	RoleAuditor     Role = "auditor"
)

// AllRoles lists every role, in display order.
var AllRoles = []Role{RoleAdmin, RoleNCUOperator, RoleOfficer, RoleAnalyst, RoleProsecutor, RolePartner, RoleAuditor}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool {
	for _, k := range AllRoles {
		if k == r {
			return true
		}
	}
	return false
}

// Action names one thing a request can do. Every route declares its action;
// the policy below is the only place that decides who may perform it.
type Action string

const (
	ActHealth          Action = "health"
	ActAssets          Action = "assets"
	ActAPIDocs         Action = "api.docs"
	ActMetrics         Action = "metrics"
	ActLoginView       Action = "login.view"
	ActLogin           Action = "login.submit"
	ActLogout          Action = "logout"
	ActDashboard       Action = "dashboard.view"
	ActAccountView     Action = "account.view"
	ActAccountPassword Action = "account.password"
	ActAccountTOTP     Action = "account.totp"
	ActTokenCreate     Action = "token.create"
	ActTokenList       Action = "token.list"
	ActTokenRevoke     Action = "token.revoke"
	ActMe              Action = "me.view"
	ActUserList        Action = "user.list"
	ActUserCreate      Action = "user.create"
	ActUserDisable     Action = "user.disable"
	ActAuditList       Action = "audit.list"
	ActAuditCheckpoint Action = "audit.checkpoint"
	ActAuditProof      Action = "audit.proof"
	ActAuditVerify     Action = "audit.verify"
	ActLanguage        Action = "language.set"
	ActNodeInfo        Action = "node.info"
)

type rule struct {
	public        bool // no login needed
	authenticated bool // any logged-in user
	roles         []Role
}

// policy is deny-by-default: an action missing here is refused to everyone.
// Each module keeps its rules in its own policy_*.go file in this package, so
// the whole policy stays in one place and is reviewed as one table.
var policy = mergeRules(coreRules, auditRules, federationRules, directoryRules, exchangeRules, casesRules, activitiesRules, jitRules, mlaRules, assetRules, alertsRules, operationsRules, analysisRules, assessmentRules)

func mergeRules(parts ...map[Action]rule) map[Action]rule {
	out := map[Action]rule{}
	for _, p := range parts {
		for a, r := range p {
			if _, dup := out[a]; dup {
				panic("auth: action " + string(a) + " defined twice")
			}
			out[a] = r
		}
	}
	return out
}

var coreRules = map[Action]rule{
	ActHealth:    {public: true},
	ActAssets:    {public: true},
	ActAPIDocs:   {public: true},
	ActMetrics:   {public: true},
	ActLoginView: {public: true},
	ActLogin:     {public: true},
	ActLanguage:  {public: true},
	ActNodeInfo:  {public: true},

	ActLogout:          {authenticated: true},
	ActDashboard:       {authenticated: true},
	ActAccountView:     {authenticated: true},
	ActAccountPassword: {authenticated: true},
	ActAccountTOTP:     {authenticated: true},
	ActTokenCreate:     {authenticated: true},
	ActTokenList:       {authenticated: true},
	ActTokenRevoke:     {authenticated: true},
	ActMe:              {authenticated: true},
	// Anyone logged in may check that the audit log is intact.
	ActAuditCheckpoint: {authenticated: true},
	ActAuditProof:      {authenticated: true},

	ActUserList:    {roles: []Role{RoleAdmin}},
	ActUserCreate:  {roles: []Role{RoleAdmin}},
	ActUserDisable: {roles: []Role{RoleAdmin}},
	// Auditors read the log; administrators do not (separation of duties).
	ActAuditList:   {roles: []Role{RoleAuditor}},
	ActAuditVerify: {roles: []Role{RoleAuditor}},
}

// Authorize is the one authorisation decision for every request. p is nil
// for anonymous requests.
func Authorize(p *Principal, a Action) error {
	r, ok := policy[a]
	if !ok {
		return &errs.E{Kind: errs.Forbidden, Op: "auth.Authorize", Msg: "this action is not permitted", Code: "unknown-action"}
	}
	if r.public {
		return nil
	}
	if p == nil {
		return errs.New(errs.Unauthenticated, "auth.Authorize", "please log in")
	}
	if p.MustChangePassword && a != ActAccountPassword && a != ActAccountView && a != ActLogout && a != ActMe {
		return &errs.E{Kind: errs.Forbidden, Op: "auth.Authorize", Msg: "you must change your one-time password first", Code: "password-change-required"}
	}
	if r.authenticated {
		return nil
	}
	for _, role := range r.roles {
		if p.Has(role) {
			return nil
		}
	}
	return errs.New(errs.Forbidden, "auth.Authorize", "your role does not allow this action")
}

// sessionOnly actions manage the account itself; an API token may never
// perform them, whatever its scopes.
var sessionOnly = map[Action]bool{
	ActAccountView: true, ActAccountPassword: true, ActAccountTOTP: true,
	ActTokenCreate: true, ActTokenList: true, ActTokenRevoke: true,
	ActUserList: true, ActUserCreate: true, ActUserDisable: true,
	ActLogout: true,
}

// AuthorizeRequest is Authorize for one HTTP request: for a caller
// authenticated by an API token it also refuses account management and
// anything outside the token's scopes. safe is true for GET and HEAD.
func AuthorizeRequest(p *Principal, a Action, safe bool) error {
	if err := Authorize(p, a); err != nil {
		return err
	}
	if p == nil || !p.ViaToken || policy[a].public {
		return nil
	}
	if sessionOnly[a] {
		return errSessionOnly
	}
	if !tokenAllows(p.TokenScopes, a, safe) {
		return &errs.E{Kind: errs.Forbidden, Op: "auth.Authorize", Code: "token-scope", Msg: "this API token's scopes do not include this action"}
	}
	return nil
}

// Can is Authorize as a boolean, for showing or hiding UI elements.
func Can(p *Principal, a Action) bool { return Authorize(p, a) == nil }

// Actions lists every action known to the policy, sorted.
func Actions() []Action {
	out := make([]Action, 0, len(policy))
	for a := range policy {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
