package app

import (
	"os"

	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match/pprl"
)

// privateConfig reads the privacy-preserving matching settings: the
// linkage schema (the built-in regional one unless a file is named) and
// the regional secrets. The secrets go to the case service only; they are
// never logged (config marks them secret).
func privateConfig(c config.Config) (cases.PrivateConfig, error) {
	out := cases.PrivateConfig{Secret: []byte(c.PPRLSecret), Previous: []byte(c.PPRLPreviousSecret), RequirePrivate: c.PPRLRequirePrivate}
	if c.PPRLSchema == "" {
		out.Schema = pprl.DefaultSchema()
		return out, nil
	}
	b, err := os.ReadFile(c.PPRLSchema)
	if err != nil {
		return out, errs.Wrap(errs.Invalid, "config", "pprl-schema cannot be read", err)
	}
	s, err := pprl.ParseSchema(b)
	if err != nil {
		return out, errs.Newf(errs.Invalid, "config", "pprl-schema %s: %v", c.PPRLSchema, err)
	}
	out.Schema = s
	return out, nil
}
