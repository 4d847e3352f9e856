// Command gencyrl writes the Serbian Cyrillic catalogues (sr-Cyrl*.json)
// from the Serbian Latin ones, module file by module file. Run it with
// go generate ./internal/i18n after editing sr-Latn*.json.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/liaison-wb/liaison/internal/i18n"
)

func main() {
	if err := run("locales"); err != nil {
		fmt.Fprintln(os.Stderr, "gencyrl:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	old, err := filepath.Glob(filepath.Join(dir, "sr-Cyrl*.json"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	latn, err := filepath.Glob(filepath.Join(dir, "sr-Latn*.json"))
	if err != nil {
		return err
	}
	for _, f := range latn {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		out := map[string]string{}
		for k, v := range m {
			if e, ok := i18n.CyrillicExceptions[k]; ok {
				out[k] = e
			} else {
				out[k] = i18n.LatinToCyrillic(v)
			}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
		name := "sr-Cyrl" + strings.TrimPrefix(filepath.Base(f), "sr-Latn")
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
