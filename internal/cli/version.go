package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/liaison-wb/liaison/internal/buildinfo"
)

func runVersion(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "version", "version [--json]")
	asJSON := fs.Bool("json", false, "print version, commit, commit time and Go version as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	in := buildinfo.Read()
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	fmt.Fprintln(env.Stdout, in.String())
	return nil
}
