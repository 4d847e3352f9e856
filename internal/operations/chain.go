package operations

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// The log of an operation is hash-chained: each entry's hash is the
// SHA-256 of the previous entry's hash and the entry's canonical content,
// and the first entry links to a genesis value derived from the
// operation's ID. Changing, removing or reordering a stored entry breaks
// the chain from that entry on.

func genesis(opID string) string {
	sum := sha256.Sum256([]byte("liaison operations log\n" + opID))
	return hex.EncodeToString(sum[:])
}

// entryHash is the hash of e linked to prev.
func entryHash(opID, prev string, e OpEvent) string {
	c := struct {
		Op, Prev string
		Seq      int64
		ID       string
		At       string
		Node     string
		Actor    string
		Kind     string
		Text     string
		Status   string
		Pos      *GeoPoint
		Data     OpEventData
	}{opID, prev, e.Seq, e.ID, e.At.UTC().Format(time.RFC3339Nano), e.Node, e.Actor, e.Kind, e.Text, e.Status, e.Pos, e.Data}
	b, _ := json.Marshal(c)
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyChain checks a log read in sequence order; the error names the
// first entry that does not fit.
func VerifyChain(opID string, evs []OpEvent) error {
	prev := genesis(opID)
	for i, e := range evs {
		if e.Seq != int64(i+1) || e.PrevHash != prev || entryHash(opID, prev, e) != e.Hash {
			return chainErr(int64(i + 1))
		}
		prev = e.Hash
	}
	return nil
}

func chainErr(seq int64) error {
	e := errs.Newf(errs.Conflict, "operations.VerifyChain", "the operation log is not intact: entry %d was changed, removed or moved after it was written", seq)
	e.Code = "log-altered"
	return e
}
