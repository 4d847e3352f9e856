// Command sbom writes a CycloneDX 1.5 software bill of materials (JSON) of
// the Go modules linked into a binary, read from the build information the
// Go toolchain embeds:
//
//	go run ./packaging/sbom dist/liaison > dist/liaison.cdx.json
package main

import (
	"crypto/rand"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

type component struct {
	Type    string `json:"type"`
	BOMRef  string `json:"bom-ref"`
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl"`
}

type bom struct {
	BOMFormat    string      `json:"bomFormat"`
	SpecVersion  string      `json:"specVersion"`
	SerialNumber string      `json:"serialNumber"`
	Version      int         `json:"version"`
	Metadata     metadata    `json:"metadata"`
	Components   []component `json:"components"`
	Dependencies []dep       `json:"dependencies"`
}

type metadata struct {
	Timestamp  string         `json:"timestamp"`
	Component  component      `json:"component"`
	Properties []property     `json:"properties,omitempty"`
	Tools      map[string]any `json:"tools"`
}

type property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type dep struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

func purl(path, version string) string {
	return "pkg:golang/" + strings.ToLower(path) + "@" + version
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: sbom BINARY > BOM.cdx.json")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sbom:", err)
		os.Exit(1)
	}
}

func run(binary string, w io.Writer) error {
	bi, err := buildinfo.ReadFile(binary)
	if err != nil {
		return err
	}
	version := os.Getenv("SBOM_VERSION")
	if version == "" {
		version = bi.Main.Version
	}
	main := component{Type: "application", Name: bi.Main.Path, Version: version, PURL: purl(bi.Main.Path, version)}
	main.BOMRef = main.PURL
	var uuid [16]byte
	if _, err := rand.Read(uuid[:]); err != nil {
		return err
	}
	uuid[6] = uuid[6]&0x0f | 0x40
	uuid[8] = uuid[8]&0x3f | 0x80
	out := bom{BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1,
		SerialNumber: fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", uuid[0:4], uuid[4:6], uuid[6:8], uuid[8:10], uuid[10:]),
		Metadata: metadata{Timestamp: time.Now().UTC().Format(time.RFC3339), Component: main,
			Properties: []property{{Name: "go:version", Value: bi.GoVersion}},
			Tools:      map[string]any{"components": []component{{Type: "application", Name: "liaison-sbom", Version: "1", BOMRef: "liaison-sbom", PURL: "pkg:generic/liaison-sbom@1"}}}}}
	for _, s := range bi.Settings {
		if strings.HasPrefix(s.Key, "vcs.") || s.Key == "GOOS" || s.Key == "GOARCH" || s.Key == "CGO_ENABLED" {
			out.Metadata.Properties = append(out.Metadata.Properties, property{Name: "go:" + s.Key, Value: s.Value})
		}
	}
	d := dep{Ref: main.BOMRef}
	for _, m := range bi.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		c := component{Type: "library", Name: m.Path, Version: m.Version, PURL: purl(m.Path, m.Version)}
		c.BOMRef = c.PURL
		out.Components = append(out.Components, c)
		d.DependsOn = append(d.DependsOn, c.BOMRef)
	}
	out.Dependencies = []dep{d}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
