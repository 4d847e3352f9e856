// Command liaison runs a Liaison node and its tools.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/liaison-wb/liaison/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
