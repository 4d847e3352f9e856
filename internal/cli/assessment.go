package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/liaison-wb/liaison/internal/analysis"
)

const assessmentUsage = "assessment list | create --area drugs|thb|migrant_smuggling|firearms|cybercrime|money_laundering --period P --title T | pdf ID [FILE] [--public]"

// runAssessment lists, starts and prints the node's regional risk
// assessments, as the node's console working as an analyst (audited as
// "cli").
func runAssessment(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: %s", assessmentUsage)
	}
	sub, rest := args[0], args[1:]
	if sub != "list" && sub != "create" && sub != "pdf" {
		return usagef("unknown subcommand %q: use %s", sub, assessmentUsage)
	}
	fs := flagSet(env, "assessment "+sub, assessmentUsage)
	cfg, load := nodeConfig(fs)
	area := fs.String("area", "", "create: crime area")
	period := fs.String("period", "", "create: 2025, 2025-Q1 or 2025-03")
	title := fs.String("title", "", "create: title")
	public := fs.Bool("public", false, "pdf: the public version (restricted text and threats left out)")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	if sub == "pdf" && (len(pos) < 1 || len(pos) > 2) {
		return usagef("assessment pdf takes an ID and optionally a FILE")
	}
	node, err := openNode(ctx, env, cfg, load)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	switch sub {
	case "list":
		list, err := node.Analysis.Assessments(ctx, analysisActor)
		if err != nil {
			return err
		}
		for _, a := range list {
			fmt.Fprintf(env.Stdout, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.State, a.CrimeArea, a.Period, a.Title)
		}
	case "create":
		a, err := node.Analysis.CreateAssessment(ctx, analysisActor, analysis.AssessmentInput{CrimeArea: *area, Period: *period, Title: *title})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "started assessment %s: %s %s, %d contributions merged\n", a.ID, a.CrimeArea, a.Period, len(a.Contributions))
	case "pdf":
		a, err := node.Analysis.Assessment(ctx, analysisActor, pos[0], *public)
		if err != nil {
			return err
		}
		doc, err := analysis.AssessmentPDF(a, analysis.PDFOptions{Now: node.Clock.Now()})
		if err != nil {
			return err
		}
		return writeOutput(pos[1:], env.Stdout, func(w io.Writer) error {
			_, err := w.Write(doc)
			return err
		})
	}
	return nil
}
