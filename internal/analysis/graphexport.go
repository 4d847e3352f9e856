package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
)

// Chart export formats.
const (
	FormatGraphML = "graphml"
	FormatGEXF    = "gexf"
	FormatFtM     = "ftm"
)

// ChartExportQuery selects a chart as the neighbours or path read does
// (from and to given: a path; otherwise the neighbours of entity) and a
// file format.
type ChartExportQuery struct {
	NeighbourQuery
	PathQuery
	Format string `query:"format" json:"format" enum:"graphml,gexf,ftm" doc:"graphml (GraphML 1.0), gexf (GEXF 1.3) or ftm (FollowTheMoney JSON lines)"`
}

// ChartFile is an exported chart.
type ChartFile struct {
	Name        string
	ContentType string
	Body        []byte
}

// ExportChart reads a chart (audited as the read is) and writes it in
// one of the exchange formats; the export itself is audited too.
func (s *Service) ExportChart(ctx context.Context, p *auth.Principal, q ChartExportQuery) (ChartFile, error) {
	const op = "analysis.ExportChart"
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return ChartFile{}, err
	}
	var (
		c      Chart
		err    error
		object string
	)
	switch {
	case q.From != "" && q.To != "":
		c, err = s.ShortestPath(ctx, p, q.PathQuery)
		object = "entity/" + q.From
	case q.Entity != "":
		c, err = s.Neighbours(ctx, p, q.NeighbourQuery)
		object = "entity/" + q.Entity
	default:
		return ChartFile{}, errs.New(errs.Invalid, op, "give an entity, or two entities for a path")
	}
	if err != nil {
		return ChartFile{}, err
	}
	var buf bytes.Buffer
	f := ChartFile{}
	switch q.Format {
	case FormatGraphML:
		f.Name, f.ContentType, err = "chart.graphml", "application/graphml+xml", WriteGraphML(&buf, c)
	case FormatGEXF:
		f.Name, f.ContentType, err = "chart.gexf", "application/gexf+xml", WriteGEXF(&buf, c)
	case FormatFtM:
		f.Name, f.ContentType, err = "chart.ftm.json", "application/x-ndjson", WriteFtM(&buf, c)
	default:
		return ChartFile{}, errs.New(errs.Invalid, op, "the format must be graphml, gexf or ftm")
	}
	if err != nil {
		return ChartFile{}, errs.Wrap(errs.Internal, op, "the chart cannot be written", err)
	}
	f.Body = buf.Bytes()
	return f, s.record(ctx, s.entry(p, "analysis.graph.export", object, fmt.Sprintf("format=%s nodes=%d edges=%d", q.Format, len(c.Nodes), len(c.Edges))))
}

// GraphML 1.0 (http://graphml.graphdrawing.org/).

type gmlDoc struct {
	XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
	Keys    []gmlKey `xml:"key"`
	Graph   gmlGraph `xml:"graph"`
}

type gmlKey struct {
	ID   string `xml:"id,attr"`
	For  string `xml:"for,attr"`
	Name string `xml:"attr.name,attr"`
	Type string `xml:"attr.type,attr"`
}

type gmlGraph struct {
	ID          string    `xml:"id,attr"`
	EdgeDefault string    `xml:"edgedefault,attr"`
	Nodes       []gmlNode `xml:"node"`
	Edges       []gmlEdge `xml:"edge"`
}

type gmlData struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

type gmlNode struct {
	ID   string    `xml:"id,attr"`
	Data []gmlData `xml:"data"`
}

type gmlEdge struct {
	ID     string    `xml:"id,attr"`
	Source string    `xml:"source,attr"`
	Target string    `xml:"target,attr"`
	Data   []gmlData `xml:"data"`
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// WriteGraphML writes a chart as GraphML: node attributes label, kind,
// depth, degree, betweenness and community; edge type.
func WriteGraphML(w io.Writer, c Chart) error {
	d := gmlDoc{Keys: []gmlKey{
		{"label", "node", "label", "string"}, {"kind", "node", "kind", "string"}, {"depth", "node", "depth", "int"},
		{"degree", "node", "degree", "int"}, {"betweenness", "node", "betweenness", "double"}, {"community", "node", "community", "int"},
		{"type", "edge", "type", "string"},
	}, Graph: gmlGraph{ID: "chart", EdgeDefault: "directed"}}
	for _, n := range c.Nodes {
		d.Graph.Nodes = append(d.Graph.Nodes, gmlNode{ID: n.ID, Data: []gmlData{{"label", n.Label}, {"kind", n.Kind}, {"depth", strconv.Itoa(n.Depth)},
			{"degree", strconv.Itoa(n.Degree)}, {"betweenness", ftoa(n.Betweenness)}, {"community", strconv.Itoa(n.Community)}}})
	}
	for i, e := range c.Edges {
		d.Graph.Edges = append(d.Graph.Edges, gmlEdge{ID: "e" + strconv.Itoa(i), Source: e.From, Target: e.To, Data: []gmlData{{"type", e.Type}}})
	}
	return writeXML(w, d)
}

// GEXF 1.3 (https://gexf.net/).

type gexfDoc struct {
	XMLName xml.Name  `xml:"http://gexf.net/1.3 gexf"`
	Version string    `xml:"version,attr"`
	Meta    gexfMeta  `xml:"meta"`
	Graph   gexfGraph `xml:"graph"`
}

type gexfMeta struct {
	Creator     string `xml:"creator"`
	Description string `xml:"description"`
}

type gexfGraph struct {
	DefaultEdgeType string         `xml:"defaultedgetype,attr"`
	Mode            string         `xml:"mode,attr"`
	Attributes      gexfAttributes `xml:"attributes"`
	Nodes           []gexfNode     `xml:"nodes>node"`
	Edges           []gexfEdge     `xml:"edges>edge"`
}

type gexfAttributes struct {
	Class string     `xml:"class,attr"`
	Attrs []gexfAttr `xml:"attribute"`
}

type gexfAttr struct {
	ID    string `xml:"id,attr"`
	Title string `xml:"title,attr"`
	Type  string `xml:"type,attr"`
}

type gexfValue struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
}

