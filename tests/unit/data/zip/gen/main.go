// Oracle for stoa's zip tests, built by ../gen.sh against the x/mod sources that
// ship with Go (golang.org/x/mod is replaced by a temporary copy; no copy is kept).
//
//	gen hashzip FILE.zip                 prints dirhash.HashZip (h1:) of FILE.zip
//	gen hashmod FILE                      prints the go.sum /go.mod hash of FILE
//	gen create DIR MODULE VERSION OUT.zip  zip.CreateFromDir, like `go mod vendor` tools
//	gen check FILE.zip MODULE VERSION     zip.CheckZip; prints "ok" or the error
package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/zip"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: gen hashzip|hashmod|create|check ...")
	}
	switch args[0] {
	case "hashzip":
		h, err := dirhash.HashZip(args[1], dirhash.Hash1)
		if err != nil {
			return err
		}
		fmt.Println(h)
	case "hashmod":
		h, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return os.Open(args[1]) })
		if err != nil {
			return err
		}
		fmt.Println(h)
	case "create":
		f, err := os.Create(args[4])
		if err != nil {
			return err
		}
		defer f.Close()
		return zip.CreateFromDir(f, module.Version{Path: args[2], Version: args[3]}, args[1])
	case "check":
		_, err := zip.CheckZip(module.Version{Path: args[2], Version: args[3]}, args[1])
		if err != nil {
			fmt.Println(err)
		} else {
			fmt.Println("ok")
		}
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	return nil
}
