package auth

// Exchange actions: case threads, messages, markings, deadlines, retention.
const (
	ActExchangeList          Action = "exchange.thread.list"
	ActExchangeRead          Action = "exchange.thread.read"
	ActExchangeCompose       Action = "exchange.thread.create"
	ActExchangeReply         Action = "exchange.message.send"
	ActExchangeForward       Action = "exchange.message.forward"
	ActExchangeShare         Action = "exchange.thread.share"
	ActExchangeKeep          Action = "exchange.thread.keep"
	ActExchangeImport        Action = "exchange.entity.import"
	ActExchangeDashboard     Action = "exchange.dashboard"
	ActExchangeNotifications Action = "exchange.notifications"
	ActExchangeRouting       Action = "exchange.routing"
)

// exchangeOperational are the roles that work with threads. Which threads
// they see is decided by the service: their agency's and those shared with
// it. Auditors read the audit trail, never content; administrators neither.
var exchangeOperational = []Role{RoleNCUOperator, RoleOfficer, RoleAnalyst, RoleProsecutor}

var exchangeRules = map[Action]rule{
	ActExchangeList:          {roles: exchangeOperational},
	ActExchangeRead:          {roles: exchangeOperational},
	ActExchangeCompose:       {roles: exchangeOperational},
	ActExchangeReply:         {roles: exchangeOperational},
	ActExchangeForward:       {roles: exchangeOperational},
	ActExchangeShare:         {roles: exchangeOperational},
	ActExchangeKeep:          {roles: exchangeOperational},
	ActExchangeImport:        {roles: exchangeOperational},
	ActExchangeDashboard:     {roles: exchangeOperational},
	ActExchangeNotifications: {roles: exchangeOperational},
	// The national contact unit sees routing metadata of every thread.
	ActExchangeRouting: {roles: []Role{RoleNCUOperator}},
}
