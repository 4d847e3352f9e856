package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-wb/liaison/internal/federation"
)

const federationUsage = "federation init | peer add ID URL PUBKEY [--cert-sha256 FP] [--name NAME] | peer list | peer suspend ID | peer resume ID | status | retry [PEER] | key rotate [--grace 7d] | key revoke --reason TEXT | cert renew [--grace 7d]"

func runFederation(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: %s", federationUsage)
	}
	sub, rest := args[0], args[1:]
	if sub == "cert" {
		if len(rest) == 0 || rest[0] != "renew" {
			return usagef("use: federation cert renew [--grace 7d]")
		}
		sub, rest = "cert renew", rest[1:]
	}
	if sub == "key" {
		if len(rest) == 0 {
			return usagef("missing key subcommand: key rotate|revoke")
		}
		sub, rest = "key "+rest[0], rest[1:]
	}
	if sub == "peer" {
		if len(rest) == 0 {
			return usagef("missing peer subcommand: peer add|list|suspend|resume")
		}
		sub, rest = "peer "+rest[0], rest[1:]
	}
	want := map[string]int{"init": 0, "peer add": 3, "peer list": 0, "peer suspend": 1, "peer resume": 1, "status": 0, "retry": -1, "key rotate": 0, "key revoke": 0, "cert renew": 0}
	n, ok := want[sub]
	if !ok {
		return usagef("unknown subcommand %q: use %s", sub, federationUsage)
	}
	fs := flagSet(env, "federation "+sub, "federation "+sub+" [flags]")
	cfg, load := nodeConfig(fs)
	cert := fs.String("cert-sha256", "", "peer add: SHA-256 fingerprint of the peer's federation certificate (required for https peers)")
	name := fs.String("name", "", "peer add: display name of the peer")
	grace := 7 * 24 * time.Hour
	durFlag(fs, &grace, "grace", grace, "key rotate, cert renew: how long peers keep accepting the old key or certificate (at most 30d)")
	reason := fs.String("reason", "", "key revoke: why the key is revoked (shown to the peers' NCUs)")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	if n >= 0 && len(pos) != n {
		return usagef("federation %s takes %d argument(s), got %d", sub, n, len(pos))
	}
	if sub == "key revoke" && strings.TrimSpace(*reason) == "" {
		return usagef("key revoke needs a --reason (shown to the peers' NCUs)")
	}
	node, err := openNode(ctx, env, cfg, load)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	switch sub {
	case "init":
		fp := federation.CertFingerprint(node.FedTLS)
		fmt.Fprintf(env.Stdout, "node ID:             %s\npublic key:          %s\ncertificate SHA-256: %s\n\n", cfg.NodeID, node.Identity.PublicString(), fp)
		fmt.Fprintf(env.Stdout, "Give peers this line (with your federation URL):\n  liaison federation peer add %s https://YOUR-HOST:8443 %s --cert-sha256 %s\n", cfg.NodeID, node.Identity.PublicString(), fp)
	case "peer add":
		if err := node.Fed.AddPeer(ctx, cliActor, federation.Peer{ID: pos[0], URL: pos[1], PublicKey: pos[2], CertSHA256: *cert, Name: *name}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "peer %s saved\n", pos[0])
	case "peer suspend", "peer resume":
		if err := node.Fed.SetSuspended(ctx, cliActor, pos[0], sub == "peer suspend"); err != nil {
			return err
		}
		state := "resumed"
		if sub == "peer suspend" {
			state = "suspended"
		}
		fmt.Fprintf(env.Stdout, "peer %s %s\n", pos[0], state)
	case "peer list", "status":
		peers, err := node.Fed.Peers(ctx)
		if err != nil {
			return err
		}
		if len(peers) == 0 {
			fmt.Fprintln(env.Stdout, "no peers configured; add one with liaison federation peer add")
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PEER\tURL\tSTATE\tLAST CONTACT\tQUEUED\tAWAITING NCU\tFAILURES\tLAST ERROR")
		for _, p := range peers {
			state := "active"
			if p.Suspended {
				state = "suspended"
			}
			last := "never"
			if !p.LastContactAt.IsZero() {
				last = time.Since(p.LastContactAt).Round(time.Second).String() + " ago"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", p.ID, p.URL, state, last, p.Backlog, p.AwaitingNCU, p.Failures, p.LastError)
		}
		return tw.Flush()
	case "key rotate", "key revoke":
		res, err := node.Fed.RotateKey(ctx, cliActor, cfg.DataDir, grace, sub == "key revoke", *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "new node key: %s\nold key:      %s", res.NewKey, res.OldKey)
		if sub == "key revoke" {
			fmt.Fprintf(env.Stdout, " (revoked: peers refuse it as soon as they receive the notice)\n")
		} else {
			fmt.Fprintf(env.Stdout, " (peers accept it until %s)\n", res.GraceUntil.Format(time.RFC3339))
		}
		fmt.Fprintf(env.Stdout, "announced to: %s; %d queued message(s) re-signed with the new key\n", strings.Join(res.Announced, ", "), res.Resigned)
		if len(res.Skipped) > 0 {
			fmt.Fprintf(env.Stdout, "NOT announced to suspended peers %s: give them the new key with liaison federation peer add\n", strings.Join(res.Skipped, ", "))
		}
		fmt.Fprintln(env.Stdout, "restart the node now so that it signs with the new key; a running node sends the announcements on its next delivery round")
	case "cert renew":
		res, err := node.Fed.RenewCert(ctx, cliActor, grace)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "new federation certificate SHA-256: %s\nprevious:                          %s\n", res.NewSHA256, res.OldSHA256)
		fmt.Fprintf(env.Stdout, "announced to: %s; the node keeps presenting the previous certificate until every peer has the new one, then switches (a running node rereads the files within 30s; no restart)\n", strings.Join(res.Announced, ", "))
		if len(res.Skipped) > 0 {
			fmt.Fprintf(env.Stdout, "NOT announced to suspended peers %s: give them the new fingerprint with liaison federation peer add --cert-sha256\n", strings.Join(res.Skipped, ", "))
		}
	case "retry":
		peer := ""
		if len(pos) > 0 {
			peer = pos[0]
		}
		if err := node.Fed.RetryNow(ctx, peer); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "queued messages are due now; a running node sends them within a second")
	}
	return nil
}

// parseInterspersed allows flags before and after positional arguments.
func parseInterspersed(fs interface {
	Parse([]string) error
	NArg() int
	Arg(int) string
	Args() []string
}, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err // the usage is printed: not an error
			}
			return nil, &usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
