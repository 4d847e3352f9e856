package web_test

import (
	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/web"
)

func verifyInclusion(out web.ProofOutput) error {
	return audit.VerifyInclusion(out.Proof, out.Checkpoint.Root)
}
