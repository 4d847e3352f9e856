package web

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"

	"github.com/liaison-wb/liaison/internal/operations"
)

// The operations map is drawn on the server as inline SVG from the
// vendored Natural Earth outlines: country borders, border crossings, the
// last position of every operation, patrol sectors and pursuit tracks.
// It needs no script and no tile server.

const (
	mapW                     = 640.0
	mapLonMin, mapLonMax     = 13.3, 23.3
	mapLatMin, mapLatMax     = 39.6, 46.6
	mapMidLat                = 43.0
	mapCrossingRadius        = 2.2
	mapPositionRadius        = 5.0
	mapPositionRadiusCurrent = 7.0
)

var mapScale = mapW / ((mapLonMax - mapLonMin) * math.Cos(mapMidLat*math.Pi/180))

func mapH() float64 { return (mapLatMax - mapLatMin) * mapScale }

func project(lat, lon float64) (float64, float64) {
	return (lon - mapLonMin) * math.Cos(mapMidLat*math.Pi/180) * mapScale, (mapLatMax - lat) * mapScale
}

var (
	mapBaseOnce string
	mapLabels   = map[string]operations.GeoPoint{"RS": {Lat: 44.0, Lon: 20.9}, "BA": {Lat: 44.2, Lon: 17.8}, "ME": {Lat: 42.75, Lon: 19.25}, "AL": {Lat: 41.1, Lon: 20.0},
		"MK": {Lat: 41.6, Lon: 21.7}, "XK": {Lat: 42.6, Lon: 20.85}, "HR": {Lat: 45.6, Lon: 16.3}, "HU": {Lat: 46.3, Lon: 19.5}, "RO": {Lat: 45.6, Lon: 22.6},
		"BG": {Lat: 42.9, Lon: 23.0}, "GR": {Lat: 40.2, Lon: 22.0}, "SI": {Lat: 46.1, Lon: 14.6}, "IT": {Lat: 40.6, Lon: 16.5}}
)

func init() { mapBaseOnce = mapBase() }

// mapBase is the static part: outlines, labels and crossings.
func mapBase() string {
	var b strings.Builder
	for _, o := range operations.Outlines() {
		fmt.Fprintf(&b, `<path class="ops-country ops-c-%s" d="`, strings.ToLower(o.Code))
		for _, poly := range o.Polygons {
			for _, ring := range poly {
				for i, pt := range ring {
					x, y := project(pt[1], pt[0])
					if i == 0 {
						fmt.Fprintf(&b, "M%.1f %.1f", x, y)
					} else {
						fmt.Fprintf(&b, "L%.1f %.1f", x, y)
					}
				}
				b.WriteString("Z")
			}
		}
		fmt.Fprintf(&b, `"><title>%s</title></path>`, template.HTMLEscapeString(o.Name))
	}
	return b.String()
}

// mapMarks draws the country labels and border crossings at zoom k (1:
// the whole region), so they keep their size on screen.
func mapMarks(b *strings.Builder, k float64) {
	codes := make([]string, 0, len(mapLabels))
	for c := range mapLabels {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, code := range codes {
		p := mapLabels[code]
		x, y := project(p.Lat, p.Lon)
		fmt.Fprintf(b, `<text class="ops-label" x="%.2f" y="%.2f" font-size="%.2f" text-anchor="middle">%s</text>`, x, y, 11/k, code)
	}
	r := mapCrossingRadius / k
	for _, c := range operations.Crossings {
		x, y := project(c.Pos.Lat, c.Pos.Lon)
		fmt.Fprintf(b, `<rect class="ops-crossing" x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s</title></rect>`,
			x-r, y-r, 2*r, 2*r, template.HTMLEscapeString(c.Name))
	}
}

// zoomTo returns the view box around an operation's positions and sector
// (at least about 80 km across), and the zoom factor; the whole region
// when it has none.
func zoomTo(o *operations.Operation) (x0, y0, w, h, k float64) {
	w, h, k = mapW, mapH(), 1
	if o == nil {
		return
	}
	pts := append(append([]operations.GeoPoint{}, o.Track...), o.Details.SectorArea...)
	if o.LastPos != nil {
		pts = append(pts, *o.LastPos)
	}
	if len(pts) == 0 {
		return
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		x, y := project(p.Lat, p.Lon)
		minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
	}
	minW := 0.8 * mapScale // about 0.8° of latitude
	bw := math.Max(maxX-minX, minW) * 1.4
	bh := bw * mapH() / mapW
	if need := (maxY - minY) * 1.4; need > bh {
		bh = need
		bw = bh * mapW / mapH()
	}
	if bw >= mapW {
		return
	}
	cx, cy := (minX+maxX)/2, (minY+maxY)/2
	return cx - bw/2, cy - bh/2, bw, bh, mapW / bw
}

func points(ps []operations.GeoPoint) string {
	var b strings.Builder
	for i, p := range ps {
		x, y := project(p.Lat, p.Lon)
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x, y)
	}
	return b.String()
}

// opsMap draws the map with the given operations; current, when set, is
// drawn larger with its track.
func opsMap(ops []operations.Operation, current *operations.Operation, label string) template.HTML {
	var b strings.Builder
	x0, y0, w, h, k := zoomTo(current)
	fmt.Fprintf(&b, `<svg class="ops-map" id="ops-map" viewBox="%.2f %.2f %.2f %.2f" role="group" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		x0, y0, w, h, template.HTMLEscapeString(label))
	b.WriteString(mapBaseOnce)
	mapMarks(&b, k)
	draw := func(o operations.Operation, big bool) {
		cls := "ops-k-" + o.Kind
		if o.Exercise {
			cls += " ops-exercise"
		}
		if len(o.Details.SectorArea) > 2 {
			fmt.Fprintf(&b, `<polygon class="ops-sector %s" points="%s"><title>%s</title></polygon>`, cls, points(o.Details.SectorArea),
				template.HTMLEscapeString(o.Title+" — "+o.Details.Sector))
		}
		if big && len(o.Track) > 1 {
			fmt.Fprintf(&b, `<polyline class="ops-track %s" id="ops-track" points="%s"/>`, cls, points(o.Track))
		}
		if o.LastPos != nil {
			x, y := project(o.LastPos.Lat, o.LastPos.Lon)
			r := mapPositionRadius / k
			if big {
				r = mapPositionRadiusCurrent / k
			}
			fmt.Fprintf(&b, `<a href="/operations/%s" aria-label="%s"><title>%s</title><circle class="ops-pos %s" data-op="%s" cx="%.2f" cy="%.2f" r="%.2f"/></a>`,
				template.HTMLEscapeString(o.ID), template.HTMLEscapeString(o.Title), template.HTMLEscapeString(o.Title+" — "+o.LastText), cls, template.HTMLEscapeString(o.ID), x, y, r)
		}
	}
	for _, o := range ops {
		draw(o, false)
	}
	if current != nil {
		draw(*current, true)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
