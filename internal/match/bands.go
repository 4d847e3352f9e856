package match

// Decision bands on the posterior match probability (Pair.Score) under the
// node's fitted model, shared by the case database's hit/no-hit search and
// the alert checks: high is a hit, medium a possible hit that a person
// reviews, low no hit.
const (
	BandHigh   = "high"
	BandMedium = "medium"
	BandLow    = "low"
	// HighScore is where the high band starts.
	HighScore = 0.9
	// MediumScore is where the medium (review) band starts.
	MediumScore = 0.75
)

// Band names the decision band of a posterior match probability.
func Band(score float64) string {
	switch {
	case score >= HighScore:
		return BandHigh
	case score >= MediumScore:
		return BandMedium
	}
	return BandLow
}
