package auth

// Joint investigation team (JIT) and coordinated parallel investigation
// actions. These decide what a role may do on its node at all; inside one
// workspace the member role (leader, prosecutor, police, analyst, observer)
// is checked per object by the jit service: only the JIT leader approves
// the action plan, extends the duration and invites members; only a
// prosecutor of the governing party authorises the use of evidence; only
// the party holding an item transfers it.
const (
	ActJITView        Action = "jit.view"        // workspaces the user is a member of, timeline, report
	ActJITCreate      Action = "jit.create"      // set up a JIT from a template agreement
	ActJITManage      Action = "jit.manage"      // invite members, extend the duration (leader)
	ActJITEdit        Action = "jit.edit"        // tasks, team messages
	ActJITApprove     Action = "jit.approve"     // approve the action plan (leader)
	ActJITEvidence    Action = "jit.evidence"    // register, transfer and download evidence
	ActJITAuthorise   Action = "jit.authorise"   // authorise the use of evidence in proceedings
	ActParallelView   Action = "parallel.view"   // parallel investigations
	ActParallelCreate Action = "parallel.create" // set up a coordinated parallel investigation
	ActParallelEdit   Action = "parallel.edit"   // link cases, declare targets, exchange plan
)

var jitRules = map[Action]rule{
	ActJITView:   {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor}},
	ActJITCreate: {roles: []Role{RoleProsecutor, RoleOfficer}},
	ActJITManage: {roles: []Role{RoleProsecutor, RoleOfficer}},
	ActJITEdit:   {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor}},
	// Approving the plan is for the leader, who is a prosecutor or a senior
	// officer depending on the party's law.
	ActJITApprove:  {roles: []Role{RoleProsecutor, RoleOfficer}},
	ActJITEvidence: {roles: []Role{RoleOfficer, RoleProsecutor}},
	// Use in proceedings is a judicial decision.
	ActJITAuthorise:   {roles: []Role{RoleProsecutor}},
	ActParallelView:   {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor}},
	ActParallelCreate: {roles: []Role{RoleOfficer, RoleProsecutor}},
	ActParallelEdit:   {roles: []Role{RoleOfficer, RoleAnalyst, RoleProsecutor}},
}
