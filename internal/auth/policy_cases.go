package auth

// Joint operational database actions: cases, entities, imports, hit/no-hit
// searches and owner releases.
var casesRules = map[Action]rule{}
