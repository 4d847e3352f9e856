package web_test

import (
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/web"
)

func verifyInclusion(out web.ProofOutput) error {
	return audit.VerifyInclusion(out.Proof, out.Checkpoint.Root)
}

func chromedpSleep() { time.Sleep(100 * time.Millisecond) }
