package auth

// Partner activity registry actions. Activities, needs, the gap map, events
// and the best-practice library are public to every logged-in user of the
// federation; partners (and administrators) draft, publish and import
// activities; beneficiary countries' NCUs and administrators declare needs;
// prioritisation rounds are opened by administrators and voted on by
// partners and beneficiary countries.
const (
	ActActivityView   Action = "activities.view"
	ActActivityEdit   Action = "activities.edit"
	ActActivityImport Action = "activities.import"
	ActActivityExport Action = "activities.export"
	ActNeedEdit       Action = "activities.need.edit"
	ActRoundManage    Action = "activities.round.manage"
	ActRoundVote      Action = "activities.round.vote"
	ActEventEdit      Action = "activities.event.edit"
)

var activitiesRules = map[Action]rule{
	ActActivityView:   {authenticated: true},
	ActActivityExport: {authenticated: true},

	ActActivityEdit:   {roles: []Role{RolePartner, RoleAdmin}},
	ActActivityImport: {roles: []Role{RolePartner, RoleAdmin}},
	ActNeedEdit:       {roles: []Role{RoleNCUOperator, RoleAdmin}},
	ActRoundManage:    {roles: []Role{RoleAdmin}},
	ActRoundVote:      {roles: []Role{RolePartner, RoleNCUOperator, RoleAdmin}},
	ActEventEdit:      {roles: []Role{RolePartner, RoleNCUOperator, RoleAdmin}},
}
