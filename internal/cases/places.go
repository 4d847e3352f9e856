package cases

import "strings"

// Place is a stop of a recorded route: a town or a border crossing, with
// an approximate position for drawing on the offline map.
type Place struct {
	Code     string  `json:"code" doc:"UN/LOCODE for towns, BCP-… for border crossings"`
	Name     string  `json:"name"`
	Country  string  `json:"country" doc:"ISO 3166-1 alpha-2 (XK for Kosovo); a crossing names both sides, e.g. RS-HR"`
	Crossing bool    `json:"crossing"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
}

// Places is the gazetteer routes are recorded with: the region's main
// towns and ports (UN/LOCODE where one exists) and the main road border
// crossings, at approximate positions entered by hand for orientation
// (not survey data).
var Places = []Place{
	{"ALDRZ", "Durrës", "AL", false, 41.32, 19.45},
	{"ALSKU", "Shkodër", "AL", false, 42.07, 19.51},
	{"ALTIA", "Tirana", "AL", false, 41.33, 19.82},
	{"ALVOA", "Vlorë", "AL", false, 40.47, 19.49},
	{"BABIH", "Bihać", "BA", false, 44.82, 15.87},
	{"BABIJ", "Bijeljina", "BA", false, 44.76, 19.21},
	{"BABNX", "Banja Luka", "BA", false, 44.77, 17.19},
	{"BAMOS", "Mostar", "BA", false, 43.34, 17.81},
	{"BANEU", "Neum", "BA", false, 42.92, 17.62},
	{"BASJJ", "Sarajevo", "BA", false, 43.86, 18.41},
	{"GRTHE", "Thessaloniki", "GR", false, 40.64, 22.94},
	{"HRZAG", "Zagreb", "HR", false, 45.81, 15.98},
	{"HUSZE", "Szeged", "HU", false, 46.25, 20.15},
	{"MEBAR", "Bar", "ME", false, 42.09, 19.10},
	{"MEPOD", "Podgorica", "ME", false, 42.44, 19.26},
	{"MEROZ", "Rožaje", "ME", false, 42.84, 20.17},
	{"MKGEV", "Gevgelija", "MK", false, 41.14, 22.50},
	{"MKKUM", "Kumanovo", "MK", false, 42.13, 21.71},
	{"MKOHD", "Ohrid", "MK", false, 41.12, 20.80},
	{"MKSKP", "Skopje", "MK", false, 42.00, 21.43},
	{"RSBEG", "Beograd", "RS", false, 44.82, 20.46},
	{"RSINI", "Niš", "RS", false, 43.32, 21.90},
	{"RSNSA", "Novi Sad", "RS", false, 45.25, 19.84},
	{"RSPRE", "Preševo", "RS", false, 42.31, 21.65},
	{"RSSUB", "Subotica", "RS", false, 46.10, 19.67},
	{"XKPRN", "Prishtinë / Priština", "XK", false, 42.66, 21.17},
	{"XKPRZ", "Prizren", "XK", false, 42.21, 20.74},
	{"BCP-BATROVCI", "Batrovci – Bajakovo", "RS-HR", true, 45.05, 19.10},
	{"BCP-BLACE", "Bllacë – Blace", "XK-MK", true, 42.061, 21.310},
	{"BCP-BOGORODICA", "Bogorodica – Evzoni", "MK-GR", true, 41.13, 22.55},
	{"BCP-DELEUSA", "Vraćenovići – Deleuša", "ME-BA", true, 42.901, 18.561},
	{"BCP-DOBRAKOVO", "Dobrakovo – Gostun", "ME-RS", true, 43.336, 19.817},
	{"BCP-GRADINA", "Gradina – Kalotina", "RS-BG", true, 42.99, 22.87},
	{"BCP-GRADISKA", "Gradiška – Stara Gradiška", "BA-HR", true, 45.15, 17.25},
	{"BCP-HANIHOTIT", "Hani i Hotit – Božaj", "AL-ME", true, 42.324, 19.444},
	{"BCP-HORGOS", "Horgoš – Röszke", "RS-HU", true, 46.17, 19.97},
	{"BCP-IZACIC", "Izačić – Ličko Petrovo Selo", "BA-HR", true, 44.88, 15.78},
	{"BCP-KAKAVIJA", "Kakavijë – Kakavia", "AL-GR", true, 39.92, 20.32},
	{"BCP-KULLA", "Kulla – Rožaje", "XK-ME", true, 42.800, 20.153},
	{"BCP-MORINE", "Morinë – Vërmicë", "AL-XK", true, 42.118, 20.549},
	{"BCP-QAFETHANE", "Qafë Thanë – Ćafasan", "AL-MK", true, 41.155, 20.580},
	{"BCP-RACA", "Sremska Rača – Rača", "RS-BA", true, 44.893, 19.331},
	{"BCP-SUKOBIN", "Sukobin – Murićani", "AL-ME", true, 41.973, 19.370},
	{"BCP-TABANOVCE", "Tabanovce – Preševo", "MK-RS", true, 42.219, 21.703},
	{"BCP-VARDISTE", "Vardište – Kotroman", "BA-RS", true, 43.766, 19.464},
	{"BCP-ZVORNIK", "Zvornik – Mali Zvornik", "BA-RS", true, 44.386, 19.104},
}

// PlaceByCode finds a place of the gazetteer (case-insensitive).
func PlaceByCode(code string) (Place, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	for _, p := range Places {
		if p.Code == code {
			return p, true
		}
	}
	return Place{}, false
}
