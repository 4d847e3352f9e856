package jit

import (
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
)

// ParseMemberLines reads members written one per line as
//
//	username@node, role[, agency[, name]]
//
// (the form used by the web UI). Blank lines are skipped; errors name the
// line.
func ParseMemberLines(s string) ([]MemberInput, error) {
	var out []MemberInput
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ",", 4)
		for j := range parts {
			parts[j] = strings.TrimSpace(parts[j])
		}
		user, node, ok := strings.Cut(parts[0], "@")
		if !ok || user == "" || node == "" || len(parts) < 2 {
			return nil, errs.Newf(errs.Invalid, "jit.ParseMemberLines", "line %d: write a member as username@node, role[, agency[, name]]", i+1)
		}
		m := MemberInput{Username: user, Node: strings.ToLower(node), Role: strings.ToLower(parts[1])}
		if len(parts) > 2 {
			m.Agency = parts[2]
		}
		if len(parts) > 3 {
			m.Name = parts[3]
		}
		if _, err := cleanMember("jit.ParseMemberLines", m); err != nil {
			return nil, errs.Newf(errs.Invalid, "jit.ParseMemberLines", "line %d: %s", i+1, errs.SafeMessage(err))
		}
		out = append(out, m)
	}
	return out, nil
}

// ParseTaskLines reads tasks written one per line as
//
//	title[ | owner username@node[ | YYYY-MM-DD]]
func ParseTaskLines(s string) ([]TaskInput, error) {
	var out []TaskInput
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		for j := range parts {
			parts[j] = strings.TrimSpace(parts[j])
		}
		t := TaskInput{Title: parts[0]}
		if t.Title == "" || len(t.Title) > 300 {
			return nil, errs.Newf(errs.Invalid, "jit.ParseTaskLines", "line %d: a task needs a title of at most 300 characters", i+1)
		}
		if len(parts) > 1 {
			t.Owner = parts[1]
			if t.Owner != "" && !strings.Contains(t.Owner, "@") {
				return nil, errs.Newf(errs.Invalid, "jit.ParseTaskLines", "line %d: write the owner as username@node", i+1)
			}
		}
		if len(parts) > 2 {
			d, err := normDate("jit.ParseTaskLines", "line "+strconv.Itoa(i+1)+": due date", parts[2])
			if err != nil {
				return nil, err
			}
			t.DueDate = d
		}
		out = append(out, t)
	}
	return out, nil
}
