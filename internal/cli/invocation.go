package cli

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// Invocation returns the words that run this program again the way the user ran it, quoted for a
// shell, for the commands a hint prints ("resume with: ..."):
//
//   - "go run ./cmd/cyclegan" when the binary lies in a go-build folder, as go run leaves it: the
//     package's folder relative to the working folder when the module is around it, else the
//     package's import path, which go run finds from anywhere in the module;
//   - os.Args[0] as typed when it is a path (./bin/cyclegan, /usr/local/bin/cyclegan);
//   - the bare name when the shell found it on PATH.
//
// A printed "cyclegan train ..." fails when pasted by a user who typed "go run ./cmd/cyclegan".
func Invocation() string {
	wd, _ := os.Getwd()
	var pkg, mod string
	if info, ok := debug.ReadBuildInfo(); ok {
		// A test binary's path ends in ".test"; go run wants the package.
		pkg, mod = strings.TrimSuffix(info.Path, ".test"), info.Main.Path
	}
	return invocation(os.Args[0], wd, pkg, mod, exec.LookPath)
}

// invocation is Invocation with its inputs given: the program's argv[0], the working folder, the
// main package's import path and its module's path, and how to look a name up on PATH.
func invocation(arg0, wd, pkg, mod string, lookPath func(string) (string, error)) string {
	// "go run main.go" builds a package named command-line-arguments: no path to give.
	if isGoRunBinary(arg0) && pkg != "" && pkg != "command-line-arguments" {
		return "go run " + ShellQuote(goRunTarget(wd, pkg, mod))
	}
	if strings.ContainsRune(arg0, '/') || strings.ContainsRune(arg0, filepath.Separator) {
		return ShellQuote(arg0)
	}
	if _, err := lookPath(arg0); err == nil {
		return ShellQuote(arg0)
	}
	// Started by a name that PATH does not give (exec with a made-up argv[0]): the file itself.
	if exe, err := os.Executable(); err == nil {
		return ShellQuote(exe)
	}
	return ShellQuote(arg0)
}

// isGoRunBinary reports whether path lies in a folder of the go command's work tree
// ($TMPDIR/go-build123/b001/exe/cyclegan), where go run and go test build their binaries.
func isGoRunBinary(path string) bool {
	for _, dir := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
		if strings.HasPrefix(dir, "go-build") {
			return true
		}
	}
	return false
}

// goRunTarget names package pkg of module mod for go run in folder wd: "./cmd/cyclegan" from the
// module's root, "." from the package's own folder, the import path when wd is not in the module.
func goRunTarget(wd, pkg, mod string) string {
	root := moduleRoot(wd, mod)
	if root == "" || !(pkg == mod || strings.HasPrefix(pkg, mod+"/")) {
		return pkg
	}
	dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(pkg, mod)))
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		return pkg
	}
	rel = filepath.ToSlash(rel)
	if rel == "." || strings.HasPrefix(rel, "../") {
		return rel
	}
	return "./" + rel
}

// moduleRoot returns the folder at or above dir whose go.mod declares module mod, or "".
func moduleRoot(dir, mod string) string {
	if dir == "" || mod == "" {
		return ""
	}
	for {
		if modulePath(filepath.Join(dir, "go.mod")) == mod {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// modulePath returns the module path that the go.mod file at path declares, or "".
func modulePath(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// ShellQuote joins args with spaces, each quoted so that a POSIX shell reads it back as one
// word: an argument of only letters, digits and @%+=:,./_- stays as it is; any other is put in
// single quotes, in which a single quote is written '\”.
func ShellQuote(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quoteWord(a)
	}
	return strings.Join(quoted, " ")
}

func quoteWord(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		safe := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)
		if !safe {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
