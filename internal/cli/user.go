package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
)

// cliActor is the audit identity of commands run on the node's console.
var cliActor = &auth.Principal{Username: "cli", Agency: "node-console", Console: true}

func runUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: user add|list|disable|enable")
	}
	sub, rest := args[0], args[1:]
	fs := flagSet(env, "user "+sub, map[string]string{
		"add":     "user add USERNAME --name NAME --agency AGENCY --roles ROLE[,ROLE] [--email E] [--password-stdin]",
		"list":    "user list",
		"disable": "user disable USERNAME",
		"enable":  "user enable USERNAME",
	}[sub])
	cfg, load := nodeConfig(fs)
	name := fs.String("name", "", "full name")
	agency := fs.String("agency", "", "agency code, e.g. rs-mup")
	roles := fs.String("roles", "", "comma-separated roles: admin, ncu_operator, officer, analyst, prosecutor, partner, auditor")
	email := fs.String("email", "", "e-mail address")
	pwStdin := fs.Bool("password-stdin", false, "read the initial password from standard input instead of generating one")
	switch sub {
	case "add", "list", "disable", "enable":
	default:
		return usagef("unknown subcommand %q: use user add|list|disable|enable", sub)
	}
	// Allow flags before or after the username.
	var positional []string
	for len(rest) > 0 {
		if err := parse(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	wantArgs := map[string]int{"add": 1, "list": 0, "disable": 1, "enable": 1}[sub]
	if len(positional) != wantArgs {
		fs.Usage()
		return usagef("user %s takes %d argument(s), got %d", sub, wantArgs, len(positional))
	}
	var password string
	if sub == "add" {
		if *name == "" || *agency == "" || *roles == "" {
			return usagef("user add needs --name, --agency and --roles")
		}
		if *pwStdin {
			line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
			if err != nil && err != io.EOF {
				return usagef("cannot read password from standard input")
			}
			password = strings.TrimRight(line, "\r\n")
		} else {
			password = auth.RandomPassword()
		}
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := app.Open(ctx, *cfg, logger, clock.System{}, env.Stdout)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	switch sub {
	case "add":
		rs, err := auth.ParseRoles(*roles)
		if err != nil {
			return err
		}
		u, err := node.Auth.CreateUser(ctx, cliActor, auth.NewUser{Username: positional[0], DisplayName: *name, Agency: *agency, Roles: rs, Email: *email, Password: password, MustChangePassword: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created user %s (%s)\n", u.Username, strings.Join(roleNames(u.Roles), ", "))
		if !*pwStdin {
			fmt.Fprintf(env.Stdout, "one-time password: %s (must be changed at first login)\n", password)
		}
	case "list":
		us, err := node.Auth.ListUsers(ctx, cliActor)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tNAME\tAGENCY\tROLES\tSTATUS\t2FA")
		for _, u := range us {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			twofa := "no"
			if u.TOTPEnabled {
				twofa = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.DisplayName, u.Agency, strings.Join(roleNames(u.Roles), ","), status, twofa)
		}
		return tw.Flush()
	case "disable", "enable":
		if err := node.Auth.SetDisabled(ctx, cliActor, positional[0], sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "user %s %sd\n", positional[0], sub)
	}
	return nil
}

func roleNames(rs []auth.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}
