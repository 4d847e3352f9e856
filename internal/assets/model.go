// Package assets is asset recovery: assets (real estate, vehicles,
// accounts, companies, cash, crypto-assets) linked to persons and cases,
// the steps of their recovery traced → frozen → seized → confiscated →
// managed → disposed or returned, each with its date, authority and
// decision reference, requests to other countries' asset recovery offices
// over the federation, and a dashboard of values at each step by country
// and year.
package assets

import (
	"slices"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Kinds of assets.
var Kinds = []string{"real_estate", "vehicle", "account", "company", "cash", "crypto"}

// KindLabels are the English labels of the kinds.
var KindLabels = map[string]string{"real_estate": "Real estate", "vehicle": "Vehicle", "account": "Bank account", "company": "Company", "cash": "Cash", "crypto": "Crypto-assets"}

// Steps in order. Disposed and returned are alternative ends.
const (
	StepTraced      = "traced"
	StepFrozen      = "frozen"
	StepSeized      = "seized"
	StepConfiscated = "confiscated"
	StepManaged     = "managed"
	StepDisposed    = "disposed"
	StepReturned    = "returned"
)

// Steps lists the steps in recovery order.
var Steps = []string{StepTraced, StepFrozen, StepSeized, StepConfiscated, StepManaged, StepDisposed, StepReturned}

// StepLabels are the English labels of the steps.
var StepLabels = map[string]string{StepTraced: "Traced", StepFrozen: "Frozen", StepSeized: "Seized", StepConfiscated: "Confiscated",
	StepManaged: "Under management", StepDisposed: "Disposed of", StepReturned: "Returned"}

func rank(step string) int {
	switch step {
	case StepDisposed, StepReturned:
		return 5
	}
	return slices.Index(Steps, step)
}

// CheckStep decides whether an asset whose recorded steps are history may
// move to step next. A step must come later in the order than the current
// one (disposed and returned both end it). Skipping a safeguard needs an
// explicit reason: confiscation requires a freeze or seizure on record,
// and management, disposal or return require a confiscation on record.
// It returns the error code and a message, or "" when allowed.
func CheckStep(history []string, next, reason string) (code, msg string) {
	if !slices.Contains(Steps, next) {
		return "unknown-step", "step " + strconv.Quote(next) + " is not one of " + strings.Join(Steps, ", ")
	}
	if len(history) == 0 {
		if next != StepTraced && strings.TrimSpace(reason) == "" {
			return "step-skipped", "a new asset starts as traced; recording it as " + StepLabels[next] + " straight away needs an explicit reason"
		}
		return "", ""
	}
	cur := history[len(history)-1]
	if rank(next) <= rank(cur) {
		return "step-backwards", "the asset is already " + StepLabels[cur] + "; it cannot be recorded as " + StepLabels[next]
	}
	if strings.TrimSpace(reason) != "" {
		return "", ""
	}
	has := func(steps ...string) bool {
		return slices.ContainsFunc(history, func(h string) bool { return slices.Contains(steps, h) })
	}
	if rank(next) >= rank(StepConfiscated) && !has(StepFrozen, StepSeized, StepConfiscated) {
		return "step-skipped", "no freeze or seizure is recorded for this asset; record one first, or give the reason why it went from " + StepLabels[cur] + " to " + StepLabels[next]
	}
	if rank(next) > rank(StepConfiscated) && !has(StepConfiscated) {
		return "step-skipped", "no confiscation is recorded for this asset; record it first, or give the reason why it went from " + StepLabels[cur] + " to " + StepLabels[next]
	}
	return "", ""
}

// ParseAmount reads a money amount such as "12500", "12,500.50",
// "12.500,50" or "1 250 000" into minor units (cents). Negative amounts and
// more than two decimals are refused.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer(" ", "", "\u00a0", "", "'", "", "_", "").Replace(s)
	if s == "" {
		return 0, nil
	}
	bad := errs.New(errs.Invalid, "assets.ParseAmount", "the amount "+strconv.Quote(textutil.Ellipsis(s, 30))+" is not a number such as 12500 or 12,500.50")
	// The last '.' or ',' followed by one or two digits is the decimal mark;
	// other separators group thousands.
	intPart, frac := s, ""
	if i := strings.LastIndexAny(s, ".,"); i >= 0 && len(s)-i-1 <= 2 && len(s)-i-1 >= 1 {
		intPart, frac = s[:i], s[i+1:]
	}
	if groups := strings.FieldsFunc(intPart, func(r rune) bool { return r == '.' || r == ',' }); len(groups) > 1 || strings.ContainsAny(intPart, ".,") {
		// Thousands groups: 1–3 digits, then groups of exactly three.
		if strings.Join(groups, "") == "" || len(strings.Join(groups, ",")) != len(intPart) || len(groups[0]) > 3 {
			return 0, bad
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, bad
			}
		}
	}
	intPart = strings.NewReplacer(",", "", ".", "").Replace(intPart)
	if intPart == "" {
		intPart = "0"
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, bad
		}
	}
	if len(intPart) > 15 {
		return 0, errs.New(errs.Invalid, "assets.ParseAmount", "the amount is too large")
	}
	whole, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	cents, _ := strconv.ParseInt(frac, 10, 64)
	return whole*100 + cents, nil
}

// FormatAmount writes cents as "12,500.50".
func FormatAmount(cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	frac := cents % 100
	out := b.String() + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
	if neg {
		out = "-" + out
	}
	return out
}
