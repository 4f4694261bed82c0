package main

import (
	"slices"
	"strings"

	"github.com/zebra-go/zebra/internal/cli"
)

// commands are zebra-bench's subcommands, each added by the init function of the file that
// implements it.
var commands []cli.Command

// register adds a subcommand. run receives the arguments after the command's name and returns
// an error for anything the user can fix (a bad flag, a missing file).
func register(name, summary string, run func(args []string) error) {
	if slices.ContainsFunc(commands, func(c cli.Command) bool { return c.Name == name }) {
		panic("zebra-bench: command " + name + " registered twice")
	}
	commands = append(commands, cli.Command{Name: name, Summary: summary, Run: run})
}

func main() {
	slices.SortFunc(commands, func(a, b cli.Command) int { return strings.Compare(a.Name, b.Name) })
	cli.Main("zebra-bench", commands)
}
