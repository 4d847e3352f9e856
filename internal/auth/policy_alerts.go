package auth

// Alerts actions: regional alerts on wanted persons and objects.
const (
	ActAlertsCheck    Action = "alerts.check"    // check a person or object against the alerts held on this node
	ActAlertsView     Action = "alerts.view"     // list and read alerts (AlertVisible narrows which)
	ActAlertsDraft    Action = "alerts.draft"    // create and edit draft alerts
	ActAlertsValidate Action = "alerts.validate" // validate another person's draft (activates and distributes it)
	ActAlertsManage   Action = "alerts.manage"   // hide, extend, withdraw, delete the issuer's alerts; answer hit reports
	ActAlertsFlag     Action = "alerts.flag"     // flag a partner's alert: it will not be executed on this territory
	ActAlertsHit      Action = "alerts.hit"      // file a hit report after a check hit
	ActFirearmsView   Action = "firearms.view"   // firearms records, tracing requests of one's agency, statistics
	ActFirearmsEdit   Action = "firearms.edit"   // record firearms, send and answer tracing requests
)

// Front-line officers check and report hits; the issuing agency drafts,
// a second person validates (a prosecutor for arrest alerts, checked by the
// service); the NCU manages distribution, flags and sees hidden alerts.
// Partners and auditors have no access to alerts at all.
var alertsRules = map[Action]rule{
	ActAlertsCheck:    {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor, RoleNCUOperator}},
	ActAlertsView:     {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor, RoleNCUOperator}},
	ActAlertsDraft:    {roles: []Role{RoleOfficer, RoleProsecutor}},
	ActAlertsValidate: {roles: []Role{RoleOfficer, RoleProsecutor}},
	ActAlertsManage:   {roles: []Role{RoleOfficer, RoleProsecutor, RoleNCUOperator}},
	ActAlertsFlag:     {roles: []Role{RoleNCUOperator, RoleProsecutor}},
	ActAlertsHit:      {roles: []Role{RoleOfficer, RoleProsecutor, RoleNCUOperator}},
	ActFirearmsView:   {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor, RoleNCUOperator}},
	ActFirearmsEdit:   {roles: []Role{RoleOfficer, RoleProsecutor, RoleNCUOperator}},
}

// AlertFacts are what the policy needs to know about one alert.
type AlertFacts struct {
	InForce   bool // active (or hit, action not possible): checkable
	Hidden    bool // hidden from front-line users during an operation
	OwnAgency bool // the alert was issued on this node by the caller's agency
}

// AlertVisible decides whether p may see an alert: the NCU sees every
// alert held on its node; the issuing agency sees its own alerts in every
// state; everyone else with alerts.view (front-line users) sees only alerts
// in force and not hidden. Partners see none.
func AlertVisible(p *Principal, a AlertFacts) bool {
	if Authorize(p, ActAlertsView) != nil {
		return false
	}
	if p.Has(RoleNCUOperator) || a.OwnAgency {
		return true
	}
	return a.InForce && !a.Hidden
}
