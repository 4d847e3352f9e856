package auth

// Asset recovery actions (named assetrecovery.* to keep them apart from the
// static "assets" of the web UI).
const (
	ActARView    Action = "assetrecovery.view"    // assets, steps, dashboard, requests
	ActAREdit    Action = "assetrecovery.edit"    // register assets and record recovery steps
	ActARRequest Action = "assetrecovery.request" // send and answer requests to other countries' asset recovery offices
)

var assetRules = map[Action]rule{
	ActARView:    {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor}},
	ActAREdit:    {roles: []Role{RoleOfficer, RoleProsecutor}},
	ActARRequest: {roles: []Role{RoleOfficer, RoleProsecutor}},
}
