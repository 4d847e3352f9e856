package analysis

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// knownChart is a small chart with every kind of label that needs
// escaping: a person, a company, a vehicle and a phone, four relations.
func knownChart() Chart {
	return Chart{
		Nodes: []ChartNode{
			{ID: "p1", Kind: "person", Label: "Marko Petrović", Depth: 0, Degree: 3, Betweenness: 2.5, Community: 0},
			{ID: "o1", Kind: "organisation", Label: "Trans & Co <d.o.o.>", Depth: 1, Degree: 2, Betweenness: 0.5, Community: 0},
			{ID: "v1", Kind: "vehicle", Label: "BG-123-AA", Depth: 1, Degree: 2, Betweenness: 0, Community: 1},
			{ID: "t1", Kind: "phone", Label: "+381601234567", Depth: 1, Degree: 1, Betweenness: 0, Community: 1},
		},
		Edges: []ChartEdge{{From: "p1", To: "o1", Type: "member_of"}, {From: "p1", To: "v1", Type: "uses"}, {From: "o1", To: "v1", Type: "owns"}, {From: "p1", To: "t1", Type: "called"}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestChartExportGraphML(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteGraphML(&buf, knownChart()); err != nil {
		t.Fatal(err)
	}
	golden(t, "chart.graphml", buf.Bytes())
	var d gmlDoc
	if err := xml.Unmarshal(buf.Bytes(), &d); err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if len(d.Graph.Nodes) != 4 || len(d.Graph.Edges) != 4 || d.Graph.Nodes[1].Data[0].Value != "Trans & Co <d.o.o.>" || d.Graph.Edges[2].Data[0].Value != "owns" ||
		d.Graph.Nodes[0].Data[4].Value != "2.5" || d.XMLName.Space != "http://graphml.graphdrawing.org/xmlns" {
		t.Fatalf("round trip: %+v", d)
	}
}

func TestChartExportGEXF(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteGEXF(&buf, knownChart()); err != nil {
		t.Fatal(err)
	}
	golden(t, "chart.gexf", buf.Bytes())
	var d gexfDoc
	if err := xml.Unmarshal(buf.Bytes(), &d); err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if d.Version != "1.3" || len(d.Graph.Nodes) != 4 || len(d.Graph.Edges) != 4 || d.Graph.Nodes[0].Label != "Marko Petrović" ||
		d.Graph.Edges[3].Source != "p1" || d.Graph.Edges[3].Target != "t1" || d.Graph.Edges[3].Label != "called" || d.Graph.Nodes[2].Values[4].Value != "1" {
		t.Fatalf("round trip: %+v", d)
	}
}

func TestChartExportFtM(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFtM(&buf, knownChart()); err != nil {
		t.Fatal(err)
	}
	golden(t, "chart.ftm.json", buf.Bytes())
	sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	schemas := ""
	for sc.Scan() {
		var l ftmLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		schemas += l.Schema + " "
	}
	if schemas != "Person Company Vehicle Note Membership UnknownLink Ownership Call " {
		t.Fatalf("schemas: %s", schemas)
	}
}
