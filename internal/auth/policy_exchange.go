package auth

// Exchange actions: case threads, messages, markings, deadlines, retention.
var exchangeRules = map[Action]rule{}
