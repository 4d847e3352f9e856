package operations_test

import (
	"testing"

	"github.com/liaison-wb/liaison/internal/operations"
)

// TestPossibleActions: the pages offer only the actions the service would
// accept, on the right side of the border.
func TestPossibleActions(t *testing.T) {
	pursuit := operations.Operation{Kind: operations.KindPursuit, OriginNode: "rs", Nodes: []string{"rs", "ba"}, Status: operations.StNotified}
	for _, c := range []struct {
		op          operations.Operation
		kind, self  string
		want        bool
		description string
	}{
		{pursuit, operations.EvAcknowledge, "ba", true, "the host acknowledges"},
		{pursuit, operations.EvAcknowledge, "rs", false, "the pursuing side cannot acknowledge"},
		{pursuit, operations.EvEnd, "rs", true, "the pursuing side ends"},
		{pursuit, operations.EvEnd, "ba", false, "the host cannot end"},
		{pursuit, operations.EvReport, "rs", false, "no report before the end"},
		{pursuit, operations.EvSitrep, "rs", false, "no situation report on a pursuit"},
		{operations.Operation{Kind: operations.KindPursuit, OriginNode: "rs", Nodes: []string{"rs", "ba"}, Status: operations.StReported}, operations.EvPosition, "rs", false, "nothing after the report"},
		{operations.Operation{Kind: operations.KindPursuit, OriginNode: "rs", Nodes: []string{"rs", "ba"}, Status: operations.StReported}, operations.EvNote, "ba", true, "a log entry is always possible"},
		{operations.Operation{Kind: operations.KindSurveillance, OriginNode: "rs", Nodes: []string{"rs", "me"}, Status: operations.StStopRequired}, operations.EvAuthorise, "me", false, "no authorisation after the deadline"},
		{operations.Operation{Kind: operations.KindDelivery, OriginNode: "al", Nodes: []string{"al", "me", "ba"}, Status: operations.StRequested}, operations.EvStart, "al", false, "no start before every authorisation"},
		{operations.Operation{Kind: operations.KindPatrol, OriginNode: "al", Nodes: []string{"al", "me"}, Status: operations.StProposed}, operations.EvConfirm, "me", true, "the other side confirms"},
		{operations.Operation{Kind: operations.KindIncident, OriginNode: "mk", Nodes: []string{"mk", "al"}, Status: operations.StOpen}, operations.EvSitrep, "al", false, "only the lead writes situation reports"},
		{operations.Operation{Kind: operations.KindIncident, OriginNode: "mk", Nodes: []string{"mk", "al"}, Status: operations.StOpen}, operations.EvTask, "al", true, "a partner adds tasks"},
	} {
		if got := operations.Possible(c.op, c.kind, c.self); got != c.want {
			t.Errorf("%s: %s on %s: %v", c.description, c.kind, c.self, got)
		}
	}
}
