package operations_test

import (
	"testing"

	"github.com/liaison-wb/liaison/internal/operations"
)

// FuzzParsePayloads: a partner's operations.open and operations.event
// payloads, whatever they hold, are refused cleanly or accepted — never a
// panic.
func FuzzParsePayloads(f *testing.F) {
	f.Add([]byte(`{"op_id":"a","id":"b","at":"2026-12-04T08:00:00Z","node":"rs","actor":"ana","kind":"position","text":"km 3","pos":{"lat":44.4,"lon":19.1},"data":{}}`))
	f.Add([]byte(`{"id":"a","kind":"hot_pursuit","origin_node":"rs","nodes":["rs","ba"],"title":"t","status":"notified","details":{"sector_area":[{"lat":91,"lon":0}]},"opened":{"op_id":"a","kind":"opened"}}`))
	f.Add([]byte(`{"op_id":"a","id":"b","at":"2026-12-04T08:00:00Z","node":"rs","kind":"sitrep","data":{"number":-1}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_ = operations.ParseEventForTest(raw)
		_ = operations.ParseOpenForTest("rs", raw)
	})
}
