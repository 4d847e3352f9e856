package auth

// Directory actions: countries, agencies, contact points, mechanisms,
// agreements. Everyone logged in reads the directory (finding the right
// counterpart is the point); only administrators change it, and the
// directory service further limits them to entries owned by their node.
const (
	ActDirView     Action = "directory.view"
	ActDirSearch   Action = "directory.search"
	ActDirExport   Action = "directory.export"
	ActDirEdit     Action = "directory.edit"
	ActDirHandover Action = "directory.handover"
	ActDirConfirm  Action = "directory.confirm"
	ActDirActivity Action = "directory.activity"
)

var directoryRules = map[Action]rule{
	ActDirView:   {authenticated: true},
	ActDirSearch: {authenticated: true},
	ActDirExport: {authenticated: true},

	ActDirEdit:     {roles: []Role{RoleAdmin}},
	ActDirHandover: {roles: []Role{RoleAdmin}},
	ActDirConfirm:  {roles: []Role{RoleAdmin}},
	ActDirActivity: {roles: []Role{RoleAdmin}},
}
