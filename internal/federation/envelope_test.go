package federation

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"
)

func TestEnvelopeSignVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	e := Envelope{ID: "01", From: "rs", To: "me", Type: "t", Conversation: "c", Seq: 3, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Payload: json.RawMessage(`{ "a" : [1, 2] }`)}
	if err := e.Sign(priv); err != nil {
		t.Fatal(err)
	}
	// Whitespace in the payload does not matter: the signature covers compact JSON.
	wire, _ := json.Marshal(e)
	var got Envelope
	if err := json.Unmarshal(wire, &got); err != nil {
		t.Fatal(err)
	}
	if !got.VerifySignature(pub) {
		t.Fatal("round trip through JSON broke the signature")
	}
	mutations := map[string]func(*Envelope){
		"id": func(e *Envelope) { e.ID = "02" }, "from": func(e *Envelope) { e.From = "al" }, "to": func(e *Envelope) { e.To = "xk" },
		"type": func(e *Envelope) { e.Type = "u" }, "conversation": func(e *Envelope) { e.Conversation = "d" }, "seq": func(e *Envelope) { e.Seq = 4 },
		"time": func(e *Envelope) { e.CreatedAt = e.CreatedAt.Add(time.Nanosecond) }, "payload": func(e *Envelope) { e.Payload = json.RawMessage(`{"a":[1,3]}`) },
		// Field boundaries are length-prefixed: moving text between fields is detected.
		"boundary": func(e *Envelope) { e.From, e.To = "rsm", "e" },
	}
	for name, mutate := range mutations {
		m := got
		mutate(&m)
		if m.VerifySignature(pub) {
			t.Errorf("changing %s did not invalidate the signature", name)
		}
	}
}

// FuzzEnvelopeDecode: whatever a peer sends, decoding and verifying never
// panic, and a signed envelope always verifies after a JSON round trip.
func FuzzEnvelopeDecode(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	f.Add([]byte(`{"id":"x","from":"rs","to":"me","type":"t","payload":{"a":1},"signature":"AAAA"}`))
	f.Add([]byte(`{"payload": [1, 2, {"b": null}]}`))
	f.Add([]byte(`not json`))
	f.Add([]byte(`{"payload": "<b>&amp;\u2028</b>"}`))
	f.Add([]byte(`{"id": "x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Envelope
		if json.Unmarshal(data, &e) != nil {
			return
		}
		_ = e.VerifySignature(pub)
		_ = e.Digest()
		if e.Sign(priv) != nil {
			return // payload is not valid JSON
		}
		wire, err := json.Marshal(e)
		if err != nil {
			return
		}
		var back Envelope
		if err := json.Unmarshal(wire, &back); err != nil {
			t.Fatalf("cannot decode own encoding: %v", err)
		}
		if !back.VerifySignature(pub) {
			t.Fatalf("signed envelope does not verify after a round trip: %s", wire)
		}
	})
}
