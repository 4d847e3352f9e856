package exchange

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/clock"
)

// FuzzParseWire feeds arbitrary payloads to the receiver's parser: it must
// never panic, and whatever it accepts must be valid.
func FuzzParseWire(f *testing.F) {
	good, _ := json.Marshal(wire{Summary: "s", Thread: wireThread{ID: "t1", Subject: "subj", Priority: PriorityNormal, Parties: []string{"rs"}},
		Message: Message{ID: "m1", Kind: KindRequest, Body: "b", Markings: MessageMarkings{Classification: "restricted", Handling: []string{"h2"}, Reliability: "a", Accuracy: 1},
			Entities:    []MessageEntity{{Kind: "person", Label: "Ana", Fields: map[string]string{"dob": "1990-01-01"}}},
			Attachments: []MessageAttachment{{Name: "a.txt", Data: []byte("hello")}}}})
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"thread":{"id":"x","subject":"y","priority":"urgent"},"message":{"id":"m","kind":"answer","markings":{"classification":"unclassified","handling":["H3"],"reliability":"X","accuracy":4}}}`))
	f.Add([]byte(`null`))
	s := New(Deps{NodeID: "me", Clock: clock.NewFake(time.Now())}, Config{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		w, err := s.ParseWire("rs", raw)
		if err != nil {
			return
		}
		m := w.Message
		if m.Node != "rs" || w.Thread.ID == "" || m.ID == "" {
			t.Fatalf("accepted without identity: %+v", w)
		}
		if err := m.Markings.normalise("fuzz"); err != nil {
			t.Fatalf("accepted invalid markings: %v", err)
		}
		for _, a := range m.Attachments {
			if a.SHA256 != sha256Hex(a.Data) || a.Size != int64(len(a.Data)) {
				t.Fatalf("attachment hash not recomputed")
			}
		}
	})
}

func FuzzParseEntityLines(f *testing.F) {
	f.Add("person | Марко Марковић | dob=1980-02-03; personal_id=0302980710123\nvehicle|BG-123-XY|plate=BG-123-XY")
	f.Add("|||\n=;=")
	f.Add("weapon | Zastava M70 | serial=")
	f.Fuzz(func(t *testing.T, text string) {
		es, err := ParseEntityLines(text)
		if err != nil {
			return
		}
		if _, err := normaliseEntities("fuzz", es); err != nil {
			t.Fatalf("accepted entities fail validation: %v", err)
		}
	})
}
