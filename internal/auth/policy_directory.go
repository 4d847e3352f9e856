package auth

// Directory actions: countries, agencies, contact points, mechanisms, agreements.
var directoryRules = map[Action]rule{}
