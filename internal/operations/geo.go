package operations

import (
	_ "embed"
	"encoding/json"
	"sync"
)

// The offline map: country outlines of the Western Balkans and their
// neighbours from Natural Earth (public domain), vendored in mapdata/ with
// its licence; no tile server, nothing fetched at run time.

//go:embed mapdata/balkans.geojson
var outlinesJSON []byte

// Outline is one country's borders: polygons of rings of [lon, lat].
type Outline struct {
	Code     string
	Name     string
	Polygons [][][][2]float64
}

var (
	outlinesOnce sync.Once
	outlines     []Outline
)

// Outlines returns the embedded country outlines (parsed once).
func Outlines() []Outline {
	outlinesOnce.Do(func() {
		var fc struct {
			Features []struct {
				Properties struct{ Name, Code string } `json:"properties"`
				Geometry   struct {
					Coordinates [][][][2]float64 `json:"coordinates"`
				} `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal(outlinesJSON, &fc); err != nil {
			panic("operations: embedded outlines: " + err.Error())
		}
		for _, f := range fc.Features {
			outlines = append(outlines, Outline{Code: f.Properties.Code, Name: f.Properties.Name, Polygons: f.Geometry.Coordinates})
		}
	})
	return outlines
}

// Crossing is a border crossing point shown on the map.
type Crossing struct {
	Name string
	Pos  GeoPoint
}

// Crossings are the main road border crossings between the six
// participants, at approximate positions (entered by hand for orientation;
// not survey data).
var Crossings = []Crossing{
	{"Mali Zvornik – Zvornik", GeoPoint{44.386, 19.104}},
	{"Sremska Rača – Rača", GeoPoint{44.893, 19.331}},
	{"Vardište – Kotroman", GeoPoint{43.766, 19.464}},
	{"Dobrakovo – Gostun", GeoPoint{43.336, 19.817}},
	{"Hani i Hotit – Božaj", GeoPoint{42.324, 19.444}},
	{"Sukobin – Murićani", GeoPoint{41.973, 19.370}},
	{"Qafë Thanë – Ćafasan", GeoPoint{41.155, 20.580}},
	{"Morinë – Vërmicë", GeoPoint{42.118, 20.549}},
	{"Tabanovce – Preševo", GeoPoint{42.219, 21.703}},
	{"Bllacë – Blace", GeoPoint{42.061, 21.310}},
	{"Vraćenovići – Deleuša", GeoPoint{42.901, 18.561}},
	{"Kulla – Rožaje", GeoPoint{42.800, 20.153}},
}
