package auth

// Federation actions: peers, the national contact unit queue, notices.
const (
	ActFederationInbox  Action = "federation.inbox"
	ActFederationView   Action = "federation.view"
	ActPeerManage       Action = "federation.peer.manage"
	ActPeerPing         Action = "federation.peer.ping"
	ActNCUQueue         Action = "ncu.queue.view"
	ActNCUDecide        Action = "ncu.decide"
	ActNoticeSend       Action = "notice.send"
	ActNoticeRead       Action = "notice.read"
	ActOutboxStatusView Action = "federation.outbox.view"
)

var federationRules = map[Action]rule{
	// Peers authenticate by signatures and pinned certificates, not sessions.
	ActFederationInbox: {public: true},
	ActFederationView:  {roles: []Role{RoleAdmin, RoleNCUOperator}},
	ActPeerManage:      {roles: []Role{RoleAdmin}},
	ActPeerPing:        {roles: []Role{RoleAdmin, RoleNCUOperator}},
	// Only the national contact unit decides what leaves and where incoming
	// messages go.
	ActNCUQueue:         {roles: []Role{RoleNCUOperator}},
	ActNCUDecide:        {roles: []Role{RoleNCUOperator}},
	ActNoticeSend:       {roles: []Role{RoleNCUOperator, RoleOfficer, RoleAnalyst, RoleProsecutor}},
	ActNoticeRead:       {roles: []Role{RoleNCUOperator, RoleOfficer, RoleAnalyst, RoleProsecutor}},
	ActOutboxStatusView: {roles: []Role{RoleNCUOperator, RoleOfficer, RoleAnalyst, RoleProsecutor, RoleAdmin}},
}
