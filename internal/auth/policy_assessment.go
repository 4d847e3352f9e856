package auth

// Joint risk assessment actions (SEE-OCTA/SOCTA cycle). Analysts draft
// national contributions and regional assessments and submit them; a
// second person with the supervising role (the NCU operator, who also
// answers for what leaves the node) approves them, never the person who
// submitted. The public version of an approved assessment is open to every
// logged-in user; the restricted version and the drafts are not.
const (
	ActAssessmentView    Action = "analysis.assessment.view"    // drafts, contributions and restricted versions
	ActAssessmentEdit    Action = "analysis.assessment.edit"    // draft, edit and submit contributions and assessments
	ActAssessmentApprove Action = "analysis.assessment.approve" // approve or return (a second person)
	ActAssessmentPublic  Action = "analysis.assessment.public"  // public versions of approved assessments
	ActAssessmentNeeds   Action = "analysis.assessment.needs"   // declare an approved assessment's priorities as needs
)

var assessmentRules = map[Action]rule{
	ActAssessmentPublic: {authenticated: true},

	ActAssessmentView:    {roles: []Role{RoleAnalyst, RoleNCUOperator}},
	ActAssessmentEdit:    {roles: []Role{RoleAnalyst}},
	ActAssessmentApprove: {roles: []Role{RoleNCUOperator}},
	ActAssessmentNeeds:   {roles: []Role{RoleNCUOperator}},
}