type gexfNode struct {
	ID     string      `xml:"id,attr"`
	Label  string      `xml:"label,attr"`
	Values []gexfValue `xml:"attvalues>attvalue"`
}

type gexfEdge struct {
	ID     string `xml:"id,attr"`
	Source string `xml:"source,attr"`
	Target string `xml:"target,attr"`
	Label  string `xml:"label,attr"`
}

// WriteGEXF writes a chart as GEXF 1.3 with the same node attributes as
// GraphML; the relation type is the edge label.
func WriteGEXF(w io.Writer, c Chart) error {
	d := gexfDoc{Version: "1.3", Meta: gexfMeta{Creator: "Liaison", Description: "link chart"}, Graph: gexfGraph{DefaultEdgeType: "directed", Mode: "static",
		Attributes: gexfAttributes{Class: "node", Attrs: []gexfAttr{{"kind", "kind", "string"}, {"depth", "depth", "integer"}, {"degree", "degree", "integer"},
			{"betweenness", "betweenness", "double"}, {"community", "community", "integer"}}}}}
	for _, n := range c.Nodes {
		d.Graph.Nodes = append(d.Graph.Nodes, gexfNode{ID: n.ID, Label: n.Label, Values: []gexfValue{{"kind", n.Kind}, {"depth", strconv.Itoa(n.Depth)},
			{"degree", strconv.Itoa(n.Degree)}, {"betweenness", ftoa(n.Betweenness)}, {"community", strconv.Itoa(n.Community)}}})
	}
	for i, e := range c.Edges {
		d.Graph.Edges = append(d.Graph.Edges, gexfEdge{ID: strconv.Itoa(i), Source: e.From, Target: e.To, Label: e.Type})
	}
	return writeXML(w, d)
}

func writeXML(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// FollowTheMoney: the same schemas and IDs ("lia-" + entity ID) as the
// case database's FtM export, so both can be loaded into one tool; a
// chart knows only an entity's label, written as its name or number.

var ftmSchemaOf = map[string]struct{ schema, prop string }{
	"person": {"Person", "name"}, "organisation": {"Company", "name"}, "vehicle": {"Vehicle", "registrationNumber"},
	"account": {"BankAccount", "accountNumber"}, "document": {"Identification", "number"}, "address": {"Address", "full"},
}

var ftmLinkOf = map[string]struct{ schema, from, to string }{
	"owns": {"Ownership", "owner", "asset"}, "member_of": {"Membership", "member", "organization"}, "paid": {"Payment", "payer", "beneficiary"},
	"called": {"Call", "caller", "receiver"}, "related_to": {"UnknownLink", "subject", "object"}, "uses": {"UnknownLink", "subject", "object"},
	"travelled_with": {"Associate", "person", "associate"},
}

type ftmLine struct {
	ID         string              `json:"id"`
	Schema     string              `json:"schema"`
	Properties map[string][]string `json:"properties"`
}

// WriteFtM writes a chart as FollowTheMoney JSON lines: one thing per
// entity, then one interval per relation. Phones and weapons, which FtM
// has no schema for, are Notes.
func WriteFtM(w io.Writer, c Chart) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, n := range c.Nodes {
		l := ftmLine{ID: "lia-" + n.ID, Schema: "Note", Properties: map[string][]string{"description": {n.Kind + ": " + n.Label}}}
		if m, ok := ftmSchemaOf[n.Kind]; ok {
			l.Schema, l.Properties = m.schema, map[string][]string{m.prop: {n.Label}}
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	for _, e := range c.Edges {
		m, ok := ftmLinkOf[e.Type]
		if !ok {
			m = ftmLinkOf["related_to"]
		}
		props := map[string][]string{m.from: {"lia-" + e.From}, m.to: {"lia-" + e.To}}
		if m.schema == "UnknownLink" || m.schema == "Associate" {
			props["role"] = []string{e.Type}
		}
		if err := enc.Encode(ftmLine{ID: "lia-link-" + e.From + "-" + e.Type + "-" + e.To, Schema: m.schema, Properties: props}); err != nil {
			return err
		}
	}
	return nil
}
