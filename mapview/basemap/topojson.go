// Package basemap is the map's last line of defence: land and sea drawn from Natural Earth polygons
// embedded in the binary, so a map with no network, no cache and no MBTiles file still shows
// continents and coastlines at every zoom. It holds a small TopoJSON decoder and a per-tile
// rasterizer in Web Mercator.
package basemap

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Ring is a closed line of [lon, lat] points; the last point need not repeat the first.
type Ring [][2]float64

// Polygon is an outer ring followed by its holes.
type Polygon []Ring

// Limits on what the decoder accepts, so a hostile or corrupt file gives an error instead of
// exhausting memory.
const (
	maxArcs          = 1 << 20
	maxPoints        = 20 << 20
	maxRingArcs      = 1 << 20
	maxGeometryDepth = 32
)

type topology struct {
	Type      string                     `json:"type"`
	Transform *transform                 `json:"transform"`
	Arcs      [][][]float64              `json:"arcs"`
	Objects   map[string]json.RawMessage `json:"objects"`
}

type transform struct {
	Scale     [2]float64 `json:"scale"`
	Translate [2]float64 `json:"translate"`
}

type geometry struct {
	Type       string            `json:"type"`
	Arcs       json.RawMessage   `json:"arcs"`
	Geometries []json.RawMessage `json:"geometries"`
}

// DecodeLand reads a TopoJSON topology and returns every polygon of every object in it (for
// world-atlas's land files that is the one "land" object). Arcs may be quantized and
// delta-encoded (a topology with a transform) or plain coordinates.
func DecodeLand(data []byte) ([]Polygon, error) {
	topo, arcs, err := parseTopology(data)
	if err != nil {
		return nil, err
	}
	d := decoder{arcs: arcs}
	for name, raw := range topo.Objects {
		if err := d.object(raw, 0); err != nil {
			return nil, fmt.Errorf("basemap: object %q: %w", name, err)
		}
	}
	if len(d.polys) == 0 {
		return nil, errors.New("basemap: topology has no polygons")
	}
	return d.polys, nil
}

// parseTopology reads the envelope shared by every TopoJSON file and decodes its arcs to lon/lat.
func parseTopology(data []byte) (topology, []Ring, error) {
	var topo topology
	if err := json.Unmarshal(data, &topo); err != nil {
		return topo, nil, fmt.Errorf("basemap: not TopoJSON: %w", err)
	}
	if topo.Type != "Topology" {
		return topo, nil, fmt.Errorf("basemap: type is %q, want \"Topology\"", topo.Type)
	}
	arcs, err := decodeArcs(topo.Arcs, topo.Transform)
	if err != nil {
		return topo, nil, err
	}
	return topo, arcs, nil
}

func decodeArcs(raw [][][]float64, tf *transform) ([]Ring, error) {
	if len(raw) > maxArcs {
		return nil, fmt.Errorf("basemap: %d arcs is more than the %d allowed", len(raw), maxArcs)
	}
	out := make([]Ring, len(raw))
	total := 0
	for i, arc := range raw {
		total += len(arc)
		if total > maxPoints {
			return nil, fmt.Errorf("basemap: more than %d points", maxPoints)
		}
		pts := make(Ring, len(arc))
		var qx, qy float64
		for j, p := range arc {
			if len(p) < 2 {
				return nil, fmt.Errorf("basemap: arc %d point %d has %d coordinates, want 2", i, j, len(p))
			}
			if tf != nil {
				// Quantized topologies store each point as the difference from the previous one.
				qx += p[0]
				qy += p[1]
				pts[j] = [2]float64{qx*tf.Scale[0] + tf.Translate[0], qy*tf.Scale[1] + tf.Translate[1]}
			} else {
				pts[j] = [2]float64{p[0], p[1]}
			}
			if !finite(pts[j][0]) || !finite(pts[j][1]) || math.Abs(pts[j][0]) > 360 || math.Abs(pts[j][1]) > 90.001 {
				return nil, fmt.Errorf("basemap: arc %d point %d (%g, %g) is not a longitude/latitude", i, j, pts[j][0], pts[j][1])
			}
		}
		out[i] = pts
	}
	return out, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

type decoder struct {
	arcs  []Ring
	polys []Polygon
	refs  int
}

func (d *decoder) object(raw json.RawMessage, depth int) error {
	if depth > maxGeometryDepth {
		return errors.New("geometry collections nested too deep")
	}
	var g geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return err
	}
	switch g.Type {
	case "GeometryCollection":
		for _, sub := range g.Geometries {
			if err := d.object(sub, depth+1); err != nil {
				return err
			}
		}
	case "Polygon":
		var rings [][]int
		if err := json.Unmarshal(g.Arcs, &rings); err != nil {
			return fmt.Errorf("polygon arcs: %w", err)
		}
		p, err := d.polygon(rings)
		if err != nil {
			return err
		}
		if len(p) > 0 {
			d.polys = append(d.polys, p)
		}
	case "MultiPolygon":
		var polys [][][]int
		if err := json.Unmarshal(g.Arcs, &polys); err != nil {
			return fmt.Errorf("multipolygon arcs: %w", err)
		}
		for _, rings := range polys {
			p, err := d.polygon(rings)
			if err != nil {
				return err
			}
			if len(p) > 0 {
				d.polys = append(d.polys, p)
			}
		}
	default:
		// Points, lines and null geometries carry no land; skip them rather than fail.
	}
	return nil
}

func (d *decoder) polygon(rings [][]int) (Polygon, error) {
	var p Polygon
	for _, refs := range rings {
		r, err := d.ring(refs)
		if err != nil {
			return nil, err
		}
		if len(r) >= 3 {
			p = append(p, r)
		} else if len(p) == 0 {
			return nil, nil // a degenerate outer ring: nothing to draw, holes meaningless
		}
	}
	return p, nil
}

// ring stitches arcs into one ring: a negative index ^i means arc i reversed, and each arc after
// the first repeats the previous arc's last point, which is dropped.
func (d *decoder) ring(refs []int) (Ring, error) {
	d.refs += len(refs)
	if d.refs > maxRingArcs*4 || len(refs) > maxRingArcs {
		return nil, errors.New("too many arc references")
	}
	var out Ring
	for k, ref := range refs {
		idx := ref
		rev := ref < 0
		if rev {
			idx = ^ref
		}
		if idx < 0 || idx >= len(d.arcs) {
			return nil, fmt.Errorf("arc index %d out of range (have %d arcs)", ref, len(d.arcs))
		}
		arc := d.arcs[idx]
		if len(out)+len(arc) > maxPoints {
			return nil, fmt.Errorf("ring has more than %d points", maxPoints)
		}
		start := len(out)
		if rev {
			for i := len(arc) - 1; i >= 0; i-- {
				out = append(out, arc[i])
			}
		} else {
			out = append(out, arc...)
		}
		if k > 0 && len(out) > start && start > 0 {
			out = append(out[:start], out[start+1:]...)
		}
	}
	if n := len(out); n > 1 && out[0] == out[n-1] {
		out = out[:n-1]
	}
	return out, nil
}
