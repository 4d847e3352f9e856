package auth

// MLA actions: mutual legal assistance and other judicial requests.
const (
	ActMLAView   Action = "mla.view"   // list and read requests of one's agency, statistics
	ActMLADraft  Action = "mla.draft"  // create and edit drafts, mark translations
	ActMLASend   Action = "mla.send"   // sign and send a draft (prosecutor only)
	ActMLAUpdate Action = "mla.update" // status changes, answers, refusals, extensions
)

// Police draft and execute; a prosecutor signs, sends, recognises, refuses
// and withdraws (the service checks the decisions per status). The NCU
// routes requests through the federation queue and does not read them.
var mlaRules = map[Action]rule{
	ActMLAView:   {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor}},
	ActMLADraft:  {roles: []Role{RoleOfficer, RoleProsecutor}},
	ActMLASend:   {roles: []Role{RoleProsecutor}},
	ActMLAUpdate: {roles: []Role{RoleOfficer, RoleProsecutor}},
}
