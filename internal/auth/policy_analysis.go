package auth

// Analysis actions: the cooperation scoreboard, harmonised statistics and
// link charts. Everything here is aggregate or analytical work on data the
// node already holds.
const (
	ActAnalysisView  Action = "analysis.view"  // scoreboard, statistics tables, link charts
	ActAnalysisEdit  Action = "analysis.edit"  // enter or import harmonised statistics tables
	ActAnalysisShare Action = "analysis.share" // send aggregates to partners (they still wait for the NCU)
)

// Analysts and the national contact unit see and prepare analysis; what is
// shared leaves only through the NCU queue.
var analysisRules = map[Action]rule{
	ActAnalysisView:  {roles: []Role{RoleAnalyst, RoleNCUOperator}},
	ActAnalysisEdit:  {roles: []Role{RoleAnalyst, RoleNCUOperator}},
	ActAnalysisShare: {roles: []Role{RoleAnalyst, RoleNCUOperator}},
}
