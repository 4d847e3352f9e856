package auth

// Joint operational database actions: cases, entities, imports, hit/no-hit
// searches and owner releases.
const (
	ActCasesView    Action = "cases.view"    // read cases and entities, local search
	ActCasesEdit    Action = "cases.edit"    // create cases, entities, relations; merge
	ActCasesImport  Action = "cases.import"  // CSV / JSON / FollowTheMoney import and export
	ActCasesQuery   Action = "cases.query"   // cross-border hit/no-hit search
	ActCasesHits    Action = "cases.hits"    // the owner's hit inbox
	ActCasesRelease Action = "cases.release" // release or refuse details on a hit
	ActCasesStats   Action = "cases.stats"   // aggregate statistics
	ActCasesModel   Action = "cases.model"   // refit the matching model on local data
	ActCasesShare   Action = "cases.share"   // send aggregate statistics to a peer
	// ActCasesDeconflict registers or withdraws a case's targets for
	// regional deconfliction (keyed encodings only leave the node).
	ActCasesDeconflict Action = "cases.deconflict"
	// ActCasesDeconfNotices reads the deconfliction notices: which
	// partner investigation shares a target, and its contact point.
	ActCasesDeconfNotices Action = "cases.deconflict.notices"
)

var casesRules = map[Action]rule{
	ActCasesView:   {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor, RoleNCUOperator}},
	ActCasesEdit:   {roles: []Role{RoleOfficer, RoleAnalyst}},
	ActCasesImport: {roles: []Role{RoleOfficer, RoleAnalyst}},
	// Cross-border searches reveal who is being looked for: operational
	// roles and the NCU only, always with a purpose and a case reference.
	ActCasesQuery: {roles: []Role{RoleOfficer, RoleAnalyst, RoleNCUOperator}},
	// The owner's NCU is told about hits; an authorised officer or the NCU
	// decides, and the release still waits for NCU approval to leave.
	ActCasesHits:    {roles: []Role{RoleNCUOperator, RoleOfficer}},
	ActCasesRelease: {roles: []Role{RoleNCUOperator, RoleOfficer}},
	ActCasesStats:   {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor, RoleNCUOperator}},
	ActCasesModel:   {roles: []Role{RoleAnalyst, RoleAdmin}},
	ActCasesShare:   {roles: []Role{RoleAnalyst, RoleNCUOperator}},
	// Case editors put their investigation up for deconfliction; the
	// NCU is told of matches and passes the contact points on.
	ActCasesDeconflict:    {roles: []Role{RoleOfficer, RoleAnalyst}},
	ActCasesDeconfNotices: {roles: []Role{RoleNCUOperator}},
}
