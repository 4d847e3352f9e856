# Extracts the Western Balkans and neighbours from world-atlas countries-50m
# (Natural Earth 1:50m admin-0, TopoJSON) into a small GeoJSON file.
import json, sys
topo = json.load(open(sys.argv[1]))
sx, sy = topo['transform']['scale']; tx, ty = topo['transform']['translate']
arcs = []
for arc in topo['arcs']:
    x = y = 0; pts = []
    for dx, dy in arc:
        x += dx; y += dy
        pts.append((round(x*sx+tx, 3), round(y*sy+ty, 3)))
    arcs.append(pts)
def ring(idx):
    out = []
    for i in idx:
        a = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        out.extend(a if not out else a[1:])
    return out
want = {'Albania':'AL','Bosnia and Herz.':'BA','Kosovo':'XK','Montenegro':'ME','Macedonia':'MK','North Macedonia':'MK','Serbia':'RS',
        'Croatia':'HR','Slovenia':'SI','Hungary':'HU','Romania':'RO','Bulgaria':'BG','Greece':'GR','Italy':'IT','Austria':'AT'}
feats = []
for g in topo['objects']['countries']['geometries']:
    name = g.get('properties', {}).get('name')
    if name not in want: continue
    polys = g['arcs'] if g['type'] == 'MultiPolygon' else [g['arcs']]
    keep = []
    for p in polys:
        rings = [ring(r) for r in p]
        xs = [x for x, _ in rings[0]]; ys = [y for _, y in rings[0]]
        if max(xs) < 12 or min(xs) > 25 or max(ys) < 38.5 or min(ys) > 47.5: continue
        if len(rings[0]) < 8: continue
        keep.append([[list(pt) for pt in rings[0]]])
    feats.append({'type':'Feature','properties':{'name':name,'code':want[name]},'geometry':{'type':'MultiPolygon','coordinates':keep}})
json.dump({'type':'FeatureCollection','features':feats}, open(sys.argv[2],'w'), separators=(',',':'))
print(len(feats), [f['properties']['code'] for f in feats])
