package auth

// Federation actions: peers, the national contact unit queue, node status.
var federationRules = map[Action]rule{}
