// Package buildinfo carries the version stamped in at link time:
//
//	go build -ldflags "-X github.com/liaison-wb/liaison/internal/buildinfo.Version=1.2.0 -X github.com/liaison-wb/liaison/internal/buildinfo.Commit=$(git rev-parse --short HEAD)"
package buildinfo

import "runtime"

// Set by the linker; these are the only package-level variables because the
// linker can only write to variables.
var (
	Version = "dev"
	Commit  = "unknown"
)

// String is the one-line version report.
func String() string {
	return "liaison " + Version + " (commit " + Commit + ", " + runtime.Version() + ")"
}
