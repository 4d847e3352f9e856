package auth

// Audit witnessing: peers keep each other's signed audit checkpoints.
const (
	// ActFederationCall is a peer's synchronous question on the federation
	// endpoint; peers authenticate by signature and pinned certificate.
	ActFederationCall  Action = "federation.call"
	ActAuditWitnesses  Action = "audit.witness.view"
	ActAuditWitnessRun Action = "audit.witness.check"
)

var auditRules = map[Action]rule{
	ActFederationCall: {public: true},
	// Auditors check the log against what peers witnessed; administrators
	// do not (separation of duties).
	ActAuditWitnesses:  {roles: []Role{RoleAuditor}},
	ActAuditWitnessRun: {roles: []Role{RoleAuditor}},
}
