package exchange

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

// describe shows the NCU what a message says before it approves or routes
// it: subject, text, markings and the entities it names.
func (s *Service) describe(from string, payload json.RawMessage) (federation.Preview, error) {
	w, err := s.ParseWire(from, payload)
	if err != nil {
		return federation.Preview{}, err
	}
	m := w.Message
	p := federation.Preview{Title: w.Thread.Subject, Body: m.Body, Markings: m.Markings.Label()}
	if m.Reason != "" {
		p.Body = strings.TrimSpace(p.Body + "\n\n" + m.Reason)
	}
	for _, e := range m.Entities {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		line := e.Kind + ": " + e.Label
		for i, k := range keys {
			sep := "; "
			if i == 0 {
				sep = " — "
			}
			line += sep + k + "=" + e.Fields[k]
		}
		p.Entities = append(p.Entities, line)
	}
	p.Fields = append(p.Fields, federation.PreviewField{Label: "kind", Value: m.Kind}, federation.PreviewField{Label: "priority", Value: w.Thread.Priority})
	if w.Thread.CrimeArea != "" {
		p.Fields = append(p.Fields, federation.PreviewField{Label: "crime_area", Value: w.Thread.CrimeArea})
	}
	if len(w.Thread.CaseRefs) > 0 {
		p.Fields = append(p.Fields, federation.PreviewField{Label: "case_refs", Value: strings.Join(w.Thread.CaseRefs, ", ")})
	}
	if len(m.Attachments) > 0 {
		names := make([]string, 0, len(m.Attachments))
		for _, a := range m.Attachments {
			names = append(names, a.Name)
		}
		p.Fields = append(p.Fields, federation.PreviewField{Label: "attachments", Value: strings.Join(names, ", ")})
	}
	return p, nil
}

// reroute hands the thread a routed message opened to the agency the NCU
// chose instead; the thread's later messages follow it. The federation
// layer audits the re-routing once the transaction commits.
func (s *Service) reroute(ctx context.Context, tx *store.Tx, in federation.Incoming, previous string) error {
	return moveThread(ctx, tx, in.Conversation, previous, in.RoutedTo)
}
