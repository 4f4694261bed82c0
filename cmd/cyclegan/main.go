package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

var commands = map[string]struct {
	summary string
	run     func(args []string) error
}{
	"train":     {"train a CycleGAN (or continue one with -resume)", runTrain},
	"translate": {"translate images with a trained generator", runTranslate},
	"download":  {"download a CycleGAN dataset by name", runDownload},
}

func usage() {
	fmt.Fprint(os.Stderr, "usage: cyclegan <command> [flags]\n\ncommands:\n")
	for _, name := range []string{"train", "translate", "download"} {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprint(os.Stderr, "\nRun 'cyclegan <command> -h' for a command's flags.\n")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "cyclegan: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err := cmd.run(os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the flag set has printed the usage
		}
		fmt.Fprintf(os.Stderr, "cyclegan %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
